/* A bump allocator for data that lives and dies together: an ingress model,
 * a route table. Memory comes in chunks (each one malloc) that grow
 * geometrically; nothing is freed before iarena_fini, which frees it all.
 * Not thread-safe; an arena belongs to the thread that builds with it. */
#ifndef FERRY_INGRESS_IARENA_H
#define FERRY_INGRESS_IARENA_H

#include <stddef.h>

struct iarena_chunk;

struct iarena {
    struct iarena_chunk *head; /* newest chunk first */
    char *cur, *end;           /* free space in head */
    size_t next;               /* size of the next chunk */
    size_t used;               /* bytes handed out, for statistics */
};

/* clang-format off */
#define IARENA_INIT {NULL, NULL, NULL, 0, 0}
/* clang-format on */

/* <first> is the size of the first chunk (0: 16 KiB). */
void iarena_init(struct iarena *a, size_t first);
/* Frees every chunk; the arena is then empty and reusable. */
void iarena_fini(struct iarena *a);
/* Returns <n> bytes aligned to 16, not zeroed, or NULL when memory runs out
 * (or n is absurd). n == 0 gives a valid unique pointer. */
void *iarena_alloc(struct iarena *a, size_t n);
/* As iarena_alloc, zeroed; <n> * <size> checked for overflow. */
void *iarena_calloc(struct iarena *a, size_t n, size_t size);
/* A NUL-terminated copy of <n> bytes of <s> (which may hold NULs). */
char *iarena_strndup(struct iarena *a, const char *s, size_t n);
char *iarena_strdup(struct iarena *a, const char *s);

#endif
