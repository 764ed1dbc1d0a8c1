/* `ferry echo`: a backend that answers every request with a JSON
 * description of it, the shape of the Ingress conformance suite's echo
 * server (kubernetes-sigs/ingress-controller-conformance, images/echoserver;
 * "pod" as Gateway API's echo-basic adds it):
 *
 *   {"path":"/foo?x=1","host":"foo.bar.com","method":"GET","proto":"HTTP/1.1",
 *    "headers":{"Accept":["text/html"],"X-Forwarded-For":["127.0.0.1"]},
 *    "namespace":"ns","service":"svc","pod":"pod-1"}
 *
 * "path" is the request target as received, "host" the Host field (or the
 * authority of an absolute-form target), "headers" every field but Host,
 * names in Go's canonical form (X-Forwarded-For), values in order, keys
 * sorted, as Go's encoding/json writes a map. Request bodies are read and
 * dropped (so keep-alive and pipelining work with any body); Expect:
 * 100-continue is answered. Built on src/net and src/http like the proxy:
 * N worker threads, each with its own SO_REUSEPORT listener. */
#ifndef FERRY_PROXY_ECHO_H
#define FERRY_PROXY_ECHO_H

#include "core/buf.h"
#include "core/err.h"
#include "http/h1.h"

struct echo_config {
    const char *listen;             /* "127.0.0.1:9000"; port 0 picks one */
    unsigned workers;               /* >= 1 */
    const char *ns, *service, *pod; /* reported as given; NULL is "" */
};

struct echo;

/* Opens the listeners. NULL with <e> filled on failure. */
struct echo *echo_new(const struct echo_config *cfg, struct err *e);
const char *echo_address(const struct echo *es);
int echo_start(struct echo *es, struct err *e);
/* Any thread: every worker loop returns. */
void echo_stop(struct echo *es);
/* Joins, closes, frees. NULL is ignored. */
int echo_free(struct echo *es);

/* The JSON body for a parsed request <m> (target, Host, fields), appended to
 * <out>. Exposed for the unit tests. Returns 0 or -ENOMEM. */
int echo_json(const struct h1_msg *m, const char *ns, const char *service, const char *pod,
              struct buf *out);

#endif
