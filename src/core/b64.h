/* Base64 (Go's StdEncoding). */
#ifndef FERRY_CORE_B64_H
#define FERRY_CORE_B64_H

#include <stddef.h>

#include "core/err.h"

/* Base64 as Go's StdEncoding: decode ignores CR/LF; errors read as Go's
 * ("illegal base64 data at input byte N"). Return malloc'd buffers. */
char *b64_encode(const unsigned char *p, size_t n);
/* Whether <s> is exactly what b64_encode writes for some bytes. */
int b64_canonical(const char *s, size_t n);
int b64_decode(const char *s, unsigned char **out, size_t *n, struct err *e);
/* As b64_decode, on <len> bytes of <s>: 0, -1 for invalid data, -2 when
 * memory runs out (<e> says which). */
int b64_decode_n(const char *s, size_t len, unsigned char **out, size_t *n, struct err *e);

#endif
