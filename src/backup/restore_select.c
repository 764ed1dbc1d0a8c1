/* Label selectors evaluated on backed-up objects: nothing of the backup is
 * on a server that could select them. The selector text is parsed once
 * into a metav1.LabelSelector (record_selector_parse, as the Restore
 * record stores it); this evaluates that form. */
#include <string.h>

#include "backup/restore_int.h"

static int in_values(const json_t *values, const char *v)
{
    size_t i;
    const json_t *x;
    json_array_foreach(values, i, x)
    {
        if (v && json_is_string(x) && !strcmp(json_string_value(x), v))
            return 1;
    }
    return 0;
}

int restore_selector_match(const json_t *sel, const json_t *obj)
{
    const json_t *labels = json_object_get(json_object_get(obj, "metadata"), "labels");
    const char *key;
    const json_t *x;
    json_object_foreach((json_t *)json_object_get(sel, "matchLabels"), key, x)
    {
        const char *have = json_string_value(json_object_get(labels, key));
        if (!have || strcmp(have, json_string_value(x)))
            return 0;
    }
    size_t i;
    json_array_foreach(json_object_get(sel, "matchExpressions"), i, x)
    {
        const char *have = json_string_value(
            json_object_get(labels, json_string_value(json_object_get(x, "key"))));
        const char *op = json_string_value(json_object_get(x, "operator"));
        const json_t *values = json_object_get(x, "values");
        int ok = !op                           ? 0
                 : !strcmp(op, "In")           ? in_values(values, have)
                 : !strcmp(op, "NotIn")        ? !in_values(values, have)
                 : !strcmp(op, "Exists")       ? have != NULL
                 : !strcmp(op, "DoesNotExist") ? have == NULL
                                               : 0;
        if (!ok)
            return 0;
    }
    return 1;
}
