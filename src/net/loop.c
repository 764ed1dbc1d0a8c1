/* The epoll loop, io watchers, deferred callbacks and async wakeups. Timers
 * are in timer.c. */
#include "net/loop_int.h"

#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>

static uint64_t clock_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

static void wake_cb(struct loop *loop, struct io *io, unsigned events);

struct loop *loop_new(void)
{
    struct loop *loop = calloc(1, sizeof *loop);
    if (!loop)
        return NULL;
    loop->epfd = epoll_create1(EPOLL_CLOEXEC);
    if (loop->epfd < 0)
        goto fail;
    loop->wakefd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    if (loop->wakefd < 0)
        goto fail_epoll;
    atomic_init(&loop->stopping, 0);
    atomic_init(&loop->wake_pending, 0);
    loop->now_ms = clock_ms();
    link_init(&loop->defers);
    twheel_init(&loop->wheel, loop->now_ms);
    io_init(&loop->wake_io, loop->wakefd, wake_cb);
    int r = io_start(loop, &loop->wake_io, IO_READ);
    if (r < 0) {
        errno = -r;
        goto fail_eventfd;
    }
    return loop;

fail_eventfd:
    close(loop->wakefd);
fail_epoll:
    close(loop->epfd);
fail:;
    int saved = errno;
    free(loop);
    errno = saved;
    return NULL;
}

void loop_free(struct loop *loop)
{
    if (!loop)
        return;
    close(loop->wakefd);
    close(loop->epfd);
    free(loop);
}

uint64_t loop_now_ms(const struct loop *loop)
{
    return loop->now_ms;
}

uint64_t loop_update_now(struct loop *loop)
{
    loop->now_ms = clock_ms();
    return loop->now_ms;
}

void loop_set_data(struct loop *loop, void *data)
{
    loop->data = data;
}

void *loop_data(const struct loop *loop)
{
    return loop->data;
}

uint64_t loop_iterations(const struct loop *loop)
{
    return loop->iterations;
}

/* ---- cross-thread wakeups ---------------------------------------------- */

/* One eventfd serves loop_stop and every async of the loop; <wake_pending>
 * keeps a burst of sends from many threads down to one write(2). */
static void wake(struct loop *loop)
{
    if (atomic_exchange(&loop->wake_pending, 1) == 0) {
        uint64_t one = 1;
        /* Can only fail with EAGAIN when the counter is near 2^64; the
         * loop is then already woken. */
        ssize_t w = write(loop->wakefd, &one, sizeof one);
        (void)w;
    }
}

void loop_stop(struct loop *loop)
{
    atomic_store(&loop->stopping, 1);
    wake(loop);
}

static void wake_cb(struct loop *loop, struct io *io, unsigned events)
{
    (void)events;
    /* Clear the flag before reading the counter and the pending bits: a
     * send that lands after this point writes again (a harmless extra
     * wakeup); one before it is seen by the scan below. */
    atomic_store(&loop->wake_pending, 0);
    uint64_t n;
    while (read(io->fd, &n, sizeof n) < 0 && errno == EINTR)
        ;
    for (struct async *a = loop->asyncs; a;) {
        struct async *next = a->next; /* the callback may async_fini itself */
        if (atomic_exchange(&a->pending, 0))
            a->cb(loop, a);
        a = next;
    }
}

void async_init(struct loop *loop, struct async *a, async_cb cb)
{
    a->loop = loop;
    a->cb = cb;
    atomic_init(&a->pending, 0);
    a->next = loop->asyncs;
    loop->asyncs = a;
}

void async_fini(struct loop *loop, struct async *a)
{
    for (struct async **p = &loop->asyncs; *p; p = &(*p)->next) {
        if (*p == a) {
            *p = a->next;
            break;
        }
    }
    a->next = NULL;
    a->loop = NULL;
}

void async_send(struct async *a)
{
    if (atomic_exchange(&a->pending, 1) == 0)
        wake(a->loop);
}

/* ---- io watchers ------------------------------------------------------- */

static uint32_t epoll_mask(unsigned events)
{
    uint32_t m = EPOLLET | EPOLLRDHUP;
    if (events & IO_READ)
        m |= EPOLLIN;
    if (events & IO_WRITE)
        m |= EPOLLOUT;
    return m;
}

void io_init(struct io *io, int fd, io_cb cb)
{
    io->fd = fd;
    io->events = 0;
    io->cb = cb;
    io->active = 0;
}

static int ctl(struct loop *loop, int op, struct io *io, unsigned events)
{
    struct epoll_event ev;
    memset(&ev, 0, sizeof ev);
    ev.events = epoll_mask(events);
    ev.data.ptr = io;
    if (epoll_ctl(loop->epfd, op, io->fd, &ev) < 0)
        return -errno;
    io->events = events & (IO_READ | IO_WRITE);
    return 0;
}

int io_start(struct loop *loop, struct io *io, unsigned events)
{
    if (io->active)
        return io_modify(loop, io, events);
    int r = ctl(loop, EPOLL_CTL_ADD, io, events);
    if (r == 0)
        io->active = 1;
    return r;
}

int io_modify(struct loop *loop, struct io *io, unsigned events)
{
    if (!io->active)
        return io_start(loop, io, events);
    return ctl(loop, EPOLL_CTL_MOD, io, events);
}

/* Drops the events of the current batch not dispatched yet that belong to
 * <io>. A batch has at most one entry per registration, so this is a short
 * scan that ends at the first match. */
static void forget(struct loop *loop, struct io *io)
{
    for (int i = loop->batch_i + 1; i < loop->batch_n; i++) {
        if (loop->batch[i].data.ptr == io) {
            loop->batch[i].data.ptr = NULL;
            return;
        }
    }
}

void io_stop(struct loop *loop, struct io *io)
{
    if (!io->active)
        return;
    struct epoll_event ev;
    memset(&ev, 0, sizeof ev);
    epoll_ctl(loop->epfd, EPOLL_CTL_DEL, io->fd, &ev);
    io->active = 0;
    forget(loop, io);
}

int io_close(struct loop *loop, struct io *io)
{
    if (io->active) {
        io->active = 0;
        forget(loop, io);
    }
    int r = 0;
    if (io->fd >= 0 && close(io->fd) < 0 && errno != EINTR)
        r = -errno;
    io->fd = -1;
    return r;
}

/* ---- deferred callbacks ------------------------------------------------ */

void defer_init(struct defer *d)
{
    d->link.next = d->link.prev = NULL;
    d->cb = NULL;
}

void loop_defer(struct loop *loop, struct defer *d, defer_cb cb)
{
    if (d->link.next)
        return;
    d->cb = cb;
    link_push_tail(&loop->defers, &d->link);
}

void loop_defer_cancel(struct loop *loop, struct defer *d)
{
    (void)loop;
    if (d->link.next)
        link_unlink(&d->link);
}

static void run_defers(struct loop *loop)
{
    if (link_empty(&loop->defers))
        return;
    /* Only those queued so far: one queued from here waits for the next
     * iteration, so a callback that re-queues itself cannot starve I/O. */
    struct net_link now;
    link_move_all(&loop->defers, &now);
    while (!link_empty(&now)) {
        struct defer *d = NET_CONTAINER_OF(now.next, struct defer, link);
        link_unlink(&d->link);
        d->cb(loop, d);
    }
}

/* ---- the loop ---------------------------------------------------------- */

static unsigned io_events(uint32_t e)
{
    unsigned r = 0;
    if (e & EPOLLIN)
        r |= IO_READ;
    if (e & EPOLLOUT)
        r |= IO_WRITE;
    if (e & EPOLLRDHUP)
        r |= IO_RDHUP;
    if (e & EPOLLHUP)
        r |= IO_HUP;
    if (e & EPOLLERR)
        r |= IO_ERR;
    return r;
}

static int wait_timeout(struct loop *loop)
{
    if (!link_empty(&loop->defers) || atomic_load_explicit(&loop->stopping, memory_order_relaxed))
        return 0;
    uint64_t next = twheel_next(&loop->wheel);
    if (next == UINT64_MAX)
        return -1;
    if (next <= loop->now_ms)
        return 0;
    /* The callbacks of this iteration took time: size the wait on a fresh
     * reading, or the timer would fire late by that much. */
    uint64_t now = clock_ms();
    if (next <= now)
        return 0;
    uint64_t d = next - now;
    return d > INT_MAX ? INT_MAX : (int)d;
}

int loop_run(struct loop *loop)
{
    if (loop->running)
        return -EBUSY;
    int rc = 0;
    loop->running = 1;
    for (;;) {
        int n = epoll_wait(loop->epfd, loop->events, LOOP_MAX_EVENTS, wait_timeout(loop));
        if (n < 0) {
            if (errno != EINTR) {
                rc = -errno;
                break;
            }
            n = 0;
        }
        /* epoll_wait's millisecond timeout never ends early, and the clock
         * is truncated to the millisecond, so a timer never fires early. */
        loop->now_ms = clock_ms();

        loop->batch = loop->events;
        loop->batch_n = n;
        for (loop->batch_i = 0; loop->batch_i < n; loop->batch_i++) {
            struct epoll_event *ev = &loop->events[loop->batch_i];
            struct io *io = ev->data.ptr;
            if (!io)
                continue; /* stopped by an earlier callback */
            unsigned ready = io_events(ev->events) & (io->events | IO_RDHUP | IO_HUP | IO_ERR);
            if (ready)
                io->cb(loop, io, ready);
        }
        loop->batch_n = 0;
        loop->batch_i = 0;

        twheel_run(&loop->wheel, loop, loop->now_ms);
        run_defers(loop);
        loop->iterations++;
        if (atomic_load(&loop->stopping))
            break;
    }
    atomic_store(&loop->stopping, 0);
    loop->running = 0;
    return rc;
}
