/* Micro benchmark of the HTTP/1.1 head parser (src/http/h1.c).
 *
 * Not part of `make bench`. Build and run (see docs/internals/http1.md):
 *   make build/libferry.a
 *   cc -std=c11 -O2 -D_GNU_SOURCE -Isrc bench/h1parse.c build/libferry.a -o build/h1parse
 *   build/h1parse [iterations]
 *
 * Prints ns per parse for a typical browser request head (558 bytes, 12
 * fields): in one read, in two reads, without AVX2, without the 64-byte fast
 * path; then a small response head and the chunked decoder's ns per MiB.
 * Each figure is the minimum over 100 short runs. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "http/h1.h"

static const char request[] =
    "GET /catalog/shoes?size=42&colour=blue HTTP/1.1\r\n"
    "Host: shop.example.com\r\n"
    "Connection: keep-alive\r\n"
    "sec-ch-ua: \"Chromium\";v=\"124\", \"Not-A.Brand\";v=\"99\"\r\n"
    "sec-ch-ua-mobile: ?0\r\n"
    "sec-ch-ua-platform: \"Linux\"\r\n"
    "User-Agent: Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/124.0.0.0 Safari/537.36\r\n"
    "Accept: text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8\r\n"
    "Sec-Fetch-Site: same-origin\r\n"
    "Sec-Fetch-Mode: navigate\r\n"
    "Referer: https://shop.example.com/catalog\r\n"
    "Accept-Encoding: gzip, deflate, br\r\n"
    "Accept-Language: en-US,en;q=0.9\r\n"
    "\r\n";

static const char response[] = "HTTP/1.1 200 OK\r\n"
                               "Date: Mon, 27 Jul 2009 12:28:53 GMT\r\n"
                               "Server: ferry-echo\r\n"
                               "Content-Type: application/json\r\n"
                               "Content-Length: 1234\r\n"
                               "Cache-Control: no-cache\r\n"
                               "\r\n";

static double now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

static volatile size_t sink;

static double run_request(long iters, size_t split, uint32_t flags)
{
    struct h1_parser p;
    struct h1_header hdrs[H1_MAX_HEADERS_DEFAULT];
    struct h1_msg m;
    struct h1_limits lim = {.flags = flags};
    size_t len = sizeof(request) - 1;
    h1_parser_init(&p, &lim);
    h1_msg_init(&m, hdrs, H1_MAX_HEADERS_DEFAULT);
    double t0 = now_ns();
    for (long i = 0; i < iters; i++) {
        h1_parser_reset(&p);
        int r;
        if (split && h1_parse_request(&p, &m, request, split) != H1_AGAIN)
            abort();
        r = h1_parse_request(&p, &m, request, len);
        if (r != (int)len || m.nheaders != 12)
            abort();
        sink += m.nheaders;
    }
    return (now_ns() - t0) / (double)iters;
}

static double run_response(long iters)
{
    struct h1_parser p;
    struct h1_header hdrs[H1_MAX_HEADERS_DEFAULT];
    struct h1_msg m;
    size_t len = sizeof(response) - 1;
    h1_parser_init(&p, NULL);
    h1_msg_init(&m, hdrs, H1_MAX_HEADERS_DEFAULT);
    double t0 = now_ns();
    for (long i = 0; i < iters; i++) {
        h1_parser_reset(&p);
        if (h1_parse_response(&p, &m, response, len, H1_M_GET) != (int)len)
            abort();
        sink += m.content_length;
    }
    return (now_ns() - t0) / (double)iters;
}

/* 64 KiB body in 4 KiB chunks; reports ns per MiB decoded. */
static double run_chunked(long iters)
{
    static char body[70000];
    size_t n = 0;
    for (int i = 0; i < 16; i++) {
        n += (size_t)sprintf(body + n, "1000;x=y\r\n");
        memset(body + n, 'a', 4096);
        n += 4096;
        memcpy(body + n, "\r\n", 2);
        n += 2;
    }
    n += (size_t)sprintf(body + n, "0\r\n\r\n");
    struct h1_chunked c;
    double t0 = now_ns();
    for (long i = 0; i < iters; i++) {
        h1_chunked_init(&c, NULL, NULL, 0);
        size_t off = 0;
        while (!c.done) {
            struct h1_slice d;
            ptrdiff_t r = h1_chunked_decode(&c, body + off, n - off, &d);
            if (r <= 0)
                abort();
            off += (size_t)r;
            sink += d.len;
        }
    }
    return (now_ns() - t0) / (double)iters * 16.0;
}

/* The minimum over 100 short runs: other load on the machine only ever makes a
 * run slower, and short runs often fit between its bursts. */
static double best(double (*f)(long), long iters)
{
    double b = 1e30;
    for (int i = 0; i < 100; i++) {
        double t = f(iters / 100 + 1);
        if (t < b)
            b = t;
    }
    return b;
}

static long g_iters;
static double req_oneshot(long n)
{
    return run_request(n, 0, 0);
}
static double req_split(long n)
{
    return run_request(n, 200, 0);
}
static double req_sse2(long n)
{
    return run_request(n, 0, H1_NO_AVX2);
}
static double req_bytewise(long n)
{
    return run_request(n, 0, H1_NO_AVX2 | H1_NO_FAST_PATH);
}

int main(int argc, char **argv)
{
    g_iters = argc > 1 ? atol(argv[1]) : 2000000;
    printf("request head: %zu bytes, 12 fields\n", sizeof(request) - 1);
    printf("request, one read:   %7.1f ns\n", best(req_oneshot, g_iters));
    printf("request, two reads:  %7.1f ns\n", best(req_split, g_iters));
    printf("request, SSE2 only:  %7.1f ns\n", best(req_sse2, g_iters));
    printf("request, no fast path: %5.1f ns\n", best(req_bytewise, g_iters));
    printf("response, one read:  %7.1f ns\n", best(run_response, g_iters));
    printf("chunked, 4 KiB chunks: %7.1f ns per MiB\n", best(run_chunked, g_iters / 40 + 100));
    return 0;
}
