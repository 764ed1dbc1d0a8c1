/* JSON output exactly as Go's encoding/json writes it (what kubectl prints for
 * `-o json`): object keys in the order they are stored in the json_t (jansson
 * keeps insertion order), "<", ">", "&", U+2028 and U+2029 escaped as \u003c
 * etc., numbers as Go formats int64 and float64. */
#ifndef FERRY_CORE_JSON_H
#define FERRY_CORE_JSON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "core/buf.h"

/* indent == 0: compact, as json.Marshal. indent > 0: as json.MarshalIndent
 * with prefix "" and <indent> spaces. No trailing newline is added.
 * Returns 0, or -ENOMEM. */
int json_emit_go(const json_t *v, int indent, struct buf *out);

/* Reorders the keys of every object in <v>, recursively, as Go sorts the
 * keys of a map[string]interface{} (byte order): what kubectl prints for
 * objects it decoded into unstructured maps. Returns 0, or -ENOMEM with <v>
 * partly reordered but holding the same members. */
int json_sort_keys(json_t *v);
/* The keys of object <o> (none for anything else) in byte order, in a new
 * NULL-ended array (the caller frees it; the keys are <o>'s); *n says how
 * many. NULL when memory runs out. */
const char **json_sorted_keys(const json_t *o, size_t *n);

/* ---- Go's text primitives, for the other Go-compatible printers ---- */

/* Bytes json_float_g and json_float_text write at most, NUL included. */
#define JSON_FLOAT_MAX 40

/* strconv.FormatFloat(f, 'g', -1, bits) (fmt's %v for bits 64): shortest
 * digits that read back as <f> at <bits> (32 or 64) precision, %e form for
 * exponents below -4 or from 6 up ("1e+06", "1.5e-05"), "NaN", "+Inf",
 * "-Inf" for the specials. Writes a C string to <s>. */
void json_float_g(double f, int bits, char *s);

/* encoding/json's text for a finite float64: %f form from 1e-6 to 1e21,
 * else %e with the exponent unpadded ("1e+21", "1e-7"). */
void json_float_text(double f, char *s);

/* utf8.DecodeRune: the code point at <s> (n > 0 bytes) in *r and its width,
 * or U+FFFD and width 1 for an invalid or truncated sequence (overlong
 * forms, surrogates and code points past U+10FFFF included). */
size_t json_rune_decode(const void *s, size_t n, uint32_t *r);
/* utf8.EncodeRune for a valid code point <u> (not a surrogate, at most
 * U+10FFFF: the caller checks): its UTF-8 form in <dst>, the length. */
size_t json_rune_encode(uint32_t u, char dst[4]);

/* unicode.IsLetter and unicode.IsDigit, as Go 1.23 classifies. */
bool json_rune_is_letter(uint32_t r);
bool json_rune_is_digit(uint32_t r);

#endif
