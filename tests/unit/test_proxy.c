/* The proxy's pure pieces: path normalization and refusal (src/proxy/path.c),
 * duration flags, and the echo server's JSON (src/proxy/echo.c). The
 * connection machinery is tested through the real binary
 * (tests/integration/proxy_*.py). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <string.h>

#include "http/h1.h"
#include "proxy/echo.h"
#include "proxy/path.h"
#include "proxy/proxy.h"

/* The normalized form of <in>, or "REFUSED". */
static const char *norm(const char *in)
{
    static char out[256];
    ssize_t n = path_normalize(in, strlen(in), out, sizeof out - 1);
    if (n == -1)
        return "REFUSED";
    assert_true(n >= 0);
    assert_true((size_t)n <= strlen(in)); /* never longer */
    out[n] = '\0';
    return out;
}

static void clean_paths_take_the_fast_path(void **state)
{
    (void)state;
    static const char *const clean[] = {"/", "/foo", "/foo/bar/", "/a.b/c.d", "/a-b_c~d"};
    for (size_t i = 0; i < sizeof clean / sizeof clean[0]; i++) {
        assert_true(path_is_clean(clean[i], strlen(clean[i])));
        assert_string_equal(norm(clean[i]), clean[i]);
    }
    assert_false(path_is_clean("/.well", 6));
    assert_false(path_is_clean("/a//b", 5));
    assert_false(path_is_clean("/a%20b", 6));
    assert_false(path_is_clean("/a\\b", 4));
}

static void unreserved_escapes_are_decoded(void **state)
{
    (void)state;
    assert_string_equal(norm("/%61dmin"), "/admin");
    assert_string_equal(norm("/%41%5a%30%2D%5F%7E"), "/AZ0-_~");
    assert_string_equal(norm("/%7euser"), "/~user");
    assert_string_equal(norm("/a%2eb"), "/a.b"); /* a dot inside a segment is fine */
}

static void other_escapes_keep_with_upper_case_hex(void **state)
{
    (void)state;
    assert_string_equal(norm("/a%3ab"), "/a%3Ab");
    assert_string_equal(norm("/a%20b"), "/a%20b");
    assert_string_equal(norm("/%e2%82%ac"), "/%E2%82%AC");
    assert_string_equal(norm("/100%25"), "/100%25"); /* %25 is not decoded twice */
}

static void slashes_are_merged(void **state)
{
    (void)state;
    assert_string_equal(norm("//admin"), "/admin");
    assert_string_equal(norm("/a///b//"), "/a/b/");
}

static void dot_segments_are_refused(void **state)
{
    (void)state;
    static const char *const bad[] = {
        "/.",   "/..",      "/a/.",      "/a/..",    "/a/./b",   "/a/../b",  "/./a",
        "/%2e", "/%2E%2e/", "/a/.%2e/b", "/a/..;/b", "/a/.;x/b", "/a//../b", "/a/%2e%2e;p=1"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        assert_string_equal(norm(bad[i]), "REFUSED");
    assert_string_equal(norm("/a/.../b"), "/a/.../b");
    assert_string_equal(norm("/a/..b/.c"), "/a/..b/.c");
}

static void encoded_separators_and_bad_escapes_are_refused(void **state)
{
    (void)state;
    static const char *const bad[] = {"/a%2fb", "/a%2Fb", "/a%5cb", "/a%5Cb", "/a\\b",
                                      "/a%00b", "/a%zz",  "/a%4",   "/a%",    "/%g1"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        assert_string_equal(norm(bad[i]), "REFUSED");
}

static void small_output_is_reported(void **state)
{
    (void)state;
    char out[3];
    assert_int_equal(path_normalize("/abcd", 5, out, sizeof out), -2);
}

static void durations_read_like_go(void **state)
{
    (void)state;
    uint64_t ms;
    static const struct {
        const char *in;
        uint64_t ms;
    } ok[] = {{"60s", 60000}, {"500ms", 500}, {"1m30s", 90000}, {"2h", 7200000},
              {"1.5s", 1500}, {"10", 10000},  {"0", 0},         {"250us", 0}};
    for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++) {
        assert_int_equal(proxy_parse_duration(ok[i].in, &ms), 0);
        assert_int_equal(ms, ok[i].ms);
    }
    static const char *const bad[] = {"", "s", "10x", "-1s", "1s2", "abc"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        assert_int_equal(proxy_parse_duration(bad[i], &ms), -1);
}

static void echo_json_has_the_conformance_shape(void **state)
{
    (void)state;
    static const char req[] = "GET /x?y=1 HTTP/1.1\r\nhost: h.example\r\nx-b: 2\r\n"
                              "accept: */*\r\nX-B: 1\r\nx-q: \"\\\x7f\r\n\r\n";
    struct h1_parser p;
    struct h1_header hdrs[16];
    struct h1_msg m;
    h1_parser_init(&p, NULL);
    h1_msg_init(&m, hdrs, 16);
    assert_true(h1_parse_request(&p, &m, req, sizeof req - 1) == H1_ERROR); /* DEL in a value */
    static const char req2[] = "GET /x?y=1 HTTP/1.1\r\nhost: h.example\r\nx-b: 2\r\n"
                               "accept: */*\r\nX-B: 1\r\nx-q: \"\\<\r\n\r\n";
    h1_parser_init(&p, NULL);
    h1_msg_init(&m, hdrs, 16);
    assert_true(h1_parse_request(&p, &m, req2, sizeof req2 - 1) > 0);
    struct buf out = BUF_INIT;
    assert_int_equal(echo_json(&m, "ns", "svc", "pod", &out), 0);
    assert_string_equal(out.p, "{\"path\":\"/x?y=1\",\"host\":\"h.example\",\"method\":\"GET\","
                               "\"proto\":\"HTTP/1.1\",\"headers\":{\"Accept\":[\"*/*\"],"
                               "\"X-B\":[\"2\",\"1\"],\"X-Q\":[\"\\\"\\\\\\u003c\"]},"
                               "\"namespace\":\"ns\",\"service\":\"svc\",\"pod\":\"pod\"}\n");
    buf_fini(&out);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(clean_paths_take_the_fast_path),
        cmocka_unit_test(unreserved_escapes_are_decoded),
        cmocka_unit_test(other_escapes_keep_with_upper_case_hex),
        cmocka_unit_test(slashes_are_merged),
        cmocka_unit_test(dot_segments_are_refused),
        cmocka_unit_test(encoded_separators_and_bad_escapes_are_refused),
        cmocka_unit_test(small_output_is_reported),
        cmocka_unit_test(durations_read_like_go),
        cmocka_unit_test(echo_json_has_the_conformance_shape),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
