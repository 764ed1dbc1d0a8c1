/* The event loop: one per worker thread, on epoll.
 *
 * A loop owns nothing of its callers'. Every watcher (struct io, struct timer,
 * struct defer, struct async) is a small struct the caller embeds in its own
 * object (a connection, a listener) and recovers in the callback with
 * NET_CONTAINER_OF: starting, stopping or re-arming a watcher never allocates,
 * and the loop itself allocates only in loop_new.
 *
 * Threads: a loop and its watchers belong to the thread that runs loop_run.
 * Every function here must be called on that thread (or before loop_run,
 * while no other thread uses the loop), except loop_stop and async_send,
 * which any thread and any signal handler may call.
 *
 * One iteration of loop_run:
 *   1. wait in epoll_wait, at most until the next timer is due (not at all
 *      when deferred callbacks are queued);
 *   2. refresh loop_now_ms (once: every callback of the iteration sees the
 *      same time);
 *   3. call the io callbacks of the ready descriptors (and the async
 *      callbacks, when a cross-thread wakeup came in);
 *   4. call the callbacks of the timers that are due, earliest first;
 *   5. call the deferred callbacks queued so far, in the order queued.
 * loop_run returns after the iteration in which loop_stop was seen.
 *
 * I/O is edge-triggered (EPOLLET; docs/internals/net.md says why). The
 * contract for callers: after IO_READ, read until read/recv returns less than
 * was asked for, 0 (end of stream) or EAGAIN; after IO_WRITE, write until
 * done or EAGAIN. A descriptor that still has data you chose not to read yet
 * will not be reported again by itself: call io_modify (which re-arms) or
 * continue from a deferred callback. */
#ifndef FERRY_NET_LOOP_H
#define FERRY_NET_LOOP_H

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

/* The object that embeds <ptr> as its <member>. */
#define NET_CONTAINER_OF(ptr, type, member) ((type *)(void *)((char *)(ptr)-offsetof(type, member)))

struct loop;

/* An intrusive doubly linked list node; the watchers' bookkeeping. Callers
 * never touch it. */
struct net_link {
    struct net_link *next, *prev;
};

/* ---- the loop ---------------------------------------------------------- */

/* Returns NULL with errno set when the kernel refuses an epoll instance or an
 * eventfd (EMFILE, ENOMEM). */
struct loop *loop_new(void);
/* Frees the loop and closes its own descriptors. Watchers still started are
 * forgotten, not called; their descriptors are the caller's to close. Not
 * while loop_run is running. NULL is ignored. */
void loop_free(struct loop *loop);

/* Runs iterations until loop_stop. Returns 0, -EBUSY when called from one
 * of this loop's callbacks (not reentrant), or -errno if epoll_wait fails
 * for a reason other than EINTR (which does not happen on a valid loop). A
 * stop requested before loop_run is called is not lost: that loop_run
 * returns after one iteration. */
int loop_run(struct loop *loop);
/* Asks loop_run to return at the end of its current iteration. Safe from any
 * thread and from a signal handler (an atomic store and a write(2) on an
 * eventfd). */
void loop_stop(struct loop *loop);

/* Monotonic milliseconds (CLOCK_MONOTONIC) read once per iteration, after
 * the wait: every callback of one iteration sees the same value. Timers count
 * from it. */
uint64_t loop_now_ms(const struct loop *loop);
/* Reads the clock again, for a callback that spent long enough to matter
 * before it starts a timer. Returns the new value. */
uint64_t loop_update_now(struct loop *loop);

/* One pointer for the caller (its per-thread context). NULL initially. */
void loop_set_data(struct loop *loop, void *data);
void *loop_data(const struct loop *loop);

/* Iterations run so far; cheap, for tests and metrics. */
uint64_t loop_iterations(const struct loop *loop);

/* ---- I/O watchers ------------------------------------------------------ */

#define IO_READ 0x01u  /* readable, or end of stream pending */
#define IO_WRITE 0x02u /* writable */
#define IO_RDHUP 0x04u /* the peer shut its write side down (EPOLLRDHUP) */
#define IO_HUP 0x08u   /* both directions closed (EPOLLHUP); always reported */
#define IO_ERR 0x10u   /* error pending, read it with SO_ERROR; always reported */

struct io;
/* <events> is what is ready: the IO_READ/IO_WRITE bits asked for, plus
 * IO_RDHUP, IO_HUP and IO_ERR whenever they happen. */
typedef void (*io_cb)(struct loop *loop, struct io *io, unsigned events);

struct io {
    int fd;
    unsigned events; /* IO_READ|IO_WRITE currently asked for */
    io_cb cb;
    int active; /* between io_start and io_stop/io_close */
};

/* Prepares a watcher for <fd> (not registered yet). <fd> should be
 * non-blocking: callbacks must never block the loop. */
void io_init(struct io *io, int fd, io_cb cb);
/* Registers the watcher for <events> (IO_READ and/or IO_WRITE; 0 is allowed
 * and still reports IO_HUP, IO_ERR and IO_RDHUP). Returns 0 or -errno from
 * epoll_ctl. Starting a started watcher is io_modify. */
int io_start(struct loop *loop, struct io *io, unsigned events);
/* Changes what is asked for and re-arms: whatever is ready now among
 * <events> is reported again in the next iteration even without a new edge.
 * One epoll_ctl per call, so call it when interest changes (a write hit
 * EAGAIN; a buffer drained), not per request. Returns 0 or -errno. */
int io_modify(struct loop *loop, struct io *io, unsigned events);
/* Unregisters the watcher (epoll_ctl DEL). Events already collected in this
 * iteration for it are dropped, so the caller may free the memory that
 * embeds <io> as soon as io_stop returns. The descriptor stays open. A
 * stopped watcher is ignored. */
void io_stop(struct loop *loop, struct io *io);
/* io_stop and close(fd) in one system call instead of two: closing a
 * descriptor removes it from epoll. Only for descriptors that were never
 * dup'ed or inherited (the registration lives as long as any copy). Sets
 * io->fd to -1. Returns close's result, 0 or -errno. */
int io_close(struct loop *loop, struct io *io);

/* ---- timers ------------------------------------------------------------ */

struct timer;
typedef void (*timer_cb)(struct loop *loop, struct timer *t);

/* A one-shot timer, in whole milliseconds of loop_now_ms. A timer started
 * for <ms> is due at loop_now_ms() + ms: it never fires before, and fires in
 * the first iteration whose loop_now_ms has reached it (late by the loop's
 * latency only). One exception: a timer due at a millisecond whose timers
 * have already run (a 0 ms timer started from a timer callback, or twice in
 * one millisecond) fires when the clock reaches the next millisecond; for
 * "in the next iteration", use loop_defer. Timers due in one iteration fire
 * earliest first; the order of timers due in the same millisecond is
 * unspecified. Start, stop and again are O(1), on a hierarchical timer wheel
 * (docs/internals/net.md); re-arming a started timer to a later time is the
 * cheapest (the wheel moves it lazily). Zeroed memory is a stopped timer. */
struct timer {
    struct net_link link; /* wheel slot list; next == NULL while stopped */
    uint64_t expire;      /* due time, in loop_now_ms milliseconds */
    timer_cb cb;
    uint32_t ms;  /* the duration of the last timer_start */
    int16_t slot; /* wheel level and slot while active; the wheel reaches
                   * it at <expire> or before (then it moves the timer on) */
};

/* Makes <t> a stopped timer (as zeroing it does). */
void timer_init(struct timer *t);
/* (Re)starts <t> to fire once, <ms> milliseconds from loop_now_ms. */
void timer_start(struct loop *loop, struct timer *t, uint32_t ms, timer_cb cb);
/* Restarts <t> with the duration of its last timer_start, counted from now:
 * the idle-timeout reset, done on every request. Also restarts a timer that
 * has fired or was stopped. */
void timer_again(struct loop *loop, struct timer *t);
/* Cancels <t>; a stopped timer is ignored. Once it returns, the memory of
 * <t> is the caller's: it may be freed or reused at once. */
void timer_stop(struct loop *loop, struct timer *t);
int timer_active(const struct timer *t);

/* ---- deferred callbacks ------------------------------------------------ */

struct defer;
typedef void (*defer_cb)(struct loop *loop, struct defer *d);

struct defer {
    struct net_link link; /* next == NULL while not queued */
    defer_cb cb;
};

/* Queues <d> to run at the end of this iteration, after the io and timer
 * callbacks: the safe place to close and free a connection that several
 * callbacks of this iteration may still touch. A callback queued by a
 * deferred callback runs in the next iteration (which does not wait). Queueing
 * a queued <d> changes nothing (not even its callback). <d> needs no init
 * beyond zeroed memory or defer_init. */
void loop_defer(struct loop *loop, struct defer *d, defer_cb cb);
/* Removes <d> from the queue if it is there. */
void loop_defer_cancel(struct loop *loop, struct defer *d);
void defer_init(struct defer *d);

/* ---- cross-thread wakeups ---------------------------------------------- */

struct async;
typedef void (*async_cb)(struct loop *loop, struct async *a);

struct async {
    struct async *next; /* the loop's list */
    struct loop *loop;
    async_cb cb;
    atomic_int pending;
};

/* Registers <a> on <loop>; its callback runs on the loop's thread after any
 * number of async_send calls. Loop thread only. */
void async_init(struct loop *loop, struct async *a, async_cb cb);
/* Unregisters <a>. No thread may call async_send on it afterwards. */
void async_fini(struct loop *loop, struct async *a);
/* Wakes the loop to run <a>'s callback. Any thread, and signal handlers.
 * Sends coalesce: N sends before the callback runs cause one call; a send
 * made while the callback runs causes one more call. Everything the sender
 * wrote before async_send is visible to the callback. Never blocks. */
void async_send(struct async *a);

#endif
