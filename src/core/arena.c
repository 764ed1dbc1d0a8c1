#include "core/arena.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define ARENA_ALIGN 16
#define ARENA_FIRST ((size_t)16 << 10)
#define ARENA_MAX_CHUNK ((size_t)8 << 20)

struct arena_chunk {
    struct arena_chunk *next;
    size_t size;
    /* Keeps the data that follows aligned to ARENA_ALIGN. */
    _Alignas(ARENA_ALIGN) char data[];
};

void arena_init(struct arena *a, size_t first)
{
    a->head = NULL;
    a->cur = a->end = NULL;
    a->next = first ? first : ARENA_FIRST;
    a->used = 0;
}

void arena_fini(struct arena *a)
{
    struct arena_chunk *c = a->head;
    while (c) {
        struct arena_chunk *next = c->next;
        free(c);
        c = next;
    }
    a->head = NULL;
    a->cur = a->end = NULL;
    a->used = 0;
}

/* Slow path: a new chunk big enough for <n>. Large requests get a chunk of
 * their own so the current chunk's free space is not wasted; the first
 * chunk is never smaller than asked for in arena_init (an arena sized to
 * fit its contents exactly stays one chunk). */
static void *grow(struct arena *a, size_t n)
{
    if (!a->next)
        a->next = ARENA_FIRST;
    size_t size = a->next;
    if (n > size / 4 && (a->head || n > size)) {
        size = n;
    } else if (a->next < ARENA_MAX_CHUNK) {
        a->next *= 2;
    }
    if (size > SIZE_MAX - sizeof(struct arena_chunk))
        return NULL;
    struct arena_chunk *c = malloc(sizeof(*c) + size);
    if (!c)
        return NULL;
    c->size = size;
    if (size == n && a->head) {
        /* A dedicated chunk: keep bumping in the current one. */
        c->next = a->head->next;
        a->head->next = c;
        return c->data;
    }
    c->next = a->head;
    a->head = c;
    a->cur = c->data + n;
    a->end = c->data + size;
    return c->data;
}

void *arena_alloc(struct arena *a, size_t n)
{
    if (n > SIZE_MAX / 2)
        return NULL;
    if (n == 0)
        n = 1;
    if (a->cur) {
        /* Align the start, not the size: packed strings may precede. */
        size_t pad = (size_t)(-(uintptr_t)a->cur & (ARENA_ALIGN - 1));
        if ((size_t)(a->end - a->cur) >= pad + n) {
            void *p = a->cur + pad;
            a->cur += pad + n;
            a->used += pad + n;
            return p;
        }
    }
    a->used += n;
    return grow(a, n);
}

void *arena_calloc(struct arena *a, size_t n, size_t size)
{
    if (size && n > SIZE_MAX / size)
        return NULL;
    void *p = arena_alloc(a, n * size);
    if (p)
        memset(p, 0, n * size);
    return p;
}

/* Strings need no alignment: they are packed. */
static char *alloc_bytes(struct arena *a, size_t n)
{
    if (a->cur && (size_t)(a->end - a->cur) >= n) {
        char *p = a->cur;
        a->cur += n;
        a->used += n;
        return p;
    }
    return arena_alloc(a, n);
}

char *arena_strndup(struct arena *a, const char *s, size_t n)
{
    if (n >= SIZE_MAX / 2)
        return NULL;
    char *p = alloc_bytes(a, n + 1);
    if (!p)
        return NULL;
    if (n)
        memcpy(p, s, n);
    p[n] = '\0';
    return p;
}

char *arena_strdup(struct arena *a, const char *s)
{
    return arena_strndup(a, s, strlen(s));
}
