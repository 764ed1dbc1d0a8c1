/* The growing string list (src/core/strv.c). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/strv.h"

static void add_copies_only_len_bytes(void **state)
{
    (void)state;
    struct strv s = {0};
    char src[] = "backups/daily/";
    assert_int_equal(strv_add(&s, src + 8, 5), 0);
    assert_int_equal(strv_add(&s, src, 0), 0);
    assert_int_equal(s.n, 2);
    assert_string_equal(s.v[0], "daily");
    assert_string_equal(s.v[1], "");
    src[8] = 'X'; /* the list holds copies */
    assert_string_equal(s.v[0], "daily");
    strv_fini(&s);
}

static void grows_past_several_doublings(void **state)
{
    (void)state;
    struct strv s = {0};
    char name[16];
    for (int i = 0; i < 1000; i++) {
        int k = snprintf(name, sizeof name, "n%d", i);
        assert_int_equal(strv_add(&s, name, (size_t)k), 0);
        assert_true(s.n <= s.cap);
    }
    assert_int_equal(s.n, 1000);
    for (int i = 0; i < 1000; i++) {
        snprintf(name, sizeof name, "n%d", i);
        assert_string_equal(s.v[i], name);
    }
    strv_fini(&s);
}

static void sort_is_byte_order(void **state)
{
    (void)state;
    struct strv s = {0};
    static const char *const in[] = {"b", "a.b", "B", "a", "", "ab", "a-b", "\xc3\xa9"};
    static const char *const want[] = {"", "B", "a", "a-b", "a.b", "ab", "b", "\xc3\xa9"};
    for (size_t i = 0; i < sizeof in / sizeof *in; i++)
        assert_int_equal(strv_add(&s, in[i], strlen(in[i])), 0);
    strv_sort(&s);
    assert_int_equal(s.n, sizeof want / sizeof *want);
    for (size_t i = 0; i < s.n; i++)
        assert_string_equal(s.v[i], want[i]);
    strv_fini(&s);
}

static void cmp_sorts_plain_arrays(void **state)
{
    (void)state;
    const char *v[] = {"users", "clusters", "contexts"};
    qsort(v, 3, sizeof *v, strv_cmp);
    assert_string_equal(v[0], "clusters");
    assert_string_equal(v[1], "contexts");
    assert_string_equal(v[2], "users");
}

static void free_leaves_an_empty_reusable_list(void **state)
{
    (void)state;
    struct strv s = {0};
    assert_int_equal(strv_add(&s, "one", 3), 0);
    assert_int_equal(strv_add(&s, "two", 3), 0);
    strv_fini(&s);
    assert_null(s.v);
    assert_int_equal(s.n, 0);
    assert_int_equal(s.cap, 0);
    strv_fini(&s); /* twice is harmless */
    assert_int_equal(strv_add(&s, "three", 5), 0);
    assert_int_equal(s.n, 1);
    assert_string_equal(s.v[0], "three");
    strv_fini(&s);
}

static void sorting_an_empty_list_is_fine(void **state)
{
    (void)state;
    struct strv s = {0};
    strv_sort(&s); /* v is NULL */
    assert_null(s.v);
    assert_int_equal(s.n, 0);
    assert_int_equal(strv_add(&s, "x", 1), 0);
    strv_sort(&s); /* one string */
    assert_string_equal(s.v[0], "x");
    strv_fini(&s);
    strv_sort(&s); /* emptied again */
    assert_int_equal(s.n, 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(add_copies_only_len_bytes),
        cmocka_unit_test(grows_past_several_doublings),
        cmocka_unit_test(sort_is_byte_order),
        cmocka_unit_test(cmp_sorts_plain_arrays),
        cmocka_unit_test(free_leaves_an_empty_reusable_list),
        cmocka_unit_test(sorting_an_empty_list_is_fine),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
