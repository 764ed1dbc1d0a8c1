/* Path safety: what the proxy routes on is what the upstream receives.
 *
 * route_lookup matches raw bytes. Left alone, "/%61dmin", "//admin" or
 * "/x/../admin" would miss a rule on "/admin" here and still reach /admin
 * on a backend that decodes, merges or resolves them. So before the lookup
 * every request path goes through path_normalize, and the normalized bytes
 * are both matched and forwarded (docs/internals/proxy.md, "Path safety"):
 *
 *   normalized (RFC 3986 6.2.2 equivalences every server agrees on):
 *     %XX of an unreserved character (ALPHA DIGIT - . _ ~) is decoded;
 *     the hex digits of the remaining %XX are upper-cased;
 *     runs of '/' are merged into one.
 *   refused (400; servers disagree on what they mean):
 *     a dot-segment, "." or "..", raw or encoded (%2E), also followed by
 *       ";params" ("..;" is ".." to Tomcat);
 *     an encoded '/' (%2F), '\' (%5C) or NUL (%00); a raw '\';
 *     a '%' not followed by two hex digits.
 *
 * The query string is not touched. Neither function allocates. */
#ifndef FERRY_PROXY_PATH_H
#define FERRY_PROXY_PATH_H

#include <stddef.h>
#include <sys/types.h>

/* 1 when <path> is already normal and acceptable (the fast path: no '%',
 * no '\', no "//", no "/." anywhere), else 0 (call path_normalize). */
int path_is_clean(const char *path, size_t len);

/* Writes the normalized form of <path> (which starts with '/') into <out>
 * (<cap> >= <len> is always enough: normalizing never lengthens a path).
 * Returns the normalized length, or -1 when the path is refused, or -2 when
 * <cap> is too small. */
ssize_t path_normalize(const char *path, size_t len, char *out, size_t cap);

#endif
