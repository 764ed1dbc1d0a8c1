/* Incremental JSON splitting for API responses read as they arrive.
 *
 * Two shapes are split:
 * - JSTREAM_VALUES: a sequence of JSON objects separated by white space,
 *   as a watch stream sends them (one {"type":...,"object":...} per event,
 *   normally one per line, but nothing here depends on the newlines).
 * - JSTREAM_OBJECT: one JSON object, a list page; its top-level fields are
 *   handed out one by one, and the elements of the arrays named in
 *   <split_keys> ("items", a Table's "rows") one element at a time.
 *
 * The splitter only finds value boundaries (strings, escapes, nesting); it
 * never interprets a value, and each value it hands out is parsed (and so
 * validated) by the caller, with jansson. It holds at most one value at a
 * time, so memory is bounded by the largest single value (<max> bytes), not
 * by the size of the response. Input may arrive in pieces of any size,
 * split anywhere, even inside a UTF-8 sequence or an escape.
 *
 * Never allocates except to hold the current value; never blocks. */
#ifndef FERRY_KUBE_JSTREAM_H
#define FERRY_KUBE_JSTREAM_H

#include <stddef.h>

#include "core/buf.h"

enum jstream_mode { JSTREAM_VALUES, JSTREAM_OBJECT };

/* Default bound on one value: far above the API server's own limit on an
 * object (about 3 MiB in etcd) so that any real object fits. */
#define JSTREAM_DEFAULT_MAX ((size_t)64 << 20)

/* Called with each complete value, <p>/<n> being its bytes (not NUL
 * terminated; valid only during the call). In JSTREAM_VALUES mode <key> is
 * NULL. In JSTREAM_OBJECT mode <key> is the top-level field name (its raw
 * bytes between the quotes) and <elem> is 1 for one element of a split
 * array, 0 for a whole field value. When a split array ends, the callback is
 * called once more with <elem> 2 and n == 0. Returns 0 to go on or -1 to
 * stop: the feed then fails with the callback's own error. */
typedef int (*jstream_fn)(void *arg, const char *key, int elem, const char *p, size_t n);

struct jstream {
    enum jstream_mode mode;
    const char *const *split_keys; /* NULL-terminated; may be NULL */
    jstream_fn fn;
    void *arg;
    int state;
    /* the value being collected */
    int collecting, depth, in_str, esc, scalar;
    int splitting; /* inside a split array */
    struct buf val;
    struct buf key;
    int failed;
    char err[160];
};

/* <max>: bound on one value in bytes (0: JSTREAM_DEFAULT_MAX). */
void jstream_init(struct jstream *s, enum jstream_mode mode, const char *const *split_keys,
                  size_t max, jstream_fn fn, void *arg);
void jstream_fini(struct jstream *s);
/* Forgets any partial input, keeps the settings (a new response). */
void jstream_reset(struct jstream *s);

/* Feeds the next <n> bytes. Returns 0, -1 when the input is not what the
 * mode expects or a value exceeds the bound (s->err says why), or -2 when
 * the callback stopped. After a failure every later feed fails. */
int jstream_feed(struct jstream *s, const char *p, size_t n);

/* At end of input: 0 when it ended cleanly (VALUES: between values; OBJECT:
 * after the closing brace), else -1 with s->err set. */
int jstream_finish(struct jstream *s);

/* Whether the input so far ended cleanly (see jstream_finish). */
int jstream_at_boundary(const struct jstream *s);

#endif
