/* The per-worker buffer pool (src/net/bufpool.c). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <string.h>

#include "net/bufpool.h"

static void stats_follow_gets_and_puts(void **state)
{
    (void)state;
    struct bufpool p;
    bufpool_init(&p, 0, 0);
    assert_int_equal(p.size, BUFPOOL_DEFAULT_SIZE);
    char *b[3];
    for (int i = 0; i < 3; i++) {
        b[i] = bufpool_get(&p);
        assert_non_null(b[i]);
        memset(b[i], 'x', p.size); /* the whole buffer is usable */
    }
    const struct bufpool_stats *s = bufpool_stats(&p);
    assert_int_equal(s->in_use, 3);
    assert_int_equal(s->allocated, 3);
    assert_int_equal(s->high_water, 3);
    bufpool_put(&p, b[0]);
    bufpool_put(&p, b[1]);
    bufpool_put(&p, NULL); /* ignored */
    assert_int_equal(s->in_use, 1);
    assert_int_equal(s->allocated, 3);
    assert_int_equal(s->high_water, 3);
    bufpool_put(&p, b[2]);
    assert_int_equal(s->in_use, 0);
    assert_int_equal(s->failures, 0);
    bufpool_fini(&p);
    assert_int_equal(s->allocated, 0);
}

static void given_back_buffers_are_reused_not_reallocated(void **state)
{
    (void)state;
    struct bufpool p;
    bufpool_init(&p, 4096, 0);
    void *a = bufpool_get(&p), *b = bufpool_get(&p);
    bufpool_put(&p, a);
    bufpool_put(&p, b);
    /* Last in, first out: the buffer most recently used is warm in cache. */
    assert_ptr_equal(bufpool_get(&p), b);
    assert_ptr_equal(bufpool_get(&p), a);
    assert_int_equal(bufpool_stats(&p)->allocated, 2);
    /* 1,000 connections taking and giving back: still two buffers. */
    bufpool_put(&p, a);
    bufpool_put(&p, b);
    for (int i = 0; i < 1000; i++) {
        void *x = bufpool_get(&p), *y = bufpool_get(&p);
        bufpool_put(&p, y);
        bufpool_put(&p, x);
    }
    assert_int_equal(bufpool_stats(&p)->allocated, 2);
    assert_int_equal(bufpool_stats(&p)->high_water, 2);
    bufpool_fini(&p);
}

static void cap_refuses_and_counts_failures(void **state)
{
    (void)state;
    struct bufpool p;
    bufpool_init(&p, 1024, 2);
    void *a = bufpool_get(&p), *b = bufpool_get(&p);
    assert_non_null(a);
    assert_non_null(b);
    assert_null(bufpool_get(&p));
    assert_int_equal(bufpool_stats(&p)->failures, 1);
    assert_int_equal(bufpool_stats(&p)->in_use, 2);
    bufpool_put(&p, a);
    assert_ptr_equal(bufpool_get(&p), a); /* a free one is still handed out */
    bufpool_put(&p, a);
    bufpool_put(&p, b);
    bufpool_fini(&p);
}

static void trim_keeps_what_is_asked(void **state)
{
    (void)state;
    struct bufpool p;
    bufpool_init(&p, 512, 0);
    void *v[10];
    for (int i = 0; i < 10; i++)
        v[i] = bufpool_get(&p);
    for (int i = 0; i < 8; i++)
        bufpool_put(&p, v[i]);
    assert_int_equal(bufpool_trim(&p, 3), 5);
    assert_int_equal(bufpool_stats(&p)->allocated, 5); /* 2 in use + 3 free */
    assert_int_equal(bufpool_trim(&p, 3), 0);
    bufpool_put(&p, v[8]);
    bufpool_put(&p, v[9]);
    assert_int_equal(bufpool_trim(&p, 0), 5);
    assert_int_equal(bufpool_stats(&p)->allocated, 0);
    assert_int_equal(bufpool_stats(&p)->high_water, 10);
    bufpool_fini(&p);
}

static void tiny_sizes_still_hold_the_free_link(void **state)
{
    (void)state;
    struct bufpool p;
    bufpool_init(&p, 1, 0);
    assert_int_equal(p.size, sizeof(void *));
    void *a = bufpool_get(&p);
    bufpool_put(&p, a);
    assert_ptr_equal(bufpool_get(&p), a);
    bufpool_put(&p, a);
    bufpool_fini(&p);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(stats_follow_gets_and_puts),
        cmocka_unit_test(given_back_buffers_are_reused_not_reallocated),
        cmocka_unit_test(cap_refuses_and_counts_failures),
        cmocka_unit_test(trim_keeps_what_is_asked),
        cmocka_unit_test(tiny_sizes_still_hold_the_free_link),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
