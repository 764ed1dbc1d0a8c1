/* Client connections and the life of a request.
 *
 * Every socket is registered once for IO_READ|IO_WRITE, edge-triggered, and
 * the connection keeps two readiness bits per socket (rready, wready): an
 * event sets them, a short read, EAGAIN or a short write clears them. All
 * the work is done by one function, conn_pump, which moves bytes wherever
 * a buffer and a ready socket allow (client -> rb -> upstream, upstream ->
 * ub -> client), until nothing moves; callbacks only record readiness and
 * call it. So a request and its response flow at the same time, a full
 * buffer simply stops the reads on the side that fills it (back-pressure),
 * and memory per connection is the buffers, whatever the body sizes.
 * docs/internals/proxy.md has the states and the buffer layout. */
#include <errno.h>
#include <netinet/in.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

#include "core/log.h"
#include "core/text.h"
#include "http/h1_write.h"
#include "net/net.h"
#include "proxy/path.h"
#include "proxy/proxy_int.h"

#define FREE_CONNS_MAX 4096
#define FREE_REQS_MAX 1024
#define PUMP_MAX 10000 /* steps per callback: bounded even if a peer is faster than us */
/* Response bodies up to this size are copied behind their head and go out
 * with it in one send(2) (client_write); copying this much costs less than
 * the sendmsg(2) of two buffers it saves. */
#define SMALL_BODY 2048

static const char CONTINUE[] = "HTTP/1.1 100 Continue\r\n\r\n";
#define CONTINUE_LEN ((uint8_t)(sizeof CONTINUE - 1))
static const char LAST_CHUNK[] = "0\r\n\r\n";
#define LAST_CHUNK_LEN ((uint8_t)(sizeof LAST_CHUNK - 1))

/* What the client timer means (conn.tmode). */
enum { TM_NONE, TM_HEADER, TM_IDLE, TM_BODY, TM_SEND, TM_TUNNEL, TM_LINGER };
/* What an upstream's timer means (upconn.tmode). */
enum { UT_NONE, UT_CONNECT, UT_IO };
/* conn.prog bits: progress made during a pump, to restart timers. */
enum { PROG_CR = 1, PROG_CW = 2, PROG_UR = 4, PROG_UW = 8 };

static void conn_pump(struct conn *c);
static void conn_timeout(struct loop *loop, struct timer *t);
static void local_response(struct req *r, int status);
static void upstream_pick(struct req *r, int fresh);

/* ---- small helpers ----------------------------------------------------- */

struct out {
    char *p;
    uint32_t len, cap;
    int full;
};

static inline void out_add(struct out *o, const void *s, size_t n)
{
    if (!n || !s)
        return;
    if (n > o->cap - o->len) {
        o->full = 1;
        return;
    }
    memcpy(o->p + o->len, s, n);
    o->len += (uint32_t)n;
}

#define OUT_LIT(o, s) out_add((o), (s), sizeof(s) - 1)

static void out_u64(struct out *o, uint64_t v)
{
    char tmp[20];
    int n = 20;
    do {
        tmp[--n] = (char)('0' + v % 10);
        v /= 10;
    } while (v);
    out_add(o, tmp + n, (size_t)(20 - n));
}

/* "name: value\r\n" with one bounds check (this runs for every field). */
static void out_field(struct out *o, const char *name, size_t nlen, const char *v, size_t vlen)
{
    if (nlen + vlen + 4 > o->cap - o->len) {
        o->full = 1;
        return;
    }
    char *p = o->p + o->len;
    memcpy(p, name, nlen);
    p += nlen;
    *p++ = ':';
    *p++ = ' ';
    if (vlen)
        memcpy(p, v, vlen);
    p += vlen;
    *p++ = '\r';
    *p = '\n';
    o->len += (uint32_t)(nlen + vlen + 4);
}

/* Fields passed on as they came: a run of neighbouring lines goes in one
 * copy. The parser has checked every byte; a line starts at its name (a
 * leading space would be obs-fold, refused) and ends where the next one
 * starts, the last one two bytes before the end of the head. */
struct run {
    const char *p; /* start of the run being collected, or NULL */
};

static inline void run_keep(struct run *rn, const struct h1_header *h)
{
    if (!rn->p)
        rn->p = h->name;
}

static inline void run_skip(struct out *o, struct run *rn, const struct h1_header *h)
{
    if (rn->p) {
        out_add(o, rn->p, (size_t)(h->name - rn->p));
        rn->p = NULL;
    }
}

/* <head_end>: the end of the head, its final empty line included. */
static inline void run_end(struct out *o, struct run *rn, const char *head_end)
{
    if (rn->p)
        out_add(o, rn->p, (size_t)(head_end - 2 - rn->p));
}

/* Readiness: 0 not ready, 1 ready, RD_EOF ready and the peer has shut its
 * side (IO_RDHUP). A short read drains the socket, except when the end of
 * stream came in the same edge as the last bytes: then no new edge will
 * report it, so RD_EOF stays until a read returns 0. */
#define RD_EOF 2

static void mark_ready(uint8_t *ready, unsigned ev)
{
    if (ev & (IO_RDHUP | IO_HUP | IO_ERR))
        *ready = RD_EOF;
    else if ((ev & IO_READ) && !*ready)
        *ready = 1;
}

/* Socket I/O is recv(2) and sendmsg(2), not read(2) and writev(2): the same
 * work without the file layer's checks and notifications (about 2% of the
 * worker's CPU time per proxied request, measured side by side).
 *
 * recv that clears *ready when the socket is drained (a short read, end of
 * stream or EAGAIN). Returns bytes (> 0), 0 at end of stream, or -errno. */
static ssize_t rd(int fd, char *p, size_t n, uint8_t *ready)
{
    ssize_t k;
    do
        k = recv(fd, p, n, 0);
    while (k < 0 && errno == EINTR);
    if (k < 0) {
        *ready = 0;
        return -errno;
    }
    if (k == 0 || ((size_t)k < n && *ready != RD_EOF))
        *ready = 0;
    return k;
}

/* One buffer goes out through send(2), which takes it as it is; sendmsg(2)
 * first copies the message header and the iovec array in from user space
 * (about 300 ns more per call here, measured on a loopback socket). */
static ssize_t wv(int fd, const struct iovec *iov, int n)
{
    ssize_t k;
    if (n == 1) {
        do
            k = send(fd, iov[0].iov_base, iov[0].iov_len, MSG_NOSIGNAL);
        while (k < 0 && errno == EINTR);
    } else {
        struct msghdr m = {.msg_iov = (struct iovec *)iov, .msg_iovlen = (size_t)n};
        do
            k = sendmsg(fd, &m, MSG_NOSIGNAL);
        while (k < 0 && errno == EINTR);
    }
    return k < 0 ? -errno : k;
}

/* conn.twant: a TLS call needs the other direction of the socket. */
enum { CT_READ_ON_WRITE = 1, CT_WRITE_ON_READ = 2 };

/* Client I/O through TLS, with rd's and wv's contracts except one: TLS
 * returns a record at a time, so a short read or write says nothing about
 * the socket; readiness is cleared by -EAGAIN, the end, or a read that
 * emptied the socket with nothing left in OpenSSL (tls_read_drained). */
static __attribute__((noinline)) ssize_t tls_rd(struct conn *c, char *p, size_t n)
{
    int want = 0;
    ssize_t k = tls_read(c->ssl, p, n, &want);
    if (k <= 0 || (c->rready != RD_EOF && tls_read_drained(c->ssl)))
        c->rready = 0;
    if (k == -EAGAIN && want == TLS_WANT_WRITE)
        c->twant |= CT_READ_ON_WRITE;
    return k;
}

static __attribute__((noinline)) ssize_t tls_wv(struct conn *c, const struct iovec *iov, int n)
{
    int want = 0;
    ssize_t k = tls_writev(c->ssl, iov, n, c->w->tls_wbuf, PROXY_TLS_WBUF, &want);
    if (k == -EAGAIN && want == TLS_WANT_READ)
        c->twant |= CT_WRITE_ON_READ;
    return k;
}

/* Reads from the client: plain or TLS. */
static inline ssize_t crd(struct conn *c, char *p, size_t n)
{
    if (c->ssl)
        return tls_rd(c, p, n);
    return rd(c->io.fd, p, n, &c->rready);
}

/* Shuts our write side to the client (after close_notify on TLS). */
static void client_shut(struct conn *c)
{
    if (c->ssl)
        tls_shutdown(c->ssl);
    shutdown(c->io.fd, SHUT_WR);
}

static char *pbuf_take(struct pworker *w, uint32_t *size)
{
    char *b = bufpool_get(&w->pool);
    if (b)
        *size = (uint32_t)w->pool.size;
    return b;
}

static void pbuf_give(struct pworker *w, char *b, uint32_t size)
{
    if (b)
        bufpool_put(size == w->pool.size ? &w->pool : &w->big, b);
}

/* Moves a pool buffer's <used> bytes into a big buffer (a head larger than
 * a pool buffer). Returns 0, or -1 when already big or out of memory. */
static int pbuf_grow(struct pworker *w, char **b, uint32_t *size, uint32_t used)
{
    if (*size >= w->big_size)
        return -1;
    char *nb = bufpool_get(&w->big);
    if (!nb)
        return -1;
    memcpy(nb, *b, used);
    bufpool_put(&w->pool, *b);
    *b = nb;
    *size = w->big_size;
    return 0;
}

static uint64_t rng_next(struct pworker *w)
{
    /* xorshift128+ */
    uint64_t s1 = w->rng[0];
    const uint64_t s0 = w->rng[1];
    w->rng[0] = s0;
    s1 ^= s1 << 23;
    w->rng[1] = s1 ^ s0 ^ (s1 >> 17) ^ (s0 >> 26);
    return w->rng[1] + s0;
}

/* Eight random nibbles as eight hex digits, all lanes at once: each byte
 * n (0-15) becomes '0' + n, plus 39 more ('a' - '0' - 10) when n > 9. */
static uint64_t hex8(uint64_t nibbles)
{
    const uint64_t ones = 0x0101010101010101u;
    uint64_t over9 = ((nibbles + 6 * ones) >> 4) & ones;
    return nibbles + '0' * ones + over9 * 39;
}

/* 32 random hex digits: the high and the low nibbles of two 64-bit draws
 * (the digits are random, so their order does not matter). */
static void make_rid(struct pworker *w, char *out)
{
    const uint64_t low = 0x0f0f0f0f0f0f0f0fu;
    for (char *end = out + 32; out < end; out += 16) {
        uint64_t v = rng_next(w), hi = hex8((v >> 4) & low), lo = hex8(v & low);
        memcpy(out, &hi, 8);
        memcpy(out + 8, &lo, 8);
    }
    *out = '\0';
}

/* ---- access log -------------------------------------------------------- */

void alog_flush(struct loop *loop, struct defer *d)
{
    (void)loop;
    struct pworker *w = NET_CONTAINER_OF(d, struct pworker, alog_defer);
    size_t off = 0;
    while (off < w->alog_len) {
        ssize_t k = write(STDOUT_FILENO, w->alog + off, w->alog_len - off);
        if (k < 0) {
            if (errno == EINTR)
                continue;
            break; /* stdout is gone: drop the lines rather than the requests */
        }
        off += (size_t)k;
    }
    w->alog_len = 0;
}

/* Keeps "METHOD target HTTP/1.x" (or the first line of a refused request)
 * for the log, with quotes, backslashes and non-printable bytes escaped. */
static void capture_logline(struct req *r, const char *p, size_t n)
{
    static const char hex[] = "0123456789abcdef";
    size_t o = 0;
    while (n && (*p == '\r' || *p == '\n'))
        p++, n--;
    for (size_t i = 0; i < n && p[i] != '\r' && p[i] != '\n'; i++) {
        unsigned char ch = (unsigned char)p[i];
        if (o + 8 >= PROXY_LOGLINE) {
            memcpy(r->logline + o, "...", 3);
            o += 3;
            break;
        }
        if (ch < 0x20 || ch >= 0x7f || ch == '"' || ch == '\\') {
            r->logline[o++] = '\\';
            r->logline[o++] = 'x';
            r->logline[o++] = hex[ch >> 4];
            r->logline[o++] = hex[ch & 15];
        } else {
            r->logline[o++] = (char)ch;
        }
    }
    r->logline_len = (uint16_t)o;
}

static void alog_write(struct req *r)
{
    struct conn *c = r->c;
    struct pworker *w = c->w;
    if (!w->px->cfg.access_log)
        return;
    const char *now = text_clock_now(&w->alog_clock, "%Y-%m-%dT%H:%M:%SZ");
    uint64_t dur = loop_now_ms(w->loop) - r->start_ms;
    char line[PROXY_LOGLINE + 320];
    int n = snprintf(line, sizeof line, "%.*s - [%s] \"%.*s\" %u %llu %s %llu.%03llu %s\n",
                     (int)c->iplen, c->ip, now, (int)r->logline_len, r->logline,
                     (unsigned)r->status, (unsigned long long)r->bytes_out,
                     r->ep ? r->ep->hostport : "-", (unsigned long long)(dur / 1000),
                     (unsigned long long)(dur % 1000), r->rid[0] ? r->rid : "-");
    if (n <= 0)
        return;
    if ((size_t)n >= sizeof line)
        n = sizeof line - 1, line[n - 1] = '\n';
    if (w->alog_len + (size_t)n > sizeof w->alog)
        alog_flush(w->loop, &w->alog_defer);
    memcpy(w->alog + w->alog_len, line, (size_t)n);
    w->alog_len += (size_t)n;
    loop_defer(w->loop, &w->alog_defer, alog_flush);
}

/* ---- requests ---------------------------------------------------------- */

static struct req *req_new(struct conn *c)
{
    struct pworker *w = c->w;
    uint32_t maxh = w->px->lim.max_headers;
    struct req *r = w->free_reqs;
    if (r) {
        w->free_reqs = r->next_free;
        w->nfree_reqs--;
    } else if (!(r = malloc(sizeof *r +
                            (maxh + PROXY_RESP_MAX_HEADERS) * sizeof(struct h1_header)))) {
        return NULL;
    }
    memset(r, 0, offsetof(struct req, p));
    r->rid[0] = '\0';
    r->hdrs = (struct h1_header *)(void *)(r + 1);
    r->rhdrs = r->hdrs + maxh;
    r->c = c;
    r->start_ms = loop_now_ms(w->loop);
    h1_parser_init(&r->p, &w->px->lim);
    h1_msg_init(&r->m, r->hdrs, maxh);
    h1_parser_init(&r->rp, &w->px->rlim);
    h1_msg_init(&r->rm, r->rhdrs, PROXY_RESP_MAX_HEADERS);
    return r;
}

static void req_free(struct req *r)
{
    struct conn *c = r->c;
    struct pworker *w = c->w;
    if (r->up) {
        up_close(r->up);
        r->up = NULL;
    }
    if (r->wt)
        wtable_done(w, r->wt);
    pbuf_give(w, r->ob, r->ob_size);
    pbuf_give(w, r->ub, r->ub_size);
    c->req = NULL;
    if (w->nfree_reqs < FREE_REQS_MAX) {
        r->next_free = w->free_reqs;
        w->free_reqs = r;
        w->nfree_reqs++;
    } else {
        free(r);
    }
}

/* The client is gone or the exchange cannot go on: log it, close both. */
static void abort_req(struct req *r, int status)
{
    if (!r->status)
        r->status = (uint16_t)status;
    alog_write(r);
    r->c->dead = 1;
}

static int ensure_ob(struct req *r, uint32_t need)
{
    struct pworker *w = r->c->w;
    if (r->ob && r->ob_size >= need)
        return 0;
    if (r->ob && r->ob_size >= w->big_size)
        return -1;
    char *b;
    uint32_t size;
    if (need <= w->pool.size) {
        b = pbuf_take(w, &size);
    } else if (need <= w->big_size) {
        b = bufpool_get(&w->big);
        size = w->big_size;
    } else {
        return -1;
    }
    if (!b)
        return -1;
    pbuf_give(w, r->ob, r->ob_size);
    r->ob = b;
    r->ob_size = size;
    return 0;
}

/* An answer of our own, part one: closes any upstream, takes an output
 * buffer of at least <need> bytes and writes the status line. The caller
 * adds its fields and calls local_end. Returns -1 (the exchange aborted)
 * when memory runs out. */
static int local_begin(struct req *r, int status, uint32_t need, struct out *o)
{
    struct conn *c = r->c;
    if (r->up) {
        up_close(r->up);
        r->up = NULL;
    }
    if (ensure_ob(r, need) < 0) {
        abort_req(r, status);
        return -1;
    }
    r->keep = r->ka && r->rq_done && !c->closing && !c->w->draining && !c->eof;
    *o = (struct out){r->ob, 0, r->ob_size, 0};
    char sl[64];
    out_add(o, sl, h1_write_status_line(sl, sizeof sl, 1, status, NULL));
    return 0;
}

/* Part two: Content-Length, Connection, the body (not for HEAD), and the
 * request's state for sending it. */
static void local_end(struct req *r, int status, struct out *o, const char *body, size_t blen)
{
    struct conn *c = r->c;
    OUT_LIT(o, "Content-Length: ");
    out_u64(o, blen);
    OUT_LIT(o, "\r\n");
    if (!r->keep)
        OUT_LIT(o, "Connection: close\r\n");
    else if (r->version == 0)
        OUT_LIT(o, "Connection: keep-alive\r\n");
    OUT_LIT(o, "\r\n");
    if (r->method != H1_M_HEAD) {
        out_add(o, body, blen);
        r->bytes_out = blen;
    }
    r->ob_len = o->len;
    r->ob_off = 0;
    r->ob_kind = OB_LOCAL;
    r->rs_state = RS_LOCAL;
    r->status = (uint16_t)status;
    if (r->cont == 1 || (r->cont == 2 && r->cont_off == 0))
        r->cont = 0;
    c->state = CS_ACTIVE;
}

/* An answer of our own (an error, mostly), with a short text body. */
static void local_response(struct req *r, int status)
{
    struct out o;
    if (local_begin(r, status, 512, &o) < 0)
        return;
    char body[64];
    int blen = snprintf(body, sizeof body, "%d %s\n", status, h1_reason(status));
    OUT_LIT(&o, "Content-Type: text/plain; charset=utf-8\r\n");
    local_end(r, status, &o, body, (size_t)blen);
}

/* 308 to the same URL over https (as ingress-nginx answers a host with
 * TLS): https://host[:port]/path?query, the port omitted when it is 443,
 * the path and query as the client sent them. <tgt> is the origin-form
 * target (path and query). */
static void redirect_https(struct req *r, struct h1_slice host, const char *tgt, size_t tlen)
{
    static const char body[] = "<html>\r\n<head><title>308 Permanent Redirect</title></head>\r\n"
                               "<body>\r\n<center><h1>308 Permanent Redirect</h1></center>\r\n"
                               "<hr><center>ferry</center>\r\n</body>\r\n</html>\r\n";
    struct proxy *px = r->c->w->px;
    size_t hlen = host.len;
    if (hlen && host.p[0] == '[') {
        const char *rb = memchr(host.p, ']', hlen);
        hlen = rb ? (size_t)(rb - host.p) + 1 : hlen;
    } else if (hlen) {
        const char *colon = memchr(host.p, ':', hlen);
        hlen = colon ? (size_t)(colon - host.p) : hlen;
    }
    struct out o;
    if (local_begin(r, 308, (uint32_t)(hlen + tlen + 512 + sizeof body), &o) < 0)
        return;
    OUT_LIT(&o, "Content-Type: text/html\r\nLocation: https://");
    out_add(&o, host.p, hlen);
    if (px->tportlen != 3 || memcmp(px->tportstr, "443", 3) != 0) {
        OUT_LIT(&o, ":");
        out_add(&o, px->tportstr, px->tportlen);
    }
    out_add(&o, tgt, tlen);
    OUT_LIT(&o, "\r\n");
    local_end(r, 308, &o, body, sizeof body - 1);
}

/* A request we refuse before routing it (parse errors, timeouts). */
static void head_error(struct req *r, int status)
{
    struct conn *c = r->c;
    if (!r->logline_len)
        capture_logline(r, c->rb + c->rb_off, c->rb_len - c->rb_off);
    r->ka = 0;
    LOG_V(2, "proxy: %.*s: refused with %d: %s", (int)c->iplen, c->ip, status,
          h1_strerror(r->p.err));
    local_response(r, status);
}

static void on_connected(struct req *r)
{
    if (r->cont == 1)
        r->cont = 2;
    r->up->tmode = UT_NONE;
    timer_stop(r->c->w->loop, &r->up->timer);
}

/* Takes a connection to the next endpoint: an idle pooled one, else a new
 * one. Connections that cannot even be started count as failed attempts. */
static void upstream_pick(struct req *r, int fresh)
{
    struct pworker *w = r->c->w;
    const struct route_backend *be = r->be;
    uint32_t max = w->px->cfg.upstream_tries;
    if (max > be->nendpoints)
        max = be->nendpoints;
    for (;;) {
        r->ep = &be->endpoints[(r->ep_first + r->attempts) % be->nendpoints];
        struct upconn *u = fresh ? NULL : up_take_idle(w, r->ep);
        if (u) {
            u->req = r;
            r->up = u;
            on_connected(r);
            return;
        }
        int err = 0;
        u = up_connect(w, r->ep, &err);
        if (u) {
            u->req = r;
            r->up = u;
            u->tmode = UT_CONNECT;
            up_set_timer(u, w->px->cfg.upstream_connect_timeout_ms);
            return;
        }
        LOG_V(1, "proxy: connect %s: %s", r->ep->hostport, strerror(-err));
        if (++r->attempts >= max) {
            local_response(r, 502);
            return;
        }
    }
}

/* The upstream connection failed before or while we waited for its answer.
 * A connection that could not be made is retried on the next endpoint (no
 * byte of the request left us); a pooled connection that turns out closed
 * is retried once more on a new connection when the request is idempotent
 * and still whole in our buffers. Otherwise 502, or 504 after a timeout. */
static void upstream_failed(struct req *r, int timeout)
{
    struct upconn *u = r->up;
    struct pworker *w = r->c->w;
    int connecting = u->state == UP_CONNECTING, reused = u->reused;
    LOG_V(1, "proxy: upstream %s: %s", r->ep->hostport,
          timeout      ? "timed out"
          : connecting ? "connection failed"
                       : "connection lost");
    up_close(u);
    r->up = NULL;
    r->last_timeout = (uint8_t)timeout;
    if (r->rs_state != RS_WAIT) {
        abort_req(r, timeout ? 504 : 502);
        return;
    }
    if (connecting) {
        uint32_t max = w->px->cfg.upstream_tries;
        if (max > r->be->nendpoints)
            max = r->be->nendpoints;
        if (++r->attempts < max) {
            upstream_pick(r, 0);
            return;
        }
    } else if (reused && !timeout && !r->got_resp_byte && r->idempotent && !r->rq_discarded &&
               r->stale_retries < 2) {
        r->stale_retries++;
        r->ob_off = 0;
        r->rq_fwd = r->rq_body_start;
        r->rq_sent = 0;
        upstream_pick(r, 1);
        return;
    }
    local_response(r, timeout ? 504 : 502);
}

/* The body of a request turned out malformed (chunked coding). */
static void bad_body(struct req *r, int status)
{
    if (r->rs_state == RS_WAIT)
        local_response(r, status);
    else
        abort_req(r, status);
}

enum { SP_NONE, SP_XFF, SP_XFPROTO, SP_XFHOST, SP_XFPORT, SP_XREALIP, SP_XRID, SP_COUNT };

/* The request fields we set ourselves (X-Forwarded-*, X-Real-IP), or keep
 * once (X-Request-ID). */
static int special(const struct h1_header *h)
{
    if (h->name_len < 9 || (h->name[0] | 0x20) != 'x' || h->name[1] != '-')
        return SP_NONE;
    const char *n = h->name + 2;
    switch (h->name_len) {
    case 9:
        return !strncasecmp(n, "real-ip", 7) ? SP_XREALIP : SP_NONE;
    case 12:
        return !strncasecmp(n, "request-id", 10) ? SP_XRID : SP_NONE;
    case 15:
        return !strncasecmp(n, "forwarded-for", 13) ? SP_XFF : SP_NONE;
    case 16:
        if (!strncasecmp(n, "forwarded-host", 14))
            return SP_XFHOST;
        return !strncasecmp(n, "forwarded-port", 14) ? SP_XFPORT : SP_NONE;
    case 17:
        return !strncasecmp(n, "forwarded-proto", 15) ? SP_XFPROTO : SP_NONE;
    default:
        return SP_NONE;
    }
}

/* An X-Forwarded-* field: the client's <h> when trusted (not NULL), else ours. */
static inline void fwd_field(struct out *o, const char *name, const struct h1_header *h,
                             const char *ours, size_t ours_len)
{
    if (h)
        out_field(o, name, strlen(name), h->value, h->value_len);
    else
        out_field(o, name, strlen(name), ours, ours_len);
}

/* The request head is complete (<head_len> bytes at rb + rb_off): route it,
 * write the head we forward into ob, and start for an upstream. */
static void begin_request(struct req *r, uint32_t head_len)
{
    struct conn *c = r->c;
    struct pworker *w = c->w;
    struct proxy *px = w->px;
    struct h1_msg *m = &r->m;
    c->nreq++;
    c->state = CS_ACTIVE;
    r->method = m->method;
    r->version = m->version;
    r->ka = (m->flags & H1_MF_KEEP_ALIVE) != 0;
    r->upgrade = (m->flags & H1_MF_UPGRADE) != 0;
    switch (m->method) {
    case H1_M_GET:
    case H1_M_HEAD:
    case H1_M_PUT:
    case H1_M_DELETE:
    case H1_M_OPTIONS:
    case H1_M_TRACE:
        r->idempotent = 1;
        break;
    default:
        break;
    }
    uint32_t body = c->rb_off + head_len;
    r->rq_body_start = r->rq_fwd = r->rq_val = body;
    r->rq_body = m->body;
    r->rq_left = m->body == H1_BODY_LENGTH ? m->content_length : 0;
    r->rq_done = m->body == H1_BODY_NONE || (m->body == H1_BODY_LENGTH && !m->content_length);
    if (m->body == H1_BODY_CHUNKED)
        h1_chunked_init(&r->rq_ch, &px->lim, NULL, 0);
    if (px->cfg.access_log)
        capture_logline(r, m->method_s.p, (size_t)(c->rb + c->rb_len - m->method_s.p));

    if (m->method == H1_M_CONNECT) {
        local_response(r, 405);
        return;
    }
    if (m->flags & H1_MF_EXPECT_OTHER) {
        local_response(r, 417);
        return;
    }

    /* Host, path and query, by target form. */
    struct h1_slice host = m->host;
    const char *tgt = m->target.p, *path, *query = NULL;
    size_t tlen = m->target.len, plen, qlen = 0;
    int absolute = m->target_form == H1_T_ABSOLUTE;
    if (absolute) {
        host = m->authority;
        const char *rest = m->authority.p + m->authority.len;
        tlen = (size_t)(tgt + tlen - rest);
        tgt = rest;
    }
    if (m->target_form == H1_T_ASTERISK) {
        path = "*";
        plen = 1;
    } else {
        const char *q = memchr(tgt, '?', tlen);
        plen = q ? (size_t)(q - tgt) : tlen;
        path = tgt;
        if (q) {
            query = q;
            qlen = tlen - plen;
        }
        if (plen == 0) { /* absolute-form without a path */
            path = "/";
            plen = 1;
        }
    }

    uint32_t need = head_len + 1024 + (uint32_t)host.len;
    if (ensure_ob(r, need) < 0) {
        local_response(r, 431);
        return;
    }
    struct out o = {r->ob, 0, r->ob_size, 0};
    out_add(&o, m->method_s.p, m->method_s.len);
    OUT_LIT(&o, " ");
    uint32_t path_off = o.len;
    if (path[0] != '/' || path_is_clean(path, plen)) {
        out_add(&o, path, plen);
    } else {
        ssize_t n = path_normalize(path, plen, o.p + o.len, o.cap - o.len);
        if (n == -1) {
            LOG_V(2, "proxy: %.*s: refused path %.*s", (int)c->iplen, c->ip, (int)plen, path);
            r->ka = 0; /* a client that sends these is not one to keep */
            local_response(r, 400);
            return;
        }
        if (n < 0) {
            local_response(r, 431);
            return;
        }
        o.len += (uint32_t)n;
    }
    uint32_t path_len = o.len - path_off;
    if (query)
        out_add(&o, query, qlen);
    OUT_LIT(&o, " HTTP/1.1\r\n");
    if (o.full) {
        local_response(r, 431);
        return;
    }

    /* Route. The table stays pinned until the request ends. */
    if (!w->cur) {
        local_response(r, 404);
        return;
    }
    r->wt = w->cur;
    r->wt->inflight++;
    const struct route *rt = route_lookup(r->wt->t, host.p, host.len, r->ob + path_off, path_len);
    if (!rt) {
        local_response(r, 404);
        return;
    }
    if (rt->ssl_redirect && !c->ssl && px->tls) {
        redirect_https(r, host, tgt, tlen);
        return;
    }
    const struct route_backend *be = rt->backend;
    /* An ExternalName backend's endpoints are its name's addresses, resolved
     * when the table was built (routes.h); the client's Host goes with the
     * request, as ingress-nginx sends it by default. */
    int usable = be->state == ROUTE_BACKEND_OK || be->state == ROUTE_BACKEND_EXTERNAL_NAME;
    if (!usable || !be->nendpoints) {
        LOG_V(2, "proxy: %s/%s: no endpoint (%s)", be->ns, be->service,
              usable ? "none ready" : "backend unusable");
        local_response(r, 503);
        return;
    }
    r->be = be;

    /* The fields we forward, then ours. first[]: the first non-empty field
     * of each kind we set; the client's X-Forwarded-* count only with
     * use_forwarded_headers. */
    const struct h1_header *first[SP_COUNT] = {NULL};
    int trust = px->cfg.use_forwarded_headers;
    struct run rn = {NULL};
    for (uint32_t i = 0; i < m->nheaders; i++) {
        const struct h1_header *h = &m->headers[i];
        if ((h->flags & (H1_HF_HOP | H1_HF_FRAMING)) || h->id == H1_H_EXPECT ||
            (h->id == H1_H_HOST && absolute)) {
            run_skip(&o, &rn, h);
            continue;
        }
        if (h->id == H1_H_OTHER) {
            int s = special(h);
            if (s) {
                if (!first[s] && h->value_len && (trust || s == SP_XRID))
                    first[s] = h;
                run_skip(&o, &rn, h);
                continue;
            }
        }
        run_keep(&rn, h);
    }
    run_end(&o, &rn, c->rb + c->rb_off + head_len);
    if (absolute)
        out_field(&o, "Host", 4, host.p, host.len);
    else if (!m->host.p)
        OUT_LIT(&o, "Host: \r\n");
    OUT_LIT(&o, "X-Forwarded-For: ");
    if (first[SP_XFF]) {
        for (uint32_t i = 0; i < m->nheaders; i++) {
            const struct h1_header *h = &m->headers[i];
            if (h->id == H1_H_OTHER && h->value_len && special(h) == SP_XFF) {
                out_add(&o, h->value, h->value_len);
                OUT_LIT(&o, ", ");
            }
        }
    }
    out_add(&o, c->ip, c->iplen);
    OUT_LIT(&o, "\r\n");
    fwd_field(&o, "X-Forwarded-Proto", first[SP_XFPROTO], c->ssl ? "https" : "http",
              c->ssl ? 5 : 4);
    if (host.len || first[SP_XFHOST])
        fwd_field(&o, "X-Forwarded-Host", first[SP_XFHOST], host.p, host.len);
    fwd_field(&o, "X-Forwarded-Port", first[SP_XFPORT], c->ssl ? px->tportstr : px->portstr,
              c->ssl ? px->tportlen : px->portlen);
    out_field(&o, "X-Real-IP", 9, c->ip, c->iplen);
    const struct h1_header *rid = first[SP_XRID];
    if (rid) {
        size_t n = rid->value_len < sizeof r->rid - 1 ? rid->value_len : sizeof r->rid - 1;
        memcpy(r->rid, rid->value, n);
        r->rid[n] = '\0';
        out_field(&o, "X-Request-ID", 12, rid->value, rid->value_len);
    } else {
        make_rid(w, r->rid);
        out_field(&o, "X-Request-ID", 12, r->rid, 32);
    }
    if (m->body == H1_BODY_LENGTH) {
        OUT_LIT(&o, "Content-Length: ");
        out_u64(&o, m->content_length);
        OUT_LIT(&o, "\r\n");
    } else if (m->body == H1_BODY_CHUNKED) {
        OUT_LIT(&o, "Transfer-Encoding: chunked\r\n");
    }
    if (r->upgrade) {
        OUT_LIT(&o, "Connection: upgrade\r\n");
        out_field(&o, "Upgrade", 7, m->upgrade.p, m->upgrade.len);
    }
    OUT_LIT(&o, "\r\n");
    if (o.full) {
        local_response(r, 431);
        return;
    }
    r->ob_len = o.len;
    r->ob_off = 0;
    r->ob_kind = OB_REQ;
    if ((m->flags & H1_MF_EXPECT_CONTINUE) && !r->rq_done && c->rb_len == body)
        r->cont = 1;
    r->ep_first = r->wt->rr[be->index]++;
    upstream_pick(r, 0);
}

/* ---- the response head ------------------------------------------------- */

static void build_resp_head(struct req *r, uint32_t head_len)
{
    struct conn *c = r->c;
    struct pworker *w = c->w;
    const struct proxy_config *cfg = &w->px->cfg;
    struct h1_msg *m = &r->rm;
    int tunnel = m->body == H1_BODY_TUNNEL;
    r->status = m->status;
    r->rs_body = m->body;
    r->rs_decode = m->body == H1_BODY_CHUNKED && r->version == 0;
    /* A body that ends when the upstream closes (RFC 9112 6.3 rule 8) goes
     * to an HTTP/1.1 client chunked, as nginx does, so that the client
     * connection outlives the upstream one; an HTTP/1.0 client can only
     * be told the end by our close. */
    r->rs_chunk = m->body == H1_BODY_CLOSE && r->version == 1;
    r->keep = r->ka && !c->closing && !w->draining && !c->eof && r->rq_done && !tunnel &&
              (m->body != H1_BODY_CLOSE || r->rs_chunk) && !r->rs_decode &&
              (!cfg->keepalive_requests || c->nreq < cfg->keepalive_requests);
    if (ensure_ob(r, head_len + 256) < 0) {
        up_close(r->up);
        r->up = NULL;
        local_response(r, 502);
        return;
    }
    struct out o = {r->ob, 0, r->ob_size, 0};
    /* The parser took three digits, 100 to 599. */
    char status[13] = "HTTP/1.1 000 ";
    status[9] = (char)('0' + m->status / 100);
    status[10] = (char)('0' + m->status / 10 % 10);
    status[11] = (char)('0' + m->status % 10);
    out_add(&o, status, sizeof status);
    if (m->reason.len)
        out_add(&o, m->reason.p, m->reason.len);
    else
        out_add(&o, h1_reason(m->status), strlen(h1_reason(m->status)));
    OUT_LIT(&o, "\r\n");
    /* A response without a body keeps its Content-Length (HEAD, 304). */
    unsigned skip = H1_HF_HOP | (m->body == H1_BODY_NONE ? 0 : H1_HF_FRAMING);
    struct run rn = {NULL};
    for (uint32_t i = 0; i < m->nheaders; i++) {
        const struct h1_header *h = &m->headers[i];
        if (h->flags & skip)
            run_skip(&o, &rn, h);
        else
            run_keep(&rn, h);
    }
    run_end(&o, &rn, r->ub + head_len);
    if (m->body == H1_BODY_LENGTH) {
        OUT_LIT(&o, "Content-Length: ");
        out_u64(&o, m->content_length);
        OUT_LIT(&o, "\r\n");
    } else if ((m->body == H1_BODY_CHUNKED && !r->rs_decode) || r->rs_chunk) {
        OUT_LIT(&o, "Transfer-Encoding: chunked\r\n");
    }
    if (tunnel) {
        OUT_LIT(&o, "Connection: upgrade\r\n");
        if (m->upgrade.p)
            out_field(&o, "Upgrade", 7, m->upgrade.p, m->upgrade.len);
    } else if (!r->keep) {
        OUT_LIT(&o, "Connection: close\r\n");
    } else if (r->version == 0) {
        OUT_LIT(&o, "Connection: keep-alive\r\n");
    }
    OUT_LIT(&o, "\r\n");
    if (o.full) {
        up_close(r->up);
        r->up = NULL;
        local_response(r, 502);
        return;
    }
    r->ob_len = o.len;
    r->ob_off = 0;
    r->ob_kind = OB_RESP;
    r->rs_fwd = r->rs_val = r->rs_dec = head_len;
    r->rs_left = m->body == H1_BODY_LENGTH ? m->content_length : 0;
    if (m->body == H1_BODY_CHUNKED)
        h1_chunked_init(&r->rs_ch, &w->px->rlim, NULL, 0);
    if (r->cont == 1 || (r->cont == 2 && r->cont_off == 0))
        r->cont = 0;
    if (tunnel) {
        r->rs_state = RS_TUNNEL;
        r->rs_val = r->ub_len;
        r->rq_val = c->rb_len; /* whatever follows the request goes through */
        c->state = CS_TUNNEL;
    } else {
        r->rs_state = RS_BODY;
    }
}

/* Removes the <n> bytes of an interim response head from the front of ub
 * and readies the parser for the next head. */
static void drop_interim(struct req *r, uint32_t n)
{
    memmove(r->ub, r->ub + n, r->ub_len - n);
    r->ub_len -= n;
    r->rs_dec = 0;
    h1_parser_reset(&r->rp);
    h1_msg_init(&r->rm, r->rhdrs, PROXY_RESP_MAX_HEADERS);
}

static int parse_resp_head(struct req *r)
{
    struct upconn *u = r->up;
    if (!u || u->state != UP_ACTIVE)
        return 0;
    if (r->ir_len) {
        if (r->ir_off < r->ir_len)
            return 0; /* the interim head is still being written */
        drop_interim(r, r->ir_len);
        r->ir_len = r->ir_off = 0;
        return 1;
    }
    if (r->ub_len > r->rs_dec) { /* rs_dec: bytes given to the parser so far */
        int n = h1_parse_response(&r->rp, &r->rm, r->ub, r->ub_len, r->method);
        if (n > 0) {
            if (r->rm.status < 200 && r->rm.status != 101) {
                /* Interim: 100 is ours to send (we answered Expect); the
                 * others (103 Early Hints, 102) go to an HTTP/1.1 client
                 * as received, before the final response; HTTP/1.0 has no
                 * interim responses (RFC 9110 15.2). */
                if (r->rm.status != 100 && r->version == 1) {
                    r->ir_len = r->rs_dec = (uint32_t)n;
                    r->ir_off = 0;
                    return 1;
                }
                drop_interim(r, (uint32_t)n);
                return 1;
            }
            if (r->rm.status == 101 && !r->upgrade) {
                LOG_V(1, "proxy: upstream %s: 101 to a request that asked no upgrade",
                      r->ep->hostport);
                local_response(r, 502);
                return 1;
            }
            build_resp_head(r, (uint32_t)n);
            return 1;
        }
        if (n != H1_AGAIN) {
            LOG_V(1, "proxy: upstream %s: bad response: %s", r->ep->hostport,
                  h1_strerror(r->rp.err));
            local_response(r, 502);
            return 1;
        }
        r->rs_dec = r->ub_len;
    }
    if (u->eof) {
        upstream_failed(r, 0);
        return 1;
    }
    return 0;
}

/* ---- moving bytes ------------------------------------------------------ */

static int client_read_body(struct req *r)
{
    struct conn *c = r->c;
    if (r->rq_done || r->rs_state == RS_LOCAL || !c->rready || c->eof)
        return 0;
    if (r->rq_fwd == c->rb_len) {
        /* Everything received went upstream: start over at the front. */
        if (r->rq_fwd > r->rq_body_start)
            r->rq_discarded = 1;
        c->rb_len = r->rq_fwd = r->rq_val = r->rq_body_start = 0;
    } else if (c->rb_len == c->rb_size) {
        uint32_t f = r->rq_fwd;
        if (f == 0) {
            if (r->rq_val == 0) { /* a chunk line or trailers that fill the buffer */
                bad_body(r, 431);
                return 1;
            }
            return 0; /* full: wait for the upstream to take bytes */
        }
        memmove(c->rb, c->rb + f, c->rb_len - f);
        if (f > r->rq_body_start)
            r->rq_discarded = 1;
        c->rb_len -= f;
        r->rq_val -= f;
        r->rq_body_start = r->rq_body_start > f ? r->rq_body_start - f : 0;
        r->rq_fwd = 0;
    }
    ssize_t k = crd(c, c->rb + c->rb_len, c->rb_size - c->rb_len);
    if (k > 0) {
        c->rb_len += (uint32_t)k;
        c->prog |= PROG_CR;
        return 1;
    }
    if (k == 0 || k != -EAGAIN) {
        c->eof = 1;
        return 1;
    }
    return 0;
}

static int validate_req_body(struct req *r)
{
    struct conn *c = r->c;
    if (r->rq_done || r->rs_state == RS_LOCAL || r->rq_val >= c->rb_len)
        return 0;
    if (r->rq_body == H1_BODY_LENGTH) {
        uint64_t n = c->rb_len - r->rq_val;
        if (n > r->rq_left)
            n = r->rq_left;
        r->rq_val += (uint32_t)n;
        r->rq_left -= n;
        r->rq_bytes += n;
        if (!r->rq_left)
            r->rq_done = 1;
        return n > 0;
    }
    if (r->rq_body != H1_BODY_CHUNKED)
        return 0; /* rq_ch is set up for a chunked body only */
    int p = 0;
    while (!r->rq_ch.done && r->rq_val < c->rb_len) {
        struct h1_slice d;
        ptrdiff_t k = h1_chunked_decode(&r->rq_ch, c->rb + r->rq_val, c->rb_len - r->rq_val, &d);
        if (k < 0) {
            LOG_V(2, "proxy: %.*s: bad chunked body: %s", (int)c->iplen, c->ip,
                  h1_strerror(r->rq_ch.err));
            bad_body(r, h1_error_status(r->rq_ch.err, 0));
            return 1;
        }
        if (k == 0)
            break;
        r->rq_val += (uint32_t)k;
        r->rq_bytes += d.len;
        p = 1;
    }
    if (r->rq_ch.done)
        r->rq_done = 1;
    return p;
}

static int upstream_write(struct req *r)
{
    struct upconn *u = r->up;
    if (!u || u->state != UP_ACTIVE || !u->wready || u->shut)
        return 0;
    struct iovec iov[2];
    int n = 0;
    size_t total = 0;
    int head = r->ob_kind == OB_REQ && r->ob_off < r->ob_len;
    if (head) {
        iov[n].iov_base = r->ob + r->ob_off;
        iov[n].iov_len = r->ob_len - r->ob_off;
        total += iov[n++].iov_len;
    }
    if (r->rq_val > r->rq_fwd) {
        iov[n].iov_base = r->c->rb + r->rq_fwd;
        iov[n].iov_len = r->rq_val - r->rq_fwd;
        total += iov[n++].iov_len;
    }
    if (!n)
        return 0;
    ssize_t k = wv(u->io.fd, iov, n);
    if (k < 0) {
        if (k == -EAGAIN) {
            u->wready = 0;
            return 0;
        }
        if (r->rs_state == RS_TUNNEL)
            abort_req(r, 0);
        else
            upstream_failed(r, 0);
        return 1;
    }
    if ((size_t)k < total)
        u->wready = 0;
    size_t left = (size_t)k;
    if (head) {
        size_t a = r->ob_len - r->ob_off;
        if (a > left)
            a = left;
        r->ob_off += (uint32_t)a;
        left -= a;
    }
    r->rq_fwd += (uint32_t)left;
    if (r->rq_done && r->ob_off == r->ob_len && r->rq_fwd == r->rq_val)
        r->rq_sent = 1;
    r->c->prog |= PROG_UW;
    return 1;
}

static int upstream_read(struct req *r)
{
    struct upconn *u = r->up;
    struct pworker *w = r->c->w;
    if (!u || u->state != UP_ACTIVE || !u->rready || u->eof)
        return 0;
    if (r->ob_kind == OB_REQ && r->ob_off < r->ob_len)
        return 0; /* the head goes first; the response head will need ob */
    if (r->rs_state == RS_LOCAL || (r->rs_state == RS_BODY && r->rs_done))
        return 0;
    if (!r->ub) {
        if (!(r->ub = pbuf_take(w, &r->ub_size))) {
            abort_req(r, 502);
            return 1;
        }
        r->ub_len = 0;
    }
    if (r->rs_state != RS_WAIT && r->rs_fwd == r->ub_len) {
        r->ub_len = r->rs_fwd = r->rs_val = r->rs_dec = 0;
    } else if (r->ub_len == r->ub_size) {
        if (r->rs_state == RS_WAIT) {
            if (pbuf_grow(w, &r->ub, &r->ub_size, r->ub_len) < 0) {
                LOG_V(1, "proxy: upstream %s: response head too large", r->ep->hostport);
                local_response(r, 502);
                return 1;
            }
        } else if (r->rs_fwd > 0) {
            uint32_t f = r->rs_fwd;
            memmove(r->ub, r->ub + f, r->ub_len - f);
            r->ub_len -= f;
            r->rs_val -= f;
            r->rs_dec -= f;
            r->rs_fwd = 0;
        } else {
            return 0; /* full: wait for the client */
        }
    }
    ssize_t k = rd(u->io.fd, r->ub + r->ub_len, r->ub_size - r->ub_len, &u->rready);
    if (k > 0) {
        r->ub_len += (uint32_t)k;
        r->got_resp_byte = 1;
        r->c->prog |= PROG_UR;
        return 1;
    }
    if (k == 0) {
        u->eof = 1;
        return 1;
    }
    if (k == -EAGAIN)
        return 0;
    if (r->rs_state == RS_WAIT) {
        upstream_failed(r, 0);
    } else if (r->rs_state == RS_BODY && r->rs_body == H1_BODY_CLOSE && !r->rs_chunk) {
        u->eof = 1; /* a reset ends a close-delimited body as well as a FIN */
    } else {
        /* Re-framed as chunked, a body cut by a reset must not get its last
         * chunk: closing without it is how the client learns. */
        abort_req(r, 0);
    }
    return 1;
}

static int validate_resp_body(struct req *r)
{
    struct upconn *u = r->up;
    if (r->rs_done)
        return 0;
    int p = 0;
    switch (r->rs_body) {
    case H1_BODY_NONE:
        r->rs_done = 1;
        p = 1;
        break;
    case H1_BODY_LENGTH: {
        uint64_t n = r->ub_len - r->rs_val;
        if (n > r->rs_left)
            n = r->rs_left;
        r->rs_val += (uint32_t)n;
        r->rs_dec = r->rs_val;
        r->rs_left -= n;
        if (!r->rs_left)
            r->rs_done = 1;
        p = n > 0 || r->rs_done;
        break;
    }
    case H1_BODY_CLOSE:
        if (r->rs_val < r->ub_len) {
            r->rs_val = r->rs_dec = r->ub_len;
            p = 1;
        }
        if (u && u->eof) {
            r->rs_done = 1;
            p = 1;
        }
        break;
    case H1_BODY_CHUNKED:
        while (!r->rs_ch.done && r->rs_dec < r->ub_len) {
            struct h1_slice d;
            ptrdiff_t k =
                h1_chunked_decode(&r->rs_ch, r->ub + r->rs_dec, r->ub_len - r->rs_dec, &d);
            if (k < 0) {
                LOG_V(1, "proxy: upstream %s: bad chunked body: %s", r->ep->hostport,
                      h1_strerror(r->rs_ch.err));
                abort_req(r, 0);
                return 1;
            }
            if (k == 0)
                break;
            if (r->rs_decode) {
                if (d.len)
                    memmove(r->ub + r->rs_val, d.p, d.len);
                r->rs_val += (uint32_t)d.len;
            }
            r->rs_dec += (uint32_t)k;
            if (!r->rs_decode)
                r->rs_val = r->rs_dec;
            p = 1;
        }
        if (r->rs_ch.done)
            r->rs_done = 1;
        break;
    default:
        break;
    }
    if (r->rs_done) {
        if (r->ub_len > r->rs_dec)
            r->rs_extra = 1;
    } else if (u && u->eof && r->rs_body != H1_BODY_CLOSE) {
        LOG_V(1, "proxy: upstream %s: response cut short", r->ep->hostport);
        abort_req(r, 0);
        return 1;
    }
    return p;
}

/* rs_chunk: framing bytes owed to the client, now or once the body ends. */
static int chunk_owed(const struct req *r)
{
    return r->ck_hoff < r->ck_hlen || r->ck_tail || (r->rs_done && r->ck_fin < LAST_CHUNK_LEN);
}

/* The part of <n> bytes that the <*left> bytes written cover. */
static size_t took(size_t *left, size_t n)
{
    if (n > *left)
        n = *left;
    *left -= n;
    return n;
}

/* Writes, in order and in one writev: the 100 Continue owed, an interim
 * response head (ir_len), the response head, the body. With rs_chunk the body goes as chunks: the
 * bytes ready in ub when the previous chunk is all written become the next chunk (size line, data,
 * CRLF), and the last chunk follows once the upstream has closed and every byte is in a chunk. */
static int client_write(struct req *r)
{
    struct conn *c = r->c;
    if (!c->wready)
        return 0;
    int ck = r->rs_chunk && r->ob_kind == OB_RESP && r->rs_state == RS_BODY;
    if (ck && !r->ck_left && !r->ck_tail && r->ck_hoff == r->ck_hlen && r->rs_val > r->rs_fwd) {
        r->ck_left = r->rs_val - r->rs_fwd;
        int n = snprintf(r->ck_hdr, sizeof r->ck_hdr, "%x\r\n", (unsigned)r->ck_left);
        r->ck_hlen = (uint8_t)n;
        r->ck_hoff = 0;
        r->ck_tail = 2;
    }
    size_t cont = 0, interim = 0, head = 0, size = 0, data = 0, tail = 0, fin = 0;
    if (r->cont == 2 && r->cont_off < CONTINUE_LEN)
        cont = CONTINUE_LEN - r->cont_off;
    if (r->ir_off < r->ir_len)
        interim = r->ir_len - r->ir_off;
    if ((r->ob_kind == OB_RESP || r->ob_kind == OB_LOCAL) && r->ob_off < r->ob_len)
        head = r->ob_len - r->ob_off;
    if (ck) {
        size = r->ck_hlen - r->ck_hoff;
        data = r->ck_left;
        tail = r->ck_tail;
        if (r->rs_done && r->rs_fwd + r->ck_left == r->rs_val)
            fin = LAST_CHUNK_LEN - r->ck_fin;
    } else if (r->ob_kind == OB_RESP && r->rs_val > r->rs_fwd) {
        data = r->rs_val - r->rs_fwd;
        if (head && !cont && !interim && data <= SMALL_BODY && data <= r->ob_size - r->ob_len) {
            /* A small body joins the head in ob: one buffer, one send(2),
             * instead of two buffers through sendmsg(2). Its bytes leave ub
             * now and count as sent once written (ob_body). */
            memcpy(r->ob + r->ob_len, r->ub + r->rs_fwd, data);
            r->ob_len += (uint32_t)data;
            r->ob_body += (uint32_t)data;
            r->rs_fwd += (uint32_t)data;
            head += data;
            data = 0;
        }
    }
    struct iovec iov[7];
    int n = 0;
    /* (no pointer is formed into a buffer that may be NULL when unused) */
    const struct {
        const char *p;
        size_t len;
    } part[7] = {
        {cont ? CONTINUE + r->cont_off : NULL, cont},
        {interim ? r->ub + r->ir_off : NULL, interim},
        {head ? r->ob + r->ob_off : NULL, head},
        {size ? r->ck_hdr + r->ck_hoff : NULL, size},
        {data ? r->ub + r->rs_fwd : NULL, data},
        {tail ? "\r\n" + (2 - r->ck_tail) : NULL, tail},
        {fin ? LAST_CHUNK + r->ck_fin : NULL, fin},
    };
    size_t total = 0;
    for (int i = 0; i < 7; i++) {
        if (!part[i].len)
            continue;
        iov[n].iov_base = (char *)part[i].p;
        iov[n].iov_len = part[i].len;
        total += iov[n++].iov_len;
    }
    if (!n)
        return 0;
    ssize_t k = c->ssl ? tls_wv(c, iov, n) : wv(c->io.fd, iov, n);
    if (k < 0) {
        if (k == -EAGAIN) {
            c->wready = 0;
            return 0;
        }
        abort_req(r, 499);
        return 1;
    }
    if ((size_t)k < total && !c->ssl)
        c->wready = 0;
    size_t left = (size_t)k;
    r->cont_off = (uint8_t)(r->cont_off + took(&left, cont));
    r->ir_off += (uint32_t)took(&left, interim);
    size_t h = took(&left, head);
    if (r->ob_body) {
        uint32_t body_at = r->ob_len - r->ob_body;
        uint32_t before = r->ob_off > body_at ? r->ob_off - body_at : 0;
        r->ob_off += (uint32_t)h;
        r->bytes_out += (r->ob_off > body_at ? r->ob_off - body_at : 0) - before;
    } else {
        r->ob_off += (uint32_t)h;
    }
    r->ck_hoff = (uint8_t)(r->ck_hoff + took(&left, size));
    size_t a = took(&left, data);
    r->rs_fwd += (uint32_t)a;
    r->bytes_out += a;
    if (ck)
        r->ck_left -= (uint32_t)a;
    r->ck_tail = (uint8_t)(r->ck_tail - took(&left, tail));
    r->ck_fin = (uint8_t)(r->ck_fin + took(&left, fin));
    c->prog |= PROG_CW;
    return 1;
}

/* ---- the connection ---------------------------------------------------- */

static struct conn *conn_alloc(struct pworker *w)
{
    struct conn *c = w->free_conns;
    if (c) {
        w->free_conns = c->next_free;
        w->nfree_conns--;
    } else if (!(c = malloc(sizeof *c))) {
        return NULL;
    }
    memset(c, 0, sizeof *c);
    return c;
}

static void conn_free(struct conn *c)
{
    struct pworker *w = c->w;
    if (c->req)
        req_free(c->req);
    timer_stop(w->loop, &c->timer);
    if (c->reset) {
        struct linger lg = {1, 0};
        setsockopt(c->io.fd, SOL_SOCKET, SO_LINGER, &lg, sizeof lg);
    }
    if (c->ssl)
        tls_free(c->ssl);
    io_close(w->loop, &c->io);
    pbuf_give(w, c->rb, c->rb_size);
    c->link.prev->next = c->link.next;
    c->link.next->prev = c->link.prev;
    if (w->nfree_conns < FREE_CONNS_MAX) {
        c->next_free = w->free_conns;
        w->free_conns = c;
        w->nfree_conns++;
    } else {
        free(c);
    }
    worker_conn_gone(w);
}

static void conn_set_timer(struct conn *c, int mode, uint32_t ms)
{
    c->tmode = (uint8_t)mode;
    timer_start(c->w->loop, &c->timer, ms, conn_timeout);
}

/* Our side is done: shut it, drain what the client still sends (so that
 * unread bytes do not turn our close into a reset that destroys the
 * response on its way), close at its end of stream or after a while. */
static void conn_linger(struct conn *c)
{
    struct pworker *w = c->w;
    pbuf_give(w, c->rb, c->rb_size);
    c->rb = NULL;
    c->rb_len = c->rb_off = c->rb_size = 0;
    c->state = CS_LINGER;
    if (c->eof) {
        c->dead = 1;
        return;
    }
    client_shut(c);
    conn_set_timer(c, TM_LINGER, PROXY_LINGER_MS);
}

static void req_done(struct req *r)
{
    struct conn *c = r->c;
    struct pworker *w = c->w;
    alog_write(r);
    if (r->up) {
        struct upconn *u = r->up;
        r->up = NULL;
        if (r->rs_state == RS_BODY && r->rq_sent && r->rs_done && !r->rs_extra &&
            (r->rm.flags & H1_MF_KEEP_ALIVE)) {
            u->tmode = UT_NONE;
            up_release(u);
        } else {
            up_close(u);
        }
    }
    int keep = r->keep && !c->closing && !w->draining && !c->eof && r->rs_state != RS_TUNNEL;
    uint32_t next = r->rq_val;
    req_free(r);
    if (!keep) {
        conn_linger(c);
        return;
    }
    c->rb_off = next;
    if (c->rb_off >= c->rb_len) {
        pbuf_give(w, c->rb, c->rb_size);
        c->rb = NULL;
        c->rb_len = c->rb_off = c->rb_size = 0;
    }
    c->state = CS_IDLE;
    conn_set_timer(c, TM_IDLE, w->px->cfg.keepalive_timeout_ms);
}

static int finished(const struct req *r)
{
    if (r->cont == 2 && r->cont_off > 0 && r->cont_off < CONTINUE_LEN)
        return 0;
    if (r->ir_off < r->ir_len || r->ob_off < r->ob_len)
        return 0;
    if (r->rs_state == RS_LOCAL)
        return 1;
    return r->rs_state == RS_BODY && r->rs_done && r->rs_fwd == r->rs_val &&
           (!r->rs_chunk || r->ck_fin == LAST_CHUNK_LEN);
}

#define STEP(x)                                                                                    \
    do {                                                                                           \
        p |= (x);                                                                                  \
        if (c->dead || c->req != r || c->state != st)                                              \
            return 1;                                                                              \
    } while (0)

static int step_active(struct req *r)
{
    struct conn *c = r->c;
    int p = 0, st = c->state;
    STEP(client_read_body(r));
    STEP(validate_req_body(r));
    if (c->eof && !r->rq_done && r->rs_state != RS_LOCAL) {
        abort_req(r, 499); /* the client left in the middle of its body */
        return 1;
    }
    STEP(upstream_write(r));
    STEP(upstream_read(r));
    if (r->rs_state == RS_WAIT)
        STEP(parse_resp_head(r));
    if (r->rs_state == RS_BODY)
        STEP(validate_resp_body(r));
    STEP(client_write(r));
    if (finished(r)) {
        req_done(r);
        return 1;
    }
    return p;
}

static int step_tunnel(struct req *r)
{
    struct conn *c = r->c;
    struct upconn *u = r->up;
    int p = 0, st = c->state;
    if (!c->eof && c->rready) {
        if (r->rq_fwd == c->rb_len)
            c->rb_len = r->rq_fwd = r->rq_val = 0;
        if (c->rb_len < c->rb_size) {
            ssize_t k = crd(c, c->rb + c->rb_len, c->rb_size - c->rb_len);
            if (k > 0) {
                c->rb_len += (uint32_t)k;
                r->rq_val = c->rb_len;
                c->prog |= PROG_CR;
                p = 1;
            } else if (k == 0 || k != -EAGAIN) {
                c->eof = 1;
                p = 1;
            }
        }
    }
    STEP(upstream_write(r));
    if (c->eof && r->rq_fwd == r->rq_val && !u->shut) {
        shutdown(u->io.fd, SHUT_WR); /* pass the client's end of stream on */
        u->shut = 1;
        p = 1;
    }
    STEP(upstream_read(r));
    r->rs_val = r->ub_len;
    STEP(client_write(r));
    if (u->eof && r->rs_fwd == r->ub_len && r->ob_off == r->ob_len && !r->cshut) {
        client_shut(c); /* and the upstream's */
        r->cshut = 1;
        p = 1;
    }
    if (u->shut && r->cshut) {
        req_done(r);
        return 1;
    }
    return p;
}

static void step_linger(struct conn *c)
{
    char tmp[4096];
    while (c->rready) {
        ssize_t k = rd(c->io.fd, tmp, sizeof tmp, &c->rready);
        if (k == 0 || (k < 0 && k != -EAGAIN)) {
            c->dead = 1;
            return;
        }
    }
}

/* IDLE: read the first bytes of the next request, if any came. A buffer
 * is taken only for bytes that are there. */
static int step_idle(struct conn *c)
{
    struct pworker *w = c->w;
    if (c->rb_len == c->rb_off) {
        if (!c->rready)
            return 0;
        if (!c->rb) {
            if (!(c->rb = pbuf_take(w, &c->rb_size))) {
                c->dead = 1;
                return 0;
            }
        }
        c->rb_len = c->rb_off = 0;
        ssize_t k = crd(c, c->rb, c->rb_size);
        if (k <= 0) {
            pbuf_give(w, c->rb, c->rb_size);
            c->rb = NULL;
            c->rb_size = 0;
            if (k != -EAGAIN)
                c->dead = 1; /* closed between requests: the normal end */
            return 0;
        }
        c->rb_len = (uint32_t)k;
    }
    struct req *r = req_new(c);
    if (!r) {
        c->dead = 1;
        return 0;
    }
    c->req = r;
    c->state = CS_HEAD;
    if (c->tmode != TM_HEADER)
        conn_set_timer(c, TM_HEADER, w->px->cfg.client_header_timeout_ms);
    return 1;
}

static int step_head(struct conn *c)
{
    struct req *r = c->req;
    struct pworker *w = c->w;
    uint32_t avail = c->rb_len - c->rb_off;
    if (avail > r->parsed) {
        int n = h1_parse_request(&r->p, &r->m, c->rb + c->rb_off, avail);
        if (n > 0) {
            begin_request(r, (uint32_t)n);
            return 1;
        }
        if (n == H1_ERROR) {
            head_error(r, r->p.status);
            return 1;
        }
        if (n == H1_H2_PREFACE) {
            LOG_V(2, "proxy: %.*s: HTTP/2 preface on an HTTP/1.1 port", (int)c->iplen, c->ip);
            c->dead = 1;
            return 0;
        }
        r->parsed = avail;
    }
    if (c->eof) {
        LOG_V(2, "proxy: %.*s: connection closed in a request head", (int)c->iplen, c->ip);
        c->dead = 1;
        return 0;
    }
    if (!c->rready)
        return 0;
    if (c->rb_len == c->rb_size) {
        if (c->rb_off > 0) {
            memmove(c->rb, c->rb + c->rb_off, avail);
            c->rb_len = avail;
            c->rb_off = 0;
        } else if (pbuf_grow(w, &c->rb, &c->rb_size, c->rb_len) < 0) {
            head_error(r, 431);
            return 1;
        }
    }
    ssize_t k = crd(c, c->rb + c->rb_len, c->rb_size - c->rb_len);
    if (k > 0) {
        c->rb_len += (uint32_t)k;
        return 1;
    }
    if (k == 0 || k != -EAGAIN) {
        c->eof = 1;
        return 1;
    }
    return 0;
}

/* Which timers should run now, given what each side waits for. */
static void arm_timers(struct conn *c)
{
    const struct proxy_config *cfg = &c->w->px->cfg;
    struct loop *loop = c->w->loop;
    struct req *r = c->req;
    int want = TM_NONE;
    uint32_t ms = 0;
    unsigned prog = c->prog;
    c->prog = 0;
    if (!r)
        return; /* IDLE and LINGER */
    if (c->state == CS_TUNNEL) {
        want = TM_TUNNEL;
        ms = cfg->tunnel_timeout_ms;
    } else if (c->state == CS_ACTIVE) {
        int out = (r->cont == 2 && r->cont_off < CONTINUE_LEN) || r->ir_off < r->ir_len ||
                  ((r->ob_kind == OB_RESP || r->ob_kind == OB_LOCAL) && r->ob_off < r->ob_len) ||
                  (r->ob_kind == OB_RESP && r->rs_val > r->rs_fwd) ||
                  (r->ob_kind == OB_RESP && r->rs_chunk && chunk_owed(r));
        if (!r->rq_done && r->rs_state != RS_LOCAL && !c->rready && !c->eof &&
            (c->rb_len < c->rb_size || r->rq_fwd > 0)) {
            want = TM_BODY;
            ms = cfg->client_body_timeout_ms;
            prog &= PROG_CR;
        } else if (!c->wready && out) {
            want = TM_SEND;
            ms = cfg->send_timeout_ms;
            prog &= PROG_CW;
        }
    } else {
        return; /* IDLE, HEAD and LINGER timers are set when entering them */
    }
    if (want != c->tmode) {
        c->tmode = (uint8_t)want;
        if (want == TM_NONE)
            timer_stop(loop, &c->timer);
        else
            timer_start(loop, &c->timer, ms, conn_timeout);
    } else if (want != TM_NONE && prog) {
        timer_again(loop, &c->timer);
    }
    struct upconn *u = r->up;
    if (!u || u->state != UP_ACTIVE)
        return;
    int uw = UT_NONE;
    if (c->state == CS_ACTIVE) {
        int blocked_out = !u->wready && ((r->ob_kind == OB_REQ && r->ob_off < r->ob_len) ||
                                         r->rq_val > r->rq_fwd);
        int waiting = r->rs_state == RS_WAIT && r->rq_sent;
        int body = r->rs_state == RS_BODY && !r->rs_done &&
                   !(r->rs_val > r->rs_fwd && !c->wready && r->ub_len == r->ub_size);
        if (blocked_out || waiting || body)
            uw = UT_IO;
    }
    if (uw != u->tmode) {
        u->tmode = (uint8_t)uw;
        if (uw == UT_NONE)
            timer_stop(loop, &u->timer);
        else
            up_set_timer(u, cfg->upstream_timeout_ms);
    } else if (uw == UT_IO && (prog & (PROG_UR | PROG_UW))) {
        timer_again(loop, &u->timer);
    }
}

static void conn_pump(struct conn *c)
{
    for (int i = 0; i < PUMP_MAX && !c->dead; i++) {
        int p = 0;
        switch (c->state) {
        case CS_IDLE:
            p = step_idle(c);
            break;
        case CS_HEAD:
            p = step_head(c);
            break;
        case CS_ACTIVE:
            p = c->req ? step_active(c->req) : 0;
            break;
        case CS_TUNNEL:
            p = c->req ? step_tunnel(c->req) : 0;
            break;
        case CS_LINGER:
            step_linger(c);
            break;
        }
        if (!p)
            break;
    }
    if (c->dead) {
        conn_free(c);
        return;
    }
    arm_timers(c);
}

static void conn_io(struct loop *loop, struct io *io, unsigned ev)
{
    (void)loop;
    struct conn *c = NET_CONTAINER_OF(io, struct conn, io);
    mark_ready(&c->rready, ev);
    if (ev & (IO_WRITE | IO_HUP | IO_ERR))
        c->wready = 1;
    if (c->twant) {
        if ((c->twant & CT_READ_ON_WRITE) && (ev & (IO_WRITE | IO_HUP | IO_ERR))) {
            c->rready = 1;
            c->twant &= (uint8_t)~CT_READ_ON_WRITE;
        }
        if ((c->twant & CT_WRITE_ON_READ) && (ev & (IO_READ | IO_RDHUP | IO_HUP | IO_ERR))) {
            c->wready = 1;
            c->twant &= (uint8_t)~CT_WRITE_ON_READ;
        }
    }
    if ((ev & (IO_HUP | IO_ERR)) && c->state == CS_ACTIVE && c->req->rs_state == RS_WAIT)
        abort_req(c->req, 499); /* reset while its request waits upstream */
    conn_pump(c);
}

static void conn_timeout(struct loop *loop, struct timer *t)
{
    (void)loop;
    struct conn *c = NET_CONTAINER_OF(t, struct conn, timer);
    struct req *r = c->req;
    int mode = c->tmode;
    c->tmode = TM_NONE;
    switch (mode) {
    case TM_HEADER:
        if (r && c->rb_len > c->rb_off) {
            LOG_V(2, "proxy: %.*s: request head timed out", (int)c->iplen, c->ip);
            head_error(r, 408);
            break;
        }
        c->dead = 1;
        break;
    case TM_BODY:
        LOG_V(2, "proxy: %.*s: request body timed out", (int)c->iplen, c->ip);
        r->ka = 0;
        if (r->rs_state == RS_WAIT)
            local_response(r, 408);
        else
            abort_req(r, 408);
        break;
    case TM_SEND:
    case TM_TUNNEL:
        /* A client that takes nothing: reset, so that the megabytes the
         * kernel still queues for it are dropped, not trickled out. */
        c->reset = 1;
        abort_req(r, 0);
        break;
    default: /* TM_IDLE, TM_LINGER */
        c->dead = 1;
        break;
    }
    conn_pump(c);
}

void conn_accept(struct pworker *w, int fd, const struct sockaddr *sa, int tls)
{
    struct conn *c = conn_alloc(w);
    if (!c) {
        close(fd);
        return;
    }
    c->w = w;
    c->iplen = (uint8_t)net_addr_format_ip(sa, c->ip, sizeof c->ip);
    timer_init(&c->timer);
    io_init(&c->io, fd, conn_io);
    /* TLS: the handshake is done by the first reads (tls_read), under the
     * header timeout set below, like the first request of a connection. */
    if ((tls && !(c->ssl = tls_accept(w->px->tls, fd, c))) ||
        io_start(w->loop, &c->io, IO_READ | IO_WRITE) < 0) {
        if (c->ssl)
            tls_free(c->ssl);
        close(fd);
        c->next_free = w->free_conns;
        w->free_conns = c;
        w->nfree_conns++;
        return;
    }
    c->link.next = w->conns.next;
    c->link.prev = &w->conns;
    w->conns.next->prev = &c->link;
    w->conns.next = &c->link;
    atomic_fetch_add_explicit(&w->nconns, 1, memory_order_relaxed);
    c->state = CS_IDLE;
    c->wready = 1;
    conn_set_timer(c, TM_HEADER, w->px->cfg.client_header_timeout_ms);
}

void conn_drain(struct conn *c)
{
    if (c->state == CS_IDLE && !c->req)
        conn_free(c);
    else
        c->closing = 1;
}

void conn_kill(struct conn *c)
{
    conn_free(c);
}

/* ---- upstream events --------------------------------------------------- */

void req_upstream_event(struct upconn *u, unsigned ev)
{
    struct req *r = u->req;
    struct conn *c = r->c;
    if (u->state == UP_CONNECTING) {
        if (!(ev & (IO_WRITE | IO_ERR | IO_HUP)))
            return;
        int res = net_connect_result(u->io.fd);
        if (res == 0) {
            u->state = UP_ACTIVE;
            u->wready = 1;
            mark_ready(&u->rready, ev & ~(unsigned)(IO_ERR | IO_HUP));
            on_connected(r);
        } else {
            LOG_V(1, "proxy: connect %s: %s", r->ep->hostport, strerror(-res));
            upstream_failed(r, 0);
        }
    } else {
        mark_ready(&u->rready, ev);
        if (ev & (IO_WRITE | IO_HUP | IO_ERR))
            u->wready = 1;
    }
    conn_pump(c);
}

void req_upstream_timeout(struct upconn *u)
{
    struct req *r = u->req;
    struct conn *c = r->c;
    int mode = u->tmode;
    u->tmode = UT_NONE;
    if (mode == UT_CONNECT || r->rs_state == RS_WAIT)
        upstream_failed(r, 1);
    else
        abort_req(r, 504);
    conn_pump(c);
}
