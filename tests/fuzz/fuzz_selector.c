/* libFuzzer target for label selectors: kubectl's text parsed by
 * record_selector_parse (src/backup/record.c), printed back by
 * record_selector_format, and evaluated on objects by
 * restore_selector_match (src/backup/restore_select.c).
 *
 * Input: the selector text, optionally followed by a NUL byte and a JSON
 * object: the labels of the object to evaluate it on. Printing is checked
 * to be stable (print, parse, print gives the same text) and the printed
 * selector must select what the original does. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "backup/record.h"
#include "backup/restore_int.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Large enough that no selector of a short input is cut short. */
#define FMT_MAX 65536

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *in = (const char *)data;
    const char *nul = memchr(in, '\0', size);
    char *text = strndup(in, nul ? (size_t)(nul - in) : size);
    if (!text)
        return 0;
    json_t *labels = nul ? json_loadb(nul + 1, size - (size_t)(nul - in) - 1, 0, NULL) : NULL;
    json_t *obj = json_pack("{s:{s:O*}}", "metadata", "labels", labels);
    json_t *sel = record_selector_parse(text, NULL);
    static char f1[FMT_MAX], f2[FMT_MAX];
    if (sel && obj) {
        int m = restore_selector_match(sel, obj);
        record_selector_format(sel, f1, sizeof f1);
        /* a requirement prints in at most 512 bytes: a short input's
         * selector is printed whole */
        int whole = strlen(text) < 500 && strcmp(f1, "<none>");
        json_t *again = whole ? record_selector_parse(f1, NULL) : NULL;
        if (whole && !again)
            abort(); /* what ferry prints it must read */
        if (again) {
            record_selector_format(again, f2, sizeof f2);
            if (strcmp(f1, f2) || restore_selector_match(again, obj) != m)
                abort();
        }
        json_decref(again);
    }
    /* the empty selector selects everything */
    json_t *empty = json_object();
    if (obj && empty && !restore_selector_match(empty, obj))
        abort();
    json_decref(empty);
    json_decref(sel);
    json_decref(obj);
    json_decref(labels);
    free(text);
    return 0;
}
