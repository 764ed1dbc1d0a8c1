/* libFuzzer target for the kubeconfig loader (src/kubeconfig, public API
 * only): parse, copy, change, minify, redact and serialize a kubeconfig.
 *
 * Input: a kubeconfig file. When its first line is a YAML comment of the
 * form "#set PATH VALUE" or "#unset PATH", that `kubectl config set|unset`
 * is applied after parsing. Whatever ferry writes must parse again: a
 * kubeconfig ferry writes is one it can read. File references are never
 * followed (no kcfg_flatten), so the target touches no files. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/buf.h"
#include "core/err.h"
#include "core/yaml.h"
#include "kubeconfig/kcfg.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Applies "#set PATH VALUE" / "#unset PATH" from the first line, if any. */
static void apply_change(struct kcfg *c, const char *text, size_t size)
{
    const char *nl = memchr(text, '\n', size);
    size_t n = nl ? (size_t)(nl - text) : size;
    int unset = n > 7 && memcmp(text, "#unset ", 7) == 0;
    if (!unset && !(n > 5 && memcmp(text, "#set ", 5) == 0))
        return;
    char *line = strndup(text, n);
    if (!line)
        return;
    char *path = line + (unset ? 7 : 5);
    char *value = strchr(path, ' ');
    if (value)
        *value++ = '\0';
    struct err e;
    kcfg_set_property(c, path, value ? value : "", unset, n % 2, &e);
    free(line);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *text = (const char *)data;
    struct kcfg c, copy, again;
    struct err e;

    if (kcfg_init(&c) < 0)
        return 0;
    if (kcfg_parse(&c, text, size, "/nonexistent/fuzz/config", &e) == 0) {
        apply_change(&c, text, size);
        if (kcfg_copy(&copy, &c) == 0) {
            kcfg_redact(&copy);
            kcfg_minify(&copy, &e);
            kcfg_fini(&copy);
        }
        json_t *v1 = kcfg_to_v1(&c);
        struct buf out = BUF_INIT;
        if (v1 && yaml_emit(v1, &out) == 0 && kcfg_init(&again) == 0) {
            /* A "<<" key inside extensions reads back as a merge key, as
             * it does for kubectl. */
            if (kcfg_parse(&again, out.p, out.len, NULL, &e) != 0 && !strstr(buf_str(&out), "<<"))
                abort();
            kcfg_fini(&again);
        }
        buf_fini(&out);
        json_decref(v1);
    }
    kcfg_fini(&c);
    return 0;
}
