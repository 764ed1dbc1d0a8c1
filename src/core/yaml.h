/* YAML in and out, the way kubectl reads and writes it.
 *
 * Reading follows sigs.k8s.io/yaml's YAMLToJSON (go-yaml v2 decoding into
 * interface{}, then conversion to JSON): YAML 1.1 scalar typing (yes/no/on/off
 * are booleans, 0x1F and 017 are ints, 1:20 is a string), merge keys, anchors
 * and aliases, non-string keys turned into strings ("1", "true"), duplicate
 * keys resolved "last one wins" (go-yaml v2 without strict mode, as kubectl
 * loads kubeconfig files and manifests). Errors carry go-yaml's wording
 * ("yaml: line 3: mapping values are not allowed in this context").
 *
 * Writing follows JSONToYAML + go-yaml v2 Marshal: keys in go-yaml's natural
 * order, strings quoted exactly when go-yaml quotes them, long strings folded
 * at 80 columns, "|" blocks for multi-line strings. docs/internals/yaml.md
 * lists what was checked against kubectl and the few known differences. */
#ifndef FERRY_CORE_YAML_H
#define FERRY_CORE_YAML_H

#include <stddef.h>

#include <jansson.h>

#include "core/buf.h"
#include "core/err.h"

/* Deepest nesting accepted, counting collections inside alias expansions. */
#define YAML_MAX_DEPTH 1000
/* Largest input accepted, in bytes. */
#define YAML_MAX_INPUT ((size_t)64 << 20)

/* Loads every document of a YAML stream, as kubectl reads manifests (-f).
 * On success returns 0 and sets *docs to a new JSON array (the caller owns
 * it) with one element per document; documents that are empty,
 * comment-only or an explicit null are skipped, as kubectl skips them.
 * Bytes that are not UTF-8 read as U+FFFD, as kubectl reads files. Object
 * keys keep the order of the document (a repeated key keeps its first
 * position and its last value).
 * On failure returns -1, leaves *docs NULL and fills <e> (may be NULL) with
 * go-yaml's message. Line numbers count from the start of <data> (kubectl
 * counts from the "---" line before the document).
 * <data> need not be NUL-terminated. */
int yaml_load(const char *data, size_t len, json_t **docs, struct err *e);

/* Loads the first document only, as go-yaml's Unmarshal does (a kubeconfig
 * file): later documents are not even parsed, and bytes that are not
 * UTF-8 are an error ("yaml: invalid leading UTF-8 octet"). An empty stream
 * or an empty first document gives a new json_null(). Returns 0 and sets
 * *doc (owned by the caller), or -1 with <e> filled and *doc NULL. */
int yaml_load_one(const char *data, size_t len, json_t **doc, struct err *e);

/* Appends <v> as one YAML document, byte for byte what kubectl prints for
 * the same JSON data (`-o yaml`, kubeconfig files), ending with a newline.
 * Nothing else is written: no "---" before, no "..." after. Object keys are
 * sorted as go-yaml sorts them; the order in <v> only matters for errors,
 * where it stands for the order of kubectl's JSON text.
 * Returns 0, or on failure, with <out> left as it was: -ENOMEM; -EILSEQ for
 * data kubectl fails to print: a string holding U+007F, a C1 control other
 * than U+0085, U+FFFE or U+FFFF, or a key of 1023 or more characters once
 * JSON-escaped, or holding U+0085; -ELOOP for data nested deeper than
 * 10000 levels, which kubectl refuses too. */
int yaml_emit(const json_t *v, struct buf *out);

/* yaml_emit, and on failure kubectl's message in <e> (may be NULL):
 * "yaml: control characters are not allowed", "yaml: line 2: did not find
 * expected ',' or '}'", "yaml: exceeded max depth of 10000", or "out of
 * memory". */
int yaml_emit_err(const json_t *v, struct buf *out, struct err *e);

#endif
