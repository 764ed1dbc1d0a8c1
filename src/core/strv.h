/* A growing list of strings that the list owns: object keys, resource
 * names, priorities. A zeroed struct strv ({0}) is an empty list. */
#ifndef FERRY_CORE_STRV_H
#define FERRY_CORE_STRV_H

#include <stddef.h>

struct strv {
    char **v;   /* the strings, each allocated; NULL until the first add */
    size_t n;   /* strings in <v> */
    size_t cap; /* slots allocated in <v> */
};

/* Appends a copy of the <len> bytes at <p> (which must hold that many),
 * NUL-terminated. The array doubles as it fills. Returns 0, or -1 when
 * memory runs out, with the list unchanged. */
int strv_add(struct strv *s, const char *p, size_t len);

/* Sorts the strings in strcmp (byte) order. An empty list is fine. */
void strv_sort(struct strv *s);

/* Frees the strings and the array and leaves <s> an empty list, ready for
 * more adds. */
void strv_fini(struct strv *s);

/* The qsort comparator for any array of char * (or const char *): strcmp
 * on the pointed-to strings. */
int strv_cmp(const void *a, const void *b);

#endif
