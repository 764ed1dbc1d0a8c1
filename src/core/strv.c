#include "core/strv.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define STRV_FIRST_CAP 16

int strv_add(struct strv *s, const char *p, size_t len)
{
    if (len == SIZE_MAX)
        return -1;
    /* The copy first, so that a failure leaves nothing to undo. */
    char *copy = malloc(len + 1);
    if (!copy)
        return -1;
    memcpy(copy, p, len);
    copy[len] = '\0';
    if (s->n == s->cap) {
        size_t cap = s->cap ? s->cap * 2 : STRV_FIRST_CAP;
        char **v = NULL;
        if (s->cap <= SIZE_MAX / 2 / sizeof *v) /* cap * sizeof *v cannot wrap */
            v = realloc(s->v, cap * sizeof *v);
        if (!v) {
            free(copy);
            return -1;
        }
        s->v = v;
        s->cap = cap;
    }
    s->v[s->n++] = copy;
    return 0;
}

int strv_cmp(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

void strv_sort(struct strv *s)
{
    if (s->n > 1) /* qsort wants a non-NULL array, even of 0 */
        qsort(s->v, s->n, sizeof *s->v, strv_cmp);
}

void strv_fini(struct strv *s)
{
    for (size_t i = 0; i < s->n; i++)
        free(s->v[i]);
    free(s->v);
    s->v = NULL;
    s->n = s->cap = 0;
}
