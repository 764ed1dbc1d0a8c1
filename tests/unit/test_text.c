/* core/text: the cached clock (the other helpers are exercised through
 * their parsers' tests). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include "core/text.h"

/* The clock prints the current UTC second in the given format, and a
 * zeroed clock prints at once (no stale empty string at second 0). */
static void clock_prints_the_current_second(void **state)
{
    (void)state;
    struct text_clock c;
    memset(&c, 0, sizeof c);
    time_t before = time(NULL);
    const char *s = text_clock_now(&c, "%Y-%m-%dT%H:%M:%SZ");
    time_t after = time(NULL);
    int found = 0;
    for (time_t t = before - 1; t <= after && !found; t++) {
        struct tm tm;
        char want[40];
        gmtime_r(&t, &tm);
        strftime(want, sizeof want, "%Y-%m-%dT%H:%M:%SZ", &tm);
        found = !strcmp(s, want);
    }
    assert_true(found);
    assert_ptr_equal(text_clock_now(&c, "%Y-%m-%dT%H:%M:%SZ"), c.buf);
}

/* A second that has already been formatted is not formatted again: the
 * cached text stands until the second changes. */
static void clock_formats_once_a_second(void **state)
{
    (void)state;
    struct text_clock c;
    memset(&c, 0, sizeof c);
    text_clock_now(&c, "%S");
    c.sec = time(NULL) + 3600; /* a second the real clock is not at */
    strcpy(c.buf, "cached");
    assert_string_not_equal(text_clock_now(&c, "%S"), "cached");
    /* Unless the second ticks in between (then try again), the text stays. */
    int kept = 0;
    for (int i = 0; i < 3 && !kept; i++) {
        text_clock_now(&c, "%S");
        time_t sec = c.sec;
        strcpy(c.buf, "cached");
        const char *s = text_clock_now(&c, "%S");
        kept = c.sec == sec && !strcmp(s, "cached");
        if (c.sec == sec)
            break;
    }
    assert_true(kept);
}

/* text_rfc3339_parse's result, or -99999 when it refuses <s>. */
static int64_t parsed(const char *s)
{
    int64_t t;
    return text_rfc3339_parse(s, &t) == 0 ? t : -99999;
}

static void rfc3339_both_ways(void **state)
{
    (void)state;
    assert_int_equal(parsed("1970-01-01T00:00:10Z"), 10);
    assert_int_equal(parsed("1970-01-01T01:00:10+01:00"), 10);
    assert_int_equal(parsed("1969-12-31T23:00:10-01:00"), 10);
    assert_int_equal(parsed("1970-01-01T00:00:10.123456Z"), 10);
    assert_int_equal(parsed("2009-10-12T17:50:30.000Z"), 1255369830);
    assert_int_equal(parsed("1969-12-31T23:59:50Z"), -10);
    assert_int_equal(parsed("2024-02-29t12:00:00z"), 1709208000);
    assert_int_equal(parsed("1970-01-01"), -99999);
    assert_int_equal(parsed("1970-01-01T00:00:10"), -99999);
    assert_int_equal(parsed("1970-01-01T00:00:10Zjunk"), -99999);
    assert_int_equal(parsed("1970-01-01T00:00:10+01"), -99999);
    assert_int_equal(parsed("1970-01-01T00:00:10+01:0"), -99999);
    assert_int_equal(parsed("1970-01-01T00:00:10+1:00"), -99999);
    assert_int_equal(parsed("1970-01-01T00:00:10.Z"), -99999);
    assert_int_equal(parsed("1970-13-01T00:00:10Z"), -99999);
    assert_int_equal(parsed("70-01-01T00:00:10Z"), -99999);
    assert_int_equal(parsed(""), -99999);
    assert_int_equal(parsed(NULL), -99999);
    char b[32];
    text_rfc3339(1255369830, b, sizeof b);
    assert_string_equal(b, "2009-10-12T17:50:30Z");
    assert_int_equal(parsed(b), 1255369830);
    text_rfc3339(0, b, sizeof b);
    assert_string_equal(b, "1970-01-01T00:00:00Z");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(clock_prints_the_current_second),
        cmocka_unit_test(clock_formats_once_a_second),
        cmocka_unit_test(rfc3339_both_ways),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
