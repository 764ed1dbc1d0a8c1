/* A per-worker pool of fixed-size I/O buffers.
 *
 * A connection takes a buffer when it has bytes to hold and gives it back as
 * soon as it has none (an idle keep-alive connection holds no buffer), so
 * memory follows the number of busy connections, not open ones. Buffers come
 * from a free list; the heap is asked only when the list is empty (warm-up,
 * or a new high-water mark), never for a buffer that was given back.
 *
 * Not thread-safe: each worker owns its pool, and buffers go back to the pool
 * they came from. */
#ifndef FERRY_NET_BUFPOOL_H
#define FERRY_NET_BUFPOOL_H

#include <stddef.h>

#define BUFPOOL_DEFAULT_SIZE ((size_t)16 << 10)

struct bufpool_stats {
    size_t in_use;     /* handed out now */
    size_t allocated;  /* held by the pool: in use + free */
    size_t high_water; /* most in use at once */
    size_t failures;   /* gets refused (cap reached or out of memory) */
};

struct bufpool {
    size_t size; /* bytes per buffer */
    size_t max;  /* cap on allocated; 0: none */
    void *free;  /* free list, linked through the buffers' first bytes */
    struct bufpool_stats stats;
};

/* <size> 0 means BUFPOOL_DEFAULT_SIZE (at least a pointer's size either way);
 * <max> caps how many buffers the pool holds (0: no cap). */
void bufpool_init(struct bufpool *p, size_t size, size_t max);
/* Frees the free buffers. Buffers still in use are the caller's to put back
 * first; any that are not are leaked, not freed under their holders. */
void bufpool_fini(struct bufpool *p);

/* A buffer of p->size bytes (contents unspecified), or NULL when the cap is
 * reached or memory is out: the caller drops that one connection. */
void *bufpool_get(struct bufpool *p);
/* Gives <b> back. NULL is ignored. */
void bufpool_put(struct bufpool *p, void *b);
/* Frees free buffers until at most <keep> are left (after a burst, from a
 * timer). Returns how many were freed. */
size_t bufpool_trim(struct bufpool *p, size_t keep);

static inline const struct bufpool_stats *bufpool_stats(const struct bufpool *p)
{
    return &p->stats;
}

#endif
