/* The event loop: timers, io watchers, deferred callbacks, async wakeups,
 * stopping. Real-time tests assert order and lower bounds, with generous
 * upper bounds only; the timer wheel's exactness is checked separately on a
 * synthetic clock (the twheel_* tests). Every test runs under alarm(), so a
 * hang fails the binary instead of stalling the suite. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "net/loop.h"
#include "net/loop_int.h"

static uint64_t clock_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

static void sleep_ms(unsigned ms)
{
    struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
    while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
        ;
}

static int setup(void **state)
{
    (void)state;
    alarm(20);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    alarm(0);
    return 0;
}

/* ---- timers, real time --------------------------------------------------- */

struct rec {
    struct timer t;
    int id;
    uint64_t started; /* loop_now_ms at start */
    uint64_t fired;   /* clock at fire */
    uint64_t fired_now;
};

static int order[64];
static int norder;

static void rec_cb(struct loop *loop, struct timer *t)
{
    struct rec *r = NET_CONTAINER_OF(t, struct rec, t);
    r->fired = clock_ms();
    r->fired_now = loop_now_ms(loop);
    order[norder++] = r->id;
}

static void stop_cb(struct loop *loop, struct timer *t)
{
    (void)t;
    loop_stop(loop);
}

static void timers_fire_in_order_of_due_time(void **state)
{
    (void)state;
    struct loop *loop = loop_new();
    assert_non_null(loop);
    norder = 0;
    static const uint32_t ms[] = {30, 10, 20, 0, 15};
    struct rec r[5];
    memset(r, 0, sizeof r);
    uint64_t t0 = loop_update_now(loop);
    for (int i = 0; i < 5; i++) {
        r[i].id = i;
        r[i].started = t0;
        timer_start(loop, &r[i].t, ms[i], rec_cb);
    }
    struct timer stop;
    timer_init(&stop);
    timer_start(loop, &stop, 45, stop_cb);
    assert_int_equal(loop_run(loop), 0);
    assert_int_equal(norder, 5);
    static const int want[] = {3, 1, 4, 2, 0};
    for (int i = 0; i < 5; i++)
        assert_int_equal(order[i], want[i]);
    for (int i = 0; i < 5; i++) {
        assert_false(timer_active(&r[i].t));
        /* Never early: by the clock, and by the loop's own time. */
        assert_true(r[i].fired >= t0 + ms[i]);
        assert_true(r[i].fired_now >= t0 + ms[i]);
        assert_true(r[i].fired < t0 + ms[i] + 2000);
    }
    loop_free(loop);
}

static struct rec *again_target;

static void again_cb(struct loop *loop, struct timer *t)
{
    (void)t;
    timer_again(loop, &again_target->t);
}

static void timer_again_postpones_from_now(void **state)
{
    (void)state;
    struct loop *loop = loop_new();
    norder = 0;
    struct rec a = {.id = 7};
    uint64_t t0 = loop_update_now(loop);
    timer_start(loop, &a.t, 30, rec_cb);
    again_target = &a;
    struct timer pusher, stop;
    timer_init(&pusher);
    timer_init(&stop);
    timer_start(loop, &pusher, 20, again_cb);
    timer_start(loop, &stop, 80, stop_cb);
    loop_run(loop);
    assert_int_equal(norder, 1);
    /* Pushed at >= t0+20 by 30 ms: not before t0+50. */
    assert_true(a.fired_now >= t0 + 50);
    assert_true(a.fired >= t0 + 50);
    loop_free(loop);
}

static void stop_other_cb(struct loop *loop, struct timer *t)
{
    (void)t;
    timer_stop(loop, &again_target->t);
    timer_stop(loop, &again_target->t); /* twice is harmless */
}

static void timer_stop_cancels(void **state)
{
    (void)state;
    struct loop *loop = loop_new();
    norder = 0;
    struct rec a = {.id = 1};
    timer_start(loop, &a.t, 20, rec_cb);
    again_target = &a;
    struct timer stopper, stop;
    timer_init(&stopper);
    timer_init(&stop);
    timer_start(loop, &stopper, 5, stop_other_cb);
    timer_start(loop, &stop, 40, stop_cb);
    loop_run(loop);
    assert_int_equal(norder, 0);
    assert_false(timer_active(&a.t));
    loop_free(loop);
}

static int periodic_count;

static void periodic_cb(struct loop *loop, struct timer *t)
{
    if (++periodic_count == 5)
        loop_stop(loop);
    else
        timer_again(loop, t);
}

static void timer_rearms_from_its_own_callback(void **state)
{
    (void)state;
    struct loop *loop = loop_new();
    periodic_count = 0;
    struct timer t;
    timer_init(&t);
    assert_false(timer_active(&t));
    timer_stop(loop, &t); /* stopping an initialised, idle timer is harmless */
    uint64_t t0 = loop_update_now(loop);
    timer_start(loop, &t, 8, periodic_cb);
    assert_true(timer_active(&t));
    loop_run(loop);
    assert_int_equal(periodic_count, 5);
    assert_true(clock_ms() >= t0 + 40);
    loop_free(loop);
}

static void zeroed_timer_is_inactive(void **state)
{
    (void)state;
    struct loop *loop = loop_new();
    struct timer t;
    timer_init(&t);
    memset(&t, 0, sizeof t);
    assert_false(timer_active(&t));
    timer_stop(loop, &t);
    timer_start(loop, &t, 1000, stop_cb);
    timer_start(loop, &t, 1000, stop_cb); /* restart while active */
    assert_true(timer_active(&t));
    timer_stop(loop, &t);
    assert_false(timer_active(&t));
    loop_free(loop);
}

#define MANY 10000

static struct timer many[MANY];
static uint64_t many_fired_expire[MANY];
static int many_n;
static int many_early;

static void many_cb(struct loop *loop, struct timer *t)
{
    if (loop_now_ms(loop) < t->expire)
        many_early++;
    many_fired_expire[many_n++] = t->expire;
    if (many_n == MANY)
        loop_stop(loop);
}

static void ten_thousand_timers_fire_once_each_in_order(void **state)
{
    (void)state;
    struct loop *loop = loop_new();
    many_n = 0;
    many_early = 0;
    uint64_t t0 = loop_update_now(loop);
    /* Due times spread over 0..149 ms, started in a scrambled order. */
    for (int i = 0; i < MANY; i++)
        timer_start(loop, &many[i], (uint32_t)((i * 7919) % 150), many_cb);
    /* Half of them restarted (the idle-timer reset), a tenth stopped and
     * started again. */
    for (int i = 0; i < MANY; i += 2)
        timer_again(loop, &many[i]);
    for (int i = 0; i < MANY; i += 10) {
        timer_stop(loop, &many[i]);
        timer_start(loop, &many[i], (uint32_t)(i % 150), many_cb);
    }
    loop_run(loop);
    assert_int_equal(many_n, MANY);
    assert_int_equal(many_early, 0);
    for (int i = 1; i < MANY; i++)
        assert_true(many_fired_expire[i - 1] <= many_fired_expire[i]);
    assert_true(clock_ms() >= t0 + 149);
    for (int i = 0; i < MANY; i++)
        assert_false(timer_active(&many[i]));
    loop_free(loop);
}

/* ---- the timer wheel on a synthetic clock -------------------------------- */

static uint64_t rng_state = 0x9e3779b97f4a7c15u;

static uint64_t rnd(void)
{
    /* xorshift64*: reproducible, no libc state */
    rng_state ^= rng_state >> 12;
    rng_state ^= rng_state << 25;
    rng_state ^= rng_state >> 27;
    return rng_state * 0x2545f4914f6cdd1dULL;
}

/* How far a random test moves its clock from <now>: often exactly to the
 * wheel's next due time <next> (what the loop does), else 1 ms, up to 5 s,
 * or up to 2^<bits> ms. */
static uint64_t clock_jump(uint64_t next, uint64_t now, unsigned bits)
{
    switch (rnd() % 4) {
    case 0:
        return next == UINT64_MAX ? 1 : (next > now ? next - now : 0);
    case 1:
        return 1;
    case 2:
        return rnd() % 5000;
    default:
        return rnd() % (UINT64_C(1) << bits);
    }
}

/* A delay with every level of the wheel represented. */
static uint64_t rnd_delay(void)
{
    switch (rnd() % 6) {
    case 0:
        return rnd() % 64;
    case 1:
        return rnd() % 4096;
    case 2:
        return rnd() % 300000;
    case 3:
        return rnd() % (UINT64_C(1) << 24);
    case 4:
        return rnd() % (UINT64_C(1) << 32);
    default:
        return rnd() % 3;
    }
}

#define WN 4000

struct wt {
    struct timer t;
    int active;
    uint64_t start_now; /* the clock when last (re)started */
};

static struct wt wts[WN];
static struct twheel *the_wheel;
static uint64_t w_now, w_prev_fire;
static int w_bad_early, w_bad_order, w_fired;

/* Half of the (re)starts through twheel_rearm, which leaves an active timer
 * moved later in its slot; half as an unlink and a new add. */
static void wheel_start(struct wt *x, uint64_t now, uint64_t delay)
{
    x->start_now = now;
    if (rnd() % 2) {
        twheel_rearm(the_wheel, &x->t, now + delay);
    } else {
        if (x->active)
            twheel_del(the_wheel, &x->t);
        x->t.expire = now + delay;
        twheel_add(the_wheel, &x->t);
    }
    x->active = 1;
}

static void wheel_cb(struct loop *loop, struct timer *t)
{
    (void)loop;
    struct wt *x = NET_CONTAINER_OF(t, struct wt, t);
    assert_true(x->active);
    x->active = 0;
    w_fired++;
    if (t->expire > w_now)
        w_bad_early++;
    if (t->expire < w_prev_fire)
        w_bad_order++;
    w_prev_fire = t->expire;
    if (rnd() % 4 == 0) /* a callback re-arms itself */
        wheel_start(x, w_now, rnd_delay());
    if (rnd() % 8 == 0) { /* ... or stops another timer */
        struct wt *y = &wts[rnd() % WN];
        if (y->active) {
            twheel_del(the_wheel, &y->t);
            y->active = 0;
        }
    }
}

/* Random timers at every level, random starts, stops and restarts, the
 * clock moved in jumps from 1 ms to days: every timer fires in the first run
 * whose time has reached it, never before, earliest first, and
 * twheel_next never promises later than the earliest timer. */
static void twheel_fires_every_timer_exactly_once_never_early_never_late(void **state)
{
    (void)state;
    static struct twheel w;
    the_wheel = &w;
    w_now = 1000000;
    twheel_init(&w, w_now);
    memset(wts, 0, sizeof wts);
    for (int i = 0; i < WN; i++) {
        timer_init(&wts[i].t);
        wts[i].t.cb = wheel_cb;
        wheel_start(&wts[i], w_now, rnd_delay());
    }
    w_bad_early = w_bad_order = w_fired = 0;
    for (int step = 0; step < 3000; step++) {
        /* twheel_next is a lower bound on the earliest due time. */
        uint64_t min = UINT64_MAX;
        for (int i = 0; i < WN; i++)
            if (wts[i].active && wts[i].t.expire < min)
                min = wts[i].t.expire;
        uint64_t next = twheel_next(&w);
        assert_true(next <= (min < w.cur ? w.cur : min));
        assert_int_equal(w.count == 0, next == UINT64_MAX);

        w_now += clock_jump(next, w_now, 28);
        w_prev_fire = 0;
        twheel_run(&w, NULL, w_now);
        assert_int_equal(w_bad_early, 0);
        assert_int_equal(w_bad_order, 0);
        /* Not late: whatever is still active and due was started at this
         * very time (a 0 ms timer started after the wheel processed this
         * millisecond waits for the next one). */
        for (int i = 0; i < WN; i++)
            if (wts[i].active && wts[i].t.expire <= w_now)
                assert_int_equal(wts[i].start_now, w_now);

        /* Between runs, as the proxy would: restart some, stop some. */
        for (int k = 0; k < 20; k++) {
            struct wt *x = &wts[rnd() % WN];
            if (rnd() % 3 == 0) {
                if (x->active) {
                    twheel_del(&w, &x->t);
                    x->active = 0;
                }
            } else {
                wheel_start(x, w_now, rnd_delay());
            }
        }
    }
    assert_true(w_fired > WN);
    size_t active = 0;
    for (int i = 0; i < WN; i++)
        active += (size_t)wts[i].active;
    assert_int_equal(active, w.count);
}

static int lone_fired;
static uint64_t lone_at;

static void lone_cb(struct loop *loop, struct timer *t)
{
    (void)loop;
    (void)t;
    lone_fired++;
    lone_at = w_now;
}

/* A loop that sleeps until twheel_next wakes a few times per level for a
 * far timer (at each cascade), and exactly at its due time at the end. */
static void twheel_far_timer_needs_few_wakeups_and_fires_exactly(void **state)
{
    (void)state;
    static const uint64_t delays[] = {
        0, 1, 63, 64, 65, 4095, 4096, 4097, 10ULL * 3600 * 1000, 40ULL * 24 * 3600 * 1000};
    for (size_t d = 0; d < sizeof delays / sizeof delays[0]; d++) {
        static struct twheel w;
        uint64_t start = 123456789 + d * 7;
        twheel_init(&w, start);
        struct timer t;
        timer_init(&t);
        t.cb = lone_cb;
        t.expire = start + delays[d];
        twheel_add(&w, &t);
        lone_fired = 0;
        w_now = start;
        int wakeups = 0;
        while (!lone_fired) {
            uint64_t next = twheel_next(&w);
            assert_true(next <= t.expire);
            if (next > w_now)
                w_now = next;
            twheel_run(&w, NULL, w_now);
            assert_true(++wakeups <= 2 * TW_LEVELS);
        }
        assert_int_equal(lone_at, start + delays[d]);
        assert_int_equal(twheel_next(&w), UINT64_MAX);
    }
}

static void twheel_clamps_delays_beyond_its_range(void **state)
{
    (void)state;
    static struct twheel w;
    twheel_init(&w, 5);
    struct timer t;
    timer_init(&t);
    t.cb = lone_cb;
    t.expire = UINT64_MAX - 10;
    twheel_add(&w, &t);
    assert_int_equal(t.expire, 5 + TW_MAX_DELAY);
    lone_fired = 0;
    w_now = 5 + TW_MAX_DELAY - 1;
    twheel_run(&w, NULL, w_now);
    assert_int_equal(lone_fired, 0);
    w_now++;
    twheel_run(&w, NULL, w_now);
    assert_int_equal(lone_fired, 1);
}

/* ---- lazy re-arming, through the public API on a driven clock ------------- */

/* These tests use a real loop but move its clock themselves: timer_start and
 * timer_again count from loop->now_ms, and twheel_run fires what is due, as
 * loop_run does after its wait. */

struct st {
    struct timer t;
    int fired;
    uint64_t fired_at; /* loop_now_ms in the callback */
};

static void st_cb(struct loop *loop, struct timer *t)
{
    struct st *x = NET_CONTAINER_OF(t, struct st, t);
    x->fired++;
    x->fired_at = loop_now_ms(loop);
}

/* Moves the clock to <until> the way loop_run would: it wakes at every
 * twheel_next on the way, and once at <until>. Returns the number of wakeups
 * on the way. */
static int drive(struct loop *loop, uint64_t until)
{
    int wakeups = 0;
    for (;;) {
        uint64_t next = twheel_next(&loop->wheel);
        if (next > until)
            break;
        if (next > loop->now_ms)
            loop->now_ms = next;
        twheel_run(&loop->wheel, loop, loop->now_ms);
        wakeups++;
    }
    loop->now_ms = until;
    twheel_run(&loop->wheel, loop, until);
    return wakeups;
}

static const uint32_t lazy_ms[] = {1,         2,     50,     63,      64,
                                   65,        1000,  4095,   4096,    5000,
                                   60000,     75000, 262144, 3600000, UINT32_C(864000000),
                                   UINT32_MAX};

/* A timer pushed later a hundred times, by timer_start and timer_again, with
 * the clock moving half its duration between pushes (so the wheel reaches
 * its stale slots on the way): it never fires while pushed, fires exactly at
 * the last due time, once, and needs few wakeups after the last push. */
static void timer_pushed_later_many_times_fires_at_the_last_due_time(void **state)
{
    (void)state;
    for (size_t d = 0; d < sizeof lazy_ms / sizeof lazy_ms[0]; d++) {
        struct loop *loop = loop_new();
        assert_non_null(loop);
        uint32_t ms = lazy_ms[d];
        struct st x;
        memset(&x, 0, sizeof x);
        timer_start(loop, &x.t, ms, st_cb);
        uint64_t due = loop->now_ms + ms;
        for (int i = 0; i < 100; i++) {
            drive(loop, loop->now_ms + ms / 2);
            assert_int_equal(x.fired, 0);
            assert_true(timer_active(&x.t));
            if (i % 2)
                timer_again(loop, &x.t);
            else
                timer_start(loop, &x.t, ms, st_cb);
            due = loop->now_ms + ms;
            assert_true(twheel_next(&loop->wheel) <= due);
        }
        int wakeups = drive(loop, due - 1);
        assert_int_equal(x.fired, 0);
        assert_true(wakeups <= 2 * TW_LEVELS);
        drive(loop, due);
        assert_int_equal(x.fired, 1);
        assert_int_equal(x.fired_at, due);
        assert_false(timer_active(&x.t));
        assert_int_equal(loop->wheel.count, 0);
        loop_free(loop);
    }
}

/* A timer pushed later, then started again for a shorter time (earlier than
 * the pushed due time, sometimes still after the slot it sits in) fires at
 * the shorter time, once: the stale slot does not fire it again. */
static void timer_shortened_after_a_push_fires_at_the_shorter_time(void **state)
{
    (void)state;
    static const uint32_t cases[][3] = {
        /* first, pushed to, then shortened to */
        {60000, 75000, 100},
        {10, 50, 5},
        {10, 50, 30},
        {10, 50, 10},
        {5000, 75000, 4999},
        {64, 4096, 63},
        {64, 4096, 0},
        {4096, 4096, 4095},
        {75000, 75000, 60000},
        {3600000, 86400000, 262144},
        {1, 2, 1},
    };
    for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
        struct loop *loop = loop_new();
        assert_non_null(loop);
        struct st x;
        memset(&x, 0, sizeof x);
        uint64_t t0 = loop->now_ms;
        timer_start(loop, &x.t, cases[c][0], st_cb);
        if (cases[c][0] > 1)
            drive(loop, t0 + 1); /* the wheel moves on: the slot is the old one */
        timer_start(loop, &x.t, cases[c][1], st_cb);
        timer_again(loop, &x.t);
        timer_start(loop, &x.t, cases[c][2], st_cb);
        uint64_t due = loop->now_ms + cases[c][2];
        if (cases[c][2] == 0)
            due++; /* this millisecond has run already */
        assert_true(twheel_next(&loop->wheel) <= due);
        drive(loop, due - 1);
        assert_int_equal(x.fired, 0);
        drive(loop, due);
        assert_int_equal(x.fired, 1);
        assert_int_equal(x.fired_at, due);
        /* Far past every slot it was ever in: nothing more. */
        drive(loop, t0 + cases[c][0] + cases[c][1] + 2 * TW_SLOTS * UINT64_C(262144));
        assert_int_equal(x.fired, 1);
        assert_int_equal(twheel_next(&loop->wheel), UINT64_MAX);
        loop_free(loop);
    }
}

#define REUSE 300

/* Timers pushed later (so their slots are stale), then stopped: the memory
 * of each is the caller's at once. Half are freed and the memory handed out
 * again and scribbled on; half are wiped to 0xff, zeroed and started again.
 * Running far past every old slot fires only the restarted ones, at their
 * new due time, and touches nothing else (valgrind checks the freed ones). */
static void stopped_timer_memory_is_free_at_once_after_pushes(void **state)
{
    (void)state;
    struct loop *loop = loop_new();
    assert_non_null(loop);
    struct st *xs[REUSE];
    unsigned char *junk[REUSE];
    uint64_t due[REUSE];
    uint64_t t0 = loop->now_ms;
    for (int i = 0; i < REUSE; i++) {
        xs[i] = calloc(1, sizeof *xs[i]);
        assert_non_null(xs[i]);
        junk[i] = NULL;
        timer_start(loop, &xs[i]->t, 2000 + (uint32_t)(i * 7919) % 5000000, st_cb);
    }
    drive(loop, t0 + 1000);
    for (int i = 0; i < REUSE; i++) {
        if (i % 3)
            timer_again(loop, &xs[i]->t);
        else
            timer_start(loop, &xs[i]->t, 9000000, st_cb);
    }
    drive(loop, t0 + 1500);
    for (int i = 0; i < REUSE; i++) {
        timer_stop(loop, &xs[i]->t);
        assert_false(timer_active(&xs[i]->t));
        memset(xs[i], 0xff, sizeof *xs[i]);
        if (i % 2) {
            free(xs[i]);
            xs[i] = NULL;
            junk[i] = malloc(sizeof(struct st)); /* likely the same memory */
            assert_non_null(junk[i]);
            memset(junk[i], 0xab, sizeof(struct st));
        } else {
            memset(xs[i], 0, sizeof *xs[i]); /* zeroed memory: a stopped timer */
            assert_false(timer_active(&xs[i]->t));
            timer_start(loop, &xs[i]->t, 3000 + (uint32_t)i, st_cb);
            due[i] = loop->now_ms + 3000 + (uint64_t)i;
        }
    }
    assert_int_equal(loop->wheel.count, (REUSE + 1) / 2);
    drive(loop, t0 + 9000000 + 2 * TW_SLOTS * UINT64_C(262144));
    assert_int_equal(loop->wheel.count, 0);
    for (int i = 0; i < REUSE; i++) {
        if (xs[i]) {
            assert_int_equal(xs[i]->fired, 1);
            assert_int_equal(xs[i]->fired_at, due[i]);
            free(xs[i]);
        }
        if (junk[i]) {
            for (size_t b = 0; b < sizeof(struct st); b++)
                assert_int_equal(junk[i][b], 0xab);
            free(junk[i]);
        }
    }
    loop_free(loop);
}

/* Two timers due in the same millisecond, each with a pointer to the other.
 * The first to fire acts on the other, which then sits in the list of due
 * timers twheel_run has detached but not reached yet. */
struct pair {
    struct st x;
    struct pair *other;
    int action; /* 0: push the other 100 ms later; 1: push, stop, free it */
};

static struct pair *pair_first; /* the one that fired first */

static void pair_cb(struct loop *loop, struct timer *t)
{
    struct pair *p = NET_CONTAINER_OF(t, struct pair, x.t);
    st_cb(loop, t);
    struct pair *o = p->other;
    if (!o)
        return;
    pair_first = p;
    p->other = NULL;
    o->other = NULL;
    if (p->action == 0) {
        timer_start(loop, &o->x.t, 100, pair_cb);
    } else {
        timer_again(loop, &o->x.t);
        timer_stop(loop, &o->x.t);
        memset(o, 0xff, sizeof *o);
        free(o);
    }
}

static void timer_pushed_or_freed_by_a_callback_while_due_is_handled(void **state)
{
    (void)state;
    for (int action = 0; action < 2; action++) {
        struct loop *loop = loop_new();
        assert_non_null(loop);
        struct pair *a = calloc(1, sizeof *a), *b = calloc(1, sizeof *b);
        struct st c; /* due in the same millisecond, after both in the list */
        assert_non_null(a);
        assert_non_null(b);
        memset(&c, 0, sizeof c);
        a->other = b;
        b->other = a;
        a->action = b->action = action;
        pair_first = NULL;
        uint64_t t0 = loop->now_ms;
        timer_start(loop, &a->x.t, 70, pair_cb);
        timer_start(loop, &b->x.t, 70, pair_cb);
        timer_start(loop, &c.t, 70, st_cb);
        drive(loop, t0 + 70);
        assert_int_equal(c.fired, 1);
        assert_int_equal(c.fired_at, t0 + 70);
        if (action == 0) {
            /* One fired; the other was pushed to 170 and fires then. */
            assert_int_equal(a->x.fired + b->x.fired, 1);
            struct pair *pushed = pair_first == a ? b : a;
            assert_true(timer_active(&pushed->x.t));
            drive(loop, t0 + 169);
            assert_int_equal(pushed->x.fired, 0);
            drive(loop, t0 + 170);
            assert_int_equal(pushed->x.fired, 1);
            assert_int_equal(pushed->x.fired_at, t0 + 170);
            free(a);
            free(b);
        } else {
            /* One fired and freed the other; nothing is left in the
             * wheel, and nothing fires later. */
            assert_non_null(pair_first);
            assert_int_equal(pair_first->x.fired, 1);
            assert_int_equal(loop->wheel.count, 0);
            drive(loop, t0 + 100000);
            assert_int_equal(pair_first->x.fired, 1);
            free(pair_first);
        }
        loop_free(loop);
    }
}

/* A callback starts a timer 64 ms away, which lands in the level-0 slot of
 * the millisecond being run, then stops a timer still waiting in the list
 * detached from that slot: the slot keeps its new timer, which fires. */
static struct st due_list_new, due_list_victim;

static void due_list_cb(struct loop *loop, struct timer *t)
{
    (void)t;
    timer_start(loop, &due_list_new.t, 64, st_cb);
    timer_stop(loop, &due_list_victim.t);
}

static void timer_stopped_while_due_leaves_the_slots_new_timers(void **state)
{
    (void)state;
    struct loop *loop = loop_new();
    assert_non_null(loop);
    memset(&due_list_new, 0, sizeof due_list_new);
    memset(&due_list_victim, 0, sizeof due_list_victim);
    struct timer first;
    memset(&first, 0, sizeof first);
    uint64_t t0 = loop->now_ms;
    timer_start(loop, &first, 5, due_list_cb);
    timer_start(loop, &due_list_victim.t, 5, st_cb);
    drive(loop, t0 + 5);
    assert_int_equal(due_list_victim.fired, 0);
    assert_true(timer_active(&due_list_new.t));
    assert_int_equal(twheel_next(&loop->wheel), t0 + 5 + 64);
    drive(loop, t0 + 5 + 64);
    assert_int_equal(due_list_new.fired, 1);
    assert_int_equal(due_list_new.fired_at, t0 + 5 + 64);
    loop_free(loop);
}

/* A timer restarting itself from its callback, for 0 ms (next millisecond,
 * not the same run), short and long times; timer_again in between. */
static const uint32_t self_ms[] = {0, 0, 1, 63, 64, 5000, 0, 75000, 2, 4096};
static size_t self_i;
static uint64_t self_due;
static int self_bad;

static void self_cb(struct loop *loop, struct timer *t)
{
    uint64_t now = loop_now_ms(loop);
    if (now != self_due)
        self_bad++;
    if (self_i == sizeof self_ms / sizeof self_ms[0])
        return;
    uint32_t ms = self_ms[self_i++];
    timer_start(loop, t, ms, self_cb);
    timer_again(loop, t); /* the same due time: changes nothing */
    self_due = now + (ms ? ms : 1);
}

static void timer_restarted_from_its_callback_fires_at_each_due_time(void **state)
{
    (void)state;
    struct loop *loop = loop_new();
    assert_non_null(loop);
    struct timer t;
    memset(&t, 0, sizeof t);
    self_i = 0;
    self_bad = 0;
    self_due = loop->now_ms + 10;
    timer_start(loop, &t, 10, self_cb);
    drive(loop, loop->now_ms + 200000);
    assert_int_equal(self_i, sizeof self_ms / sizeof self_ms[0]);
    assert_int_equal(self_bad, 0);
    assert_false(timer_active(&t));
    loop_free(loop);
}

/* The model: thousands of timers, random starts, restarts, stops and memory
 * reuse through the public API, from the test and from callbacks, checked
 * against each timer's due time as the API defines it. */
#define RN 3000

struct rt {
    struct timer t;
    int active;
    uint32_t ms;      /* of the last timer_start, 0 after the memory is reused */
    uint64_t due;     /* loop_now_ms at the start + ms */
    uint64_t started; /* loop_now_ms at the start */
};

static struct rt rts[RN];
static struct loop *r_loop;
static uint64_t r_prev_now; /* the time of the previous twheel_run */
static int r_early, r_late, r_not_active, r_fired;

static uint32_t rnd_ms(void)
{
    uint64_t d = rnd_delay();
    return d > UINT32_MAX ? UINT32_MAX : (uint32_t)d;
}

static void rt_cb(struct loop *loop, struct timer *t);

/* One random operation on <x>, keeping the model in step. */
static void rt_op(struct rt *x)
{
    struct loop *loop = r_loop;
    uint64_t now = loop_now_ms(loop);
    switch (rnd() % 8) {
    case 0:
    case 1:
    case 2:
        x->ms = rnd_ms();
        timer_start(loop, &x->t, x->ms, rt_cb);
        break;
    case 3:
    case 4:
        if (!x->t.cb)
            return; /* never started: timer_again has no callback to use */
        timer_again(loop, &x->t);
        break;
    case 5:
    case 6:
        timer_stop(loop, &x->t);
        x->active = 0;
        return;
    default:
        /* Stop, then reuse the memory as a new, zeroed timer. */
        timer_stop(loop, &x->t);
        memset(&x->t, 0xff, sizeof x->t);
        memset(&x->t, 0, sizeof x->t);
        x->active = 0;
        x->ms = 0;
        return;
    }
    x->active = 1;
    x->started = now;
    x->due = now + x->ms;
}

static void rt_cb(struct loop *loop, struct timer *t)
{
    struct rt *x = NET_CONTAINER_OF(t, struct rt, t);
    uint64_t now = loop_now_ms(loop);
    r_fired++;
    if (!x->active)
        r_not_active++;
    if (x->due > now)
        r_early++;
    /* Late means a previous run's time had reached it already; except a
     * 0 ms timer started after that run, at its very time. */
    if (x->due <= r_prev_now && x->started != r_prev_now)
        r_late++;
    x->active = 0;
    if (rnd() % 4 == 0)
        rt_op(x); /* restart itself (or not, if the draw is a stop) */
    if (rnd() % 4 == 0)
        rt_op(&rts[rnd() % RN]); /* another, maybe one due in this run */
}

static void timers_match_a_model_under_random_starts_stops_and_reuse(void **state)
{
    (void)state;
    struct loop *loop = loop_new();
    assert_non_null(loop);
    r_loop = loop;
    memset(rts, 0, sizeof rts);
    rng_state = 0x243f6a8885a308d3u;
    r_early = r_late = r_not_active = r_fired = 0;
    for (int i = 0; i < RN; i++)
        rt_op(&rts[i]);
    for (int step = 0; step < 3000; step++) {
        uint64_t now = loop->now_ms;
        /* twheel_next is never later than the earliest due time (or the
         * next tick, for a timer due at one that has run). */
        uint64_t min = UINT64_MAX;
        size_t active = 0;
        for (int i = 0; i < RN; i++) {
            assert_int_equal(timer_active(&rts[i].t), rts[i].active);
            if (rts[i].active) {
                active++;
                uint64_t d = rts[i].due < loop->wheel.cur ? loop->wheel.cur : rts[i].due;
                if (d < min)
                    min = d;
            }
        }
        assert_int_equal(loop->wheel.count, active);
        uint64_t next = twheel_next(&loop->wheel);
        assert_true(next <= min);

        r_prev_now = now;
        loop->now_ms = now + clock_jump(next, now, 26);
        twheel_run(&loop->wheel, loop, loop->now_ms);
        assert_int_equal(r_early, 0);
        assert_int_equal(r_late, 0);
        assert_int_equal(r_not_active, 0);
        /* Not late: nothing still active is due, except 0 ms timers started
         * by callbacks of this very run. */
        for (int i = 0; i < RN; i++)
            if (rts[i].active && rts[i].due <= loop->now_ms)
                assert_int_equal(rts[i].started, loop->now_ms);

        for (int k = 0; k < 30; k++)
            rt_op(&rts[rnd() % RN]);
    }
    assert_true(r_fired > RN);
    loop_free(loop);
}

/* In a running loop, on the real clock: a timer pushed later by a periodic
 * timer fires after the last push's due time, then once more after a
 * shortening. The loop wakes early for the stale slots, never late. */
static struct st rl_target;
static int rl_pushes;
static uint64_t rl_last_push, rl_short_at;

static void rl_pusher(struct loop *loop, struct timer *t)
{
    if (rl_pushes < 5) {
        timer_start(loop, &rl_target.t, 30, st_cb); /* later and later */
        rl_last_push = loop_now_ms(loop);
        rl_pushes++;
        timer_start(loop, t, 10, rl_pusher);
    } else if (rl_pushes == 5) {
        timer_start(loop, &rl_target.t, 1000, st_cb);
        timer_start(loop, &rl_target.t, 5, st_cb); /* shorter again */
        rl_short_at = loop_now_ms(loop);
        rl_pushes++;
        timer_start(loop, t, 60, rl_pusher);
    } else {
        loop_stop(loop);
    }
}

static void timer_pushed_later_in_a_running_loop_is_never_early(void **state)
{
    (void)state;
    struct loop *loop = loop_new();
    assert_non_null(loop);
    memset(&rl_target, 0, sizeof rl_target);
    rl_pushes = 0;
    struct timer pusher;
    timer_init(&pusher);
    timer_start(loop, &pusher, 10, rl_pusher);
    timer_start(loop, &rl_target.t, 30, st_cb);
    assert_int_equal(loop_run(loop), 0);
    assert_int_equal(rl_pushes, 6);
    /* 10 ms between pushes of 30 ms: it never fired while pushed, and fired
     * once for the 5 ms after the shortening. */
    assert_int_equal(rl_target.fired, 1);
    assert_true(rl_target.fired_at >= rl_short_at + 5);
    assert_true(rl_last_push < rl_short_at);
    assert_false(timer_active(&rl_target.t));
    loop_free(loop);
}

/* ---- stopping -------------------------------------------------------------- */

static void *stop_later(void *p)
{
    sleep_ms(30);
    loop_stop(p);
    return NULL;
}

static void stop_from_another_thread(void **state)
{
    (void)state;
    struct loop *loop = loop_new();
    struct timer never;
    timer_init(&never);
    timer_start(loop, &never, 10000, stop_cb);
    pthread_t th;
    uint64_t t0 = clock_ms();
    assert_int_equal(pthread_create(&th, NULL, stop_later, loop), 0);
    assert_int_equal(loop_run(loop), 0);
    uint64_t took = clock_ms() - t0;
    pthread_join(th, NULL);
    assert_true(took >= 25);
    assert_true(took < 5000);
    /* The stop was consumed: the loop runs again (until the next stop). */
    struct timer quick;
    timer_init(&quick);
    timer_start(loop, &quick, 5, stop_cb);
    assert_int_equal(loop_run(loop), 0);
    assert_false(timer_active(&quick));
    loop_free(loop);
}

static void stop_before_run_is_not_lost(void **state)
{
    (void)state;
    struct loop *loop = loop_new();
    struct timer never;
    timer_init(&never);
    timer_start(loop, &never, 10000, stop_cb);
    loop_stop(loop);
    uint64_t t0 = clock_ms();
    assert_int_equal(loop_run(loop), 0);
    assert_true(clock_ms() - t0 < 5000);
    assert_int_equal(loop_iterations(loop), 1);
    loop_free(loop);
}

static struct loop *sig_loop;

static void on_usr1(int signo)
{
    (void)signo;
    loop_stop(sig_loop);
}

static void *kill_later(void *p)
{
    sleep_ms(20);
    pthread_kill(*(pthread_t *)p, SIGUSR1);
    return NULL;
}

static void stop_from_a_signal_handler(void **state)
{
    (void)state;
    sig_loop = loop_new();
    struct sigaction sa, old;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_usr1;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGUSR1, &sa, &old);
    struct timer never;
    timer_init(&never);
    timer_start(sig_loop, &never, 10000, stop_cb);
    pthread_t self = pthread_self(), th;
    assert_int_equal(pthread_create(&th, NULL, kill_later, &self), 0);
    uint64_t t0 = clock_ms();
    assert_int_equal(loop_run(sig_loop), 0);
    assert_true(clock_ms() - t0 < 5000);
    pthread_join(th, NULL);
    sigaction(SIGUSR1, &old, NULL);
    loop_free(sig_loop);
}

/* ---- async ----------------------------------------------------------------- */

static int async_calls;
static int async_resend_once;
static atomic_long async_sent;
static long async_seen;
static long async_target;

static void count_async(struct loop *loop, struct async *a)
{
    async_calls++;
    if (async_resend_once) {
        async_resend_once = 0;
        async_send(a); /* a send during the callback: one more call */
    }
    async_seen = atomic_load(&async_sent);
    if (async_target && async_seen == async_target)
        loop_stop(loop);
}

static void async_sends_before_the_callback_coalesce(void **state)
{
    (void)state;
    struct loop *loop = loop_new();
    struct async a;
    async_init(loop, &a, count_async);
    async_calls = 0;
    async_target = 0;
    async_resend_once = 0;
    for (int i = 0; i < 100; i++)
        async_send(&a);
    struct timer stop;
    timer_init(&stop);
    timer_start(loop, &stop, 30, stop_cb);
    loop_run(loop);
    assert_int_equal(async_calls, 1);
    async_fini(loop, &a);
    loop_free(loop);
}

static void async_sent_from_its_callback_runs_again(void **state)
{
    (void)state;
    struct loop *loop = loop_new();
    struct async a, b;
    async_init(loop, &a, count_async);
    async_init(loop, &b, count_async);
    async_calls = 0;
    async_target = 0;
    async_resend_once = 1;
    async_send(&a);
    struct timer stop;
    timer_init(&stop);
    timer_start(loop, &stop, 30, stop_cb);
    loop_run(loop);
    assert_int_equal(async_calls, 2); /* b was never sent */
    async_fini(loop, &b);
    async_fini(loop, &a);
    loop_free(loop);
}

#define SENDERS 4
#define SENDS 20000

static void *sender(void *p)
{
    struct async *a = p;
    for (int i = 0; i < SENDS; i++) {
        atomic_fetch_add(&async_sent, 1);
        async_send(a);
        if (i % 1000 == 0)
            sched_yield();
    }
    return NULL;
}

/* Four threads send 80,000 times: the callback runs at least once after the
 * last send and sees every count made before it (async_send orders the
 * sender's writes before the callback), and far fewer times than sends. */
static void async_from_many_threads_sees_every_prior_write(void **state)
{
    (void)state;
    struct loop *loop = loop_new();
    struct async a;
    async_init(loop, &a, count_async);
    async_calls = 0;
    async_resend_once = 0;
    atomic_store(&async_sent, 0);
    async_target = (long)SENDERS * SENDS;
    pthread_t th[SENDERS];
    for (int i = 0; i < SENDERS; i++)
        assert_int_equal(pthread_create(&th[i], NULL, sender, &a), 0);
    assert_int_equal(loop_run(loop), 0);
    for (int i = 0; i < SENDERS; i++)
        pthread_join(th[i], NULL);
    assert_int_equal(async_seen, async_target);
    assert_true(async_calls >= 1);
    assert_true(async_calls <= async_target);
    async_fini(loop, &a);
    loop_free(loop);
}

/* ---- io watchers ----------------------------------------------------------- */

struct conn {
    struct io io;
    unsigned got; /* events seen, or'ed */
    int calls;
    char data[64];
    ssize_t nread;
    struct conn *other;
    int stop_other; /* stop <other> in the callback */
    int stop_loop;
};

static int io_order[8];
static int nio_order;

static void conn_cb(struct loop *loop, struct io *io, unsigned events)
{
    struct conn *c = NET_CONTAINER_OF(io, struct conn, io);
    c->got |= events;
    c->calls++;
    io_order[nio_order++ & 7] = c->io.fd;
    if ((events & IO_READ) && c->nread == 0)
        c->nread = read(io->fd, c->data, sizeof c->data);
    if (c->stop_other && c->other) {
        io_stop(loop, &c->other->io);
        c->other->stop_other = 0;
    }
    if (c->stop_loop)
        loop_stop(loop);
}

static void run_for(struct loop *loop, uint32_t ms)
{
    struct timer stop;
    timer_init(&stop);
    timer_start(loop, &stop, ms, stop_cb);
    loop_run(loop);
    timer_stop(loop, &stop);
}

static void io_reports_readable_with_the_data(void **state)
{
    (void)state;
    struct loop *loop = loop_new();
    int sv[2];
    assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, sv), 0);
    struct conn c = {0};
    io_init(&c.io, sv[0], conn_cb);
    c.stop_loop = 1;
    assert_int_equal(io_start(loop, &c.io, IO_READ), 0);
    assert_int_equal(write(sv[1], "ping", 4), 4);
    run_for(loop, 5000);
    assert_int_equal(c.calls, 1);
    assert_true(c.got & IO_READ);
    assert_false(c.got & IO_WRITE);
    assert_int_equal(c.nread, 4);
    assert_memory_equal(c.data, "ping", 4);
    io_stop(loop, &c.io);
    close(sv[0]);
    close(sv[1]);
    loop_free(loop);
}

static void io_reports_writable_at_once(void **state)
{
    (void)state;
    struct loop *loop = loop_new();
    int sv[2];
    assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, sv), 0);
    struct conn c = {0};
    io_init(&c.io, sv[0], conn_cb);
    c.stop_loop = 1;
    assert_int_equal(io_start(loop, &c.io, IO_WRITE), 0);
    assert_int_equal(c.io.events, IO_WRITE);
    run_for(loop, 5000);
    assert_int_equal(c.calls, 1);
    assert_int_equal(c.got, IO_WRITE);
    io_stop(loop, &c.io);
    close(sv[0]);
    close(sv[1]);
    loop_free(loop);
}

static void io_reports_peer_close_on_a_socket(void **state)
{
    (void)state;
    struct loop *loop = loop_new();
    int sv[2];
    assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, sv), 0);
    struct conn c = {0};
    io_init(&c.io, sv[0], conn_cb);
    c.stop_loop = 1;
    assert_int_equal(io_start(loop, &c.io, IO_READ), 0);
    close(sv[1]);
    run_for(loop, 5000);
    assert_true(c.got & IO_READ);
    assert_true(c.got & (IO_RDHUP | IO_HUP));
    assert_int_equal(c.nread, 0); /* end of stream */
    io_stop(loop, &c.io);
    close(sv[0]);
    loop_free(loop);
}

static void io_reports_hup_on_a_pipe_even_when_not_reading(void **state)
{
    (void)state;
    struct loop *loop = loop_new();
    int p[2];
    assert_int_equal(pipe(p), 0);
    struct conn c = {0};
    io_init(&c.io, p[0], conn_cb);
    c.stop_loop = 1;
    c.nread = -2; /* do not read */
    assert_int_equal(io_start(loop, &c.io, 0), 0);
    close(p[1]);
    run_for(loop, 5000);
    assert_int_equal(c.calls, 1);
    assert_true(c.got & IO_HUP);
    assert_false(c.got & IO_READ); /* not asked for */
    io_stop(loop, &c.io);
    close(p[0]);
    loop_free(loop);
}

/* Edge-triggered: unread data is not reported again by itself, and
 * io_modify re-arms. */
static void io_modify_rearms_unread_data(void **state)
{
    (void)state;
    struct loop *loop = loop_new();
    int sv[2];
    assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, sv), 0);
    struct conn c = {0};
    c.nread = -2; /* leave the data unread */
    io_init(&c.io, sv[0], conn_cb);
    assert_int_equal(io_start(loop, &c.io, IO_READ), 0);
    assert_int_equal(write(sv[1], "x", 1), 1);
    run_for(loop, 30);
    assert_int_equal(c.calls, 1);
    run_for(loop, 30);
    assert_int_equal(c.calls, 1);
    assert_int_equal(io_modify(loop, &c.io, IO_READ | IO_WRITE), 0);
    run_for(loop, 30);
    assert_int_equal(c.calls, 2);
    assert_true(c.got & IO_WRITE);
    /* Dropping write interest re-arms too: the unread byte is reported,
     * writability is not. */
    c.got = 0;
    assert_int_equal(io_modify(loop, &c.io, IO_READ), 0);
    run_for(loop, 30);
    assert_int_equal(c.calls, 3);
    assert_int_equal(c.got, IO_READ);
    io_stop(loop, &c.io);
    close(sv[0]);
    close(sv[1]);
    loop_free(loop);
}

/* Two watchers ready in one batch: the first callback stops the second
 * (and might free it); the second is not called. */
static void io_stopped_by_an_earlier_callback_is_not_called(void **state)
{
    (void)state;
    struct loop *loop = loop_new();
    int a[2], b[2];
    assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, a), 0);
    assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, b), 0);
    struct conn ca = {0}, cb = {0};
    io_init(&ca.io, a[0], conn_cb);
    io_init(&cb.io, b[0], conn_cb);
    ca.other = &cb;
    cb.other = &ca;
    ca.stop_other = cb.stop_other = 1;
    assert_int_equal(io_start(loop, &ca.io, IO_READ), 0);
    assert_int_equal(io_start(loop, &cb.io, IO_READ), 0);
    assert_int_equal(write(a[1], "a", 1), 1);
    assert_int_equal(write(b[1], "b", 1), 1);
    run_for(loop, 30);
    assert_int_equal(ca.calls + cb.calls, 1);
    assert_true(ca.io.active != cb.io.active);
    io_stop(loop, &ca.io);
    io_stop(loop, &cb.io);
    close(a[0]);
    close(a[1]);
    close(b[0]);
    close(b[1]);
    loop_free(loop);
}

static void io_close_stops_and_closes(void **state)
{
    (void)state;
    struct loop *loop = loop_new();
    int sv[2];
    assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, sv), 0);
    struct conn c = {0};
    io_init(&c.io, sv[0], conn_cb);
    assert_int_equal(io_start(loop, &c.io, IO_READ), 0);
    assert_int_equal(io_close(loop, &c.io), 0);
    assert_int_equal(c.io.fd, -1);
    assert_false(c.io.active);
    /* The peer sees the close, and nothing is reported to the closed io. */
    char ch;
    assert_int_equal(read(sv[1], &ch, 1), 0);
    run_for(loop, 20);
    assert_int_equal(c.calls, 0);
    close(sv[1]);
    loop_free(loop);
}

static void io_start_on_a_bad_descriptor_fails(void **state)
{
    (void)state;
    struct loop *loop = loop_new();
    struct io io;
    io_init(&io, 1000000, NULL);
    assert_int_equal(io_start(loop, &io, IO_READ), -EBADF);
    assert_false(io.active);
    loop_free(loop);
}

/* ---- deferred callbacks ---------------------------------------------------- */

static char trail[32];
static size_t ntrail;
static struct defer d1, d2, d3;
static uint64_t defer_iter[3];

static void defer_rec(struct loop *loop, struct defer *d)
{
    int i = d == &d1 ? 0 : d == &d2 ? 1 : 2;
    trail[ntrail++] = (char)('A' + i);
    defer_iter[i] = loop_iterations(loop);
    if (d == &d1)
        loop_defer(loop, &d3, defer_rec); /* runs next iteration */
    if (d == &d3)
        loop_stop(loop);
}

static void defer_io_cb(struct loop *loop, struct io *io, unsigned events)
{
    (void)events;
    char buf[8];
    trail[ntrail++] = 'i';
    ssize_t n = read(io->fd, buf, sizeof buf);
    (void)n;
    loop_defer(loop, &d1, defer_rec);
    loop_defer(loop, &d1, defer_rec); /* queued already: no change */
    loop_defer(loop, &d2, defer_rec);
}

static void defers_run_after_the_iterations_callbacks(void **state)
{
    (void)state;
    struct loop *loop = loop_new();
    int a[2], b[2];
    assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, a), 0);
    assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, b), 0);
    struct io ia, ib;
    io_init(&ia, a[0], defer_io_cb);
    io_init(&ib, b[0], defer_io_cb);
    io_start(loop, &ia, IO_READ);
    io_start(loop, &ib, IO_READ);
    defer_init(&d1);
    defer_init(&d2);
    defer_init(&d3);
    ntrail = 0;
    memset(trail, 0, sizeof trail);
    assert_int_equal(write(a[1], "a", 1), 1);
    assert_int_equal(write(b[1], "b", 1), 1);
    uint64_t t0 = clock_ms();
    struct timer guard;
    timer_init(&guard);
    timer_start(loop, &guard, 5000, stop_cb);
    loop_run(loop);
    assert_true(clock_ms() - t0 < 4000); /* a queued defer means no waiting */
    assert_string_equal(trail, "iiABC");
    assert_int_equal(defer_iter[0], defer_iter[1]);
    assert_int_equal(defer_iter[2], defer_iter[0] + 1);
    io_stop(loop, &ia);
    io_stop(loop, &ib);
    close(a[0]);
    close(a[1]);
    close(b[0]);
    close(b[1]);
    loop_free(loop);
}

static void cancelled_defer_does_not_run(void **state)
{
    (void)state;
    struct loop *loop = loop_new();
    struct defer d;
    memset(&d, 0, sizeof d); /* zeroed memory is a valid idle defer */
    ntrail = 0;
    memset(trail, 0, sizeof trail);
    loop_defer(loop, &d, defer_rec);
    loop_defer_cancel(loop, &d);
    loop_defer_cancel(loop, &d);
    run_for(loop, 10);
    assert_int_equal(ntrail, 0);
    loop_free(loop);
}

/* ---- time ------------------------------------------------------------------ */

static uint64_t seen_now[2];

static void now_cb(struct loop *loop, struct timer *t)
{
    (void)t;
    seen_now[0] = loop_now_ms(loop);
    sleep_ms(3);
    seen_now[1] = loop_now_ms(loop);
    assert_true(loop_update_now(loop) >= seen_now[1] + 3);
    loop_stop(loop);
}

static void now_is_cached_per_iteration(void **state)
{
    (void)state;
    struct loop *loop = loop_new();
    int x;
    loop_set_data(loop, &x);
    assert_ptr_equal(loop_data(loop), &x);
    struct timer t;
    timer_init(&t);
    timer_start(loop, &t, 1, now_cb);
    loop_run(loop);
    assert_int_equal(seen_now[0], seen_now[1]);
    loop_free(loop);
}

#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)

int main(void)
{
    const struct CMUnitTest tests[] = {
        T(timers_fire_in_order_of_due_time),
        T(timer_again_postpones_from_now),
        T(timer_stop_cancels),
        T(timer_rearms_from_its_own_callback),
        T(zeroed_timer_is_inactive),
        T(ten_thousand_timers_fire_once_each_in_order),
        T(twheel_fires_every_timer_exactly_once_never_early_never_late),
        T(twheel_far_timer_needs_few_wakeups_and_fires_exactly),
        T(twheel_clamps_delays_beyond_its_range),
        T(timer_pushed_later_many_times_fires_at_the_last_due_time),
        T(timer_shortened_after_a_push_fires_at_the_shorter_time),
        T(stopped_timer_memory_is_free_at_once_after_pushes),
        T(timer_pushed_or_freed_by_a_callback_while_due_is_handled),
        T(timer_stopped_while_due_leaves_the_slots_new_timers),
        T(timer_restarted_from_its_callback_fires_at_each_due_time),
        T(timers_match_a_model_under_random_starts_stops_and_reuse),
        T(timer_pushed_later_in_a_running_loop_is_never_early),
        T(stop_from_another_thread),
        T(stop_before_run_is_not_lost),
        T(stop_from_a_signal_handler),
        T(async_sends_before_the_callback_coalesce),
        T(async_sent_from_its_callback_runs_again),
        T(async_from_many_threads_sees_every_prior_write),
        T(io_reports_readable_with_the_data),
        T(io_reports_writable_at_once),
        T(io_reports_peer_close_on_a_socket),
        T(io_reports_hup_on_a_pipe_even_when_not_reading),
        T(io_modify_rearms_unread_data),
        T(io_stopped_by_an_earlier_callback_is_not_called),
        T(io_close_stops_and_closes),
        T(io_start_on_a_bad_descriptor_fails),
        T(defers_run_after_the_iterations_callbacks),
        T(cancelled_defer_does_not_run),
        T(now_is_cached_per_iteration),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
