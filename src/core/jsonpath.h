/* kubectl's JSONPath templates (`-o jsonpath=...`, k8s.io/client-go/util/jsonpath)
 * over ferry's document model (jansson).
 *
 * Same syntax, same output bytes and same error wording as kubectl 1.32:
 * literal text, {.a.b}, {.a['b']}, {$}/{@}, [n], [-n], [a:b:c], [*], .*, ..,
 * unions [a,b], {range ...}{end}, filters [?(@.k=="v")] with == != < > <= >=
 * and existence [?(@.k)], quoted literals {"\n"}. Numbers follow kubectl's
 * Unstructured objects: a JSON integer behaves as Go int64, a JSON real as
 * float64. Where kubectl iterates a Go map in random order (.*, ..), ferry
 * uses the object's stored order, which is one of the orders kubectl prints.
 * See docs/internals/jsonpath.md for the details and known differences. */
#ifndef FERRY_CORE_JSONPATH_H
#define FERRY_CORE_JSONPATH_H

#include <stddef.h>

#include <jansson.h>

#include "core/buf.h"
#include "core/err.h"

/* Default bound on the work one jsonpath_exec may do: values produced by all
 * steps together, values that {..} looks at and skips, and {range} bodies
 * run. kubectl has none; ferry needs one so that a template such as nested
 * {range ..} cannot run for hours. */
#define JSONPATH_DEFAULT_MAX_STEPS ((size_t)1 << 26)

struct jsonpath;

/* Compiles <tmpl> (a C string). Returns the template, which the caller frees
 * with jsonpath_free, or NULL with e->msg set to kubectl's parser message
 * (e.g. "unclosed action", "unrecognized character in action: U+0023 '#'")
 * or to "out of memory". Never blocks. */
struct jsonpath *jsonpath_parse(const char *tmpl, struct err *e);

/* Bounds the work of later jsonpath_exec calls on <jp> (see
 * JSONPATH_DEFAULT_MAX_STEPS); 0 restores the default. */
void jsonpath_set_max_steps(struct jsonpath *jp, size_t max_steps);

/* Runs <jp> over <data> (borrowed, not modified) and appends the output to
 * <out>. With <allow_missing> a missing field yields nothing, as kubectl's
 * default --allow-missing-template-keys=true; without it, it is an error.
 * Returns 0, or -1 with e->msg set to the engine's message as kubectl words
 * it ("x is not found", "array index out of bounds: index 5, length 3", ...)
 * and <out> left as it was: like kubectl, nothing is printed on an error.
 * Output larger than out->max, or work beyond the step bound, is an error. */
int jsonpath_exec(const struct jsonpath *jp, const json_t *data, int allow_missing, struct buf *out,
                  struct err *e);

/* Frees <jp>; NULL is allowed. */
void jsonpath_free(struct jsonpath *jp);

/* kubectl's wording for `-o jsonpath` failures, for the command layer. Each
 * appends to <out> the text kubectl prints after "error: " (the caller adds
 * that prefix, and a newline unless the text already ends with one).
 *
 * Parse failure of <tmpl>, <msg> being jsonpath_parse's e->msg:
 *   "error parsing jsonpath {.a, unclosed action"
 * Execution failure, <msg> being jsonpath_exec's e->msg, <data> the object:
 *   "error executing jsonpath \"{.x}\": Error executing template: x is not
 *   found. Printing more information ...\n\ttemplate was:\n\t\t{.x}\n\tobject
 *   given to jsonpath engine was:\n\t\tmap[string]interface {}{...}\n\n\n"
 * Both return 0 or -ENOMEM. */
int jsonpath_parse_error_text(const char *tmpl, const char *msg, struct buf *out);
int jsonpath_exec_error_text(const char *tmpl, const char *msg, const json_t *data,
                             struct buf *out);

#endif
