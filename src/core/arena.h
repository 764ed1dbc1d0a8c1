/* A bump allocator for data that lives and dies together: an ingress model,
 * a route table. Memory comes in chunks (each one malloc) that grow
 * geometrically; nothing is freed before arena_fini, which frees it all.
 * Not thread-safe; an arena belongs to the thread that builds with it. */
#ifndef FERRY_CORE_ARENA_H
#define FERRY_CORE_ARENA_H

#include <stddef.h>

struct arena_chunk;

struct arena {
    struct arena_chunk *head; /* newest chunk first */
    char *cur, *end;          /* free space in head */
    size_t next;              /* size of the next chunk */
    size_t used;              /* bytes handed out, for statistics */
};

/* <first> is the size of the first chunk (0: 16 KiB). */
void arena_init(struct arena *a, size_t first);
/* Frees every chunk; the arena is then empty and reusable. */
void arena_fini(struct arena *a);
/* Returns <n> bytes aligned to 16, not zeroed, or NULL when memory runs out
 * (or n is absurd). n == 0 gives a valid unique pointer. */
void *arena_alloc(struct arena *a, size_t n);
/* As arena_alloc, zeroed; <n> * <size> checked for overflow. */
void *arena_calloc(struct arena *a, size_t n, size_t size);
/* A NUL-terminated copy of <n> bytes of <s> (which may hold NULs). */
char *arena_strndup(struct arena *a, const char *s, size_t n);
char *arena_strdup(struct arena *a, const char *s);

#endif
