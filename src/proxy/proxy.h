/* The HTTP/1.1 reverse proxy: ferry's data plane.
 *
 *   struct proxy *px = proxy_new(&cfg, &e);     (opens the listeners: bind errors now)
 *   proxy_publish(px, table);                    (any thread, any time: routes)
 *   proxy_start(px, &e);                         (N worker threads)
 *   ...                                          (main thread: signals, provider)
 *   proxy_drain(px);                             (graceful: stop accepting, finish)
 *   proxy_stop(px);                              (hard: every loop returns)
 *   proxy_free(px);                              (joins the workers)
 *
 * Each worker has its own loop, its own SO_REUSEPORT listener, its own buffer
 * pool, connection free lists and upstream keep-alive pools: nothing is
 * shared between workers on the request path but the (immutable) route
 * table, and that is reached through the worker's own slot and pinned per
 * worker, not per request (docs/internals/proxy.md). */
#ifndef FERRY_PROXY_PROXY_H
#define FERRY_PROXY_PROXY_H

#include <stddef.h>
#include <stdint.h>

#include "core/err.h"
#include "http/h1.h"
#include "proxy/routes.h"
#include "net/loop.h"

struct proxy_config {
    const char *listen; /* "127.0.0.1:8080", ":80"; port 0 picks one (see proxy_port) */
    unsigned workers;   /* >= 1 */
    int access_log;     /* one line per request on stdout */
    /* Trust the client's X-Forwarded-* (another proxy in front): append to
     * its X-Forwarded-For and pass its X-Forwarded-Proto/Host/Port on.
     * Off (the default), they are replaced, so a client cannot spoof them. */
    int use_forwarded_headers;
    /* HTTPS ("127.0.0.1:8443", ":443"), or NULL or "" for none. Certificates
     * come from the route table (route_cert); names it does not cover get a
     * self-signed certificate made at start. */
    const char *https_listen;
    /* Request head limits (414, 431); 0 fields mean the parser's defaults. */
    struct h1_limits limits;
    /* Timeouts, milliseconds; 0 means the default in parentheses. */
    uint32_t client_header_timeout_ms; /* (60 s) first byte of a request to the end of its head */
    uint32_t client_body_timeout_ms;   /* (60 s) between two reads of a request body */
    uint32_t keepalive_timeout_ms;     /* (75 s) idle client connection between requests */
    uint32_t send_timeout_ms;          /* (60 s) a client that does not take our bytes */
    uint32_t upstream_connect_timeout_ms; /* (5 s) */
    uint32_t upstream_timeout_ms; /* (60 s) between two reads of, or writes to, an upstream */
    uint32_t upstream_keepalive_timeout_ms; /* (60 s) idle pooled upstream connection */
    uint32_t tunnel_timeout_ms;             /* (3600 s) idle upgraded (WebSocket) connection */
    uint32_t upstream_keepalive; /* idle connections kept per endpoint per worker (0: none;
                                    the command's default is 320) */
    uint32_t upstream_tries;     /* (3) endpoints tried per request */
    uint32_t max_connections;    /* (16384) client connections per worker */
    uint32_t keepalive_requests; /* (0: no limit) requests per client connection */
    size_t buffer_size;          /* (16 KiB) I/O buffer size */
    const char *server_name;     /* unused for now; NULL */
};

struct proxy;

/* Validates <cfg> (copied), opens one listener per worker (SO_REUSEPORT) so
 * that an address in use is reported before anything starts. Returns NULL
 * with <e> filled. */
struct proxy *proxy_new(const struct proxy_config *cfg, struct err *e);
/* The port listened on (useful after port 0). */
int proxy_port(const struct proxy *px);
/* The address listened on, "127.0.0.1:34567". */
const char *proxy_address(const struct proxy *px);
/* The HTTPS address listened on, or NULL without HTTPS. */
const char *proxy_https_address(const struct proxy *px);

/* Starts the workers. <done> (may be NULL) is sent once when every worker
 * has returned from its loop (after a drain or a stop). Returns 0 or -1
 * with <e> filled. */
int proxy_start(struct proxy *px, struct async *done, struct err *e);

/* Publishes <t> to every worker; the caller's reference moves in (the proxy
 * takes one per worker and drops the caller's). Any thread; may be called
 * before proxy_start. Workers switch between events; requests in flight
 * finish on the table they started with. */
void proxy_publish(struct proxy *px, struct route_table *t);

/* Graceful stop: every worker closes its listener, closes idle client and
 * upstream connections, answers requests in flight with "Connection: close"
 * and returns from its loop when it has no connection left. Any thread. */
void proxy_drain(struct proxy *px);
/* Hard stop: every worker loop returns now; connections are closed by
 * proxy_free. Any thread. */
void proxy_stop(struct proxy *px);
/* Client connections open right now, all workers (approximate, racy). */
unsigned proxy_connections(const struct proxy *px);

/* Joins the workers (call proxy_drain or proxy_stop first if started), closes
 * everything, frees. NULL is ignored. Returns the first worker error or 0. */
int proxy_free(struct proxy *px);

/* "60s", "500ms", "1m30s", "2h", "1.5s", or plain seconds "10": Go's
 * time.ParseDuration units ns us ms s m h. Returns 0 and *ms, or -1. */
int proxy_parse_duration(const char *s, uint64_t *ms);

#endif
