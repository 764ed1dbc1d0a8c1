/* The Kubernetes API client's transport: requests on libcurl, with
 * authentication, connection reuse, HTTP/2 when the server offers it,
 * retries, a client-side rate limit, timeouts, and API errors worded as
 * kubectl words them.
 *
 * - Connections: one libcurl share (connections, TLS sessions, DNS) per
 *   client and a small pool of easy handles, so consecutive requests reuse
 *   one connection. HTTP/2 is negotiated by ALPN (CURL_HTTP_VERSION_2TLS).
 * - Authentication, per request: client certificate and key, bearer token
 *   (a tokenFile is re-read every minute), basic auth, or an exec plugin's
 *   credentials (cached until their expirationTimestamp, refreshed once
 *   when the server answers 401). A static token wins over exec, as in
 *   client-go.
 * - Retries: connection failures, 429 and 5xx, with exponential backoff and
 *   jitter, or the server's Retry-After. Requests that change objects
 *   (POST, PUT, PATCH, DELETE) are retried only when they cannot have
 *   reached the server (connection refused) or when the server asked for a
 *   retry (429, or a 5xx with Retry-After).
 * - Rate limit: a token bucket of <qps> and <burst>, for every attempt.
 * - Timeouts: --request-timeout bounds a request with all its retries.
 *
 * A client is thread-safe: requests may run from several threads at once.
 * Every call that performs a request blocks. */
#ifndef FERRY_KUBE_CLIENT_H
#define FERRY_KUBE_CLIENT_H

#include <signal.h>
#include <stdatomic.h>
#include <stddef.h>

#include "core/buf.h"
#include "core/err.h"
#include "kube/restcfg.h"

/* Client-side rate limit defaults. client-go's are 5/10, which would make a
 * paged list of 20,000 objects (40 pages) wait six seconds; kubectl itself
 * raises its discovery limits to 50/300. ferry uses 50/100 for everything. */
#define KUBE_DEFAULT_QPS 50.0
#define KUBE_DEFAULT_BURST 100

/* kube_do's results besides 0. */
#define KUBE_ESTATUS (-2)  /* the server answered with an error status */
#define KUBE_ECONN (-3)    /* no usable answer: connection, TLS, timeout, credentials */
#define KUBE_EABORTED (-4) /* the on_data consumer stopped the transfer */

struct kube_client_opts {
    double qps;              /* <= 0: no limit */
    int burst;               /* tokens available at once (>= 1) */
    int max_retries;         /* retries after the first attempt */
    int max_conn_retries;    /* of those, after failed connections (refused, reset) */
    long backoff_ms;         /* first backoff; doubles each retry */
    long backoff_max_ms;     /* cap on one backoff */
    long retry_after_max_ms; /* cap on an honoured Retry-After */
};

/* qps 50, burst 100, 5 retries (3 for failed connections, so that a wrong
 * address fails within a second), backoff 100 ms doubling to 5 s, Retry-After
 * honoured up to 60 s. */
void kube_client_opts_default(struct kube_client_opts *o);

struct kube_client;

/* Takes ownership of <cfg> (emptied, even on failure). <opts> may be NULL
 * for the defaults. Returns NULL with <e> set on failure. */
struct kube_client *kube_client_new(struct kube_restcfg *cfg, const struct kube_client_opts *opts,
                                    struct err *e);
void kube_client_free(struct kube_client *c);
const struct kube_restcfg *kube_client_cfg(const struct kube_client *c);

/* Cancel flags (kube_req.cancel, kube_watch_opts.cancel) are set by
 * another thread (a controller stopping) or by a signal handler: a
 * lock-free atomic is both race-free and async-signal-safe. */
_Static_assert(ATOMIC_INT_LOCK_FREE == 2, "cancel flags need lock-free atomic_int");

static inline int kube_cancelled(const atomic_int *flag)
{
    return flag && atomic_load(flag);
}

struct kube_req {
    const char *method;       /* NULL: GET */
    const char *path;         /* absolute and escaped: "/api/v1/namespaces/a/configmaps" */
    const char *query;        /* escaped "k=v&k2=v2", or NULL */
    const char *accept;       /* NULL: application/json */
    const char *content_type; /* for a body */
    const char *body;
    size_t body_len;
    /* Streaming: the body of a 2xx answer is handed to on_data as it
     * arrives instead of being kept in resp->body. Returning -1 stops the
     * transfer (kube_do returns KUBE_EABORTED). */
    int (*on_data)(void *arg, const char *p, size_t n);
    /* Before retrying a request whose body was partly handed to on_data:
     * 0 lets the retry go on (the consumer has reset itself), -1 fails the
     * request with the error that caused the retry. NULL: never retried
     * once data was handed out. */
    int (*on_retry)(void *arg);
    void *arg;
    /* What error messages name (client-go's "(get configmaps x)"). */
    const char *resource; /* "configmaps", "deployments.apps" */
    const char *name;
    long timeout_ms; /* 0: the client's --request-timeout; -1: none */
    int no_retry;
    int generic_errors;       /* word errors from the status code alone, ignoring a Status body,
                               * as client-go's Raw() does (discovery) */
    int watch;                /* a long-lived stream: no low-speed limits */
    const atomic_int *cancel; /* set to non-zero to stop (kube_cancelled); may be NULL */
    size_t max_body;          /* cap on resp->body; 0: 256 MiB */
};

struct kube_resp {
    long code;       /* HTTP status, 0 when none came */
    struct buf body; /* the answer, unless streamed; an error's body */
    char content_type[128];
    char reason[64];  /* the Status reason of an error ("NotFound") */
    long retry_after; /* seconds, -1 when absent */
    int attempts;     /* tries made */
};

void kube_resp_init(struct kube_resp *r);
void kube_resp_fini(struct kube_resp *r);

/* Performs <r> with retries. Returns 0 on a 2xx answer; KUBE_ESTATUS when
 * the server answered with an error (resp->code and resp->reason set,
 * e->msg kubectl's message: `Error from server (NotFound): configmaps "x"
 * not found`); KUBE_ECONN when no answer came (e->msg: `The connection to
 * the server H was refused - did you specify the right host or port?`,
 * `Unable to connect to the server: ...`); KUBE_EABORTED when on_data
 * stopped it (e untouched). <resp> must be initialised; it is reset first. */
int kube_do(struct kube_client *c, const struct kube_req *r, struct kube_resp *resp, struct err *e);

/* The message kubectl prints for an error answer, from its status code,
 * content type and body: a metav1.Status is used as is; anything else
 * gets client-go's generic message for the code. <method>, <resource>,
 * <name> complete the generic message. Fills <reason> (may be NULL;
 * <reason_len> bytes). Returns KUBE_ESTATUS. */
int kube_status_error(long code, const char *content_type, const char *body, size_t len,
                      const char *method, const char *resource, const char *name, char *reason,
                      size_t reason_len, struct err *e);

struct kube_discovery;
/* The client's discovery cache, filled and owned by kube/discovery.c and
 * freed with the client. */
struct kube_discovery **kube_client_discovery_slot(struct kube_client *c);

/* Transfer counters, for -v output and tests. */
struct kube_stats {
    long requests; /* attempts sent */
    long connects; /* new connections opened (the others reused one) */
    long http2;    /* attempts answered over HTTP/2 */
    long retries;
    long throttled_ms; /* time spent waiting for the rate limit */
    long exec_runs;    /* exec plugin runs */
};
void kube_client_stats(struct kube_client *c, struct kube_stats *s);

/* Whether a message from this module is printed as is; others get
 * kubectl's "error: " prefix. kubectl prints API errors, connection errors
 * and configuration errors without it. */
int kube_msg_is_raw(const char *msg);

/* Prints <e> as kubectl would (with "error: " unless raw) and returns 1. */
int kube_fail(const struct err *e);

#endif
