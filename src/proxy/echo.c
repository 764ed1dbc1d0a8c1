/* The echo backend. See echo.h. Same I/O discipline as the proxy
 * (conn.c): sockets registered once, edge-triggered, readiness bits, and
 * one pump per connection. */
#include "proxy/echo.h"

#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

#include "core/log.h"
#include "core/text.h"
#include "http/h1_write.h"
#include "net/acceptor.h"
#include "net/bufpool.h"
#include "net/loop.h"
#include "net/net.h"
#include "net/workers.h"

#define ECHO_MAX_HEADERS 128
#define ECHO_IDLE_MS 120000
#define ECHO_OUT_MAX ((size_t)4 << 20)

struct eworker;

enum { ES_HEAD, ES_BODY, ES_WRITE };

struct econn {
    struct io io;
    struct timer timer;
    struct net_link link;
    struct eworker *w;
    char *rb;
    uint32_t rb_len, rb_off, parsed;
    uint8_t state, rready, wready, eof, keep, cont, dead;
    uint8_t cont_off;
    uint64_t left; /* LENGTH body bytes to drop */
    int body;      /* enum h1_body */
    struct h1_chunked ch;
    struct h1_parser p;
    struct h1_msg m;
    struct buf out;
    size_t out_off;
    struct h1_header hdrs[ECHO_MAX_HEADERS];
};

struct eworker {
    struct echo *es;
    struct loop *loop;
    int lfd;
    struct acceptor acc;
    struct bufpool pool;
    struct net_link conns;
    struct text_clock date;
};

struct echo {
    struct echo_config cfg;
    char *ns, *service, *pod;
    unsigned n;
    struct eworker *w;
    struct workers *ws;
    char addr[72];
};

static const char CONTINUE[] = "HTTP/1.1 100 Continue\r\n\r\n";

/* ---- JSON --------------------------------------------------------------- */

/* Appends <s> as a JSON string as Go's encoding/json writes it: HTML-safe
 * escapes for < > &, U+2028/2029 escaped, invalid UTF-8 as U+FFFD. */
static void json_str(struct buf *o, const char *s, size_t n)
{
    static const char hex[] = "0123456789abcdef";
    buf_addc(o, '"');
    for (size_t i = 0; i < n;) {
        unsigned char c = (unsigned char)s[i];
        if (c < 0x80) {
            if (c == '"' || c == '\\') {
                buf_addc(o, '\\');
                buf_addc(o, (char)c);
            } else if (c == '\n') {
                buf_adds(o, "\\n");
            } else if (c == '\r') {
                buf_adds(o, "\\r");
            } else if (c == '\t') {
                buf_adds(o, "\\t");
            } else if (c < 0x20 || c == '<' || c == '>' || c == '&') {
                char u[6] = {'\\', 'u', '0', '0', hex[c >> 4], hex[c & 15]};
                buf_add(o, u, 6);
            } else {
                buf_addc(o, (char)c);
            }
            i++;
            continue;
        }
        /* one UTF-8 sequence, validated */
        size_t len = c >= 0xf0 ? 4 : c >= 0xe0 ? 3 : c >= 0xc2 ? 2 : 0;
        uint32_t cp = len == 4 ? c & 7u : len == 3 ? c & 15u : c & 31u;
        int ok = len && i + len <= n && c < 0xf5;
        for (size_t k = 1; ok && k < len; k++) {
            unsigned char cc = (unsigned char)s[i + k];
            if ((cc & 0xc0) != 0x80)
                ok = 0;
            cp = cp << 6 | (cc & 0x3f);
        }
        if (ok && ((len == 3 && (cp < 0x800 || (cp >= 0xd800 && cp <= 0xdfff))) ||
                   (len == 4 && (cp < 0x10000 || cp > 0x10ffff))))
            ok = 0;
        if (!ok) {
            buf_adds(o, "\\ufffd");
            i++;
        } else if (cp == 0x2028 || cp == 0x2029) {
            buf_adds(o, cp == 0x2028 ? "\\u2028" : "\\u2029");
            i += len;
        } else {
            buf_add(o, s + i, len);
            i += len;
        }
    }
    buf_addc(o, '"');
}

/* Go's textproto.CanonicalMIMEHeaderKey for a token name. */
static void canonical(const char *in, size_t n, char *out)
{
    int upper = 1;
    for (size_t i = 0; i < n; i++) {
        char c = in[i];
        if (upper && c >= 'a' && c <= 'z')
            c = (char)(c - 32);
        else if (!upper && c >= 'A' && c <= 'Z')
            c = (char)(c + 32);
        out[i] = c;
        upper = c == '-';
    }
}

struct hkey {
    const struct h1_header *h;
    uint32_t order;
};

static int hkey_cmp(const void *a, const void *b)
{
    const struct hkey *x = a, *y = b;
    size_t n = x->h->name_len < y->h->name_len ? x->h->name_len : y->h->name_len;
    /* canonical forms compare like the case-folded names, except that
     * capitals sort before lower case at the same position: compare the
     * canonical bytes themselves */
    char cx[256], cy[256];
    size_t m = n < sizeof cx ? n : sizeof cx;
    canonical(x->h->name, m, cx);
    canonical(y->h->name, m, cy);
    int r = memcmp(cx, cy, m);
    if (r)
        return r;
    if (m == n && x->h->name_len != y->h->name_len)
        return x->h->name_len < y->h->name_len ? -1 : 1;
    if (m < n) { /* very long names: fall back to the raw bytes */
        r = strncasecmp(x->h->name, y->h->name, n);
        if (r)
            return r;
        if (x->h->name_len != y->h->name_len)
            return x->h->name_len < y->h->name_len ? -1 : 1;
    }
    return x->order < y->order ? -1 : x->order > y->order;
}

static int same_name(const struct h1_header *a, const struct h1_header *b)
{
    return a->name_len == b->name_len && !strncasecmp(a->name, b->name, a->name_len);
}

int echo_json(const struct h1_msg *m, const char *ns, const char *service, const char *pod,
              struct buf *o)
{
    struct hkey keys[ECHO_MAX_HEADERS];
    uint32_t nk = 0;
    for (uint32_t i = 0; i < m->nheaders && nk < ECHO_MAX_HEADERS; i++)
        if (m->headers[i].id != H1_H_HOST)
            keys[nk] = (struct hkey){&m->headers[i], i}, nk++;
    if (nk > 1)
        qsort(keys, nk, sizeof *keys, hkey_cmp);
    struct h1_slice host = m->target_form == H1_T_ABSOLUTE ? m->authority : m->host;
    buf_adds(o, "{\"path\":");
    json_str(o, m->target.p, m->target.len);
    buf_adds(o, ",\"host\":");
    json_str(o, host.p ? host.p : "", host.len);
    buf_adds(o, ",\"method\":");
    json_str(o, m->method_s.p, m->method_s.len);
    buf_adds(o, m->version ? ",\"proto\":\"HTTP/1.1\",\"headers\":{"
                           : ",\"proto\":\"HTTP/1.0\",\"headers\":{");
    for (uint32_t i = 0; i < nk;) {
        char name[256];
        const struct h1_header *h = keys[i].h;
        if (i)
            buf_addc(o, ',');
        if (h->name_len < sizeof name) {
            canonical(h->name, h->name_len, name);
            json_str(o, name, h->name_len);
        } else {
            json_str(o, h->name, h->name_len);
        }
        buf_adds(o, ":[");
        uint32_t j = i;
        for (; j < nk && same_name(keys[j].h, h); j++) {
            if (j > i)
                buf_addc(o, ',');
            json_str(o, keys[j].h->value, keys[j].h->value_len);
        }
        buf_addc(o, ']');
        i = j;
    }
    buf_adds(o, "},\"namespace\":");
    json_str(o, ns, strlen(ns));
    buf_adds(o, ",\"service\":");
    json_str(o, service, strlen(service));
    buf_adds(o, ",\"pod\":");
    json_str(o, pod, strlen(pod));
    buf_adds(o, "}\n");
    return o->p ? 0 : -ENOMEM;
}

/* ---- connections -------------------------------------------------------- */

static void econn_pump(struct econn *c);

static void econn_free(struct econn *c)
{
    struct eworker *w = c->w;
    timer_stop(w->loop, &c->timer);
    io_close(w->loop, &c->io);
    if (c->rb)
        bufpool_put(&w->pool, c->rb);
    buf_fini(&c->out);
    c->link.prev->next = c->link.next;
    c->link.next->prev = c->link.prev;
    free(c);
}

static void econn_io(struct loop *loop, struct io *io, unsigned ev)
{
    (void)loop;
    struct econn *c = NET_CONTAINER_OF(io, struct econn, io);
    if (ev & (IO_RDHUP | IO_HUP | IO_ERR))
        c->rready = 2; /* sticky until a read sees the end (see conn.c) */
    else if ((ev & IO_READ) && !c->rready)
        c->rready = 1;
    if (ev & (IO_WRITE | IO_HUP | IO_ERR))
        c->wready = 1;
    econn_pump(c);
}

static void econn_timeout(struct loop *loop, struct timer *t)
{
    (void)loop;
    econn_free(NET_CONTAINER_OF(t, struct econn, timer));
}

static const char *date_now(struct eworker *w)
{
    return text_clock_now(&w->date, "%a, %d %b %Y %H:%M:%S GMT");
}

/* The head is complete: the whole answer goes into c->out now (the fields
 * point into rb, which the body will overwrite). */
static int respond(struct econn *c, int status)
{
    struct echo *es = c->w->es;
    struct buf body = BUF_INIT;
    buf_init(&body, ECHO_OUT_MAX);
    if (status == 200) {
        if (echo_json(&c->m, es->ns, es->service, es->pod, &body) < 0) {
            buf_fini(&body);
            return -1;
        }
    } else {
        buf_addf(&body, "%d %s\n", status, h1_reason(status));
        c->keep = 0;
    }
    buf_reset(&c->out);
    c->out_off = 0;
    buf_addf(&c->out,
             "HTTP/1.1 %d %s\r\nContent-Type: %s\r\nX-Content-Type-Options: nosniff\r\n"
             "Date: %s\r\nContent-Length: %zu\r\n%s\r\n",
             status, h1_reason(status),
             status == 200 ? "application/json" : "text/plain; charset=utf-8", date_now(c->w),
             body.len,
             !c->keep            ? "Connection: close\r\n"
             : c->m.version == 0 ? "Connection: keep-alive\r\n"
                                 : "");
    if (c->m.method != H1_M_HEAD && body.len)
        buf_add(&c->out, body.p, body.len);
    buf_fini(&body);
    return c->out.p ? 0 : -1;
}

static int read_more(struct econn *c)
{
    struct eworker *w = c->w;
    if (!c->rready || c->eof)
        return 0;
    if (!c->rb) {
        if (!(c->rb = bufpool_get(&w->pool))) {
            c->dead = 1;
            return 0;
        }
        c->rb_len = c->rb_off = 0;
    }
    if (c->rb_len == w->pool.size) {
        if (c->rb_off == 0)
            return 0; /* full of one head: the parser decides */
        memmove(c->rb, c->rb + c->rb_off, c->rb_len - c->rb_off);
        c->rb_len -= c->rb_off;
        c->rb_off = 0;
    }
    ssize_t k;
    size_t want = w->pool.size - c->rb_len;
    do
        k = read(c->io.fd, c->rb + c->rb_len, want);
    while (k < 0 && errno == EINTR);
    if (k < 0) {
        c->rready = 0;
        if (errno != EAGAIN)
            c->eof = 1;
        return errno != EAGAIN;
    }
    if (k == 0 || ((size_t)k < want && c->rready != 2))
        c->rready = 0;
    if (k == 0)
        c->eof = 1;
    c->rb_len += (uint32_t)k;
    return 1;
}

static int step(struct econn *c)
{
    struct eworker *w = c->w;
    switch (c->state) {
    case ES_HEAD: {
        uint32_t avail = c->rb ? c->rb_len - c->rb_off : 0;
        if (avail > c->parsed) {
            int n = h1_parse_request(&c->p, &c->m, c->rb + c->rb_off, avail);
            if (n > 0) {
                c->keep = (c->m.flags & H1_MF_KEEP_ALIVE) != 0;
                c->body = c->m.body;
                c->left = c->m.body == H1_BODY_LENGTH ? c->m.content_length : 0;
                if (c->m.body == H1_BODY_CHUNKED)
                    h1_chunked_init(&c->ch, NULL, NULL, 0);
                c->cont = (c->m.flags & H1_MF_EXPECT_CONTINUE) && avail == (uint32_t)n &&
                          c->m.body != H1_BODY_NONE && (c->body != H1_BODY_LENGTH || c->left);
                c->cont_off = 0;
                if (respond(c, 200) < 0) {
                    c->dead = 1;
                    return 0;
                }
                c->rb_off += (uint32_t)n;
                c->state = ES_BODY;
                return 1;
            }
            if (n == H1_ERROR || n == H1_H2_PREFACE) {
                c->keep = 0;
                c->m.method = H1_M_GET;
                if (respond(c, n == H1_ERROR ? c->p.status : 505) < 0)
                    c->dead = 1;
                c->body = H1_BODY_NONE;
                c->state = ES_WRITE;
                return !c->dead;
            }
            c->parsed = avail;
        }
        if (c->eof) {
            c->dead = 1;
            return 0;
        }
        if (c->rb && c->rb_len == w->pool.size && c->rb_off == 0) {
            c->keep = 0;
            c->m.method = H1_M_GET;
            if (respond(c, 431) < 0)
                c->dead = 1;
            c->state = ES_WRITE;
            return !c->dead;
        }
        return read_more(c);
    }
    case ES_BODY: {
        if (c->cont && c->cont_off < sizeof CONTINUE - 1) {
            if (!c->wready)
                return 0;
            ssize_t k = write(c->io.fd, CONTINUE + c->cont_off, sizeof CONTINUE - 1 - c->cont_off);
            if (k < 0) {
                if (errno == EAGAIN)
                    c->wready = 0;
                else
                    c->dead = 1;
                return 0;
            }
            c->cont_off = (uint8_t)(c->cont_off + k);
            return 1;
        }
        int progress = 0;
        uint32_t avail = c->rb ? c->rb_len - c->rb_off : 0;
        if (c->body == H1_BODY_LENGTH && c->left && avail) {
            uint64_t n = avail < c->left ? avail : c->left;
            c->rb_off += (uint32_t)n;
            c->left -= n;
            progress = 1;
        } else if (c->body == H1_BODY_CHUNKED && !c->ch.done && avail) {
            struct h1_slice d;
            ptrdiff_t k = h1_chunked_decode(&c->ch, c->rb + c->rb_off, avail, &d);
            if (k < 0) {
                c->dead = 1;
                return 0;
            }
            c->rb_off += (uint32_t)k;
            progress = k > 0;
        }
        int done = c->body == H1_BODY_NONE || (c->body == H1_BODY_LENGTH && !c->left) ||
                   (c->body == H1_BODY_CHUNKED && c->ch.done);
        if (done) {
            c->state = ES_WRITE;
            return 1;
        }
        if (c->rb && c->rb_off == c->rb_len)
            c->rb_off = c->rb_len = 0;
        if (progress)
            return 1;
        if (c->eof) {
            c->dead = 1;
            return 0;
        }
        if (c->rb && c->rb_len == w->pool.size && c->rb_off == 0) {
            c->dead = 1; /* a chunk line or trailer section larger than a buffer */
            return 0;
        }
        return read_more(c);
    }
    case ES_WRITE: {
        if (c->out_off < c->out.len) {
            if (!c->wready)
                return 0;
            ssize_t k = write(c->io.fd, c->out.p + c->out_off, c->out.len - c->out_off);
            if (k < 0) {
                if (errno == EAGAIN)
                    c->wready = 0;
                else
                    c->dead = 1;
                return 0;
            }
            c->out_off += (size_t)k;
            if (c->out_off < c->out.len) {
                c->wready = 0;
                return 0;
            }
        }
        if (!c->keep) {
            c->dead = 1;
            return 0;
        }
        buf_reset(&c->out);
        c->out_off = 0;
        h1_parser_reset(&c->p);
        h1_msg_init(&c->m, c->hdrs, ECHO_MAX_HEADERS);
        c->parsed = 0;
        c->state = ES_HEAD;
        if (c->rb && c->rb_off == c->rb_len) {
            bufpool_put(&w->pool, c->rb);
            c->rb = NULL;
            c->rb_len = c->rb_off = 0;
        }
        return 1;
    }
    }
    return 0;
}

static void econn_pump(struct econn *c)
{
    for (int i = 0; i < 10000 && !c->dead && step(c); i++)
        ;
    if (c->dead) {
        econn_free(c);
        return;
    }
    timer_again(c->w->loop, &c->timer);
}

static void on_accept(struct loop *loop, struct acceptor *a, int fd, const struct sockaddr *sa,
                      socklen_t len)
{
    (void)sa;
    (void)len;
    struct eworker *w = NET_CONTAINER_OF(a, struct eworker, acc);
    struct econn *c = calloc(1, sizeof *c);
    if (!c) {
        close(fd);
        return;
    }
    c->w = w;
    buf_init(&c->out, ECHO_OUT_MAX);
    h1_parser_init(&c->p, NULL);
    h1_msg_init(&c->m, c->hdrs, ECHO_MAX_HEADERS);
    timer_init(&c->timer);
    io_init(&c->io, fd, econn_io);
    if (io_start(loop, &c->io, IO_READ | IO_WRITE) < 0) {
        close(fd);
        free(c);
        return;
    }
    c->wready = 1;
    c->link.next = w->conns.next;
    c->link.prev = &w->conns;
    w->conns.next->prev = &c->link;
    w->conns.next = &c->link;
    timer_start(loop, &c->timer, ECHO_IDLE_MS, econn_timeout);
}

static int echo_worker(struct worker *wk)
{
    struct echo *es = wk->arg;
    struct eworker *w = &es->w[wk->id];
    w->loop = wk->loop;
    int r = acceptor_start(w->loop, &w->acc, w->lfd, 0, on_accept);
    if (r < 0) {
        LOG_ERROR("echo: cannot accept: %s", strerror(-r));
        return 1;
    }
    loop_run(w->loop);
    acceptor_stop(w->loop, &w->acc);
    for (struct net_link *l = w->conns.next, *next; l != &w->conns; l = next) {
        next = l->next;
        econn_free(NET_CONTAINER_OF(l, struct econn, link));
    }
    return 0;
}

struct echo *echo_new(const struct echo_config *cfg, struct err *e)
{
    struct echo *es = calloc(1, sizeof *es);
    if (!es) {
        err_set(e, "echo: out of memory");
        return NULL;
    }
    es->cfg = *cfg;
    es->n = cfg->workers ? cfg->workers : 1;
    es->ns = strdup(cfg->ns ? cfg->ns : "");
    es->service = strdup(cfg->service ? cfg->service : "");
    es->pod = strdup(cfg->pod ? cfg->pod : "");
    es->w = calloc(es->n, sizeof *es->w);
    if (!es->ns || !es->service || !es->pod || !es->w) {
        err_set(e, "echo: out of memory");
        goto fail;
    }
    for (unsigned i = 0; i < es->n; i++)
        es->w[i].lfd = -1;
    const char *addr = cfg->listen;
    for (unsigned i = 0; i < es->n; i++) {
        struct eworker *w = &es->w[i];
        w->es = es;
        w->conns.next = w->conns.prev = &w->conns;
        bufpool_init(&w->pool, 0, 0);
        if ((w->lfd = net_listen_tcp(addr, 0, NET_REUSEPORT, e)) < 0)
            goto fail;
        if (i == 0) {
            struct sockaddr_storage ss;
            socklen_t len;
            int port = net_local_port(w->lfd);
            if (port < 0 || net_addr_parse(addr, &ss, &len, e) < 0)
                goto fail;
            if (ss.ss_family == AF_INET6)
                ((struct sockaddr_in6 *)&ss)->sin6_port = htons((uint16_t)port);
            else
                ((struct sockaddr_in *)&ss)->sin_port = htons((uint16_t)port);
            net_addr_format((struct sockaddr *)&ss, es->addr, sizeof es->addr);
            addr = es->addr;
        }
    }
    return es;
fail:
    echo_free(es);
    return NULL;
}

const char *echo_address(const struct echo *es)
{
    return es->addr;
}

int echo_start(struct echo *es, struct err *e)
{
    es->ws = workers_start(es->n, echo_worker, es, 0, e);
    return es->ws ? 0 : -1;
}

void echo_stop(struct echo *es)
{
    if (es->ws)
        workers_stop(es->ws);
}

int echo_free(struct echo *es)
{
    if (!es)
        return 0;
    int rc = 0;
    if (es->ws) {
        workers_stop(es->ws);
        rc = workers_join(es->ws);
    }
    for (unsigned i = 0; es->w && i < es->n; i++) {
        if (es->w[i].lfd >= 0)
            close(es->w[i].lfd);
        bufpool_fini(&es->w[i].pool);
    }
    free(es->w);
    free(es->ns);
    free(es->service);
    free(es->pod);
    free(es);
    return rc;
}
