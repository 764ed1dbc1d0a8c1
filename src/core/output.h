/* `-o FORMAT` printing shared by every command that prints objects:
 * yaml, json and jsonpath=TEMPLATE, with
 * kubectl's bytes for each. */
#ifndef FERRY_CORE_OUTPUT_H
#define FERRY_CORE_OUTPUT_H

#include <jansson.h>

#include "core/buf.h"
#include "core/err.h"

/* Appends <obj> printed in <format> to <out>. allow_missing: JSONPath keys
 * that do not exist print nothing instead of failing. Returns 0, or -1 with
 * kubectl's message appended to <msg> (unknown format, bad template, ...;
 * what follows "error: ", possibly several lines, as kubectl prints the
 * template and the object after a JSONPath failure). */
int output_print(const char *format, const json_t *obj, int allow_missing, struct buf *out,
                 struct buf *msg);

/* Prints "error: <msg>" to stderr, with a final newline unless <msg> has
 * one, and returns 1 (the exit status). */
int output_fail(const struct buf *msg);

/* Whether <format> is one output_print knows. */
int output_known(const char *format);

#endif
