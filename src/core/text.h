/* Small text helpers shared by the parsers and the API client. */
#ifndef FERRY_CORE_TEXT_H
#define FERRY_CORE_TEXT_H

#include <stdint.h>
#include <time.h>

/* The value of hexadecimal digit <c> (either case), or -1. */
int text_hexval(int c);

/* Removes leading and trailing white space (space, tab, CR, LF, VT, FF)
 * from the NUL-terminated <s>, in place. */
void text_trim(char *s);

/* A Go time.ParseDuration string ("1h30m", "1.5s", "500ms", "-2m"; units
 * ns us µs ms s m h) in milliseconds. Returns 0, or -1 when malformed. */
int text_go_duration(const char *s, double *ms);

/* <t> in RFC 3339, UTC, to the second: "2026-11-28T10:00:00Z" (how
 * Kubernetes writes a metav1.Time). */
void text_rfc3339(time_t t, char *dst, size_t n);

/* An RFC 3339 time ("2026-11-28T10:00:00Z"; fractions of a second and
 * +hh:mm or -hh:mm offsets accepted) as seconds since the epoch in *<out>
 * (before 1970: negative). Returns 0, or -1 when <s> is NULL or not one. */
int text_rfc3339_parse(const char *s, int64_t *out);

/* The current UTC time formatted with strftime <fmt>, formatted again only
 * when the second changes: what a busy thread prints on every log line or
 * response. One per thread (not thread-safe). */
struct text_clock {
    time_t sec;
    char buf[40];
};
const char *text_clock_now(struct text_clock *c, const char *fmt);

#endif
