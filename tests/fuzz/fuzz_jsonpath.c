/* libFuzzer target for JSONPath templates (src/core/jsonpath.c).
 *
 * Input: the template up to the first newline, then a JSON document (any
 * JSON value; invalid JSON runs the template over null). The work bound
 * and the output cap are lowered so that runaway templates end quickly. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/buf.h"
#include "core/err.h"
#include "core/jsonpath.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *nl = memchr(data, '\n', size);
    size_t tlen = nl ? (size_t)(nl - (const char *)data) : size;
    char *tmpl = malloc(tlen + 1);
    struct err e;
    struct buf msg = BUF_INIT;

    if (!tmpl)
        return 0;
    memcpy(tmpl, data, tlen);
    tmpl[tlen] = '\0';
    struct jsonpath *jp = jsonpath_parse(tmpl, &e);
    if (!jp) {
        if (jsonpath_parse_error_text(tmpl, e.msg, &msg) != 0)
            abort();
        goto out;
    }
    json_t *doc = NULL;
    if (nl) {
        json_error_t je;
        doc = json_loadb(nl + 1, size - tlen - 1, JSON_DECODE_ANY | JSON_ALLOW_NUL, &je);
    }
    jsonpath_set_max_steps(jp, 200000);
    for (int allow_missing = 0; allow_missing < 2; allow_missing++) {
        struct buf out;
        buf_init(&out, 1 << 20);
        if (buf_adds(&out, "keep") != 0)
            abort();
        if (jsonpath_exec(jp, doc ? doc : json_null(), allow_missing, &out, &e) != 0) {
            /* A failed run prints nothing, as kubectl. */
            if (out.len != 4 || memcmp(out.p, "keep", 4) != 0)
                abort();
            buf_reset(&msg);
            if (jsonpath_exec_error_text(tmpl, e.msg, doc, &msg) != 0)
                abort();
        }
        buf_fini(&out);
    }
    json_decref(doc);
    jsonpath_free(jp);
out:
    buf_fini(&msg);
    free(tmpl);
    return 0;
}
