/* Timers on a hierarchical timer wheel (Varghese and Lauck's scheme 6, the
 * layout of Linux's timer wheel before 4.8, with per-level bitmaps).
 *
 * The cursor <cur> is the next millisecond tick to process. A timer due at
 * <expire> goes to level k when expire - cur is in [64^k, 64^(k+1)), in slot
 * (expire >> 6k) & 63. Level 0 therefore holds exact due times; a level-k slot
 * holds the timers of one 64^k ms block and is cascaded (its timers re-added)
 * when the cursor reaches the block's first tick, which happens when the
 * digits below k are all zero. Start, stop and again are at most a list
 * unlink and an insert: O(1), no allocation, no comparison with other timers.
 *
 * Re-arming is lazy. The proxy moves most of its timers to a later due time
 * (the idle timeout reset on every request), so a timer that is linked and
 * gets a due time at or after its current one only has <expire> updated: it
 * stays in the slot it was placed for. The invariant that keeps this correct:
 * a linked timer's slot is reached (run at level 0, cascaded above) at or
 * before its <expire>, because it was placed for an <expire> that was never
 * later than the current one. When the wheel reaches a timer whose <expire>
 * is later than the tick being processed, it places the timer again instead
 * of firing it; cascading places timers by <expire> anyway. A due time moved
 * earlier is an unlink and a new placement, as without laziness.
 *
 * The cost is bounded. After a re-arm, the first time the wheel reaches the
 * timer it places it for the new due time, at any level; from then on, the
 * due time fixed, each time the wheel reaches it moves it down one level at
 * least, until it fires. So a re-arm costs at most TW_LEVELS placements (one
 * per level), made when the wheel gets there, where an eager re-arm costs
 * one placement plus up to TW_LEVELS - 1 cascades; and the re-arms made
 * before the wheel reaches the timer's slot share those placements, so a
 * timer reset on every request is placed again about once per timeout, not
 * once per request.
 *
 * Stop stays an eager unlink: the caller may free or reuse a stopped timer's
 * memory as soon as timer_stop returns, so it must not stay in a list. */
#include "net/loop_int.h"

#include <stddef.h>

static inline unsigned ctz64(uint64_t x)
{
    return (unsigned)__builtin_ctzll(x);
}

/* Index of the highest set bit; <x> must not be 0. */
static inline unsigned msb64(uint64_t x)
{
    return 63u - (unsigned)__builtin_clzll(x);
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
    for (unsigned k = 0; k < TW_LEVELS; k++)
        w->occupied[k] = 0;
    for (unsigned i = 0; i < TW_LEVELS * TW_SLOTS; i++)
        link_init(&w->slots[i]);
}

/* A timer due at a tick already processed fires at the next one; one beyond
 * the wheel's range, at the range's end. <expire> is clamped when it is set,
 * so it always says when the timer will fire. */
static inline uint64_t clamp(const struct twheel *w, uint64_t expire)
{
    /* One compare in the usual case: below <cur> wraps around to a huge
     * delta. */
    if (__builtin_expect(expire - w->cur > TW_MAX_DELAY, 0))
        return expire < w->cur ? w->cur : w->cur + TW_MAX_DELAY;
    return expire;
}

/* Links an unlinked timer into the slot for its <expire>. */
static inline void place(struct twheel *w, struct timer *t)
{
    t->expire = clamp(w, t->expire);
    uint64_t delta = t->expire - w->cur;
    /* Level k holds deltas in [64^k, 64^(k+1)): the base-64 digit count,
     * from the highest set bit. delta <= TW_MAX_DELAY keeps it below
     * TW_LEVELS; delta 0 is level 0 like 1 is. */
    unsigned level = msb64(delta | 1) / TW_BITS;
    unsigned s = (unsigned)(t->expire >> (TW_BITS * level)) & (TW_SLOTS - 1);
    unsigned idx = level * TW_SLOTS + s;
    link_push_tail(&w->slots[idx], &t->link);
    w->occupied[level] |= UINT64_C(1) << s;
    t->slot = (int16_t)idx;
}

/* Unlinks a linked timer from its slot, or from the list of due timers
 * twheel_run has detached (then the slot it came from may already hold new
 * timers, so the slot itself is what is checked for emptiness). */
static inline void unplace(struct twheel *w, struct timer *t)
{
    unsigned idx = (uint16_t)t->slot;
    struct net_link *next = t->link.next, *prev = t->link.prev;
    prev->next = next;
    next->prev = prev;
    t->link.next = t->link.prev = NULL;
    /* next != prev: the list still has a timer besides its head, so
     * whichever list it was, the slot did not become empty. */
    if (next == prev && link_empty(&w->slots[idx]))
        w->occupied[idx / TW_SLOTS] &= ~(UINT64_C(1) << (idx % TW_SLOTS));
}

void twheel_add(struct twheel *w, struct timer *t)
{
    place(w, t);
    w->count++;
}

void twheel_del(struct twheel *w, struct timer *t)
{
    unplace(w, t);
    w->count--;
}

/* The slow half of rearm: a timer not linked, or due earlier than it was. */
__attribute__((noinline)) static void rearm_place(struct twheel *w, struct timer *t,
                                                  uint64_t expire)
{
    if (t->link.next)
        unplace(w, t);
    else
        w->count++;
    t->expire = expire;
    place(w, t);
}

/* timer_start and timer_again: O(1), and for a later due time (the idle
 * timeout reset) a compare and a store, no list touched. */
static inline void rearm(struct twheel *w, struct timer *t, uint64_t expire)
{
    if (t->link.next && expire >= t->expire) {
        /* Later (or the same): the slot it is in is still reached in time,
         * and twheel_run will place it again from there. */
        t->expire = clamp(w, expire);
        return;
    }
    rearm_place(w, t, expire);
}

void twheel_rearm(struct twheel *w, struct timer *t, uint64_t expire)
{
    rearm(w, t, expire);
}

/* Every slot is reached at or before the <expire> of each timer in it, so
 * the time a slot is reached is a lower bound, lazily re-armed timers
 * included: the loop may wake for a slot whose timers have all been pushed
 * later and find nothing to fire (an early wakeup, never a late timer). */
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

/* Re-adds the timers of level <k>'s slot for the cursor's current block, by
 * their <expire>: a timer re-armed later since it was placed may go back up a
 * level or more. */
static void cascade(struct twheel *w, unsigned k)
{
    unsigned s = (unsigned)(w->cur >> (TW_BITS * k)) & (TW_SLOTS - 1);
    struct net_link *head = &w->slots[k * TW_SLOTS + s];
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
         * being run, so a timer re-arming itself at 0 ms cannot spin. (A
         * timer still in the list that a callback re-arms stays there, as
         * lazy re-arming does anywhere, and is checked below like the
         * others: it was not run yet, so it cannot spin either.) */
        uint64_t tick = w->cur;
        struct net_link due;
        link_move_all(&w->slots[i], &due);
        w->occupied[0] &= ~(UINT64_C(1) << i);
        w->cur++;
        while (!link_empty(&due)) {
            struct timer *t = timer_of(due.next);
            link_unlink(&t->link);
            if (t->expire > tick) {
                /* Re-armed to a later time since it was placed here. */
                place(w, t);
                continue;
            }
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
    t->cb = cb;
    t->ms = ms;
    rearm(&loop->wheel, t, loop->now_ms + ms);
}

void timer_again(struct loop *loop, struct timer *t)
{
    rearm(&loop->wheel, t, loop->now_ms + t->ms);
}

void timer_stop(struct loop *loop, struct timer *t)
{
    if (timer_active(t))
        twheel_del(&loop->wheel, t);
}
