/* Private to src/net: the loop's layout and the timer wheel's internal API,
 * which the unit tests also drive with a synthetic clock. */
#ifndef FERRY_NET_LOOP_INT_H
#define FERRY_NET_LOOP_INT_H

#include <stdatomic.h>
#include <stdint.h>
#include <sys/epoll.h>

#include "net/loop.h"

/* The wheel: TW_LEVELS levels of 64 slots. Level k holds timers due in
 * [64^k, 64^(k+1)) ms from the wheel's cursor, in the slot of their due time's
 * k-th base-64 digit; when the cursor reaches a level-k slot's time the slot
 * is cascaded into the levels below. A 64-bit word per level says which
 * slots are non-empty, so finding the next due time is one ctz per level.
 * A timer re-armed to a later time stays in its slot (timer.c says why that
 * is safe): a slot is reached at or before the due time of its timers, not
 * always at it. */
#define TW_BITS 6
#define TW_SLOTS (1u << TW_BITS)
#define TW_LEVELS 6
/* Longest delay the wheel holds: 64^6 - 1 ms, about 795 days. */
#define TW_MAX_DELAY ((UINT64_C(1) << (TW_BITS * TW_LEVELS)) - 1)

struct twheel {
    uint64_t cur; /* next tick to process; everything before it has fired */
    size_t count; /* active timers */
    uint64_t occupied[TW_LEVELS];
    /* Level k's slot s at [k * TW_SLOTS + s]: one flat array, so that a
     * timer's <slot> indexes it directly. */
    struct net_link slots[TW_LEVELS * TW_SLOTS];
};

void twheel_init(struct twheel *w, uint64_t now);
/* Adds an inactive timer due at t->expire (clamped into the wheel). */
void twheel_add(struct twheel *w, struct timer *t);
/* Removes an active timer, at once: its memory is the caller's again. */
void twheel_del(struct twheel *w, struct timer *t);
/* Makes <t>, active or not, due at <expire> (clamped into the wheel), what
 * timer_start and timer_again do. Lazy: an active timer moved to a later time
 * keeps its slot and only has t->expire updated; twheel_run places it again
 * when it reaches that slot. */
void twheel_rearm(struct twheel *w, struct timer *t, uint64_t expire);
/* A lower bound on the earliest due time, or UINT64_MAX when the wheel is
 * empty: the time the first non-empty slot is reached. It is exact for a
 * level-0 slot (less than 64 ms away) whose timers were not re-armed later
 * since they were placed; otherwise a loop that sleeps until then wakes
 * early (and twheel_run may find nothing to fire), never late. */
uint64_t twheel_next(const struct twheel *w);
/* Fires every timer due at or before <now>, earliest first, passing <loop> to
 * the callbacks (the tests pass NULL), and places again the timers re-armed
 * later whose slot it reaches. Callbacks may start and stop any timer.
 * Returns the number fired. */
size_t twheel_run(struct twheel *w, struct loop *loop, uint64_t now);

#define LOOP_MAX_EVENTS 512

struct loop {
    int epfd;
    int wakefd; /* eventfd: loop_stop and async_send */
    atomic_int stopping;
    atomic_int wake_pending; /* an eventfd write is on its way */
    int running;
    uint64_t now_ms;
    uint64_t iterations;
    void *data;

    /* The batch being dispatched, so that io_stop can drop events collected
     * for a watcher that a previous callback of the batch stopped. */
    struct epoll_event *batch;
    int batch_n;
    int batch_i;

    struct io wake_io;
    struct async *asyncs;
    struct net_link defers;
    struct twheel wheel;
    struct epoll_event events[LOOP_MAX_EVENTS];
};

static inline void link_init(struct net_link *l)
{
    l->next = l->prev = l;
}

static inline int link_empty(const struct net_link *head)
{
    return head->next == head;
}

static inline void link_push_tail(struct net_link *head, struct net_link *l)
{
    l->prev = head->prev;
    l->next = head;
    head->prev->next = l;
    head->prev = l;
}

static inline void link_unlink(struct net_link *l)
{
    l->prev->next = l->next;
    l->next->prev = l->prev;
    l->next = l->prev = NULL;
}

/* Moves every node of <from> to the empty <to>, leaving <from> empty. */
static inline void link_move_all(struct net_link *from, struct net_link *to)
{
    if (link_empty(from)) {
        link_init(to);
        return;
    }
    to->next = from->next;
    to->prev = from->prev;
    to->next->prev = to;
    to->prev->next = to;
    link_init(from);
}

#endif
