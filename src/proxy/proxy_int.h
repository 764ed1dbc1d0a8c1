/* Private to src/proxy: the worker, connection, request and upstream
 * structs shared by server.c, conn.c and upstream.c. The life of a request
 * is described in docs/internals/proxy.md; the comments here say who owns
 * what. */
#ifndef FERRY_PROXY_PROXY_INT_H
#define FERRY_PROXY_PROXY_INT_H

#include <netinet/in.h>
#include <stdatomic.h>
#include <stdint.h>

#include "core/text.h"
#include "http/h1.h"
#include "http/tls.h"
#include "proxy/routes.h"
#include "net/acceptor.h"
#include "net/bufpool.h"
#include "net/loop.h"
#include "net/workers.h"
#include "proxy/proxy.h"

#define PROXY_UPOOL_BUCKETS 256
#define PROXY_ALOG_SIZE (64u << 10)
#define PROXY_LOGLINE 512 /* bytes of "METHOD target" kept for the access log */
#define PROXY_LINGER_MS 2000
#define PROXY_TLS_WBUF 16384 /* one TLS record: what a TLS write gathers its pieces into */

struct pworker;
struct req;

/* A route table as one worker uses it: pinned by the worker, counted per
 * request without atomics. A retired table is freed (and its reference
 * dropped) when its last request ends. */
struct wtable {
    struct route_table *t;
    uint32_t inflight;
    int retired;
    uint32_t *rr;               /* round-robin counter per backend index */
    struct wtable *next, *prev; /* the worker's retired list */
};

/* The idle keep-alive connections to one endpoint (address and port). */
struct upool {
    struct upool *next;   /* hash chain */
    struct net_link idle; /* struct upconn.link, most recently used first */
    uint32_t nidle;
    uint16_t port; /* host order */
    uint8_t family;
    uint8_t ip[16];
};

enum up_state { UP_CONNECTING, UP_ACTIVE, UP_IDLE };

/* One connection to an upstream. Owned by its request while CONNECTING or
 * ACTIVE, by its pool while IDLE. */
struct upconn {
    struct io io;
    struct timer timer;
    struct net_link link; /* pool idle list */
    struct pworker *w;
    struct upool *pool;
    struct req *req; /* while not idle */
    struct upconn *next_free;
    uint8_t state;
    uint8_t rready, wready;
    uint8_t reused; /* came from the pool: may have been closed by the peer meanwhile */
    uint8_t eof;    /* the upstream shut its write side */
    uint8_t shut;   /* we shut our write side (tunnel) */
    uint8_t tmode;  /* what the timer means now */
};

enum conn_state {
    CS_IDLE,   /* between requests: no struct req */
    CS_HEAD,   /* reading a request head */
    CS_ACTIVE, /* a request is being proxied */
    CS_TUNNEL, /* after a 101: bytes both ways */
    CS_LINGER, /* our side is shut: discarding input until EOF, then close */
};

/* A client connection. Idle, it holds no buffer and no request: this struct
 * is all an idle keep-alive connection costs in user space. */
struct conn {
    struct io io;
    struct timer timer;
    struct net_link link; /* the worker's connections */
    struct pworker *w;
    struct req *req; /* NULL while idle or lingering */
    struct conn *next_free;
    char *rb; /* client input, NULL while empty */
    uint32_t rb_size, rb_len;
    uint32_t rb_off; /* first byte of the current (or next) request */
    uint32_t nreq;   /* requests started on this connection */
    uint8_t state;
    uint8_t rready, wready;
    uint8_t eof;     /* the client shut its write side */
    uint8_t closing; /* close after the current response */
    uint8_t dead;    /* to be freed at the end of the pump */
    uint8_t reset;   /* close with a reset: drop what the kernel still holds for it */
    uint8_t tmode;   /* what the timer means now */
    uint8_t prog;    /* progress during this pump (PROG_* in conn.c) */
    uint8_t iplen;
    /* TLS: waiting for the other direction (CT_* in conn.c); else 0. */
    uint8_t twant;
    char ip[INET6_ADDRSTRLEN];
    struct ssl_st *ssl; /* NULL on a plain HTTP connection */
};

/* One request/response exchange. From the worker's free list; it holds
 * the output buffer and the upstream input buffer while it lives. */
struct req {
    struct conn *c;
    struct upconn *up;
    struct wtable *wt;
    const struct route_backend *be;
    const struct route_endpoint *ep;
    struct req *next_free;
    uint64_t start_ms;

    /* the request (its parser and head: below) */
    uint32_t parsed;      /* bytes given to the parser so far */
    uint8_t rq_body;      /* enum h1_body */
    uint8_t rq_done;      /* the whole body has been validated */
    uint8_t rq_sent;      /* head and whole body written upstream */
    uint8_t rq_discarded; /* body bytes were dropped from rb: no replay */
    uint8_t method, version, ka, upgrade, idempotent;
    uint8_t cont; /* 100-continue: 0 no, 1 owed once connected, 2 sending */
    uint8_t cont_off;
    uint64_t rq_left;       /* LENGTH: body bytes not yet validated */
    uint32_t rq_body_start; /* offset in rb of the body (for a replay) */
    uint32_t rq_fwd;        /* next byte of rb to write upstream */
    uint32_t rq_val;        /* end of the validated body bytes in rb */
    uint64_t rq_bytes;      /* body bytes received */

    /* the head we write: request head to the upstream, then response head
     * (or a local response) to the client */
    char *ob;
    uint32_t ob_size, ob_len, ob_off;
    uint32_t ob_body; /* response body bytes copied behind the head (the last
                       * ob_body bytes of ob), counted as sent once written */
    uint8_t ob_kind;  /* OB_NONE, OB_REQ, OB_RESP, OB_LOCAL */

    /* the response */
    char *ub;
    uint32_t ub_size, ub_len;
    uint32_t rs_dec, rs_val, rs_fwd;
    /* An interim response (103 Early Hints, 102) to an HTTP/1.1 client: its
     * head, as received, is ub's first ir_len bytes, written to the client
     * (ir_off so far) before anything else of the response is parsed. */
    uint32_t ir_len, ir_off;
    uint8_t rs_state;
    uint8_t rs_body;   /* enum h1_body */
    uint8_t rs_decode; /* de-chunk for an HTTP/1.0 client */
    uint8_t rs_done;   /* the whole body has been validated */
    uint8_t rs_extra;  /* the upstream sent bytes after the response */
    uint8_t keep;      /* keep the client connection after this response */
    uint8_t got_resp_byte;
    uint8_t cshut; /* tunnel: we shut our write side to the client */
    /* rs_chunk: a close-delimited body re-framed as chunked for an HTTP/1.1
     * client. The chunk being written is ck_hdr ("<hex size>\r\n"), then
     * ck_left bytes of ub from rs_fwd, then CRLF; then "0\r\n\r\n" at the end. */
    uint8_t rs_chunk;
    uint8_t ck_hlen, ck_hoff; /* the size line and how much of it is written */
    uint8_t ck_tail;          /* bytes of the chunk's CRLF still owed */
    uint8_t ck_fin;           /* bytes of the last chunk written */
    uint32_t ck_left;         /* data bytes of the chunk still owed */
    char ck_hdr[12];
    uint64_t rs_left;
    uint16_t status;
    uint64_t bytes_out; /* response body bytes written to the client */

    /* upstream selection */
    uint32_t ep_first;
    uint8_t attempts, stale_retries, last_timeout;

    uint16_t logline_len;

    /* Not zeroed by req_new (everything above is): each is set up before it
     * is read. The parsers and heads by req_new; the chunked decoders when
     * a head says chunked (their state is read on that path only); rid[0]
     * and the log line when the request starts. */
    struct h1_parser p, rp; /* request, response */
    struct h1_msg m, rm;
    struct h1_chunked rq_ch, rs_ch;
    char rid[65]; /* X-Request-ID (the client's, cut to 64 bytes for the log) */
    char logline[PROXY_LOGLINE];
    /* header arrays, max_headers each, follow the struct */
    struct h1_header *hdrs, *rhdrs;
};

enum { OB_NONE, OB_REQ, OB_RESP, OB_LOCAL };
enum { RS_WAIT, RS_BODY, RS_LOCAL, RS_TUNNEL };

struct proxy;

struct pworker {
    struct proxy *px;
    struct worker *wk;
    struct loop *loop;
    unsigned id;
    int lfd;
    struct acceptor acc;
    int accepting;
    int tlfd; /* HTTPS listener, -1 without */
    struct acceptor tacc;
    int taccepting;
    char *tls_wbuf; /* PROXY_TLS_WBUF bytes when HTTPS is on */
    struct async routes_async;
    struct async drain_async;
    atomic_int ready;     /* the asyncs are registered */
    atomic_int drain_req; /* proxy_drain was called */
    struct route_slot slot;
    struct wtable *cur;
    struct wtable retired; /* list head */
    struct bufpool pool;   /* cfg.buffer_size */
    struct bufpool big;    /* heads larger than a pool buffer */
    uint32_t big_size;
    struct timer trim_timer;
    struct net_link conns;
    atomic_uint nconns;
    int draining;
    struct conn *free_conns;
    unsigned nfree_conns;
    struct req *free_reqs;
    unsigned nfree_reqs;
    struct upconn *free_ups;
    unsigned nfree_ups;
    struct upool *upools[PROXY_UPOOL_BUCKETS];
    uint64_t rng[2];
    /* access log: lines gathered during an iteration, written at its end */
    struct defer alog_defer;
    size_t alog_len;
    struct text_clock alog_clock;
    char alog[PROXY_ALOG_SIZE];
};

/* Upstream response heads have the parser's default limits (8 KiB status
 * line, 32 KiB of fields, 100 fields), whatever the client limits are. */
#define PROXY_RESP_MAX_HEADERS H1_MAX_HEADERS_DEFAULT

struct proxy {
    struct proxy_config cfg;
    struct h1_limits lim;  /* client requests (the --max-* flags) */
    struct h1_limits rlim; /* upstream responses */
    unsigned n;
    struct pworker **w;
    struct workers *ws;
    struct async *done;
    atomic_uint running;
    int port;
    char portstr[8];
    uint8_t portlen;
    char addr[72];
    struct tls_server *tls; /* NULL without HTTPS */
    char tportstr[8];
    uint8_t tportlen;
    char taddr[72];
};

/* conn.c */
/* <tls>: the connection came to the HTTPS listener. */
void conn_accept(struct pworker *w, int fd, const struct sockaddr *sa, int tls);
void conn_drain(struct conn *c);
void conn_kill(struct conn *c); /* at worker exit */
void req_upstream_event(struct upconn *u, unsigned events);
void req_upstream_timeout(struct upconn *u);
void alog_flush(struct loop *loop, struct defer *d);

/* upstream.c */
struct upconn *up_take_idle(struct pworker *w, const struct route_endpoint *ep);
/* A new connection in progress (or established), or NULL with *err = -errno. */
struct upconn *up_connect(struct pworker *w, const struct route_endpoint *ep, int *err);
/* Back to its pool when it may be reused, else closed. */
void up_release(struct upconn *u);
void up_close(struct upconn *u);
/* Closes every idle pooled connection (drain, exit). */
void up_close_idle(struct pworker *w);
void up_free_all(struct pworker *w);
/* (Re)starts an active connection's timer for <ms>. */
void up_set_timer(struct upconn *u, uint32_t ms);

/* server.c */
void worker_conn_gone(struct pworker *w);
void wtable_done(struct pworker *w, struct wtable *wt);

#endif
