/* Timers on a hierarchical timer wheel (Varghese and Lauck's scheme 6, the
 * layout of Linux's timer wheel before 4.8, with per-level bitmaps).
 *
 * The cursor <cur> is the next millisecond tick to process. A timer due at
 * <expire> goes to level k when expire - cur is in [64^k, 64^(k+1)), in slot
 * (expire >> 6k) & 63. Level 0 therefore holds exact due times; a level-k slot
 * holds the timers of one 64^k ms block and is cascaded (its timers re-added)
 * when the cursor reaches the block's first tick, which happens when the
 * digits below k are all zero. Each timer is cascaded at most TW_LEVELS - 1
 * times over its life, and start, stop and again are a list insert or unlink:
 * O(1), no allocation, no comparison with other timers. */
#include "net/loop_int.h"

#include <stddef.h>

static inline unsigned ctz64(uint64_t x)
{
    return (unsigned)__builtin_ctzll(x);
}

/* Rotates right so that bit <n> becomes bit 0. */
static inline uint64_t rotr64(uint64_t x, unsigned n)
{
    n &= 63;
    return n ? (x >> n) | (x << (64 - n)) : x;
}

static inline struct timer *timer_of(struct net_link *l)
{
    return NET_CONTAINER_OF(l, struct timer, link);
}

void twheel_init(struct twheel *w, uint64_t now)
{
    w->cur = now;
    w->count = 0;
    for (unsigned k = 0; k < TW_LEVELS; k++) {
        w->occupied[k] = 0;
        for (unsigned s = 0; s < TW_SLOTS; s++)
            link_init(&w->slots[k][s]);
    }
}

static void place(struct twheel *w, struct timer *t)
{
    /* A timer due at a tick already processed fires at the next one; one
     * beyond the wheel's range, at the range's end. <expire> is updated, so
     * it always says when the timer will fire. */
    if (t->expire < w->cur)
        t->expire = w->cur;
    else if (t->expire - w->cur > TW_MAX_DELAY)
        t->expire = w->cur + TW_MAX_DELAY;
    uint64_t expire = t->expire, delta = expire - w->cur;
    unsigned level = 0;
    while (level + 1 < TW_LEVELS && delta >= (UINT64_C(1) << (TW_BITS * (level + 1))))
        level++;
    unsigned s = (unsigned)(expire >> (TW_BITS * level)) & (TW_SLOTS - 1);
    link_push_tail(&w->slots[level][s], &t->link);
    w->occupied[level] |= UINT64_C(1) << s;
    t->slot = (int16_t)(level * TW_SLOTS + s);
}

void twheel_add(struct twheel *w, struct timer *t)
{
    place(w, t);
    w->count++;
}

void twheel_del(struct twheel *w, struct timer *t)
{
    unsigned level = (unsigned)t->slot / TW_SLOTS, s = (unsigned)t->slot % TW_SLOTS;
    link_unlink(&t->link);
    if (link_empty(&w->slots[level][s]))
        w->occupied[level] &= ~(UINT64_C(1) << s);
    t->slot = -1;
    w->count--;
}

uint64_t twheel_next(const struct twheel *w)
{
    if (w->count == 0)
        return UINT64_MAX;
    uint64_t best = UINT64_MAX;
    /* Level 0: slots hold exact ticks in [cur, cur + 63]. */
    if (w->occupied[0]) {
        unsigned i = (unsigned)w->cur & (TW_SLOTS - 1);
        best = w->cur + ctz64(rotr64(w->occupied[0], i));
    }
    /* Level k: the slot of block B cascades at tick B << 6k; the blocks not
     * cascaded yet are the 64 from the first one starting at or after cur. */
    for (unsigned k = 1; k < TW_LEVELS; k++) {
        if (!w->occupied[k])
            continue;
        unsigned shift = TW_BITS * k;
        uint64_t b0 = (w->cur + (UINT64_C(1) << shift) - 1) >> shift;
        uint64_t b = b0 + ctz64(rotr64(w->occupied[k], (unsigned)b0 & (TW_SLOTS - 1)));
        uint64_t at = b << shift;
        if (at < best)
            best = at; /* a higher level's block can start before a lower
                        * level's next slot, so every level is looked at */
    }
    return best;
}

/* Re-adds the timers of level <k>'s slot for the cursor's current block. */
static void cascade(struct twheel *w, unsigned k)
{
    unsigned s = (unsigned)(w->cur >> (TW_BITS * k)) & (TW_SLOTS - 1);
    struct net_link *head = &w->slots[k][s];
    if (link_empty(head))
        return;
    struct net_link list;
    link_move_all(head, &list);
    w->occupied[k] &= ~(UINT64_C(1) << s);
    while (!link_empty(&list)) {
        struct timer *t = timer_of(list.next);
        link_unlink(&t->link);
        place(w, t);
    }
}

size_t twheel_run(struct twheel *w, struct loop *loop, uint64_t now)
{
    size_t fired = 0;
    while (w->cur <= now) {
        if (w->count == 0) {
            w->cur = now + 1;
            break;
        }
        unsigned i = (unsigned)w->cur & (TW_SLOTS - 1);
        if (i == 0) {
            /* The cursor starts a new level-1 block: cascade it, and the
             * level-2 block when that one starts too, and so on up. */
            for (unsigned k = 1; k < TW_LEVELS; k++) {
                cascade(w, k);
                if ((w->cur >> (TW_BITS * k)) & (TW_SLOTS - 1))
                    break;
            }
        }
        if (!((w->occupied[0] >> i) & 1)) {
            /* Nothing due at this tick: jump to the next tick where a slot
             * is due or a non-empty slot cascades. The ticks skipped hold
             * nothing, and cascading an empty slot does nothing, so a clock
             * that jumped by hours costs a few steps, not one per tick. */
            uint64_t next = twheel_next(w);
            w->cur = next > now ? now + 1 : next;
            continue;
        }
        /* Detach the slot first and advance the cursor: a callback that
         * starts a timer due now puts it in the next tick, not in the list
         * being run, so a timer re-arming itself at 0 ms cannot spin. */
        struct net_link due;
        link_move_all(&w->slots[0][i], &due);
        w->occupied[0] &= ~(UINT64_C(1) << i);
        w->cur++;
        while (!link_empty(&due)) {
            struct timer *t = timer_of(due.next);
            link_unlink(&t->link);
            t->slot = -1;
            w->count--;
            fired++;
            t->cb(loop, t);
        }
    }
    return fired;
}

/* ---- the public API on a loop ------------------------------------------ */

void timer_init(struct timer *t)
{
    t->link.next = t->link.prev = NULL;
    t->expire = 0;
    t->cb = NULL;
    t->ms = 0;
    t->slot = -1;
}

/* Active means linked: zeroed memory is an inactive timer. */
int timer_active(const struct timer *t)
{
    return t->link.next != NULL;
}

void timer_start(struct loop *loop, struct timer *t, uint32_t ms, timer_cb cb)
{
    if (timer_active(t))
        twheel_del(&loop->wheel, t);
    t->cb = cb;
    t->ms = ms;
    t->expire = loop->now_ms + ms;
    twheel_add(&loop->wheel, t);
}

void timer_again(struct loop *loop, struct timer *t)
{
    if (timer_active(t))
        twheel_del(&loop->wheel, t);
    t->expire = loop->now_ms + t->ms;
    twheel_add(&loop->wheel, t);
}

void timer_stop(struct loop *loop, struct timer *t)
{
    if (timer_active(t))
        twheel_del(&loop->wheel, t);
}
