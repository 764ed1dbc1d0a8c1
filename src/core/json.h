/* JSON output exactly as Go's encoding/json writes it (what kubectl prints for
 * `-o json`): object keys in the order they are stored in the json_t (jansson
 * keeps insertion order), "<", ">", "&", U+2028 and U+2029 escaped as \u003c
 * etc., numbers as Go formats int64 and float64. */
#ifndef FERRY_CORE_JSON_H
#define FERRY_CORE_JSON_H

#include <jansson.h>

#include "core/buf.h"

/* indent == 0: compact, as json.Marshal. indent > 0: as json.MarshalIndent
 * with prefix "" and <indent> spaces. No trailing newline is added.
 * Returns 0, or -ENOMEM. */
int json_emit_go(const json_t *v, int indent, struct buf *out);

#endif
