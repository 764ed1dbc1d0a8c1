/* Worker threads and signals: the proxy's process shape, one loop per
 * worker, a main loop that turns SIGTERM into a graceful stop. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdatomic.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "net/loop.h"
#include "net/sigwatch.h"
#include "net/workers.h"

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

static void sleep_ms(unsigned ms)
{
    struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
    while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
        ;
}

#define NW 4

/* What each worker saw, written by the worker, read by main after join or
 * through the atomics. */
struct seen {
    struct async wake;
    atomic_int ready;
    atomic_int wakeups;
    pthread_t self;
    int sigterm_blocked;
    int cpu;
};

static struct seen seen[NW];

static void on_wake(struct loop *loop, struct async *a)
{
    (void)loop;
    struct seen *s = NET_CONTAINER_OF(a, struct seen, wake);
    atomic_fetch_add(&s->wakeups, 1);
}

static int serve(struct worker *w)
{
    struct seen *s = &seen[w->id];
    s->self = pthread_self();
    sigset_t mask;
    pthread_sigmask(SIG_SETMASK, NULL, &mask);
    s->sigterm_blocked = sigismember(&mask, SIGTERM) == 1 && sigismember(&mask, SIGINT) == 1;
    s->cpu = sched_getcpu();
    async_init(w->loop, &s->wake, on_wake);
    atomic_store(&s->ready, 1);
    int r = loop_run(w->loop);
    async_fini(w->loop, &s->wake);
    return r ? r : (w->arg ? (int)w->id * 10 : 0);
}

static void wait_ready(void)
{
    for (int i = 0; i < NW; i++)
        while (!atomic_load(&seen[i].ready))
            sleep_ms(1);
}

static void workers_each_run_their_own_loop_and_stop(void **state)
{
    (void)state;
    memset(seen, 0, sizeof seen);
    struct err e = {{0}};
    struct workers *ws = workers_start(NW, serve, NULL, 0, &e);
    assert_non_null(ws);
    assert_int_equal(ws->n, NW);
    wait_ready();
    for (int i = 0; i < NW; i++) {
        assert_int_equal(ws->w[i].id, (unsigned)i);
        assert_int_equal(ws->w[i].cpu, -1);
        for (int j = i + 1; j < NW; j++)
            assert_ptr_not_equal(ws->w[i].loop, ws->w[j].loop);
    }
    /* The route-table announcement: every worker is woken. */
    for (int k = 0; k < 3; k++)
        for (int i = 0; i < NW; i++)
            async_send(&seen[i].wake);
    for (int i = 0; i < NW; i++)
        for (int t = 0; t < 5000 && atomic_load(&seen[i].wakeups) == 0; t++)
            sleep_ms(1);
    pthread_t threads[NW];
    for (int i = 0; i < NW; i++)
        threads[i] = ws->w[i].thread;
    workers_stop(ws);
    assert_int_equal(workers_join(ws), 0);
    for (int i = 0; i < NW; i++) {
        assert_true(atomic_load(&seen[i].wakeups) >= 1);
        assert_true(atomic_load(&seen[i].wakeups) <= 3);
        assert_true(pthread_equal(seen[i].self, threads[i]));
        assert_true(seen[i].sigterm_blocked);
    }
}

static void join_returns_the_first_failure(void **state)
{
    (void)state;
    memset(seen, 0, sizeof seen);
    struct err e = {{0}};
    int flag;
    struct workers *ws = workers_start(NW, serve, &flag, 0, &e);
    assert_non_null(ws);
    wait_ready();
    workers_stop(ws);
    assert_int_equal(workers_join(ws), 10); /* worker 0 returned 0, worker 1 10 */
    assert_int_equal(workers_join(NULL), 0);
}

static void pinned_workers_run_on_their_cpu(void **state)
{
    (void)state;
    memset(seen, 0, sizeof seen);
    struct err e = {{0}};
    struct workers *ws = workers_start(2, serve, NULL, WORKERS_PIN_CPUS, &e);
    assert_non_null(ws);
    for (int i = 0; i < 2; i++)
        while (!atomic_load(&seen[i].ready))
            sleep_ms(1);
    int cpus[2] = {ws->w[0].cpu, ws->w[1].cpu};
    workers_stop(ws);
    assert_int_equal(workers_join(ws), 0);
    for (int i = 0; i < 2; i++) {
        if (cpus[i] >= 0)
            assert_int_equal(seen[i].cpu, cpus[i]);
    }
}

static void zero_workers_is_an_error(void **state)
{
    (void)state;
    struct err e = {{0}};
    assert_null(workers_start(0, serve, NULL, 0, &e));
    assert_string_equal(e.msg, "workers: need at least one worker");
}

/* ---- signals ------------------------------------------------------------- */

static int got_signo[4];
static int ngot;
static struct workers *running;

static void on_signal(struct loop *loop, struct sigwatch *sw, int signo)
{
    (void)sw;
    got_signo[ngot++ & 3] = signo;
    if (signo == SIGTERM) {
        if (running)
            workers_stop(running);
        loop_stop(loop);
    }
}

static void *send_later(void *p)
{
    int *sigs = p;
    sleep_ms(20);
    for (int i = 0; sigs[i]; i++)
        kill(getpid(), sigs[i]);
    return NULL;
}

/* The process shape: workers serving, the main loop watching signals; a
 * SIGHUP is an event (reload), a SIGTERM stops everything in order. kill()
 * targets the process, so only the main thread (with the signals blocked
 * and read through signalfd) may take them: a worker that did not block
 * them would die of the default action and take the test with it. */
static void sigterm_stops_workers_and_main_loop_gracefully(void **state)
{
    (void)state;
    memset(seen, 0, sizeof seen);
    ngot = 0;
    struct loop *main_loop = loop_new();
    struct sigwatch sw;
    static const int watched[] = {SIGTERM, SIGINT, SIGHUP};
    assert_int_equal(sigwatch_start(main_loop, &sw, watched, 3, on_signal), 0);
    struct err e = {{0}};
    running = workers_start(NW, serve, NULL, 0, &e);
    assert_non_null(running);
    wait_ready();
    int sigs[] = {SIGHUP, SIGTERM, 0};
    pthread_t th;
    assert_int_equal(pthread_create(&th, NULL, send_later, sigs), 0);
    assert_int_equal(loop_run(main_loop), 0);
    pthread_join(th, NULL);
    assert_int_equal(workers_join(running), 0);
    running = NULL;
    assert_int_equal(ngot, 2);
    assert_int_equal(got_signo[0], SIGHUP);
    assert_int_equal(got_signo[1], SIGTERM);
    sigwatch_stop(main_loop, &sw);
    /* The mask is back as it was. */
    sigset_t now;
    pthread_sigmask(SIG_SETMASK, NULL, &now);
    assert_false(sigismember(&now, SIGTERM));
    loop_free(main_loop);
}

static void sigwatch_on_a_bad_signal_fails(void **state)
{
    (void)state;
    struct loop *loop = loop_new();
    struct sigwatch sw;
    static const int bad[] = {12345};
    assert_int_equal(sigwatch_start(loop, &sw, bad, 1, on_signal), -EINVAL);
    loop_free(loop);
}

#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)

int main(void)
{
    const struct CMUnitTest tests[] = {
        T(workers_each_run_their_own_loop_and_stop),
        T(join_returns_the_first_failure),
        T(pinned_workers_run_on_their_cpu),
        T(zero_workers_is_an_error),
        T(sigterm_stops_workers_and_main_loop_gracefully),
        T(sigwatch_on_a_bad_signal_fails),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
