/* Upstream connections: per-worker keep-alive pools, one per endpoint.
 *
 * A pool is found by hashing the endpoint's binary address and port; pools
 * are created the first time a worker talks to an endpoint and hold idle
 * connections most-recently-used first (the one most likely still open).
 * An idle connection watches for the upstream closing it (any read event:
 * end of stream, reset, or bytes it should not have sent) and for the
 * keep-alive timeout; either closes it. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "net/net.h"
#include "proxy/proxy_int.h"

#define FREE_UPS_MAX 1024

static unsigned pool_hash(uint8_t family, const uint8_t *ip, uint16_t port)
{
    uint64_t h = 1469598103934665603ULL ^ family;
    size_t n = family == AF_INET6 ? 16 : 4;
    for (size_t i = 0; i < n; i++)
        h = (h ^ ip[i]) * 1099511628211ULL;
    h = (h ^ (port & 0xff)) * 1099511628211ULL;
    h = (h ^ (port >> 8)) * 1099511628211ULL;
    return (unsigned)(h ^ (h >> 32)) & (PROXY_UPOOL_BUCKETS - 1);
}

static struct upool *pool_find(struct pworker *w, const struct route_endpoint *ep, int create)
{
    unsigned b = pool_hash(ep->family, ep->ip, ep->port);
    size_t n = ep->family == AF_INET6 ? 16 : 4;
    for (struct upool *p = w->upools[b]; p; p = p->next)
        if (p->port == ep->port && p->family == ep->family && !memcmp(p->ip, ep->ip, n))
            return p;
    if (!create)
        return NULL;
    struct upool *p = calloc(1, sizeof *p);
    if (!p)
        return NULL;
    p->port = ep->port;
    p->family = ep->family;
    memcpy(p->ip, ep->ip, 16);
    p->idle.next = p->idle.prev = &p->idle;
    p->next = w->upools[b];
    w->upools[b] = p;
    return p;
}

static void link_del(struct net_link *l)
{
    l->prev->next = l->next;
    l->next->prev = l->prev;
    l->next = l->prev = l;
}

static struct upconn *up_alloc(struct pworker *w)
{
    struct upconn *u = w->free_ups;
    if (u) {
        w->free_ups = u->next_free;
        w->nfree_ups--;
    } else if (!(u = malloc(sizeof *u))) {
        return NULL;
    }
    memset(u, 0, sizeof *u);
    u->w = w;
    u->link.next = u->link.prev = &u->link;
    timer_init(&u->timer);
    return u;
}

static void up_dealloc(struct upconn *u)
{
    struct pworker *w = u->w;
    if (w->nfree_ups < FREE_UPS_MAX) {
        u->next_free = w->free_ups;
        w->free_ups = u;
        w->nfree_ups++;
    } else {
        free(u);
    }
}

void up_close(struct upconn *u)
{
    struct pworker *w = u->w;
    if (u->state == UP_IDLE) {
        link_del(&u->link);
        u->pool->nidle--;
    }
    timer_stop(w->loop, &u->timer);
    if (u->io.fd >= 0)
        io_close(w->loop, &u->io);
    up_dealloc(u);
}

static void idle_io(struct loop *loop, struct io *io, unsigned events)
{
    (void)loop;
    /* An idle connection has nothing to say: bytes, an end of stream or an
     * error end it. A writable edge (send space freed after our last
     * write) means nothing. */
    if (events & (IO_READ | IO_RDHUP | IO_HUP | IO_ERR))
        up_close(NET_CONTAINER_OF(io, struct upconn, io));
}

static void idle_timeout(struct loop *loop, struct timer *t)
{
    (void)loop;
    up_close(NET_CONTAINER_OF(t, struct upconn, timer));
}

static void active_io(struct loop *loop, struct io *io, unsigned events)
{
    (void)loop;
    req_upstream_event(NET_CONTAINER_OF(io, struct upconn, io), events);
}

static void active_timeout(struct loop *loop, struct timer *t)
{
    (void)loop;
    req_upstream_timeout(NET_CONTAINER_OF(t, struct upconn, timer));
}

struct upconn *up_take_idle(struct pworker *w, const struct route_endpoint *ep)
{
    struct upool *p = pool_find(w, ep, 0);
    if (!p || !p->nidle)
        return NULL;
    struct upconn *u = NET_CONTAINER_OF(p->idle.next, struct upconn, link);
    link_del(&u->link);
    p->nidle--;
    u->state = UP_ACTIVE;
    u->reused = 1;
    u->rready = 0;
    u->wready = 1;
    u->eof = 0;
    u->shut = 0;
    u->tmode = 0;
    u->io.cb = active_io;
    timer_stop(w->loop, &u->timer);
    return u;
}

struct upconn *up_connect(struct pworker *w, const struct route_endpoint *ep, int *err)
{
    struct sockaddr_storage ss;
    socklen_t len;
    memset(&ss, 0, sizeof ss);
    if (ep->family == AF_INET6) {
        struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&ss;
        s6->sin6_family = AF_INET6;
        s6->sin6_port = htons(ep->port);
        memcpy(&s6->sin6_addr, ep->ip, 16);
        len = sizeof *s6;
    } else {
        struct sockaddr_in *s4 = (struct sockaddr_in *)&ss;
        s4->sin_family = AF_INET;
        s4->sin_port = htons(ep->port);
        memcpy(&s4->sin_addr, ep->ip, 4);
        len = sizeof *s4;
    }
    struct upool *p = pool_find(w, ep, 1);
    if (!p) {
        *err = -ENOMEM;
        return NULL;
    }
    struct upconn *u = up_alloc(w);
    if (!u) {
        *err = -ENOMEM;
        return NULL;
    }
    int fd = net_connect_tcp((struct sockaddr *)&ss, len, NULL);
    if (fd < 0) {
        *err = fd;
        up_dealloc(u);
        return NULL;
    }
    u->pool = p;
    u->state = UP_CONNECTING;
    io_init(&u->io, fd, active_io);
    int r = io_start(w->loop, &u->io, IO_READ | IO_WRITE);
    if (r < 0) {
        *err = r;
        io_close(w->loop, &u->io);
        up_dealloc(u);
        return NULL;
    }
    return u;
}

void up_release(struct upconn *u)
{
    struct pworker *w = u->w;
    const struct proxy_config *cfg = &w->px->cfg;
    u->req = NULL;
    if (w->draining || u->eof || u->rready || u->shut ||
        u->pool->nidle >= cfg->upstream_keepalive) {
        up_close(u);
        return;
    }
    u->state = UP_IDLE;
    u->io.cb = idle_io;
    u->link.next = u->pool->idle.next;
    u->link.prev = &u->pool->idle;
    u->pool->idle.next->prev = &u->link;
    u->pool->idle.next = &u->link;
    u->pool->nidle++;
    timer_start(w->loop, &u->timer, cfg->upstream_keepalive_timeout_ms, idle_timeout);
}

void up_close_idle(struct pworker *w)
{
    for (unsigned b = 0; b < PROXY_UPOOL_BUCKETS; b++) {
        for (struct upool *p = w->upools[b]; p; p = p->next) {
            for (struct net_link *l = p->idle.next, *next; l != &p->idle; l = next) {
                next = l->next;
                up_close(NET_CONTAINER_OF(l, struct upconn, link));
            }
        }
    }
}

void up_free_all(struct pworker *w)
{
    up_close_idle(w);
    for (unsigned b = 0; b < PROXY_UPOOL_BUCKETS; b++) {
        struct upool *p = w->upools[b];
        while (p) {
            struct upool *next = p->next;
            free(p);
            p = next;
        }
        w->upools[b] = NULL;
    }
    while (w->free_ups) {
        struct upconn *u = w->free_ups;
        w->free_ups = u->next_free;
        free(u);
    }
    w->nfree_ups = 0;
}

void up_set_timer(struct upconn *u, uint32_t ms)
{
    timer_start(u->w->loop, &u->timer, ms, active_timeout);
}
