/* libFuzzer target for the YAML reader and writer (src/core/yaml.c).
 *
 * Every input is read both ways (yaml_load, yaml_load_one). Each document
 * read is written back with yaml_emit, and what ferry writes must read
 * back and write again to the same bytes: kubectl's own output does, with
 * one exception kept as kubectl has it (a key spelled "<<" is written
 * plain and reads back as a merge key). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/buf.h"
#include "core/err.h"
#include "core/json.h"
#include "core/yaml.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int has_merge_key(const json_t *v)
{
    if (json_is_array(v)) {
        for (size_t i = 0; i < json_array_size(v); i++)
            if (has_merge_key(json_array_get(v, i)))
                return 1;
        return 0;
    }
    if (!json_is_object(v))
        return 0;
    const char *k;
    json_t *x;
    json_object_foreach((json_t *)v, k, x)
    {
        if (strcmp(k, "<<") == 0 || has_merge_key(x))
            return 1;
    }
    return 0;
}

static void round_trip(const json_t *doc)
{
    struct buf once = BUF_INIT, twice = BUF_INIT, js = BUF_INIT;
    struct err e;
    json_t *back = NULL;

    if (json_emit_go(doc, 4, &js) != 0)
        abort();
    if (yaml_emit_err(doc, &once, &e) != 0)
        goto out; /* data kubectl cannot print either */
    if (yaml_load_one(once.p, once.len, &back, &e) != 0) {
        if (!has_merge_key(doc))
            abort(); /* ferry wrote YAML it cannot read */
        goto out;
    }
    if (yaml_emit(back, &twice) != 0 ||
        (!has_merge_key(doc) && (once.len != twice.len || memcmp(once.p, twice.p, once.len))))
        abort(); /* writing is not stable */
out:
    json_decref(back);
    buf_fini(&once);
    buf_fini(&twice);
    buf_fini(&js);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *text = (const char *)data;
    struct err e;
    json_t *docs = NULL, *doc = NULL;

    if (yaml_load(text, size, &docs, &e) == 0) {
        for (size_t i = 0; i < json_array_size(docs); i++)
            round_trip(json_array_get(docs, i));
        json_decref(docs);
    }
    if (yaml_load_one(text, size, &doc, &e) == 0) {
        round_trip(doc);
        json_decref(doc);
    }
    return 0;
}
