/* Error messages for the control plane.
 *
 * A function that can fail in a way a user must understand fills a struct err
 * with one line the user can act on (no trailing newline, no "error: "
 * prefix; the command layer adds it). */
#ifndef FERRY_CORE_ERR_H
#define FERRY_CORE_ERR_H

#define ERR_MSG_MAX 1024

struct err {
    char msg[ERR_MSG_MAX];
};

/* Sets the message and returns -1, so callers can `return err_set(e, ...)`.
 * <e> may be NULL, then the message is dropped. */
int err_set(struct err *e, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Prefixes the existing message with "<prefix>: ". Returns -1. */
int err_wrap(struct err *e, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void err_clear(struct err *e);

#endif
