/* HTTP/1.1 parser: requests, responses, chunked bodies, limits, smuggling
 * vectors. Every head is parsed three ways (one call; byte by byte in place;
 * byte by byte with the buffer moved before each call) and the three results
 * must agree, so each test also checks incremental parsing. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "core/buf.h"
#include "http/h1.h"
#include "http/h1_write.h"

#define MAXH 128

/* ---- harness ------------------------------------------------------------ */

struct outcome {
    int rc;
    int err;
    int status;
    uint32_t pos;
    struct h1_msg m;
    struct h1_header h[MAXH];
};

static int call(int response, int req_method, struct h1_parser *p, struct h1_msg *m,
                const char *buf, size_t len)
{
    return response ? h1_parse_response(p, m, buf, len, req_method)
                    : h1_parse_request(p, m, buf, len);
}

static void start(const struct h1_limits *lim, struct outcome *o, uint32_t cap, struct h1_parser *p)
{
    memset(o, 0, sizeof(*o));
    h1_parser_init(p, lim);
    h1_msg_init(&o->m, o->h, cap);
}

static void finish(struct outcome *o, const struct h1_parser *p, int rc)
{
    o->rc = rc;
    o->err = rc == H1_ERROR ? p->err : 0;
    o->status = rc == H1_ERROR ? p->status : 0;
    o->pos = p->pos;
}

static ptrdiff_t off(const char *p, const char *base)
{
    return p ? p - base : -1;
}

static void assert_slice_same(struct h1_slice a, const char *ab, struct h1_slice b, const char *bb)
{
    assert_int_equal(off(a.p, ab), off(b.p, bb));
    assert_int_equal(a.len, b.len);
}

/* <a> parsed <abase>, <b> parsed <bbase>: same result, same offsets. */
static void assert_same(const struct outcome *a, const char *abase, const struct outcome *b,
                        const char *bbase)
{
    assert_int_equal(a->rc, b->rc);
    assert_int_equal(a->err, b->err);
    assert_int_equal(a->status, b->status);
    if (a->rc == H1_ERROR)
        assert_int_equal(a->pos, b->pos); /* the same offending byte */
    if (a->rc < 0 && a->rc != H1_H2_PREFACE)
        return;
    const struct h1_msg *x = &a->m, *y = &b->m;
    assert_int_equal(x->head_len, y->head_len);
    if (a->rc == H1_H2_PREFACE)
        return;
    assert_int_equal(x->method, y->method);
    assert_int_equal(x->target_form, y->target_form);
    assert_slice_same(x->method_s, abase, y->method_s, bbase);
    assert_slice_same(x->target, abase, y->target, bbase);
    assert_slice_same(x->authority, abase, y->authority, bbase);
    assert_int_equal(x->status, y->status);
    assert_slice_same(x->reason, abase, y->reason, bbase);
    assert_int_equal(x->version, y->version);
    assert_int_equal(x->body, y->body);
    assert_int_equal(x->conn, y->conn);
    assert_int_equal(x->flags, y->flags);
    assert_int_equal(x->content_length, y->content_length);
    assert_slice_same(x->host, abase, y->host, bbase);
    assert_slice_same(x->upgrade, abase, y->upgrade, bbase);
    assert_int_equal(x->nheaders, y->nheaders);
    assert_int_equal(x->nskip, y->nskip);
    for (uint32_t i = 0; i < x->nheaders; i++) {
        assert_int_equal(off(x->headers[i].name, abase), off(y->headers[i].name, bbase));
        assert_int_equal(off(x->headers[i].value, abase), off(y->headers[i].value, bbase));
        assert_int_equal(x->headers[i].name_len, y->headers[i].name_len);
        assert_int_equal(x->headers[i].value_len, y->headers[i].value_len);
        assert_int_equal(x->headers[i].id, y->headers[i].id);
        assert_int_equal(x->headers[i].flags, y->headers[i].flags);
    }
}

/* Parses <raw> one-shot into *o (slices into <raw>), then incrementally, and
 * checks that the results agree. */
static void parse_full(int response, int req_method, const struct h1_limits *lim, uint32_t cap,
                       const char *raw, size_t n, struct outcome *o)
{
    struct h1_parser p;
    struct outcome *inc = malloc(sizeof(*inc));
    assert_non_null(inc);

    start(lim, o, cap, &p);
    finish(o, &p, call(response, req_method, &p, &o->m, raw, n));
    /* a finished parser repeats its answer */
    assert_int_equal(call(response, req_method, &p, &o->m, raw, n), o->rc);

    /* the SIMD fast paths change nothing */
    static const uint32_t variants[] = {H1_NO_AVX2, H1_NO_AVX2 | H1_NO_FAST_PATH};
    for (size_t v = 0; v < sizeof(variants) / sizeof(variants[0]); v++) {
        struct h1_limits l2 = lim ? *lim : (struct h1_limits){0};
        l2.flags |= variants[v];
        start(&l2, inc, cap, &p);
        finish(inc, &p, call(response, req_method, &p, &inc->m, raw, n));
        assert_same(o, raw, inc, raw);
    }

    /* byte by byte (in steps for big inputs), same buffer */
    size_t step = n > 4096 ? 61 : 1;
    start(lim, inc, cap, &p);
    int rc = H1_AGAIN;
    for (size_t i = step < n ? step : n;; i = i + step < n ? i + step : n) {
        rc = call(response, req_method, &p, &inc->m, raw, i);
        if (rc != H1_AGAIN || i == n)
            break;
        /* the parser resumes near the end of the data: no rescans */
        assert_true(p.pos + 10 >= i);
    }
    finish(inc, &p, rc);
    assert_same(o, raw, inc, raw);

    /* byte by byte, the buffer moved (and the old one freed) before each call */
    if (n <= 4096) {
        char *prev = NULL, *cur = NULL;
        start(lim, inc, cap, &p);
        for (size_t i = 1; i <= n; i++) {
            cur = malloc(i);
            assert_non_null(cur);
            memcpy(cur, raw, i);
            rc = call(response, req_method, &p, &inc->m, cur, i);
            free(prev);
            prev = cur;
            if (rc != H1_AGAIN)
                break;
        }
        if (n == 0) {
            rc = call(response, req_method, &p, &inc->m, raw, 0);
            cur = NULL;
        }
        finish(inc, &p, rc);
        assert_same(o, raw, inc, cur ? cur : raw);
        free(cur);
    }
    free(inc);
}

static void req(const char *raw, struct outcome *o)
{
    parse_full(0, 0, NULL, MAXH, raw, strlen(raw), o);
}

static void resp(const char *raw, int method, struct outcome *o)
{
    parse_full(1, method, NULL, MAXH, raw, strlen(raw), o);
}

static void assert_req_err(const char *raw, size_t n, int err, int status)
{
    struct outcome o;
    parse_full(0, 0, NULL, MAXH, raw, n, &o);
    if (o.rc != H1_ERROR || o.err != err || o.status != status)
        fail_msg("expected error %d (%s) status %d, got rc %d err %d (%s) status %d for \"%.*s\"",
                 err, h1_strerror(err), status, o.rc, o.err, h1_strerror(o.err), o.status, (int)n,
                 raw);
}

#define REJECT(raw, err) assert_req_err((raw), sizeof(raw) - 1, (err), 400)
#define REJECT_WITH(raw, err, status) assert_req_err((raw), sizeof(raw) - 1, (err), (status))
/* a literal with its length, NULs included */
#define LIT(s) s, sizeof(s) - 1

static void assert_resp_err(const char *raw, int method, int err)
{
    struct outcome o;
    resp(raw, method, &o);
    if (o.rc != H1_ERROR || o.err != err || o.status != 502)
        fail_msg("expected error %d (%s) / 502, got rc %d err %d (%s) for \"%s\"", err,
                 h1_strerror(err), o.rc, o.err, h1_strerror(o.err), raw);
}

static int slice_is(struct h1_slice s, const char *want)
{
    return s.p && s.len == strlen(want) && memcmp(s.p, want, s.len) == 0;
}

static int field_is(const struct h1_header *h, const char *name, const char *value)
{
    return h->name_len == strlen(name) && memcmp(h->name, name, h->name_len) == 0 &&
           h->value_len == strlen(value) && memcmp(h->value, value, h->value_len) == 0;
}

/* "GET / HTTP/1.1\r\nHost: h\r\n" + <extra> + "\r\n" */
static char *with_fields(const char *extra)
{
    static char b[4096];
    snprintf(b, sizeof(b), "GET / HTTP/1.1\r\nHost: h\r\n%s\r\n", extra);
    return b;
}

/* ---- request heads: what is accepted ------------------------------------- */

static void simple_get_fills_every_field(void **state)
{
    (void)state;
    static const char raw[] = "GET /index.html?q=1 HTTP/1.1\r\n"
                              "Host: example.com\r\n"
                              "User-Agent: curl/8.5.0\r\n"
                              "Accept: */*\r\n"
                              "\r\n";
    struct outcome o;
    req(raw, &o);
    assert_int_equal(o.rc, sizeof(raw) - 1);
    assert_int_equal(o.m.head_len, sizeof(raw) - 1);
    assert_int_equal(o.m.method, H1_M_GET);
    assert_true(slice_is(o.m.method_s, "GET"));
    assert_true(slice_is(o.m.target, "/index.html?q=1"));
    assert_int_equal(o.m.target_form, H1_T_ORIGIN);
    assert_null(o.m.authority.p);
    assert_int_equal(o.m.version, 1);
    assert_int_equal(o.m.nheaders, 3);
    assert_true(field_is(&o.m.headers[0], "Host", "example.com"));
    assert_true(field_is(&o.m.headers[1], "User-Agent", "curl/8.5.0"));
    assert_true(field_is(&o.m.headers[2], "Accept", "*/*"));
    assert_int_equal(o.m.headers[0].id, H1_H_HOST);
    assert_int_equal(o.m.headers[1].id, H1_H_OTHER);
    assert_true(slice_is(o.m.host, "example.com"));
    assert_int_equal(o.m.body, H1_BODY_NONE);
    assert_int_equal(o.m.flags, H1_MF_KEEP_ALIVE);
    assert_int_equal(o.m.nskip, 0);
}

static void known_methods_are_recognised_case_sensitively(void **state)
{
    (void)state;
    static const struct {
        const char *name;
        int id;
    } cases[] = {
        {"GET", H1_M_GET},        {"HEAD", H1_M_HEAD},      {"POST", H1_M_POST},
        {"PUT", H1_M_PUT},        {"DELETE", H1_M_DELETE},  {"OPTIONS", H1_M_OPTIONS},
        {"TRACE", H1_M_TRACE},    {"PATCH", H1_M_PATCH},    {"get", H1_M_OTHER},
        {"PROPFIND", H1_M_OTHER}, {"M-SEARCH", H1_M_OTHER}, {"X!#$%&'*+.^_`|~1", H1_M_OTHER},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        char raw[128];
        snprintf(raw, sizeof(raw), "%s / HTTP/1.1\r\nHost: h\r\n\r\n", cases[i].name);
        struct outcome o;
        req(raw, &o);
        assert_int_equal(o.rc, strlen(raw));
        assert_int_equal(o.m.method, cases[i].id);
        assert_true(slice_is(o.m.method_s, cases[i].name));
        if (cases[i].id)
            assert_string_equal(h1_method_name(cases[i].id), cases[i].name);
    }
    assert_null(h1_method_name(H1_M_OTHER));
}

static void field_values_are_trimmed_of_ows(void **state)
{
    (void)state;
    struct outcome o;
    req(with_fields("A:   x y  \t\r\n"
                    "B:\t\tz\r\n"
                    "C:\r\n"
                    "D:   \r\n"
                    "E:a\tb\r\n"),
        &o);
    assert_true(o.rc > 0);
    assert_int_equal(o.m.nheaders, 6);
    assert_true(field_is(&o.m.headers[1], "A", "x y"));
    assert_true(field_is(&o.m.headers[2], "B", "z"));
    assert_true(field_is(&o.m.headers[3], "C", ""));
    assert_true(field_is(&o.m.headers[4], "D", ""));
    assert_true(field_is(&o.m.headers[5], "E", "a\tb"));
}

static void long_field_lines_take_the_same_path_as_short_ones(void **state)
{
    (void)state;
    /* lines of every length around the 16/32/64-byte SIMD blocks */
    char extra[8192] = "";
    size_t n = 0;
    for (int len = 0; len < 140; len++) {
        n += (size_t)snprintf(extra + n, sizeof(extra) - n, "X-%d: ", len);
        for (int i = 0; i < len; i++)
            extra[n++] = (char)('a' + i % 26);
        n += (size_t)snprintf(extra + n, sizeof(extra) - n, "\r\n");
        if (len == 90)
            break;
    }
    struct outcome o;
    char *raw = malloc(n + 64);
    assert_non_null(raw);
    int hl = snprintf(raw, n + 64, "GET / HTTP/1.1\r\nHost: h\r\n%s\r\n", extra);
    parse_full(0, 0, NULL, MAXH, raw, (size_t)hl, &o);
    assert_int_equal(o.rc, hl);
    assert_int_equal(o.m.nheaders, 92);
    for (int len = 0; len <= 90; len++)
        assert_int_equal(o.m.headers[1 + len].value_len, len);
    free(raw);
}

static void obs_text_and_htab_are_allowed_in_values(void **state)
{
    (void)state;
    struct outcome o;
    req(with_fields("X: caf\xc3\xa9\tok\x80\xff\r\n"), &o);
    assert_true(o.rc > 0);
    assert_true(field_is(&o.m.headers[1], "X", "caf\xc3\xa9\tok\x80\xff"));
}

static void field_names_accept_every_tchar(void **state)
{
    (void)state;
    struct outcome o;
    req(with_fields("!#$%&'*+-.^_`|~09azAZ: v\r\nx_y: 1\r\n"), &o);
    assert_true(o.rc > 0);
    assert_true(field_is(&o.m.headers[1], "!#$%&'*+-.^_`|~09azAZ", "v"));
    assert_true(field_is(&o.m.headers[2], "x_y", "1"));
}

static void leading_empty_lines_are_skipped(void **state)
{
    (void)state;
    static const char raw[] = "\r\n\r\nGET / HTTP/1.1\r\nHost: h\r\n\r\n";
    struct outcome o;
    req(raw, &o);
    assert_int_equal(o.rc, sizeof(raw) - 1);
    assert_true(slice_is(o.m.method_s, "GET"));
    assert_int_equal(o.m.method_s.p - raw, 4);
}

static void pipelined_requests_are_found_by_head_length(void **state)
{
    (void)state;
    static const char raw[] = "GET /a HTTP/1.1\r\nHost: h\r\n\r\n"
                              "POST /b HTTP/1.1\r\nHost: h\r\nContent-Length: 3\r\n\r\nabc"
                              "GET /c HTTP/1.1\r\nHost: h\r\n\r\n";
    const char *p = raw;
    size_t left = sizeof(raw) - 1;
    const char *targets[] = {"/a", "/b", "/c"};
    for (int i = 0; i < 3; i++) {
        struct outcome o;
        parse_full(0, 0, NULL, MAXH, p, left, &o);
        assert_true(o.rc > 0);
        assert_true(slice_is(o.m.target, targets[i]));
        size_t body = o.m.body == H1_BODY_LENGTH ? (size_t)o.m.content_length : 0;
        p += (size_t)o.rc + body;
        left -= (size_t)o.rc + body;
    }
    assert_int_equal(left, 0);
}

static void http10_needs_no_host_and_closes_by_default(void **state)
{
    (void)state;
    struct outcome o;
    req("GET / HTTP/1.0\r\n\r\n", &o);
    assert_true(o.rc > 0);
    assert_int_equal(o.m.version, 0);
    assert_null(o.m.host.p);
    assert_int_equal(o.m.flags & H1_MF_KEEP_ALIVE, 0);

    req("GET / HTTP/1.0\r\nConnection: Keep-Alive\r\n\r\n", &o);
    assert_true(o.rc > 0);
    assert_int_equal(o.m.conn, H1_CONN_KEEP_ALIVE);
    assert_int_equal(o.m.flags & H1_MF_KEEP_ALIVE, H1_MF_KEEP_ALIVE);
}

static void connection_close_ends_keep_alive(void **state)
{
    (void)state;
    struct outcome o;
    req(with_fields("Connection: close\r\n"), &o);
    assert_true(o.rc > 0);
    assert_int_equal(o.m.conn, H1_CONN_CLOSE);
    assert_int_equal(o.m.flags & H1_MF_KEEP_ALIVE, 0);

    req(with_fields("Connection: keep-alive, CLOSE\r\n"), &o);
    assert_int_equal(o.m.conn, H1_CONN_CLOSE | H1_CONN_KEEP_ALIVE);
    assert_int_equal(o.m.flags & H1_MF_KEEP_ALIVE, 0);

    req("GET / HTTP/1.0\r\nConnection: keep-alive\r\nConnection: close\r\n\r\n", &o);
    assert_int_equal(o.m.flags & H1_MF_KEEP_ALIVE, 0);
}

static void connection_allows_empty_list_elements(void **state)
{
    (void)state;
    struct outcome o;
    req(with_fields("Connection: , close ,,\r\n"), &o);
    assert_true(o.rc > 0);
    assert_int_equal(o.m.conn, H1_CONN_CLOSE);
}

static void upgrade_needs_connection_option_and_http11(void **state)
{
    (void)state;
    struct outcome o;
    req(with_fields("Connection: Upgrade\r\nUpgrade: websocket\r\n"), &o);
    assert_true(o.rc > 0);
    assert_int_equal(o.m.flags & H1_MF_UPGRADE, H1_MF_UPGRADE);
    assert_true(slice_is(o.m.upgrade, "websocket"));

    req(with_fields("Upgrade: websocket\r\n"), &o);
    assert_int_equal(o.m.flags & H1_MF_UPGRADE, 0);
    assert_true(slice_is(o.m.upgrade, "websocket"));

    req("GET / HTTP/1.0\r\nConnection: upgrade\r\nUpgrade: websocket\r\n\r\n", &o);
    assert_true(o.rc > 0);
    assert_int_equal(o.m.flags & H1_MF_UPGRADE, 0);
}

static void expect_100_continue_is_reported_for_http11_only(void **state)
{
    (void)state;
    struct outcome o;
    req(with_fields("Expect: 100-Continue\r\nContent-Length: 10\r\n"), &o);
    assert_true(o.rc > 0);
    assert_int_equal(o.m.flags & (H1_MF_EXPECT_CONTINUE | H1_MF_EXPECT_OTHER),
                     H1_MF_EXPECT_CONTINUE);

    req(with_fields("Expect: something-else\r\n"), &o);
    assert_int_equal(o.m.flags & (H1_MF_EXPECT_CONTINUE | H1_MF_EXPECT_OTHER), H1_MF_EXPECT_OTHER);

    req("POST / HTTP/1.0\r\nExpect: 100-continue\r\nContent-Length: 1\r\n\r\n", &o);
    assert_true(o.rc > 0);
    assert_int_equal(o.m.flags & (H1_MF_EXPECT_CONTINUE | H1_MF_EXPECT_OTHER), 0);
}

static void hop_by_hop_and_framing_fields_are_flagged(void **state)
{
    (void)state;
    struct outcome o;
    req(with_fields("Connection: keep-alive, X-Secret, host, content-length\r\n"
                    "Keep-Alive: timeout=5\r\n"
                    "Proxy-Connection: keep-alive\r\n"
                    "TE: trailers\r\n"
                    "Upgrade: h2c\r\n"
                    "Transfer-Encoding: chunked\r\n"
                    "x-secret: 1\r\n"
                    "Trailer: X-Sum\r\n"
                    "Accept: */*\r\n"),
        &o);
    assert_true(o.rc > 0);
    const struct {
        const char *name;
        uint8_t flags;
    } want[] = {
        {"Host", 0},
        {"Connection", H1_HF_HOP},
        {"Keep-Alive", H1_HF_HOP},
        {"Proxy-Connection", H1_HF_HOP},
        {"TE", H1_HF_HOP},
        {"Upgrade", H1_HF_HOP},
        {"Transfer-Encoding", H1_HF_FRAMING},
        {"x-secret", H1_HF_HOP}, /* named in Connection */
        {"Trailer", 0},
        {"Accept", 0},
    };
    assert_int_equal(o.m.nheaders, sizeof(want) / sizeof(want[0]));
    for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
        assert_int_equal(o.m.headers[i].name_len, strlen(want[i].name));
        assert_memory_equal(o.m.headers[i].name, want[i].name, strlen(want[i].name));
        if (o.m.headers[i].flags != want[i].flags)
            fail_msg("%s: flags %d, want %d", want[i].name, o.m.headers[i].flags, want[i].flags);
    }
    assert_int_equal(o.m.nskip, 7);
    assert_int_equal(o.m.conn, H1_CONN_KEEP_ALIVE | H1_CONN_OTHER);
    assert_int_equal(o.m.flags & H1_MF_TRAILER, H1_MF_TRAILER);
}

static void content_length_sets_length_framing(void **state)
{
    (void)state;
    struct outcome o;
    req(with_fields("Content-Length: 42\r\n"), &o);
    assert_true(o.rc > 0);
    assert_int_equal(o.m.body, H1_BODY_LENGTH);
    assert_int_equal(o.m.content_length, 42);
    assert_int_equal(o.m.headers[1].flags, H1_HF_FRAMING);

    req(with_fields("Content-Length: 0\r\n"), &o);
    assert_int_equal(o.m.body, H1_BODY_LENGTH);
    assert_int_equal(o.m.content_length, 0);

    req(with_fields("Content-Length: 00000000000000000000000000007\r\n"), &o);
    assert_int_equal(o.m.content_length, 7);

    req(with_fields("Content-Length: 9223372036854775807\r\n"), &o);
    assert_true(o.rc > 0);
    assert_int_equal(o.m.content_length, UINT64_C(9223372036854775807));
}

static void identical_content_lengths_are_accepted(void **state)
{
    (void)state;
    struct outcome o;
    req(with_fields("Content-Length: 5\r\nContent-Length: 5\r\n"), &o);
    assert_true(o.rc > 0);
    assert_int_equal(o.m.content_length, 5);
    req(with_fields("Content-Length: 5, 5\r\n"), &o);
    assert_true(o.rc > 0);
    assert_int_equal(o.m.content_length, 5);
    req(with_fields("Content-Length: 5,5 ,  5\r\ncontent-length: 5\r\n"), &o);
    assert_true(o.rc > 0);
    assert_int_equal(o.m.body, H1_BODY_LENGTH);
}

static void chunked_sets_chunked_framing(void **state)
{
    (void)state;
    struct outcome o;
    req(with_fields("Transfer-Encoding: chunked\r\n"), &o);
    assert_true(o.rc > 0);
    assert_int_equal(o.m.body, H1_BODY_CHUNKED);
    req(with_fields("transfer-encoding:  CHUNKED \r\n"), &o);
    assert_true(o.rc > 0);
    assert_int_equal(o.m.body, H1_BODY_CHUNKED);
}

static void host_forms_are_accepted(void **state)
{
    (void)state;
    const char *hosts[] = {"example.com",
                           "example.com:8080",
                           "127.0.0.1:80",
                           "[::1]",
                           "[2001:db8::1]:443",
                           "xn--bcher-kva.example",
                           "a%20b",
                           "",
                           "h:",
                           "_srv.local"};
    for (size_t i = 0; i < sizeof(hosts) / sizeof(hosts[0]); i++) {
        char raw[256];
        snprintf(raw, sizeof(raw), "GET / HTTP/1.1\r\nHost: %s\r\n\r\n", hosts[i]);
        struct outcome o;
        req(raw, &o);
        if (o.rc != (int)strlen(raw))
            fail_msg("host \"%s\": %s", hosts[i], h1_strerror(o.err));
        assert_true(slice_is(o.m.host, hosts[i]) || (!*hosts[i] && o.m.host.len == 0));
    }
}

static void absolute_form_exposes_authority(void **state)
{
    (void)state;
    struct outcome o;
    req("GET http://example.com:8080/a?b HTTP/1.1\r\nHost: other\r\n\r\n", &o);
    assert_true(o.rc > 0);
    assert_int_equal(o.m.target_form, H1_T_ABSOLUTE);
    assert_true(slice_is(o.m.authority, "example.com:8080"));
    assert_true(slice_is(o.m.host, "other"));

    req("GET HTTPS://Example.COM HTTP/1.1\r\nHost: x\r\n\r\n", &o);
    assert_true(o.rc > 0);
    assert_true(slice_is(o.m.authority, "Example.COM"));

    req("GET http://h?x HTTP/1.1\r\nHost: x\r\n\r\n", &o);
    assert_true(slice_is(o.m.authority, "h"));
}

static void connect_takes_authority_form(void **state)
{
    (void)state;
    struct outcome o;
    req("CONNECT example.com:443 HTTP/1.1\r\nHost: example.com:443\r\n\r\n", &o);
    assert_true(o.rc > 0);
    assert_int_equal(o.m.method, H1_M_CONNECT);
    assert_int_equal(o.m.target_form, H1_T_AUTHORITY);
    assert_true(slice_is(o.m.authority, "example.com:443"));
}

static void options_takes_asterisk_form(void **state)
{
    (void)state;
    struct outcome o;
    req("OPTIONS * HTTP/1.1\r\nHost: h\r\n\r\n", &o);
    assert_true(o.rc > 0);
    assert_int_equal(o.m.target_form, H1_T_ASTERISK);
}

static void target_keeps_every_visible_character_but_hash(void **state)
{
    (void)state;
    struct outcome o;
    req("GET /a-z_0~9!$&'()*+,;=:@/?q=\"<>[\\]^`{|}%20 HTTP/1.1\r\nHost: h\r\n\r\n", &o);
    assert_true(o.rc > 0);
    assert_true(slice_is(o.m.target, "/a-z_0~9!$&'()*+,;=:@/?q=\"<>[\\]^`{|}%20"));
}

static void raw_utf8_target_needs_the_lax_flag(void **state)
{
    (void)state;
    static const char raw[] =
        "GET /caf\xc3\xa9/and/more/bytes/than/sixteen HTTP/1.1\r\nHost: h\r\n\r\n";
    assert_req_err(raw, sizeof(raw) - 1, H1_E_TARGET, 400);
    struct h1_limits lim = {0};
    lim.flags = H1_ALLOW_8BIT_TARGET;
    struct outcome o;
    parse_full(0, 0, &lim, MAXH, raw, sizeof(raw) - 1, &o);
    assert_int_equal(o.rc, sizeof(raw) - 1);
    /* DEL stays refused */
    static const char del[] = "GET /caf\x7f HTTP/1.1\r\nHost: h\r\n\r\n";
    parse_full(0, 0, &lim, MAXH, del, sizeof(del) - 1, &o);
    assert_int_equal(o.rc, H1_ERROR);
    assert_int_equal(o.err, H1_E_TARGET);
}

static void h2_preface_is_reported_apart(void **state)
{
    (void)state;
    static const char raw[] = "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n\x00\x00\x12\x04";
    struct outcome o;
    parse_full(0, 0, NULL, MAXH, raw, sizeof(raw) - 1, &o);
    assert_int_equal(o.rc, H1_H2_PREFACE);
    assert_int_equal(o.m.head_len, 24);

    parse_full(0, 0, NULL, MAXH, raw, 20, &o);
    assert_int_equal(o.rc, H1_AGAIN);

    REJECT("PRI * HTTP/2.0\r\n\r\nXX\r\n\r\n", H1_E_PREFACE);
    REJECT("PRI * HTTP/1.1\r\nHost: h\r\n\r\n", H1_E_TARGET);
    REJECT("\r\nPRI * HTTP/2.0\r\n\r\nSM\r\n\r\n", H1_E_TARGET);
}

static void trailer_field_announcement_is_flagged(void **state)
{
    (void)state;
    struct outcome o;
    req(with_fields("Transfer-Encoding: chunked\r\nTrailer: Expires\r\n"), &o);
    assert_int_equal(o.m.flags & H1_MF_TRAILER, H1_MF_TRAILER);
}

/* ---- request heads: what is rejected ------------------------------------- */

static void content_length_with_transfer_encoding_is_400(void **state)
{
    (void)state;
    REJECT("POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n",
           H1_E_CL_AND_TE);
    REJECT("POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\nContent-Length: 0\r\n\r\n",
           H1_E_CL_AND_TE);
}

static void differing_content_lengths_are_400(void **state)
{
    (void)state;
    REJECT("POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\n",
           H1_E_CL_MISMATCH);
    REJECT("POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 5, 6\r\n\r\n", H1_E_CL_MISMATCH);
    REJECT("POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 5\r\nContent-Length: 5, 50\r\n\r\n",
           H1_E_CL_MISMATCH);
}

static void content_length_must_be_digits(void **state)
{
    (void)state;
    const char *bad[] = {"+5",
                         "-5",
                         "5 5",
                         "",
                         "0x5",
                         "5a",
                         " ",
                         "5,",
                         ",5",
                         "5,,5",
                         "1e3",
                         "5.0",
                         "\"5\"",
                         "9223372036854775808",
                         "18446744073709551616",
                         "99999999999999999999999"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        char raw[256];
        int n = snprintf(raw, sizeof(raw),
                         "POST / HTTP/1.1\r\nHost: h\r\nContent-Length: %s\r\n\r\n", bad[i]);
        assert_req_err(raw, (size_t)n, H1_E_CL_INVALID, 400);
    }
}

static void transfer_encoding_other_than_final_chunked_is_refused(void **state)
{
    (void)state;
    static const struct {
        const char *te;
        int err;
        int status;
    } cases[] = {
        {"chunked, gzip", H1_E_TE_INVALID, 400},
        {"identity", H1_E_TE_INVALID, 400},
        {"gzip", H1_E_TE_INVALID, 400},
        {"chunked;x", H1_E_TE_INVALID, 400},
        {"chunked; q=1", H1_E_TE_INVALID, 400},
        {"xchunked", H1_E_TE_INVALID, 400},
        {"chunkedx", H1_E_TE_INVALID, 400},
        {"chunked, chunked", H1_E_TE_INVALID, 400},
        {", chunked", H1_E_TE_INVALID, 400},
        {"chunked,", H1_E_TE_INVALID, 400},
        {"", H1_E_TE_INVALID, 400},
        {"\"chunked\"", H1_E_TE_INVALID, 400},
        {"chunked chunked", H1_E_TE_INVALID, 400},
        {"gzip, chunked", H1_E_TE_UNSUPP, 501},
        {"deflate,chunked", H1_E_TE_UNSUPP, 501},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        char raw[256];
        int n =
            snprintf(raw, sizeof(raw),
                     "POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: %s\r\n\r\n", cases[i].te);
        assert_req_err(raw, (size_t)n, cases[i].err, cases[i].status);
    }
}

static void transfer_encoding_across_fields_is_one_list(void **state)
{
    (void)state;
    REJECT("POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n"
           "Transfer-Encoding: chunked\r\n\r\n",
           H1_E_TE_INVALID);
    REJECT("POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n"
           "Transfer-Encoding: gzip\r\n\r\n",
           H1_E_TE_INVALID);
    REJECT_WITH("POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: gzip\r\n"
                "Transfer-Encoding: chunked\r\n\r\n",
                H1_E_TE_UNSUPP, 501);
}

static void transfer_encoding_in_http10_is_400(void **state)
{
    (void)state;
    REJECT("POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n", H1_E_TE_HTTP10);
}

static void obs_fold_is_400(void **state)
{
    (void)state;
    REJECT("GET / HTTP/1.1\r\nHost: h\r\nX: a\r\n b\r\n\r\n", H1_E_OBS_FOLD);
    REJECT("GET / HTTP/1.1\r\nHost: h\r\nX: a\r\n\tb\r\n\r\n", H1_E_OBS_FOLD);
    /* whitespace between the start line and the first field (RFC 9112 2.2) */
    REJECT("GET / HTTP/1.1\r\n Host: h\r\n\r\n", H1_E_OBS_FOLD);
}

static void bare_cr_is_400(void **state)
{
    (void)state;
    REJECT("GET / HTTP/1.1\r\nHost: a\r\n\rX", H1_E_BARE_CR);
    REJECT("GET / HTTP/1.1\r\nHost: h\r\nX: a\rb\r\n\r\n", H1_E_BARE_CR);
    REJECT("GET / HTTP/1.1\rHost: h\r\n\r\n", H1_E_BARE_CR);
    REJECT("GET / HTTP/1.1\r\nHost: h\r\nX: a\r\r\n\r\n", H1_E_BARE_CR);
    REJECT("\rGET / HTTP/1.1\r\nHost: h\r\n\r\n", H1_E_BARE_CR);
    REJECT("GET /\r HTTP/1.1\r\nHost: h\r\n\r\n", H1_E_TARGET);
    REJECT("GET / HTTP/1.1\r\nHost: h\r\nX\r: a\r\n\r\n", H1_E_NAME);
}

static void bare_lf_is_400(void **state)
{
    (void)state;
    REJECT("GET / HTTP/1.1\nHost: h\r\n\r\n", H1_E_BARE_LF);
    REJECT("GET / HTTP/1.1\r\nHost: h\n\r\n", H1_E_BARE_LF);
    REJECT("GET / HTTP/1.1\r\nHost: h\r\n\n", H1_E_BARE_LF);
    REJECT("\nGET / HTTP/1.1\r\nHost: h\r\n\r\n", H1_E_BARE_LF);
    REJECT("GET / HTTP/1.1\r\nHost: h\r\nX: a\nY: b\r\n\r\n", H1_E_BARE_LF);
}

static void invalid_field_names_are_400(void **state)
{
    (void)state;
    const char *bad[] = {"X@Y: 1\r\n",   "X(Y): 1\r\n",  ": 1\r\n",     "X\"Y: 1\r\n",
                         "\x80X: 1\r\n", "X\x80: 1\r\n", "NoColon\r\n", "X/Y: 1\r\n",
                         "[X]: 1\r\n",   "X\x7f: 1\r\n", "X;Y: 1\r\n"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        char *raw = with_fields(bad[i]);
        assert_req_err(raw, strlen(raw), H1_E_NAME, 400);
    }
}

static void whitespace_before_colon_is_400(void **state)
{
    (void)state;
    REJECT("GET / HTTP/1.1\r\nHost : h\r\n\r\n", H1_E_NAME_WS);
    REJECT("GET / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding : chunked\r\n\r\n", H1_E_NAME_WS);
    REJECT("GET / HTTP/1.1\r\nHost: h\r\nContent-Length\t: 5\r\n\r\n", H1_E_NAME_WS);
    REJECT("GET / HTTP/1.1\r\nHost: h\r\nX Y: 1\r\n\r\n", H1_E_NAME_WS);
}

static void control_characters_in_values_are_400(void **state)
{
    (void)state;
    for (int c = 0; c < 0x20; c++) {
        if (c == '\t' || c == '\r' || c == '\n')
            continue;
        char raw[64];
        size_t len = (size_t)snprintf(raw, sizeof(raw), "GET / HTTP/1.1\r\nHost: h\r\nX: a");
        raw[len++] = (char)c;
        memcpy(raw + len, "b\r\n\r\n", 5);
        len += 5;
        assert_req_err(raw, len, H1_E_VALUE, 400);
    }
    REJECT("GET / HTTP/1.1\r\nHost: h\r\nX: a\x7f\r\n\r\n", H1_E_VALUE);
    /* the \x0b of the "chunked\x0b" smuggling vector */
    REJECT("POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\x0b\r\n\r\n", H1_E_VALUE);
    REJECT("POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: \x0b"
           "chunked\r\n\r\n",
           H1_E_VALUE);
}

static void nul_bytes_are_400_everywhere(void **state)
{
    (void)state;
    static const char raw[] = "GET /x HTTP/1.1\r\nHost: h\r\nX-Long-Name: value\r\n\r\n";
    size_t n = sizeof(raw) - 1;
    char buf[sizeof(raw)];
    for (size_t i = 0; i < n - 2; i++) {
        memcpy(buf, raw, n);
        buf[i] = '\0';
        struct outcome o;
        parse_full(0, 0, NULL, MAXH, buf, n, &o);
        if (o.rc != H1_ERROR || o.status != 400)
            fail_msg("NUL at %zu: rc %d", i, o.rc);
    }
}

static void invalid_methods_are_400(void **state)
{
    (void)state;
    REJECT("GE(T / HTTP/1.1\r\nHost: h\r\n\r\n", H1_E_METHOD);
    REJECT(" GET / HTTP/1.1\r\nHost: h\r\n\r\n", H1_E_METHOD);
    REJECT("GET\t/ HTTP/1.1\r\nHost: h\r\n\r\n", H1_E_METHOD);
    REJECT("G\x80T / HTTP/1.1\r\nHost: h\r\n\r\n", H1_E_METHOD);
    REJECT("GET/ HTTP/1.1\r\nHost: h\r\n\r\n", H1_E_METHOD);
}

static void invalid_targets_are_400(void **state)
{
    (void)state;
    REJECT("GET  / HTTP/1.1\r\nHost: h\r\n\r\n", H1_E_TARGET);
    REJECT("GET /a#frag HTTP/1.1\r\nHost: h\r\n\r\n", H1_E_TARGET);
    REJECT("GET /a\x7f HTTP/1.1\r\nHost: h\r\n\r\n", H1_E_TARGET);
    REJECT("GET /a\x01 HTTP/1.1\r\nHost: h\r\n\r\n", H1_E_TARGET);
    REJECT("GET /a\tb HTTP/1.1\r\nHost: h\r\n\r\n", H1_E_TARGET);
    REJECT("GET relative HTTP/1.1\r\nHost: h\r\n\r\n", H1_E_TARGET);
    REJECT("GET * HTTP/1.1\r\nHost: h\r\n\r\n", H1_E_TARGET);
    REJECT("CONNECT / HTTP/1.1\r\nHost: h\r\n\r\n", H1_E_TARGET);
    REJECT("CONNECT example.com HTTP/1.1\r\nHost: h\r\n\r\n", H1_E_TARGET);
    REJECT("CONNECT :443 HTTP/1.1\r\nHost: h\r\n\r\n", H1_E_TARGET);
    REJECT("GET http://user@h/ HTTP/1.1\r\nHost: h\r\n\r\n", H1_E_TARGET);
    REJECT("GET http:///x HTTP/1.1\r\nHost: h\r\n\r\n", H1_E_TARGET);
    REJECT("GET ftp://h/x HTTP/1.1\r\nHost: h\r\n\r\n", H1_E_TARGET);
    REJECT("GET /\r\n\r\n", H1_E_TARGET); /* HTTP/0.9 */
}

static void bad_versions_are_400_or_505(void **state)
{
    (void)state;
    REJECT("GET / http/1.1\r\nHost: h\r\n\r\n", H1_E_VERSION);
    REJECT("GET / HTTP/1.1 \r\nHost: h\r\n\r\n", H1_E_VERSION);
    REJECT("GET / HTTP/1\r\nHost: h\r\n\r\n", H1_E_VERSION);
    REJECT("GET / HTTP/11.1\r\nHost: h\r\n\r\n", H1_E_VERSION);
    REJECT("GET / HTTP/1.10\r\nHost: h\r\n\r\n", H1_E_VERSION);
    REJECT("GET / HTTP/1.x\r\nHost: h\r\n\r\n", H1_E_VERSION);
    REJECT("GET / HTTP\\1.1\r\nHost: h\r\n\r\n", H1_E_VERSION);
    REJECT("GET / / HTTP/1.1\r\nHost: h\r\n\r\n", H1_E_VERSION);
    REJECT("GET /a b HTTP/1.1\r\nHost: h\r\n\r\n", H1_E_VERSION);
    REJECT_WITH("GET / HTTP/2.0\r\nHost: h\r\n\r\n", H1_E_VERSION_UNSUPP, 505);
    REJECT_WITH("GET / HTTP/0.9\r\nHost: h\r\n\r\n", H1_E_VERSION_UNSUPP, 505);
    REJECT_WITH("GET / HTTP/1.2\r\nHost: h\r\n\r\n", H1_E_VERSION_UNSUPP, 505);
    /* a short bad request is answered, not waited on */
    REJECT("GET / XYZ\r\n\r\n", H1_E_VERSION);
}

static void host_must_appear_once_in_http11(void **state)
{
    (void)state;
    REJECT("GET / HTTP/1.1\r\n\r\n", H1_E_HOST_MISSING);
    REJECT("GET / HTTP/1.1\r\nHost: a\r\nHost: a\r\n\r\n", H1_E_HOST_DUP);
    REJECT("GET / HTTP/1.0\r\nHost: a\r\nhost: b\r\n\r\n", H1_E_HOST_DUP);
}

static void invalid_host_values_are_400(void **state)
{
    (void)state;
    const char *bad[] = {"a b",     "a/b",   "a@b",   "[::1",    "[]",   "a:b", "a:123456",
                         "a:65536", "a:1:2", "%zz",   "a%2",     "a\\b", "a?b", "a#b",
                         "[::1]x",  "\"a\"", "a,b c", "[::1]:x", "<a>"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        char raw[256];
        int n = snprintf(raw, sizeof(raw), "GET / HTTP/1.1\r\nHost: %s\r\n\r\n", bad[i]);
        assert_req_err(raw, (size_t)n, H1_E_HOST_INVALID, 400);
    }
}

static void invalid_connection_values_are_400(void **state)
{
    (void)state;
    REJECT("GET / HTTP/1.1\r\nHost: h\r\nConnection: close, a b\r\n\r\n", H1_E_CONNECTION);
    REJECT("GET / HTTP/1.1\r\nHost: h\r\nConnection: \"close\"\r\n\r\n", H1_E_CONNECTION);
}

/* Request-smuggling vectors from public research (PortSwigger's "HTTP
 * Desync Attacks", the chunk-extension and line-terminator write-ups,
 * HAProxy and llhttp advisories): each is refused with 400. The two with
 * error 0 are the harmless look-alikes, which must still be accepted. */
static void smuggling_vectors_are_refused(void **state)
{
    (void)state;
    static const struct {
        const char *raw;
        size_t len;
        int err;
    } v[] = {
        {LIT("POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding : chunked\r\n\r\n"), H1_E_NAME_WS},
        {LIT("POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: xchunked\r\n\r\n"), H1_E_TE_INVALID},
        {LIT("POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding:\tchunked\r\nContent-Length: "
             "4\r\n\r\n"),
         H1_E_CL_AND_TE},
        {LIT("POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding\r\n : chunked\r\n\r\n"), H1_E_NAME},
        {LIT("POST / HTTP/1.1\r\nHost: h\r\nX: y\r\nTransfer-Encoding: chunked\r\n\r\n"
             "0\r\n\r\n"),
         0},
        {LIT("POST / HTTP/1.1\r\nHost: h\r\nContent-Length: +5\r\n\r\n"), H1_E_CL_INVALID},
        {LIT("POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\n"),
         H1_E_CL_MISMATCH},
        {LIT("POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\x0b\r\n\r\n"), H1_E_VALUE},
        {LIT("POST / HTTP/1.1\r\nHost: h\r\n Transfer-Encoding: chunked\r\n\r\n"), H1_E_OBS_FOLD},
        {LIT("POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n"
             "Transfer-Encoding: x\r\n\r\n"),
         H1_E_TE_INVALID},
        {LIT("POST / HTTP/1.1\r\nHost: h\r\nTransfer_Encoding: chunked\r\nContent-Length: "
             "3\r\n\r\n"),
         0},
        {LIT("GET / HTTP/1.1\r\nHost: a\r\n\rX"), H1_E_BARE_CR},
        {LIT("GET / HTTP/1.1\r\nHost: h\r\nContent-Length:\r\n\r\n"), H1_E_CL_INVALID},
        {LIT("GET / HTTP/1.1\r\nHost: h\r\nContent-Length: 0\x00\r\n\r\n"), H1_E_VALUE},
        {LIT("GET / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked, identity\r\n\r\n"),
         H1_E_TE_INVALID},
        {LIT("GET / HTTP/1.1\r\nHost: h\r\nContent-Length: 1_0\r\n\r\n"), H1_E_CL_INVALID},
    };
    for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
        struct outcome o;
        parse_full(0, 0, NULL, MAXH, v[i].raw, v[i].len, &o);
        if (v[i].err == 0) {
            if (o.rc <= 0)
                fail_msg("vector %zu: rejected (%s)", i, h1_strerror(o.err));
            continue;
        }
        if (o.rc != H1_ERROR || o.err != v[i].err || o.status != 400)
            fail_msg("vector %zu: rc %d err %s, want %s", i, o.rc, h1_strerror(o.err),
                     h1_strerror(v[i].err));
    }
}

static void small_header_array_caps_field_count(void **state)
{
    (void)state;
    static const char raw[] = "GET / HTTP/1.1\r\nHost: h\r\nA: 1\r\nB: 2\r\n\r\n";
    struct outcome o;
    parse_full(0, 0, NULL, 3, raw, sizeof(raw) - 1, &o);
    assert_int_equal(o.rc, sizeof(raw) - 1);
    parse_full(0, 0, NULL, 2, raw, sizeof(raw) - 1, &o);
    assert_int_equal(o.rc, H1_ERROR);
    assert_int_equal(o.err, H1_E_HEADERS_MANY);
    assert_int_equal(o.status, 431);
}

/* ---- limits ---------------------------------------------------------------- */

/* A request line of exactly <n> bytes, CRLF included. */
static char *request_line_of(size_t n, const char *rest)
{
    size_t rl = strlen(rest);
    char *b = malloc(n + rl + 1);
    assert_non_null(b);
    memcpy(b, "GET /", 5);
    memset(b + 5, 'a', n - 5 - 11);
    memcpy(b + n - 11, " HTTP/1.1\r\n", 11);
    memcpy(b + n, rest, rl + 1);
    return b;
}

static void request_line_at_limit_is_accepted(void **state)
{
    (void)state;
    char *raw = request_line_of(H1_MAX_START_LINE_DEFAULT, "Host: h\r\n\r\n");
    struct outcome o;
    parse_full(0, 0, NULL, MAXH, raw, strlen(raw), &o);
    assert_int_equal(o.rc, strlen(raw));
    assert_int_equal(o.m.target.len, H1_MAX_START_LINE_DEFAULT - 4 - 11);
    free(raw);
}

static void request_line_over_limit_is_414(void **state)
{
    (void)state;
    char *raw = request_line_of(H1_MAX_START_LINE_DEFAULT + 1, "Host: h\r\n\r\n");
    assert_req_err(raw, strlen(raw), H1_E_START_LINE_LONG, 414);
    free(raw);
}

static void endless_request_line_is_414_before_it_ends(void **state)
{
    (void)state;
    size_t n = H1_MAX_START_LINE_DEFAULT + 1;
    char *raw = malloc(n);
    assert_non_null(raw);
    memcpy(raw, "GET /", 5);
    memset(raw + 5, 'a', n - 5);
    assert_req_err(raw, n, H1_E_START_LINE_LONG, 414);
    struct outcome o;
    parse_full(0, 0, NULL, MAXH, raw, n - 1, &o); /* at the limit: still waiting */
    assert_int_equal(o.rc, H1_AGAIN);
    free(raw);
}

static void leading_empty_lines_count_against_the_start_line_limit(void **state)
{
    (void)state;
    struct h1_limits lim = {.max_start_line = 32};
    static const char ok[] = "\r\n\r\nGET /aaaaaaaaaaaa HTTP/1.1\r\nHost: h\r\n\r\n"; /* 4 + 28 */
    static const char bad[] = "\r\n\r\n\r\nGET /aaaaaaaaaaaa HTTP/1.1\r\nHost: h\r\n\r\n";
    struct outcome o;
    parse_full(0, 0, &lim, MAXH, ok, sizeof(ok) - 1, &o);
    assert_int_equal(o.rc, sizeof(ok) - 1);
    parse_full(0, 0, &lim, MAXH, bad, sizeof(bad) - 1, &o);
    assert_int_equal(o.rc, H1_ERROR);
    assert_int_equal(o.status, 414);
}

/* Request line + a header section of exactly <size> bytes (final CRLF
 * included), made of one Host line and one long X line. */
static char *header_section_of(size_t size, size_t *len)
{
    static const char rl[] = "GET / HTTP/1.1\r\n";
    static const char host[] = "Host: h\r\n";
    size_t fixed = sizeof(host) - 1 + 5 + 2 + 2; /* "X: " ... CRLF, final CRLF */
    size_t vlen = size - fixed + 2;
    char *b = malloc(sizeof(rl) + size + 16);
    assert_non_null(b);
    size_t n = 0;
    memcpy(b, rl, sizeof(rl) - 1);
    n += sizeof(rl) - 1;
    memcpy(b + n, host, sizeof(host) - 1);
    n += sizeof(host) - 1;
    memcpy(b + n, "X: ", 3);
    n += 3;
    memset(b + n, 'v', vlen);
    n += vlen;
    memcpy(b + n, "\r\n\r\n", 4);
    n += 4;
    b[n] = '\0';
    assert_int_equal(n - (sizeof(rl) - 1), size);
    *len = n;
    return b;
}

static void header_section_at_limit_is_accepted(void **state)
{
    (void)state;
    size_t n;
    char *raw = header_section_of(H1_MAX_HEADER_BYTES_DEFAULT, &n);
    struct outcome o;
    parse_full(0, 0, NULL, MAXH, raw, n, &o);
    assert_int_equal(o.rc, n);
    free(raw);
}

static void header_section_over_limit_is_431(void **state)
{
    (void)state;
    size_t n;
    char *raw = header_section_of(H1_MAX_HEADER_BYTES_DEFAULT + 1, &n);
    assert_req_err(raw, n, H1_E_HEADERS_LARGE, 431);
    free(raw);
}

static void endless_field_is_431_before_it_ends(void **state)
{
    (void)state;
    /* slowloris: one field value that never ends */
    static const char rl[] = "GET / HTTP/1.1\r\nHost: h\r\nX: ";
    size_t n = 16 + H1_MAX_HEADER_BYTES_DEFAULT + 1;
    char *raw = malloc(n);
    assert_non_null(raw);
    memcpy(raw, rl, sizeof(rl) - 1);
    memset(raw + sizeof(rl) - 1, 'v', n - (sizeof(rl) - 1));
    assert_req_err(raw, n, H1_E_HEADERS_LARGE, 431);
    struct outcome o;
    parse_full(0, 0, NULL, MAXH, raw, n - 1, &o);
    assert_int_equal(o.rc, H1_AGAIN);
    free(raw);
}

static char *fields_n(int count)
{
    char *b = malloc((size_t)count * 16 + 64);
    assert_non_null(b);
    size_t n = (size_t)sprintf(b, "GET / HTTP/1.1\r\nHost: h\r\n");
    for (int i = 1; i < count; i++)
        n += (size_t)sprintf(b + n, "X%d: %d\r\n", i, i);
    sprintf(b + n, "\r\n");
    return b;
}

static void field_count_at_limit_is_accepted(void **state)
{
    (void)state;
    char *raw = fields_n(H1_MAX_HEADERS_DEFAULT);
    struct outcome o;
    parse_full(0, 0, NULL, MAXH, raw, strlen(raw), &o);
    assert_int_equal(o.rc, strlen(raw));
    assert_int_equal(o.m.nheaders, H1_MAX_HEADERS_DEFAULT);
    free(raw);
}

static void field_count_over_limit_is_431_as_soon_as_it_starts(void **state)
{
    (void)state;
    char *raw = fields_n(H1_MAX_HEADERS_DEFAULT + 1);
    assert_req_err(raw, strlen(raw), H1_E_HEADERS_MANY, 431);
    /* cut just after the first byte of field 101 */
    char *cut = strstr(raw, "X100:");
    assert_non_null(cut);
    assert_req_err(raw, (size_t)(cut - raw) + 1, H1_E_HEADERS_MANY, 431);
    free(raw);
}

static void custom_limits_apply(void **state)
{
    (void)state;
    struct h1_limits lim = {.max_start_line = 20, .max_header_bytes = 20, .max_headers = 2};
    struct outcome o;
    static const char ok[] = "GET /abcd HTTP/1.1\r\nHost: h\r\nA: 1234\r\n\r\n"; /* 20 + 20 */
    parse_full(0, 0, &lim, MAXH, ok, sizeof(ok) - 1, &o);
    assert_int_equal(o.rc, sizeof(ok) - 1);
    static const char longline[] = "GET /abcde HTTP/1.1\r\nHost: h\r\n\r\n";
    parse_full(0, 0, &lim, MAXH, longline, sizeof(longline) - 1, &o);
    assert_int_equal(o.status, 414);
    static const char big[] = "GET /abcd HTTP/1.1\r\nHost: h\r\nA: 12345\r\n\r\n";
    parse_full(0, 0, &lim, MAXH, big, sizeof(big) - 1, &o);
    assert_int_equal(o.status, 431);
    static const char many[] = "GET /abcd HTTP/1.1\r\nHost: h\r\nA: 1\r\nB: 1\r\n\r\n";
    parse_full(0, 0, &lim, MAXH, many, sizeof(many) - 1, &o);
    assert_int_equal(o.err, H1_E_HEADERS_MANY);
}

/* ---- incremental parsing ----------------------------------------------------- */

static void partial_heads_ask_for_more(void **state)
{
    (void)state;
    static const char raw[] = "GET / HTTP/1.1\r\nHost: h\r\n\r\n";
    for (size_t i = 0; i < sizeof(raw) - 1; i++) {
        struct outcome o;
        parse_full(0, 0, NULL, MAXH, raw, i, &o);
        assert_int_equal(o.rc, H1_AGAIN);
    }
}

static void parser_reset_reuses_limits(void **state)
{
    (void)state;
    struct h1_limits lim = {.max_headers = 1};
    struct h1_parser p;
    struct h1_header h[4];
    struct h1_msg m;
    h1_parser_init(&p, &lim);
    h1_msg_init(&m, h, 4);
    static const char raw[] = "GET / HTTP/1.1\r\nHost: h\r\nA: b\r\n\r\n";
    assert_int_equal(h1_parse_request(&p, &m, raw, sizeof(raw) - 1), H1_ERROR);
    h1_parser_reset(&p);
    assert_int_equal(h1_parse_request(&p, &m, raw, sizeof(raw) - 1), H1_ERROR);
    assert_int_equal(p.err, H1_E_HEADERS_MANY);
}

static void msg_slices_are_rebased_when_the_buffer_moves(void **state)
{
    (void)state;
    static const char raw[] = "GET /x HTTP/1.1\r\nHost: h\r\nUpgrade: u\r\n\r\n";
    struct h1_parser p;
    struct h1_header h[8];
    struct h1_msg m;
    h1_parser_init(&p, NULL);
    h1_msg_init(&m, h, 8);
    char *a = malloc(sizeof(raw)), *b = malloc(sizeof(raw));
    assert_non_null(a);
    assert_non_null(b);
    memcpy(a, raw, sizeof(raw));
    memcpy(b, raw, sizeof(raw));
    assert_int_equal(h1_parse_request(&p, &m, a, 30), H1_AGAIN);
    assert_true(m.target.p == a + 4);
    assert_int_equal(h1_parse_request(&p, &m, b, sizeof(raw) - 1), sizeof(raw) - 1);
    assert_true(m.target.p == b + 4);
    assert_true(m.host.p == b + 23);
    assert_true(m.headers[0].name == b + 17);
    assert_true(m.upgrade.p == b + 35);
    free(a);
    free(b);
}

/* ---- responses ------------------------------------------------------------------ */

static void response_with_length(void **state)
{
    (void)state;
    static const char raw[] = "HTTP/1.1 200 OK\r\nContent-Length: 12\r\nServer: x\r\n\r\n";
    struct outcome o;
    resp(raw, H1_M_GET, &o);
    assert_int_equal(o.rc, sizeof(raw) - 1);
    assert_int_equal(o.m.status, 200);
    assert_true(slice_is(o.m.reason, "OK"));
    assert_int_equal(o.m.version, 1);
    assert_int_equal(o.m.body, H1_BODY_LENGTH);
    assert_int_equal(o.m.content_length, 12);
    assert_int_equal(o.m.flags & H1_MF_KEEP_ALIVE, H1_MF_KEEP_ALIVE);
}

static void response_chunked(void **state)
{
    (void)state;
    struct outcome o;
    resp("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n", H1_M_GET, &o);
    assert_int_equal(o.m.body, H1_BODY_CHUNKED);
}

static void response_without_length_reads_until_close(void **state)
{
    (void)state;
    struct outcome o;
    resp("HTTP/1.1 200 OK\r\nServer: x\r\n\r\n", H1_M_GET, &o);
    assert_true(o.rc > 0);
    assert_int_equal(o.m.body, H1_BODY_CLOSE);
    assert_int_equal(o.m.flags & H1_MF_KEEP_ALIVE, 0);
}

static void response_to_head_has_no_body(void **state)
{
    (void)state;
    struct outcome o;
    resp("HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n", H1_M_HEAD, &o);
    assert_int_equal(o.m.body, H1_BODY_NONE);
    assert_int_equal(o.m.content_length, 100);
    resp("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n", H1_M_HEAD, &o);
    assert_int_equal(o.m.body, H1_BODY_NONE);
    assert_int_equal(o.m.flags & H1_MF_KEEP_ALIVE, H1_MF_KEEP_ALIVE);
}

static void responses_204_304_and_1xx_have_no_body(void **state)
{
    (void)state;
    struct outcome o;
    resp("HTTP/1.1 204 No Content\r\nContent-Length: 5\r\n\r\n", H1_M_GET, &o);
    assert_int_equal(o.m.body, H1_BODY_NONE);
    resp("HTTP/1.1 304 Not Modified\r\nContent-Length: 5\r\n\r\n", H1_M_GET, &o);
    assert_int_equal(o.m.body, H1_BODY_NONE);
    resp("HTTP/1.1 100 Continue\r\n\r\n", H1_M_POST, &o);
    assert_true(o.rc > 0);
    assert_int_equal(o.m.status, 100);
    assert_int_equal(o.m.body, H1_BODY_NONE);
    resp("HTTP/1.1 103 Early Hints\r\nLink: </a.css>; rel=preload\r\n\r\n", H1_M_GET, &o);
    assert_int_equal(o.m.body, H1_BODY_NONE);
}

static void interim_response_is_followed_by_the_final_one(void **state)
{
    (void)state;
    static const char raw[] = "HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 201 Created\r\n"
                              "Content-Length: 0\r\n\r\n";
    struct outcome o;
    parse_full(1, H1_M_POST, NULL, MAXH, raw, sizeof(raw) - 1, &o);
    assert_int_equal(o.rc, 25);
    parse_full(1, H1_M_POST, NULL, MAXH, raw + 25, sizeof(raw) - 1 - 25, &o);
    assert_int_equal(o.m.status, 201);
    assert_int_equal(o.m.body, H1_BODY_LENGTH);
}

static void switching_protocols_is_a_tunnel(void **state)
{
    (void)state;
    struct outcome o;
    resp("HTTP/1.1 101 Switching Protocols\r\nConnection: upgrade\r\nUpgrade: websocket\r\n\r\n",
         H1_M_GET, &o);
    assert_int_equal(o.m.body, H1_BODY_TUNNEL);
    assert_int_equal(o.m.flags & H1_MF_UPGRADE, H1_MF_UPGRADE);
    assert_int_equal(o.m.flags & H1_MF_KEEP_ALIVE, 0);
}

static void connect_success_is_a_tunnel(void **state)
{
    (void)state;
    struct outcome o;
    resp("HTTP/1.1 200 Connection established\r\n\r\n", H1_M_CONNECT, &o);
    assert_int_equal(o.m.body, H1_BODY_TUNNEL);
    resp("HTTP/1.1 407 Proxy Auth\r\nContent-Length: 3\r\n\r\n", H1_M_CONNECT, &o);
    assert_int_equal(o.m.body, H1_BODY_LENGTH);
}

static void status_line_variants(void **state)
{
    (void)state;
    struct outcome o;
    resp("HTTP/1.1 200\r\nContent-Length: 0\r\n\r\n", H1_M_GET, &o);
    assert_true(o.rc > 0);
    assert_int_equal(o.m.reason.len, 0);
    resp("HTTP/1.1 404 \r\nContent-Length: 0\r\n\r\n", H1_M_GET, &o);
    assert_true(o.rc > 0);
    assert_int_equal(o.m.reason.len, 0);
    resp("HTTP/1.1 500 Internal  Server\tError \xff\r\nContent-Length: 0\r\n\r\n", H1_M_GET, &o);
    assert_true(slice_is(o.m.reason, "Internal  Server\tError \xff"));
    resp("HTTP/1.0 200 OK\r\nContent-Length: 0\r\n\r\n", H1_M_GET, &o);
    assert_int_equal(o.m.version, 0);
    assert_int_equal(o.m.flags & H1_MF_KEEP_ALIVE, 0);
    resp("HTTP/1.0 200 OK\r\nContent-Length: 0\r\nConnection: keep-alive\r\n\r\n", H1_M_GET, &o);
    assert_int_equal(o.m.flags & H1_MF_KEEP_ALIVE, H1_MF_KEEP_ALIVE);
    resp("HTTP/1.1 200 OK\r\nContent-Length: 0\r\nConnection: close\r\n\r\n", H1_M_GET, &o);
    assert_int_equal(o.m.flags & H1_MF_KEEP_ALIVE, 0);
}

static void bad_responses_are_502(void **state)
{
    (void)state;
    assert_resp_err("HTTP/1.1 099 X\r\n\r\n", H1_M_GET, H1_E_STATUS);
    assert_resp_err("HTTP/1.1 600 X\r\n\r\n", H1_M_GET, H1_E_STATUS);
    assert_resp_err("HTTP/1.1 2000 OK\r\n\r\n", H1_M_GET, H1_E_STATUS);
    assert_resp_err("HTTP/1.1 20 OK\r\n\r\n", H1_M_GET, H1_E_STATUS);
    assert_resp_err("HTTP/1.1  200 OK\r\n\r\n", H1_M_GET, H1_E_STATUS);
    assert_resp_err("HTTP/1.1 200 O\x01K\r\n\r\n", H1_M_GET, H1_E_STATUS);
    assert_resp_err("HTTP/1.1 200 OK\n\r\n", H1_M_GET, H1_E_BARE_LF);
    assert_resp_err("HTTP/1.1 200 OK\rX\r\n", H1_M_GET, H1_E_BARE_CR);
    assert_resp_err("HTTP/2.0 200 OK\r\n\r\n", H1_M_GET, H1_E_VERSION_UNSUPP);
    assert_resp_err("HTTP/1.1\r\n\r\n", H1_M_GET, H1_E_VERSION);
    assert_resp_err("ICY 200 OK\r\n\r\n", H1_M_GET, H1_E_VERSION);
    assert_resp_err("\r\nHTTP/1.1 200 OK\r\n\r\n", H1_M_GET, H1_E_VERSION);
    assert_resp_err("HTTP/1.1 200 OK\r\nContent-Length: 1\r\nTransfer-Encoding: chunked\r\n\r\n",
                    H1_M_GET, H1_E_CL_AND_TE);
    assert_resp_err("HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip\r\n\r\n", H1_M_GET,
                    H1_E_TE_INVALID);
    assert_resp_err("HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip, chunked\r\n\r\n", H1_M_GET,
                    H1_E_TE_UNSUPP);
    assert_resp_err("HTTP/1.0 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n", H1_M_GET,
                    H1_E_TE_HTTP10);
    assert_resp_err("HTTP/1.1 200 OK\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n", H1_M_GET,
                    H1_E_CL_MISMATCH);
    assert_resp_err("HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\n", H1_M_GET, H1_E_CL_INVALID);
    assert_resp_err("HTTP/1.1 200 OK\r\nX: a\r\n b\r\n\r\n", H1_M_GET, H1_E_OBS_FOLD);
    assert_resp_err("HTTP/1.1 200 OK\r\nX : a\r\n\r\n", H1_M_GET, H1_E_NAME_WS);
    assert_resp_err("HTTP/1.1 204 No Content\r\nContent-Length: x\r\n\r\n", H1_M_GET,
                    H1_E_CL_INVALID);
}

static void response_host_field_is_not_checked(void **state)
{
    (void)state;
    struct outcome o;
    resp("HTTP/1.1 200 OK\r\nHost: a b\r\nHost: c\r\nContent-Length: 0\r\n\r\n", H1_M_GET, &o);
    assert_true(o.rc > 0);
}

/* ---- chunked bodies ------------------------------------------------------------ */

struct decoded {
    ptrdiff_t rc; /* H1_ERROR, or bytes consumed in all */
    int err;
    int done;
    size_t ntrailers;
    char trailers[256]; /* "name=value;" for each, copied before the buffer goes */
    char data[65536];
    size_t len;
};

/* Decodes <in> fed in pieces of <step> bytes (0: all at once), as a proxy
 * would: consumed bytes leave the buffer, the rest stays for the next read. */
static void decode(const char *in, size_t n, size_t step, const struct h1_limits *lim,
                   struct h1_header *trailers, uint32_t cap, struct decoded *d)
{
    struct h1_chunked c;
    h1_chunked_init(&c, lim, trailers, cap);
    memset(d, 0, offsetof(struct decoded, data));
    d->trailers[0] = '\0';
    d->len = 0;
    char *buf = malloc(n + 1);
    assert_non_null(buf);
    size_t have = 0, fed = 0, total = 0;
    for (;;) {
        size_t more = step ? step : n;
        if (more > n - fed)
            more = n - fed;
        memcpy(buf + have, in + fed, more);
        have += more;
        fed += more;
        for (;;) {
            struct h1_slice s;
            ptrdiff_t r = h1_chunked_decode(&c, buf, have, &s);
            if (r < 0) {
                d->rc = H1_ERROR;
                d->err = c.err;
                free(buf);
                return;
            }
            if (s.len) {
                assert_true(s.p >= buf && s.p + s.len <= buf + r);
                assert_true(d->len + s.len <= sizeof(d->data));
                memcpy(d->data + d->len, s.p, s.len);
                d->len += s.len;
            }
            memmove(buf, buf + r, have - (size_t)r);
            have -= (size_t)r;
            total += (size_t)r;
            if (c.done || r == 0)
                break;
        }
        if (c.done || fed == n)
            break;
    }
    d->rc = (ptrdiff_t)total;
    d->done = c.done;
    d->ntrailers = c.trailers.nheaders;
    size_t tl = 0;
    for (uint32_t i = 0; i < c.trailers.nheaders; i++)
        tl += (size_t)snprintf(d->trailers + tl, sizeof(d->trailers) - tl, "%.*s=%.*s;",
                               (int)c.trailers.headers[i].name_len, c.trailers.headers[i].name,
                               (int)c.trailers.headers[i].value_len, c.trailers.headers[i].value);
    assert_int_equal(c.total, d->len);
    free(buf);
}

/* Decodes all at once and byte by byte; both must agree. */
static void decode_both(const char *in, size_t n, struct decoded *d)
{
    struct decoded *b = malloc(sizeof(*b));
    assert_non_null(b);
    decode(in, n, 0, NULL, NULL, 0, d);
    decode(in, n, 1, NULL, NULL, 0, b);
    assert_int_equal(d->rc, b->rc);
    assert_int_equal(d->err, b->err);
    assert_int_equal(d->done, b->done);
    if (d->rc != H1_ERROR) {
        /* on error the data of the failing call is not reported, so the
         * amounts may differ; the verdict may not */
        assert_int_equal(d->len, b->len);
        assert_memory_equal(d->data, b->data, d->len);
    }
    free(b);
}

#define DECODE(lit, d) decode_both((lit), sizeof(lit) - 1, (d))

static void chunked_body_is_decoded(void **state)
{
    (void)state;
    static const char in[] = "5\r\nhello\r\n7\r\n, world\r\nA\r\n0123456789\r\n0\r\n\r\n";
    struct decoded d;
    DECODE(in, &d);
    assert_int_equal(d.rc, sizeof(in) - 1);
    assert_true(d.done);
    assert_int_equal(d.len, 22);
    assert_memory_equal(d.data, "hello, world0123456789", 22);
}

static void chunk_sizes_are_hex_in_either_case(void **state)
{
    (void)state;
    char in[256];
    char body[0x1b];
    memset(body, 'x', sizeof(body));
    int n = snprintf(in, sizeof(in), "1b\r\n%.*s\r\n0\r\n\r\n", (int)sizeof(body), body);
    struct decoded d;
    decode_both(in, (size_t)n, &d);
    assert_true(d.done);
    assert_int_equal(d.len, 0x1b);
    n = snprintf(in, sizeof(in), "1B\r\n%.*s\r\n000\r\n\r\n", (int)sizeof(body), body);
    decode_both(in, (size_t)n, &d);
    assert_true(d.done);
    assert_int_equal(d.len, 0x1b);
}

static void chunk_extensions_are_validated_and_ignored(void **state)
{
    (void)state;
    const char *ok[] = {
        "3;a\r\nabc\r\n0\r\n\r\n",
        "3;a=b\r\nabc\r\n0\r\n\r\n",
        "3;a=b;c=d;e\r\nabc\r\n0;last\r\n\r\n",
        "3 ;a\r\nabc\r\n0\r\n\r\n",
        "3\t; a = \"q \\\" \\\\ v\"\r\nabc\r\n0\r\n\r\n",
        "3;a=\"\"\r\nabc\r\n0\r\n\r\n",
        "3;a=\"x\" ;b\r\nabc\r\n0\r\n\r\n",
        "3;!#$%&'*+-.^_`|~=!#$%&'*+-.^_`|~\r\nabc\r\n0\r\n\r\n",
        "3;a=\"\xff\t\"\r\nabc\r\n0\r\n\r\n",
    };
    for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
        struct decoded d;
        decode_both(ok[i], strlen(ok[i]), &d);
        if (!d.done || d.len != 3)
            fail_msg("\"%s\": rc %td err %s", ok[i], d.rc, h1_strerror(d.err));
    }
}

static void malformed_chunk_lines_are_refused(void **state)
{
    (void)state;
    static const struct {
        const char *in;
        size_t len;
        int err;
    } bad[] = {
        {LIT("0x5\r\nhello\r\n0\r\n\r\n"), H1_E_CHUNK_SIZE},
        {LIT("\r\nhello\r\n0\r\n\r\n"), H1_E_CHUNK_SIZE},
        {LIT(" 5\r\nhello\r\n0\r\n\r\n"), H1_E_CHUNK_SIZE},
        {LIT("-5\r\nhello\r\n0\r\n\r\n"), H1_E_CHUNK_SIZE},
        {LIT("+5\r\nhello\r\n0\r\n\r\n"), H1_E_CHUNK_SIZE},
        {LIT("g\r\n"), H1_E_CHUNK_SIZE},
        {LIT("5g\r\n"), H1_E_CHUNK_SIZE},
        {LIT("5 \r\nhello\r\n0\r\n\r\n"), H1_E_CHUNK_EXT},
        {LIT("5;\r\nhello\r\n0\r\n\r\n"), H1_E_CHUNK_EXT},
        {LIT("5;=x\r\nhello\r\n0\r\n\r\n"), H1_E_CHUNK_EXT},
        {LIT("5;a=\r\nhello\r\n0\r\n\r\n"), H1_E_CHUNK_EXT},
        {LIT("5;a b\r\nhello\r\n0\r\n\r\n"), H1_E_CHUNK_EXT},
        {LIT("5;a \r\nhello\r\n0\r\n\r\n"), H1_E_CHUNK_EXT},
        {LIT("5;a=b \r\nhello\r\n0\r\n\r\n"), H1_E_CHUNK_EXT},
        {LIT("5;a=\"x\r\nhello\r\n0\r\n\r\n"), H1_E_CHUNK_EXT},
        {LIT("5;a=\"x\"y\r\nhello\r\n0\r\n\r\n"), H1_E_CHUNK_EXT},
        {LIT("5;a=\"\\\x01\"\r\nhello\r\n0\r\n\r\n"), H1_E_CHUNK_EXT},
        {LIT("5;a=\"\x7f\"\r\nhello\r\n0\r\n\r\n"), H1_E_CHUNK_EXT},
        {LIT("5;a\x00\r\nhello\r\n0\r\n\r\n"), H1_E_CHUNK_EXT},
        {LIT("5;ext\nhello\r\n0\r\n\r\n"), H1_E_BARE_LF},
        {LIT("5;\nhello\r\n0\r\n\r\n"), H1_E_BARE_LF},
        {LIT("5\nhello\r\n0\r\n\r\n"), H1_E_BARE_LF},
        {LIT("5\rhello\r\n0\r\n\r\n"), H1_E_BARE_CR},
        {LIT("5;a\rhello\r\n0\r\n\r\n"), H1_E_BARE_CR},
        {LIT("5\r\nhelloX\r\n0\r\n\r\n"), H1_E_CHUNK_CRLF},
        {LIT("5\r\nhello\n0\r\n\r\n"), H1_E_CHUNK_CRLF},
        {LIT("5\r\nhello\rX0\r\n\r\n"), H1_E_CHUNK_CRLF},
        {LIT("5\r\nhello\r\n0\r\n\n"), H1_E_BARE_LF},
        {LIT("5\r\nhello\r\n0\r\n\rX"), H1_E_BARE_CR},
        {LIT("5\r\nhello\r\n0\n\r\n"), H1_E_BARE_LF},
        {LIT("5\r\nhello\r\n0\r\nX: a\r\n b\r\n\r\n"), H1_E_OBS_FOLD},
        {LIT("5\r\nhello\r\n0\r\nX : a\r\n\r\n"), H1_E_NAME_WS},
        {LIT("5\r\nhello\r\n0\r\nContent-Length: 5\r\n\r\n"), H1_E_TRAILER_FORBIDDEN},
        {LIT("5\r\nhello\r\n0\r\nTransfer-Encoding: chunked\r\n\r\n"), H1_E_TRAILER_FORBIDDEN},
        {LIT("5\r\nhello\r\n0\r\nhost: evil\r\n\r\n"), H1_E_TRAILER_FORBIDDEN},
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        struct decoded d;
        decode_both(bad[i].in, bad[i].len, &d);
        if (d.rc != H1_ERROR || d.err != bad[i].err)
            fail_msg("vector %zu: rc %td err %s, want %s", i, d.rc, h1_strerror(d.err),
                     h1_strerror(bad[i].err));
    }
}

static void chunk_size_bounds(void **state)
{
    (void)state;
    struct h1_chunked c;
    struct h1_slice s;
    /* 16 digits with leading zeros: fine */
    h1_chunked_init(&c, NULL, NULL, 0);
    assert_int_equal(h1_chunked_decode(&c, "000000000000000a\r\n", 18, &s), 18);
    assert_int_equal(c.left, 10);
    /* 17 digits: refused even when they are zeros */
    h1_chunked_init(&c, NULL, NULL, 0);
    assert_int_equal(h1_chunked_decode(&c, "0000000000000000a\r\n", 19, &s), H1_ERROR);
    assert_int_equal(c.err, H1_E_CHUNK_SIZE);
    /* 2^63 - 1 is the largest chunk */
    h1_chunked_init(&c, NULL, NULL, 0);
    assert_int_equal(h1_chunked_decode(&c, "7fffffffffffffff\r\nab", 20, &s), 20);
    assert_int_equal(c.left, UINT64_C(0x7fffffffffffffff) - 2);
    assert_int_equal(s.len, 2);
    h1_chunked_init(&c, NULL, NULL, 0);
    assert_int_equal(h1_chunked_decode(&c, "8000000000000000\r\n", 18, &s), H1_ERROR);
    assert_int_equal(c.err, H1_E_CHUNK_SIZE);
    h1_chunked_init(&c, NULL, NULL, 0);
    assert_int_equal(h1_chunked_decode(&c, "ffffffffffffffff\r\n", 18, &s), H1_ERROR);
}

static void chunk_line_length_is_limited(void **state)
{
    (void)state;
    struct h1_limits lim = {.max_chunk_line = 16};
    struct decoded d;
    static const char ok[] = "5;aaaaaaaaaaaa\r\nhello\r\n0\r\n\r\n"; /* 16 with CRLF */
    static const char bad[] = "5;aaaaaaaaaaaaa\r\nhello\r\n0\r\n\r\n";
    decode(ok, sizeof(ok) - 1, 1, &lim, NULL, 0, &d);
    assert_true(d.done);
    decode(bad, sizeof(bad) - 1, 1, &lim, NULL, 0, &d);
    assert_int_equal(d.rc, H1_ERROR);
    assert_int_equal(d.err, H1_E_CHUNK_LINE_LONG);
    /* an endless extension is cut at the limit */
    char endless[64] = "5;";
    memset(endless + 2, 'a', 40);
    decode(endless, 42, 1, &lim, NULL, 0, &d);
    assert_int_equal(d.err, H1_E_CHUNK_LINE_LONG);
}

static void trailers_are_passed_or_dropped(void **state)
{
    (void)state;
    static const char in[] = "3\r\nabc\r\n0\r\nX-Sum: 42\r\nX-Other:  b \r\n\r\n";
    struct h1_header tr[4];
    struct decoded d;
    decode(in, sizeof(in) - 1, 0, NULL, tr, 4, &d);
    assert_true(d.done);
    assert_int_equal(d.ntrailers, 2);
    assert_string_equal(d.trailers, "X-Sum=42;X-Other=b;");
    decode(in, sizeof(in) - 1, 1, NULL, tr, 4, &d);
    assert_true(d.done);
    assert_string_equal(d.trailers, "X-Sum=42;X-Other=b;");
    decode(in, sizeof(in) - 1, 1, NULL, NULL, 0, &d);
    assert_true(d.done);
    assert_int_equal(d.ntrailers, 0);
    assert_int_equal(d.len, 3);
    /* an array smaller than the limit caps the count */
    decode(in, sizeof(in) - 1, 0, NULL, tr, 1, &d);
    assert_int_equal(d.rc, H1_ERROR);
    assert_int_equal(d.err, H1_E_HEADERS_MANY);
}

static void trailer_section_stays_unconsumed_until_complete(void **state)
{
    (void)state;
    static const char in[] = "0\r\nX-A: 1\r\nX-B: 2\r\n\r\n";
    struct h1_chunked c;
    struct h1_slice s;
    h1_chunked_init(&c, NULL, NULL, 0);
    assert_int_equal(h1_chunked_decode(&c, in, 10, &s), 3);
    for (size_t n = 0; n < sizeof(in) - 1 - 3; n++)
        assert_int_equal(h1_chunked_decode(&c, in + 3, n, &s), 0);
    assert_int_equal(h1_chunked_decode(&c, in + 3, sizeof(in) - 1 - 3, &s), sizeof(in) - 1 - 3);
    assert_true(c.done);
}

static void trailer_limits_apply(void **state)
{
    (void)state;
    struct h1_limits lim = {.max_header_bytes = 16, .max_headers = 2};
    struct decoded d;
    static const char ok[] = "0\r\nA: 1\r\nB: 123\r\n\r\n"; /* 16 */
    decode(ok, sizeof(ok) - 1, 1, &lim, NULL, 0, &d);
    assert_true(d.done);
    static const char big[] = "0\r\nA: 1\r\nB: 1234\r\n\r\n";
    decode(big, sizeof(big) - 1, 1, &lim, NULL, 0, &d);
    assert_int_equal(d.err, H1_E_HEADERS_LARGE);
    static const char many[] = "0\r\nA: 1\r\nB: 2\r\nC: 3\r\n\r\n";
    decode(many, sizeof(many) - 1, 0, &lim, NULL, 0, &d);
    assert_int_equal(d.err, H1_E_HEADERS_MANY);
    /* an endless trailer is cut off before it ends */
    static const char endless[] = "0\r\nA: 1234567890123456789";
    decode(endless, sizeof(endless) - 1, 1, &lim, NULL, 0, &d);
    assert_int_equal(d.err, H1_E_HEADERS_LARGE);
}

static void bytes_after_the_body_are_left_alone(void **state)
{
    (void)state;
    static const char in[] = "2\r\nab\r\n0\r\n\r\nGET / HTTP/1.1\r\n";
    struct h1_chunked c;
    struct h1_slice s;
    h1_chunked_init(&c, NULL, NULL, 0);
    size_t off = 0;
    while (!c.done) {
        ptrdiff_t r = h1_chunked_decode(&c, in + off, sizeof(in) - 1 - off, &s);
        assert_true(r > 0);
        off += (size_t)r;
    }
    assert_int_equal(off, 12);
    struct h1_slice s2;
    assert_int_equal(h1_chunked_decode(&c, in + off, sizeof(in) - 1 - off, &s2), 0);
}

static void pass_through_forwards_exactly_the_consumed_bytes(void **state)
{
    (void)state;
    static const char in[] = "4;x=\"y\"\r\nWiki\r\n5\r\npedia\r\nE\r\n in\r\n\r\nchunks.\r\n"
                             "0\r\nExpires: never\r\n\r\n";
    struct h1_chunked c;
    struct h1_slice s;
    h1_chunked_init(&c, NULL, NULL, 0);
    char out[sizeof(in)];
    size_t off = 0, calls = 0;
    while (!c.done) {
        ptrdiff_t r = h1_chunked_decode(&c, in + off, sizeof(in) - 1 - off, &s);
        assert_true(r > 0);
        memcpy(out + off, in + off, (size_t)r); /* what a pass-through proxy sends */
        off += (size_t)r;
        calls++;
    }
    assert_int_equal(off, sizeof(in) - 1);
    assert_memory_equal(out, in, off);
    assert_int_equal(c.total, 4 + 5 + 14);
    assert_int_equal(calls, 3);
}

static void decoder_error_is_sticky(void **state)
{
    (void)state;
    struct h1_chunked c;
    struct h1_slice s;
    h1_chunked_init(&c, NULL, NULL, 0);
    assert_int_equal(h1_chunked_decode(&c, "z", 1, &s), H1_ERROR);
    assert_int_equal(h1_chunked_decode(&c, "5\r\n", 3, &s), H1_ERROR);
    assert_int_equal(c.err, H1_E_CHUNK_SIZE);
}

/* ---- writer helpers, tables, messages ------------------------------------------ */

static void status_line_and_error_response_are_written(void **state)
{
    (void)state;
    char out[128];
    size_t n = h1_write_status_line(out, sizeof(out), 1, 404, NULL);
    assert_int_equal(n, strlen("HTTP/1.1 404 Not Found\r\n"));
    assert_memory_equal(out, "HTTP/1.1 404 Not Found\r\n", n);
    n = h1_write_status_line(out, sizeof(out), 0, 299, "Custom");
    assert_memory_equal(out, "HTTP/1.0 299 Custom\r\n", n);
    assert_int_equal(h1_write_status_line(out, 10, 1, 200, NULL), 0);
    assert_int_equal(h1_write_status_line(out, sizeof(out), 1, 99, NULL), 0);
    n = h1_write_error(out, sizeof(out), 431);
    static const char want[] = "HTTP/1.1 431 Request Header Fields Too Large\r\n"
                               "content-length: 0\r\nconnection: close\r\n\r\n";
    assert_int_equal(n, sizeof(want) - 1);
    assert_memory_equal(out, want, n);
    assert_int_equal(h1_write_error(out, 50, 431), 0);
    assert_string_equal(h1_reason(418), "");
}

static void chunk_size_lines_are_written(void **state)
{
    (void)state;
    char out[H1_CHUNK_SIZE_MAX];
    size_t n = h1_write_chunk_size(out, 0x1f);
    assert_memory_equal(out, "1f\r\n", n);
    n = h1_write_chunk_size(out, UINT64_MAX);
    assert_int_equal(n, H1_CHUNK_SIZE_MAX);
    assert_memory_equal(out, "ffffffffffffffff\r\n", n);
    struct h1_chunked c;
    struct h1_slice s;
    h1_chunked_init(&c, NULL, NULL, 0);
    n = h1_write_chunk_size(out, 12345);
    assert_int_equal(h1_chunked_decode(&c, out, n, &s), n);
    assert_int_equal(c.left, 12345);
}

static void forwarded_fields_skip_hop_by_hop(void **state)
{
    (void)state;
    struct outcome o;
    req(with_fields("Connection: close, X-Drop\r\nX-Drop: 1\r\nAccept:  */* \r\n"
                    "Transfer-Encoding: chunked\r\n"),
        &o);
    assert_true(o.rc > 0);
    struct buf b = BUF_INIT;
    assert_int_equal(h1_write_fields(&b, &o.m, H1_HF_HOP | H1_HF_FRAMING), 0);
    assert_string_equal(buf_str(&b), "Host: h\r\nAccept: */*\r\n");
    buf_reset(&b);
    assert_int_equal(h1_write_fields(&b, &o.m, 0), 0);
    assert_int_equal(b.len, strlen("Host: h\r\nConnection: close, X-Drop\r\nX-Drop: 1\r\n"
                                   "Accept: */*\r\nTransfer-Encoding: chunked\r\n"));
    buf_fini(&b);
    struct buf small;
    buf_init(&small, 8);
    assert_int_equal(h1_write_fields(&small, &o.m, 0), -ENOMEM);
    assert_int_equal(small.len, 0);
    buf_fini(&small);
}

const unsigned char *h1__cls(void);

static void character_table_matches_the_rfc(void **state)
{
    (void)state;
    const unsigned char *cls = h1__cls();
    for (int c = 0; c < 256; c++) {
        int alpha = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
        int digit = c >= '0' && c <= '9';
        int tchar = alpha || digit || (c && strchr("!#$%&'*+-.^_`|~", c));
        int value = c == '\t' || (c >= 0x20 && c != 0x7f);
        int target = c > 0x20 && c < 0x7f && c != '#';
        int hex = digit || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
        int host = alpha || digit || (c && strchr("-._~!$&'()*+,;=", c));
        int qdtext = c == '\t' || c == ' ' || c == 0x21 || (c >= 0x23 && c <= 0x5b) ||
                     (c >= 0x5d && c <= 0x7e) || c >= 0x80;
        int ows = c == ' ' || c == '\t';
        unsigned want = (unsigned)(tchar ? 0x01 : 0) | (value ? 0x02 : 0) | (target ? 0x04 : 0) |
                        (hex ? 0x08 : 0) | (host ? 0x10 : 0) | (qdtext ? 0x20 : 0) |
                        (ows ? 0x40 : 0);
        if (cls[c] != want)
            fail_msg("byte 0x%02x: table 0x%02x, want 0x%02x", c, cls[c], want);
    }
}

static void every_error_has_a_message_and_a_status(void **state)
{
    (void)state;
    for (int e = 0; e < H1_E__COUNT; e++) {
        assert_non_null(h1_strerror(e));
        assert_string_not_equal(h1_strerror(e), "unknown error");
        int st = h1_error_status(e, 0);
        assert_true(st == 400 || st == 414 || st == 431 || st == 501 || st == 505);
        assert_int_equal(h1_error_status(e, 1), 502);
    }
    assert_string_equal(h1_strerror(-1), "unknown error");
    assert_string_equal(h1_strerror(H1_E__COUNT), "unknown error");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(simple_get_fills_every_field),
        cmocka_unit_test(known_methods_are_recognised_case_sensitively),
        cmocka_unit_test(field_values_are_trimmed_of_ows),
        cmocka_unit_test(long_field_lines_take_the_same_path_as_short_ones),
        cmocka_unit_test(obs_text_and_htab_are_allowed_in_values),
        cmocka_unit_test(field_names_accept_every_tchar),
        cmocka_unit_test(leading_empty_lines_are_skipped),
        cmocka_unit_test(pipelined_requests_are_found_by_head_length),
        cmocka_unit_test(http10_needs_no_host_and_closes_by_default),
        cmocka_unit_test(connection_close_ends_keep_alive),
        cmocka_unit_test(connection_allows_empty_list_elements),
        cmocka_unit_test(upgrade_needs_connection_option_and_http11),
        cmocka_unit_test(expect_100_continue_is_reported_for_http11_only),
        cmocka_unit_test(hop_by_hop_and_framing_fields_are_flagged),
        cmocka_unit_test(content_length_sets_length_framing),
        cmocka_unit_test(identical_content_lengths_are_accepted),
        cmocka_unit_test(chunked_sets_chunked_framing),
        cmocka_unit_test(host_forms_are_accepted),
        cmocka_unit_test(absolute_form_exposes_authority),
        cmocka_unit_test(connect_takes_authority_form),
        cmocka_unit_test(options_takes_asterisk_form),
        cmocka_unit_test(target_keeps_every_visible_character_but_hash),
        cmocka_unit_test(raw_utf8_target_needs_the_lax_flag),
        cmocka_unit_test(h2_preface_is_reported_apart),
        cmocka_unit_test(trailer_field_announcement_is_flagged),
        cmocka_unit_test(content_length_with_transfer_encoding_is_400),
        cmocka_unit_test(differing_content_lengths_are_400),
        cmocka_unit_test(content_length_must_be_digits),
        cmocka_unit_test(transfer_encoding_other_than_final_chunked_is_refused),
        cmocka_unit_test(transfer_encoding_across_fields_is_one_list),
        cmocka_unit_test(transfer_encoding_in_http10_is_400),
        cmocka_unit_test(obs_fold_is_400),
        cmocka_unit_test(bare_cr_is_400),
        cmocka_unit_test(bare_lf_is_400),
        cmocka_unit_test(invalid_field_names_are_400),
        cmocka_unit_test(whitespace_before_colon_is_400),
        cmocka_unit_test(control_characters_in_values_are_400),
        cmocka_unit_test(nul_bytes_are_400_everywhere),
        cmocka_unit_test(invalid_methods_are_400),
        cmocka_unit_test(invalid_targets_are_400),
        cmocka_unit_test(bad_versions_are_400_or_505),
        cmocka_unit_test(host_must_appear_once_in_http11),
        cmocka_unit_test(invalid_host_values_are_400),
        cmocka_unit_test(invalid_connection_values_are_400),
        cmocka_unit_test(smuggling_vectors_are_refused),
        cmocka_unit_test(small_header_array_caps_field_count),
        cmocka_unit_test(request_line_at_limit_is_accepted),
        cmocka_unit_test(request_line_over_limit_is_414),
        cmocka_unit_test(endless_request_line_is_414_before_it_ends),
        cmocka_unit_test(leading_empty_lines_count_against_the_start_line_limit),
        cmocka_unit_test(header_section_at_limit_is_accepted),
        cmocka_unit_test(header_section_over_limit_is_431),
        cmocka_unit_test(endless_field_is_431_before_it_ends),
        cmocka_unit_test(field_count_at_limit_is_accepted),
        cmocka_unit_test(field_count_over_limit_is_431_as_soon_as_it_starts),
        cmocka_unit_test(custom_limits_apply),
        cmocka_unit_test(partial_heads_ask_for_more),
        cmocka_unit_test(parser_reset_reuses_limits),
        cmocka_unit_test(msg_slices_are_rebased_when_the_buffer_moves),
        cmocka_unit_test(response_with_length),
        cmocka_unit_test(response_chunked),
        cmocka_unit_test(response_without_length_reads_until_close),
        cmocka_unit_test(response_to_head_has_no_body),
        cmocka_unit_test(responses_204_304_and_1xx_have_no_body),
        cmocka_unit_test(interim_response_is_followed_by_the_final_one),
        cmocka_unit_test(switching_protocols_is_a_tunnel),
        cmocka_unit_test(connect_success_is_a_tunnel),
        cmocka_unit_test(status_line_variants),
        cmocka_unit_test(bad_responses_are_502),
        cmocka_unit_test(response_host_field_is_not_checked),
        cmocka_unit_test(chunked_body_is_decoded),
        cmocka_unit_test(chunk_sizes_are_hex_in_either_case),
        cmocka_unit_test(chunk_extensions_are_validated_and_ignored),
        cmocka_unit_test(malformed_chunk_lines_are_refused),
        cmocka_unit_test(chunk_size_bounds),
        cmocka_unit_test(chunk_line_length_is_limited),
        cmocka_unit_test(trailers_are_passed_or_dropped),
        cmocka_unit_test(trailer_section_stays_unconsumed_until_complete),
        cmocka_unit_test(trailer_limits_apply),
        cmocka_unit_test(bytes_after_the_body_are_left_alone),
        cmocka_unit_test(pass_through_forwards_exactly_the_consumed_bytes),
        cmocka_unit_test(decoder_error_is_sticky),
        cmocka_unit_test(status_line_and_error_response_are_written),
        cmocka_unit_test(chunk_size_lines_are_written),
        cmocka_unit_test(forwarded_fields_skip_hop_by_hop),
        cmocka_unit_test(character_table_matches_the_rfc),
        cmocka_unit_test(every_error_has_a_message_and_a_status),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
