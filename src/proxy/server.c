/* The proxy's workers: listeners, accepting, route-table publishing,
 * graceful drain. Connections and requests are in conn.c, upstream pools in
 * upstream.c. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

#include "core/log.h"
#include "core/text.h"
#include "net/net.h"
#include "proxy/proxy_int.h"

#define TRIM_MS 5000

/* ---- route tables ------------------------------------------------------ */

static void wtable_free(struct wtable *wt)
{
    route_table_unref(wt->t);
    free(wt->rr);
    free(wt);
}

void wtable_done(struct pworker *w, struct wtable *wt)
{
    if (--wt->inflight == 0 && wt->retired) {
        wt->prev->next = wt->next;
        wt->next->prev = wt->prev;
        wtable_free(wt);
    }
    (void)w;
}

/* Between events (an async callback, or before the loop runs): switch to
 * the newest table put in the slot, if any. */
static void take_routes(struct pworker *w)
{
    struct route_table *t = route_slot_take(&w->slot);
    if (!t)
        return;
    uint32_t nb = route_table_nbackends(t);
    struct wtable *wt = calloc(1, sizeof *wt);
    uint32_t *rr = calloc(nb ? nb : 1, sizeof *rr);
    if (!wt || !rr) {
        free(wt);
        free(rr);
        route_table_unref(t);
        LOG_ERROR("proxy: worker %u: out of memory taking a new route table; keeping the old one",
                  w->id);
        return;
    }
    for (uint32_t i = 0; i < nb; i++)
        rr[i] = w->id; /* workers start on different endpoints */
    wt->t = t;
    wt->rr = rr;
    struct wtable *old = w->cur;
    w->cur = wt;
    if (old) {
        if (old->inflight == 0) {
            wtable_free(old);
        } else {
            old->retired = 1;
            old->next = w->retired.next;
            old->prev = &w->retired;
            w->retired.next->prev = old;
            w->retired.next = old;
        }
    }
}

static void on_routes(struct loop *loop, struct async *a)
{
    (void)loop;
    take_routes(NET_CONTAINER_OF(a, struct pworker, routes_async));
}

/* ---- accepting, draining ----------------------------------------------- */

static void accept_conn(struct pworker *w, int fd, const struct sockaddr *sa, int tls)
{
    if (w->draining ||
        atomic_load_explicit(&w->nconns, memory_order_relaxed) >= w->px->cfg.max_connections) {
        close(fd); /* over the limit: the client sees its connection closed at once */
        return;
    }
    conn_accept(w, fd, sa, tls);
}

static void on_accept(struct loop *loop, struct acceptor *a, int fd, const struct sockaddr *sa,
                      socklen_t len)
{
    (void)loop;
    (void)len;
    accept_conn(NET_CONTAINER_OF(a, struct pworker, acc), fd, sa, 0);
}

static void on_accept_tls(struct loop *loop, struct acceptor *a, int fd, const struct sockaddr *sa,
                          socklen_t len)
{
    (void)loop;
    (void)len;
    accept_conn(NET_CONTAINER_OF(a, struct pworker, tacc), fd, sa, 1);
}

static void stop_accepting(struct pworker *w)
{
    if (w->accepting) {
        acceptor_stop(w->loop, &w->acc);
        w->accepting = 0;
    }
    if (w->taccepting) {
        acceptor_stop(w->loop, &w->tacc);
        w->taccepting = 0;
    }
    if (w->lfd >= 0) {
        close(w->lfd);
        w->lfd = -1;
    }
    if (w->tlfd >= 0) {
        close(w->tlfd);
        w->tlfd = -1;
    }
}

void worker_conn_gone(struct pworker *w)
{
    unsigned left = atomic_fetch_sub_explicit(&w->nconns, 1, memory_order_relaxed) - 1;
    if (w->draining && left == 0)
        loop_stop(w->loop);
}

static void on_drain(struct loop *loop, struct async *a)
{
    struct pworker *w = NET_CONTAINER_OF(a, struct pworker, drain_async);
    if (w->draining)
        return;
    w->draining = 1;
    stop_accepting(w);
    up_close_idle(w);
    for (struct net_link *l = w->conns.next, *next; l != &w->conns; l = next) {
        next = l->next;
        conn_drain(NET_CONTAINER_OF(l, struct conn, link));
    }
    if (atomic_load_explicit(&w->nconns, memory_order_relaxed) == 0)
        loop_stop(loop);
}

/* Gives memory back after a burst: free buffers beyond a quarter of those
 * in use (and at least 16) go back to the heap. */
static void on_trim(struct loop *loop, struct timer *t)
{
    struct pworker *w = NET_CONTAINER_OF(t, struct pworker, trim_timer);
    size_t in_use = bufpool_stats(&w->pool)->in_use;
    bufpool_trim(&w->pool, 16 + in_use / 4);
    bufpool_trim(&w->big, 2);
    timer_start(loop, t, TRIM_MS, on_trim);
}

static int worker_main(struct worker *wk)
{
    struct proxy *px = wk->arg;
    struct pworker *w = px->w[wk->id];
    w->wk = wk;
    w->loop = wk->loop;
    loop_set_data(w->loop, w);
    async_init(w->loop, &w->routes_async, on_routes);
    async_init(w->loop, &w->drain_async, on_drain);
    /* Dekker with proxy_publish/proxy_drain: either they see <ready> and
     * wake us, or we see what they put before we run. */
    atomic_store(&w->ready, 1);
    take_routes(w);
    if (atomic_load(&w->drain_req))
        on_drain(w->loop, &w->drain_async);
    int rc = 0;
    int r = acceptor_start(w->loop, &w->acc, w->lfd, 0, on_accept);
    if (r >= 0) {
        w->accepting = 1;
        if (w->tlfd >= 0 && (r = acceptor_start(w->loop, &w->tacc, w->tlfd, 0, on_accept_tls)) >= 0)
            w->taccepting = 1;
    }
    if (r < 0) {
        LOG_ERROR("proxy: worker %u: cannot accept: %s", w->id, strerror(-r));
        rc = 1;
    } else {
        timer_start(w->loop, &w->trim_timer, TRIM_MS, on_trim);
        loop_run(w->loop);
    }
    stop_accepting(w);
    timer_stop(w->loop, &w->trim_timer);
    for (struct net_link *l = w->conns.next, *next; l != &w->conns; l = next) {
        next = l->next;
        conn_kill(NET_CONTAINER_OF(l, struct conn, link));
    }
    alog_flush(w->loop, &w->alog_defer);
    up_free_all(w);
    if (atomic_fetch_sub(&px->running, 1) == 1 && px->done)
        async_send(px->done);
    return rc;
}

/* ---- the proxy --------------------------------------------------------- */

/* The SNI callback's choice: the certificate of the route table the worker
 * is on now, so a Secret changed live is served from the next handshake. */
static const struct tls_cert *select_cert(void *arg, const char *name)
{
    const struct conn *c = arg;
    return c->w->cur ? route_cert(c->w->cur->t, name) : NULL;
}

/* Opens one SO_REUSEPORT listener per worker on <addr>: each worker's lfd,
 * or its tlfd for <tls>. With port 0 the others join the port the kernel
 * gave the first. Writes the bound address into <bound> and returns the
 * port, or -1 with <e> filled. */
static int listen_all(struct proxy *px, const char *addr, int tls, char *bound, size_t size,
                      struct err *e)
{
    char buf[NET_ADDR_STRLEN];
    int port = -1;
    for (unsigned i = 0; i < px->n; i++) {
        int fd = net_listen_tcp(addr, 0, NET_REUSEPORT, e);
        if (fd < 0)
            return -1;
        *(tls ? &px->w[i]->tlfd : &px->w[i]->lfd) = fd;
        if (i > 0)
            continue;
        struct sockaddr_storage ss;
        socklen_t len;
        port = net_local_port(fd);
        if (port < 0 || net_addr_parse(addr, &ss, &len, e) < 0)
            return -1;
        if (ss.ss_family == AF_INET6)
            ((struct sockaddr_in6 *)&ss)->sin6_port = htons((uint16_t)port);
        else
            ((struct sockaddr_in *)&ss)->sin_port = htons((uint16_t)port);
        net_addr_format((struct sockaddr *)&ss, buf, sizeof buf);
        addr = buf;
        snprintf(bound, size, "%s", buf);
    }
    return port;
}

static uint32_t dflt(uint32_t v, uint32_t d)
{
    return v ? v : d;
}

static void pworker_free(struct pworker *w)
{
    if (!w)
        return;
    if (w->lfd >= 0)
        close(w->lfd);
    if (w->tlfd >= 0)
        close(w->tlfd);
    free(w->tls_wbuf);
    route_slot_fini(&w->slot);
    if (w->cur)
        wtable_free(w->cur);
    while (w->retired.next && w->retired.next != &w->retired) {
        struct wtable *wt = w->retired.next;
        w->retired.next = wt->next;
        wtable_free(wt);
    }
    while (w->free_conns) {
        struct conn *c = w->free_conns;
        w->free_conns = c->next_free;
        free(c);
    }
    while (w->free_reqs) {
        struct req *r = w->free_reqs;
        w->free_reqs = r->next_free;
        free(r);
    }
    up_free_all(w);
    bufpool_fini(&w->pool);
    bufpool_fini(&w->big);
    free(w);
}

struct proxy *proxy_new(const struct proxy_config *cfg, struct err *e)
{
    if (!cfg->listen || !*cfg->listen) {
        err_set(e, "proxy: no listen address");
        return NULL;
    }
    if (cfg->workers < 1 || cfg->workers > 1024) {
        err_set(e, "proxy: workers must be between 1 and 1024, not %u", cfg->workers);
        return NULL;
    }
    struct proxy *px = calloc(1, sizeof *px);
    if (!px)
        goto fail_mem;
    px->cfg = *cfg;
    struct proxy_config *c = &px->cfg;
    c->client_header_timeout_ms = dflt(c->client_header_timeout_ms, 60000);
    c->client_body_timeout_ms = dflt(c->client_body_timeout_ms, 60000);
    c->keepalive_timeout_ms = dflt(c->keepalive_timeout_ms, 75000);
    c->send_timeout_ms = dflt(c->send_timeout_ms, 60000);
    c->upstream_connect_timeout_ms = dflt(c->upstream_connect_timeout_ms, 5000);
    c->upstream_timeout_ms = dflt(c->upstream_timeout_ms, 60000);
    c->upstream_keepalive_timeout_ms = dflt(c->upstream_keepalive_timeout_ms, 60000);
    c->tunnel_timeout_ms = dflt(c->tunnel_timeout_ms, 3600000);
    c->upstream_tries = dflt(c->upstream_tries, 3);
    c->max_connections = dflt(c->max_connections, 16384);
    if (!c->buffer_size)
        c->buffer_size = BUFPOOL_DEFAULT_SIZE;
    if (c->buffer_size < 1024)
        c->buffer_size = 1024;
    px->lim = cfg->limits;
    px->lim.max_start_line = dflt(px->lim.max_start_line, H1_MAX_START_LINE_DEFAULT);
    px->lim.max_header_bytes = dflt(px->lim.max_header_bytes, H1_MAX_HEADER_BYTES_DEFAULT);
    px->lim.max_headers = dflt(px->lim.max_headers, H1_MAX_HEADERS_DEFAULT);
    if (px->lim.max_start_line > (1u << 20) || px->lim.max_header_bytes > (1u << 20) ||
        px->lim.max_headers > 10000) {
        err_set(e, "proxy: request head limits are capped at 1 MiB and 10000 fields");
        goto fail;
    }
    px->rlim.max_start_line = H1_MAX_START_LINE_DEFAULT;
    px->rlim.max_header_bytes = H1_MAX_HEADER_BYTES_DEFAULT;
    px->rlim.max_headers = PROXY_RESP_MAX_HEADERS;
    px->rlim.max_chunk_line = px->lim.max_chunk_line;
    /* Big buffers hold any head the limits allow, plus room for our fields. */
    uint64_t big = (uint64_t)px->lim.max_start_line + px->lim.max_header_bytes + 4096;
    uint64_t rbig = (uint64_t)px->rlim.max_start_line + px->rlim.max_header_bytes + 4096;
    if (big < rbig)
        big = rbig;
    if (big < c->buffer_size)
        big = c->buffer_size;

    px->n = cfg->workers;
    if (!(px->w = calloc(px->n, sizeof(struct pworker *))))
        goto fail_mem;
    int https = cfg->https_listen && *cfg->https_listen;
    if (https) {
        struct tls_cert *deflt = tls_cert_self_signed(e);
        if (!deflt || !(px->tls = tls_server_new(deflt, select_cert, e)))
            goto fail;
    }
    for (unsigned i = 0; i < px->n; i++) {
        struct pworker *w = calloc(1, sizeof *w);
        if (!w)
            goto fail_mem;
        px->w[i] = w;
        w->px = px;
        w->id = i;
        w->lfd = w->tlfd = -1;
        if (https && !(w->tls_wbuf = malloc(PROXY_TLS_WBUF)))
            goto fail_mem;
        w->conns.next = w->conns.prev = &w->conns;
        w->retired.next = w->retired.prev = &w->retired;
        bufpool_init(&w->pool, c->buffer_size, 0);
        bufpool_init(&w->big, (size_t)big, 0);
        w->big_size = (uint32_t)big;
        if (getrandom(w->rng, sizeof w->rng, 0) != (ssize_t)sizeof w->rng) {
            w->rng[0] = (uint64_t)time(NULL) ^ ((uint64_t)getpid() << 32) ^ i;
            w->rng[1] = 0x9e3779b97f4a7c15ULL * (i + 1);
        }
        w->rng[0] |= 1;
    }
    if ((px->port = listen_all(px, cfg->listen, 0, px->addr, sizeof px->addr, e)) < 0)
        goto fail;
    px->portlen = (uint8_t)snprintf(px->portstr, sizeof px->portstr, "%d", px->port);
    if (https) {
        int port = listen_all(px, cfg->https_listen, 1, px->taddr, sizeof px->taddr, e);
        if (port < 0)
            goto fail;
        px->tportlen = (uint8_t)snprintf(px->tportstr, sizeof px->tportstr, "%d", port);
    }
    return px;
fail_mem:
    err_set(e, "proxy: out of memory");
fail:
    if (px) {
        for (unsigned i = 0; px->w && i < px->n; i++)
            pworker_free(px->w[i]);
        free(px->w);
        tls_server_free(px->tls);
        free(px);
    }
    return NULL;
}

int proxy_port(const struct proxy *px)
{
    return px->port;
}

const char *proxy_address(const struct proxy *px)
{
    return px->addr;
}

const char *proxy_https_address(const struct proxy *px)
{
    return px->tls ? px->taddr : NULL;
}

int proxy_start(struct proxy *px, struct async *done, struct err *e)
{
    px->done = done;
    atomic_store(&px->running, px->n);
    px->ws = workers_start(px->n, worker_main, px, 0, e);
    if (!px->ws) {
        atomic_store(&px->running, 0);
        return -1;
    }
    return 0;
}

void proxy_publish(struct proxy *px, struct route_table *t)
{
    for (unsigned i = 0; i < px->n; i++) {
        struct pworker *w = px->w[i];
        route_slot_put(&w->slot, route_table_ref(t));
        /* A worker that has not started takes the table when it starts. */
        if (atomic_load(&w->ready))
            async_send(&w->routes_async);
    }
    route_table_unref(t);
}

void proxy_drain(struct proxy *px)
{
    if (!px->ws)
        return;
    for (unsigned i = 0; i < px->n; i++) {
        struct pworker *w = px->w[i];
        atomic_store(&w->drain_req, 1);
        if (atomic_load(&w->ready))
            async_send(&w->drain_async);
    }
}

void proxy_stop(struct proxy *px)
{
    if (px->ws)
        workers_stop(px->ws);
}

unsigned proxy_connections(const struct proxy *px)
{
    unsigned n = 0;
    for (unsigned i = 0; i < px->n; i++)
        n += atomic_load_explicit(&px->w[i]->nconns, memory_order_relaxed);
    return n;
}

int proxy_free(struct proxy *px)
{
    if (!px)
        return 0;
    int rc = 0;
    if (px->ws) {
        workers_stop(px->ws);
        rc = workers_join(px->ws);
    }
    for (unsigned i = 0; i < px->n; i++)
        pworker_free(px->w[i]);
    free(px->w);
    tls_server_free(px->tls);
    free(px);
    return rc;
}

int proxy_parse_duration(const char *s, uint64_t *ms)
{
    if (!s || !*s)
        return -1;
    char *end;
    /* plain number: seconds */
    double v = strtod(s, &end);
    if (end != s && *end == '\0') {
        if (v < 0 || v > 1e9)
            return -1;
        *ms = (uint64_t)(v * 1000 + 0.5);
        return 0;
    }
    double total;
    if (text_go_duration(s, &total) < 0)
        return -1;
    if (total < 0 || total > 1e12)
        return -1;
    *ms = (uint64_t)(total + 0.5);
    return 0;
}
