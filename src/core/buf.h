/* Growable byte buffers with a hard size cap.
 *
 * A buffer always keeps a terminating NUL after <len> bytes once anything has
 * been appended, so <p> can be used as a C string when the content is text.
 * Functions return 0 on success and -ENOMEM when memory runs out or the cap
 * would be exceeded; on failure the buffer is left unchanged. */
#ifndef FERRY_CORE_BUF_H
#define FERRY_CORE_BUF_H

#include <stdarg.h>
#include <stddef.h>

/* Default cap: large enough for any kubeconfig or manifest ferry reads. */
#define BUF_DEFAULT_MAX ((size_t)256 << 20)

struct buf {
    char *p;    /* NULL until the first append */
    size_t len; /* bytes used, not counting the NUL */
    size_t cap; /* bytes allocated */
    size_t max; /* hard cap on len; 0 means BUF_DEFAULT_MAX */
};

#define BUF_INIT                                                                                   \
    {                                                                                              \
        NULL, 0, 0, 0                                                                              \
    }

void buf_init(struct buf *b, size_t max);
void buf_fini(struct buf *b);
void buf_reset(struct buf *b);
int buf_reserve(struct buf *b, size_t extra);
int buf_add(struct buf *b, const void *p, size_t n);
int buf_adds(struct buf *b, const char *s);
int buf_addc(struct buf *b, char c);
int buf_addf(struct buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
int buf_vaddf(struct buf *b, const char *fmt, va_list ap);
/* Returns the content as a NUL-terminated string (never NULL) that the caller
 * now owns, and leaves the buffer empty. */
char *buf_take(struct buf *b);
/* Content as a C string, "" when empty. Valid until the next change. */
const char *buf_str(const struct buf *b);

#endif
