/* Micro benchmark of the event loop (src/net/loop.c, timer.c).
 *
 * Not part of `make bench`. Build and run (see docs/internals/net.md):
 *   make build/libferry.a
 *   cc -std=c11 -O2 -D_GNU_SOURCE -Isrc bench/loop.c build/libferry.a -o build/bench_loop
 *   build/bench_loop [pairs] [seconds]
 *
 * 1. Ping-pong: <pairs> (default 100) AF_UNIX socketpairs on one loop, one
 *    thread; both ends are watched, each holds one 64-byte message that
 *    bounces back and forth. Prints io callbacks per second (each callback
 *    is one read and one write, the shape of a keep-alive request) and
 *    loop iterations per second.
 *    A baseline runs the same read+write pairs without the loop, so the
 *    difference is the loop's own cost (epoll_wait and dispatch).
 * 2. Timers: 10,000 timers started, then timer_again on each in turn (the
 *    per-request idle-timeout reset), then stopped: ns per operation.
 * 3. Timer expiry: 100,000 timers due over 1 s on a synthetic clock through
 *    the loop's wheel: ns per fired timer. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "net/loop.h"
#include "net/loop_int.h"

/* User-space CPU seconds of this process: the loop's own cost, without the
 * kernel's (which dominates, and varies a lot on virtual machines). */
static double user_s(void)
{
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6;
}

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

struct end {
    struct io io;
};

static unsigned long long callbacks;

static void on_ready(struct loop *loop, struct io *io, unsigned events)
{
    (void)loop;
    (void)events;
    char buf[64];
    ssize_t n = read(io->fd, buf, sizeof buf);
    if (n <= 0)
        return;
    callbacks++;
    if (write(io->fd, buf, (size_t)n) != n)
        abort();
}

static void stop_cb(struct loop *loop, struct timer *t)
{
    (void)t;
    loop_stop(loop);
}

static void ping_pong(int pairs, double seconds)
{
    struct loop *loop = loop_new();
    struct end *ends = calloc((size_t)pairs * 2, sizeof *ends);
    if (!loop || !ends)
        abort();
    char msg[64];
    memset(msg, 'p', sizeof msg);
    for (int i = 0; i < pairs; i++) {
        int sv[2];
        if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, sv) < 0) {
            perror("socketpair");
            exit(1);
        }
        for (int k = 0; k < 2; k++) {
            io_init(&ends[2 * i + k].io, sv[k], on_ready);
            io_start(loop, &ends[2 * i + k].io, IO_READ);
        }
        if (write(sv[0], msg, sizeof msg) != (ssize_t)sizeof msg)
            abort();
    }
    struct timer stop;
    timer_init(&stop);
    timer_start(loop, &stop, (uint32_t)(seconds * 1000), stop_cb);
    callbacks = 0;
    uint64_t it0 = loop_iterations(loop);
    double u0 = user_s(), t0 = now_s();
    loop_run(loop);
    double dt = now_s() - t0, du = user_s() - u0;
    uint64_t iters = loop_iterations(loop) - it0;
    printf("ping-pong, %d socketpairs, one thread: %.0f io callbacks/s (read+write each), "
           "%.0f iterations/s, %.1f callbacks per iteration, %.0f ns user CPU per callback\n",
           pairs, (double)callbacks / dt, (double)iters / dt, (double)callbacks / (double)iters,
           du * 1e9 / (double)callbacks);
    for (int i = 0; i < pairs * 2; i++)
        io_close(loop, &ends[i].io);
    free(ends);
    loop_free(loop);
}

/* The same reads and writes without a loop: one pair, bounced in place.
 * The difference to ping_pong is what the loop costs. */
static void syscall_baseline(double seconds)
{
    int sv[2];
    if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, sv) < 0)
        abort();
    char buf[64];
    memset(buf, 'p', sizeof buf);
    if (write(sv[0], buf, sizeof buf) != (ssize_t)sizeof buf)
        abort();
    unsigned long long n = 0;
    double u0 = user_s(), t0 = now_s(), dt;
    do {
        for (int i = 0; i < 1000; i++) {
            int fd = sv[(n + (unsigned)i) & 1 ? 0 : 1];
            if (read(fd, buf, sizeof buf) != (ssize_t)sizeof buf ||
                write(fd, buf, sizeof buf) != (ssize_t)sizeof buf)
                abort();
        }
        n += 1000;
        dt = now_s() - t0;
    } while (dt < seconds);
    double du = user_s() - u0;
    printf("baseline, the same read+write pairs without epoll: %.0f per second (%.0f ns each, "
           "%.0f ns user CPU)\n",
           (double)n / dt, dt * 1e9 / (double)n, du * 1e9 / (double)n);
    close(sv[0]);
    close(sv[1]);
}

#define NT 10000

static void nop_timer(struct loop *loop, struct timer *t)
{
    (void)loop;
    (void)t;
}

static void timer_ops(void)
{
    struct loop *loop = loop_new();
    static struct timer t[NT];
    double best_start = 1e9, best_again = 1e9, best_stop = 1e9;
    for (int round = 0; round < 5; round++) {
        double t0 = now_s();
        for (int i = 0; i < NT; i++)
            timer_start(loop, &t[i], 60000 + (uint32_t)(i % 1000), nop_timer);
        double t1 = now_s();
        for (int k = 0; k < 100; k++)
            for (int i = 0; i < NT; i++)
                timer_again(loop, &t[i]);
        double t2 = now_s();
        for (int i = 0; i < NT; i++)
            timer_stop(loop, &t[i]);
        double t3 = now_s();
        if ((t1 - t0) / NT < best_start)
            best_start = (t1 - t0) / NT;
        if ((t2 - t1) / (NT * 100.0) < best_again)
            best_again = (t2 - t1) / (NT * 100.0);
        if ((t3 - t2) / NT < best_stop)
            best_stop = (t3 - t2) / NT;
    }
    printf("timers, %d active: start %.1f ns, again %.1f ns, stop %.1f ns (best of 5)\n", NT,
           best_start * 1e9, best_again * 1e9, best_stop * 1e9);
    loop_free(loop);
}

static unsigned long fired;

static void count_timer(struct loop *loop, struct timer *t)
{
    (void)loop;
    (void)t;
    fired++;
}

static void timer_expiry(void)
{
    enum { N = 100000 };
    static struct twheel w;
    static struct timer t[N];
    twheel_init(&w, 0);
    for (int i = 0; i < N; i++) {
        timer_init(&t[i]);
        t[i].cb = count_timer;
        t[i].expire = (uint64_t)((i * 7919) % 1000) + 1;
        twheel_add(&w, &t[i]);
    }
    fired = 0;
    double t0 = now_s();
    for (uint64_t now = 1; now <= 1000; now++)
        twheel_run(&w, NULL, now);
    double dt = now_s() - t0;
    printf("timer expiry: %lu timers over 1000 ms ticks: %.1f ns per fired timer\n", fired,
           dt * 1e9 / (double)fired);
}

int main(int argc, char **argv)
{
    int pairs = argc > 1 ? atoi(argv[1]) : 100;
    double seconds = argc > 2 ? atof(argv[2]) : 2.0;
    if (pairs <= 0 || seconds <= 0) {
        fprintf(stderr, "usage: %s [pairs] [seconds]\n", argv[0]);
        return 2;
    }
    syscall_baseline(seconds / 2);
    ping_pong(pairs, seconds);
    ping_pong(1, seconds / 2);
    timer_ops();
    timer_expiry();
    return 0;
}
