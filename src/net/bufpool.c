#include "net/bufpool.h"

#include <stdlib.h>

/* Under AddressSanitizer a free buffer is poisoned (the pool unpoisons it to
 * follow its link), so a connection that touches a buffer it gave back is
 * caught at once. */
#if defined(__SANITIZE_ADDRESS__)
#define BUFPOOL_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define BUFPOOL_ASAN 1
#endif
#endif
#ifdef BUFPOOL_ASAN
#include <sanitizer/asan_interface.h>
#define POISON(p, n) ASAN_POISON_MEMORY_REGION((p), (n))
#define UNPOISON(p, n) ASAN_UNPOISON_MEMORY_REGION((p), (n))
#else
#define POISON(p, n) ((void)(p), (void)(n))
#define UNPOISON(p, n) ((void)(p), (void)(n))
#endif

void bufpool_init(struct bufpool *p, size_t size, size_t max)
{
    if (size == 0)
        size = BUFPOOL_DEFAULT_SIZE;
    if (size < sizeof(void *))
        size = sizeof(void *);
    p->size = size;
    p->max = max;
    p->free = NULL;
    p->stats = (struct bufpool_stats){0, 0, 0, 0};
}

void bufpool_fini(struct bufpool *p)
{
    bufpool_trim(p, 0);
}

void *bufpool_get(struct bufpool *p)
{
    void *b = p->free;
    if (b) {
        UNPOISON(b, p->size);
        p->free = *(void **)b;
    } else {
        if (p->max && p->stats.allocated >= p->max) {
            p->stats.failures++;
            return NULL;
        }
        b = malloc(p->size);
        if (!b) {
            p->stats.failures++;
            return NULL;
        }
        p->stats.allocated++;
    }
    if (++p->stats.in_use > p->stats.high_water)
        p->stats.high_water = p->stats.in_use;
    return b;
}

void bufpool_put(struct bufpool *p, void *b)
{
    if (!b)
        return;
    *(void **)b = p->free;
    p->free = b;
    POISON(b, p->size);
    p->stats.in_use--;
}

size_t bufpool_trim(struct bufpool *p, size_t keep)
{
    size_t nfree = p->stats.allocated - p->stats.in_use, freed = 0;
    while (nfree > keep && p->free) {
        void *b = p->free;
        UNPOISON(b, p->size);
        p->free = *(void **)b;
        free(b);
        nfree--;
        freed++;
        p->stats.allocated--;
    }
    return freed;
}
