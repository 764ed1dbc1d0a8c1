#include "kube/client.h"

#include <ctype.h>
#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>
#include <jansson.h>

#include "core/b64.h"
#include "core/log.h"
#include "core/text.h"
#include "core/curl_load.h"
#include "kube/discovery.h"
#include "kube/exec.h"

#define POOL_MAX 8
#define ERROR_BODY_MAX ((size_t)1 << 20)
#define TOKEN_FILE_TTL 60
#define CONNECT_TIMEOUT_MS 30000L
#define USER_AGENT "ferry/0.1 (linux) kubernetes/client"

struct kube_client {
    struct kube_restcfg cfg;
    struct kube_client_opts opts;
    CURLSH *share;
    pthread_mutex_t share_locks[CURL_LOCK_DATA_LAST];
    pthread_mutex_t lock; /* pool, bucket, credentials, stats */
    CURL *pool[POOL_MAX];
    int npool;
    /* token bucket */
    double tokens;
    struct timespec last_fill;
    /* exec credentials */
    struct kube_exec_cred cred;
    int have_cred;
    unsigned cred_gen; /* bumped when the credentials change */
    /* tokenFile */
    char *file_token;
    time_t file_token_at;
    /* tls-server-name: the URL names that host, CONNECT_TO maps it back */
    char *base_url;
    struct curl_slist *connect_to;
    char *host_header;
    unsigned rnd;
    struct kube_stats stats;
    struct kube_discovery *disco;
};

void kube_client_opts_default(struct kube_client_opts *o)
{
    o->qps = KUBE_DEFAULT_QPS;
    o->burst = KUBE_DEFAULT_BURST;
    o->max_retries = 5;
    o->max_conn_retries = 3;
    o->backoff_ms = 100;
    o->backoff_max_ms = 5000;
    o->retry_after_max_ms = 60000;
}

void kube_resp_init(struct kube_resp *r)
{
    memset(r, 0, sizeof *r);
    buf_init(&r->body, 0);
    r->retry_after = -1;
}

void kube_resp_fini(struct kube_resp *r)
{
    buf_fini(&r->body);
}

static void share_lock(CURL *h, curl_lock_data data, curl_lock_access acc, void *ud)
{
    (void)h;
    (void)acc;
    struct kube_client *c = ud;
    pthread_mutex_lock(&c->share_locks[data]);
}

static void share_unlock(CURL *h, curl_lock_data data, void *ud)
{
    (void)h;
    struct kube_client *c = ud;
    pthread_mutex_unlock(&c->share_locks[data]);
}

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void sleep_ms(long ms)
{
    if (ms <= 0)
        return;
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
        ;
}

/* The URL's scheme://host[:port] with the host replaced by the TLS server
 * name, and the CONNECT_TO entry that sends that name to the real host, so
 * that libcurl verifies (and sends SNI for) the server name while talking to
 * the server's address. */
static int setup_server_name(struct kube_client *c, struct err *e)
{
    const char *url = c->cfg.server;
    if (!c->cfg.tls_server_name || strncmp(url, "https://", 8)) {
        c->base_url = strdup(url);
        return c->base_url ? 0 : err_set(e, "out of memory");
    }
    const char *hp = url + 8;
    size_t hl = strcspn(hp, "/");
    char *hostport = strndup(hp, hl);
    if (!hostport)
        return err_set(e, "out of memory");
    char *host = hostport, *port = NULL;
    if (*host == '[') {
        char *rb = strchr(host, ']');
        if (rb && rb[1] == ':')
            port = rb + 2;
        if (rb)
            rb[1] = '\0';
    } else {
        char *colon = strrchr(host, ':');
        if (colon) {
            *colon = '\0';
            port = colon + 1;
        }
    }
    struct buf b = BUF_INIT;
    buf_addf(&b, "https://%s%s%s%s", c->cfg.tls_server_name, port ? ":" : "", port ? port : "",
             hp + hl);
    c->base_url = buf_take(&b);
    buf_addf(&b, "%s:%s:%s:%s", c->cfg.tls_server_name, port ? port : "443", host,
             port ? port : "443");
    char *ct = buf_take(&b);
    c->connect_to = curl_fn.slist_append(NULL, ct);
    free(ct);
    buf_addf(&b, "Host: %s", c->cfg.host);
    c->host_header = buf_take(&b);
    free(hostport);
    if (!c->base_url || !c->connect_to || !c->host_header)
        return err_set(e, "out of memory");
    return 0;
}

struct kube_client *kube_client_new(struct kube_restcfg *cfg, const struct kube_client_opts *opts,
                                    struct err *e)
{
    struct kube_client *c = calloc(1, sizeof *c);
    if (!c) {
        kube_restcfg_fini(cfg);
        err_set(e, "out of memory");
        return NULL;
    }
    c->cfg = *cfg;
    memset(cfg, 0, sizeof *cfg);
    if (opts)
        c->opts = *opts;
    else
        kube_client_opts_default(&c->opts);
    if (c->opts.burst < 1)
        c->opts.burst = 1;
    pthread_mutex_init(&c->lock, NULL);
    for (int i = 0; i < CURL_LOCK_DATA_LAST; i++)
        pthread_mutex_init(&c->share_locks[i], NULL);
    c->tokens = c->opts.burst;
    clock_gettime(CLOCK_MONOTONIC, &c->last_fill);
    c->rnd = (unsigned)time(NULL) ^ (unsigned)getpid() ^ (unsigned)(uintptr_t)c;
    if (curl_load(e) < 0)
        goto fail;
    const char *u = c->cfg.server;
    if (strncmp(u, "https://", 8) && strncmp(u, "http://", 7)) {
        const char *sep = strstr(u, "://");
        err_set(e, "Unable to connect to the server: unsupported protocol scheme \"%.*s\"",
                sep ? (int)(sep - u) : 0, u);
        goto fail;
    }
    if (setup_server_name(c, e) < 0)
        goto fail;
    c->share = curl_fn.share_init();
    if (!c->share) {
        err_set(e, "out of memory");
        goto fail;
    }
    curl_fn.share_setopt(c->share, CURLSHOPT_LOCKFUNC, share_lock);
    curl_fn.share_setopt(c->share, CURLSHOPT_UNLOCKFUNC, share_unlock);
    curl_fn.share_setopt(c->share, CURLSHOPT_USERDATA, c);
    curl_fn.share_setopt(c->share, CURLSHOPT_SHARE, CURL_LOCK_DATA_CONNECT);
    curl_fn.share_setopt(c->share, CURLSHOPT_SHARE, CURL_LOCK_DATA_SSL_SESSION);
    curl_fn.share_setopt(c->share, CURLSHOPT_SHARE, CURL_LOCK_DATA_DNS);
    return c;
fail:
    kube_client_free(c);
    return NULL;
}

void kube_client_free(struct kube_client *c)
{
    if (!c)
        return;
    for (int i = 0; i < c->npool; i++)
        curl_fn.easy_cleanup(c->pool[i]);
    if (c->share)
        curl_fn.share_cleanup(c->share);
    for (int i = 0; i < CURL_LOCK_DATA_LAST; i++)
        pthread_mutex_destroy(&c->share_locks[i]);
    pthread_mutex_destroy(&c->lock);
    if (c->disco) {
        kube_discovery_fini(c->disco);
        free(c->disco);
    }
    kube_exec_cred_fini(&c->cred);
    free(c->file_token);
    free(c->base_url);
    free(c->host_header);
    curl_fn.slist_free_all(c->connect_to);
    kube_restcfg_fini(&c->cfg);
    free(c);
}

const struct kube_restcfg *kube_client_cfg(const struct kube_client *c)
{
    return &c->cfg;
}

struct kube_discovery **kube_client_discovery_slot(struct kube_client *c)
{
    return &c->disco;
}

void kube_client_stats(struct kube_client *c, struct kube_stats *s)
{
    pthread_mutex_lock(&c->lock);
    *s = c->stats;
    pthread_mutex_unlock(&c->lock);
}

/* ---- handles ---- */

static CURL *handle_get(struct kube_client *c)
{
    CURL *h = NULL;
    pthread_mutex_lock(&c->lock);
    if (c->npool > 0)
        h = c->pool[--c->npool];
    pthread_mutex_unlock(&c->lock);
    if (h) {
        curl_fn.easy_reset(h);
        return h;
    }
    return curl_fn.easy_init();
}

static void handle_put(struct kube_client *c, CURL *h)
{
    pthread_mutex_lock(&c->lock);
    if (c->npool < POOL_MAX) {
        c->pool[c->npool++] = h;
        h = NULL;
    }
    pthread_mutex_unlock(&c->lock);
    if (h)
        curl_fn.easy_cleanup(h);
}

/* ---- rate limit ---- */

/* Takes one token, sleeping until there is one. Returns the wait in ms. */
static long ratelimit_wait(struct kube_client *c)
{
    if (c->opts.qps <= 0)
        return 0;
    pthread_mutex_lock(&c->lock);
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    double elapsed = (double)(ts.tv_sec - c->last_fill.tv_sec) +
                     (double)(ts.tv_nsec - c->last_fill.tv_nsec) / 1e9;
    c->last_fill = ts;
    c->tokens += elapsed * c->opts.qps;
    if (c->tokens > c->opts.burst)
        c->tokens = c->opts.burst;
    /* Reserve the token now, even if it is not there yet (as
     * golang.org/x/time/rate does), so concurrent callers queue up. */
    c->tokens -= 1;
    long wait = c->tokens < 0 ? (long)(-c->tokens / c->opts.qps * 1000.0 + 0.999) : 0;
    c->stats.throttled_ms += wait;
    pthread_mutex_unlock(&c->lock);
    if (wait > 1000)
        LOG_V(1, "Waited for %ld.%03lds due to client-side throttling, not priority and fairness",
              wait / 1000, wait % 1000);
    sleep_ms(wait);
    return wait;
}

/* ---- credentials ---- */

struct creds {
    char *auth_header; /* "Authorization: ..." or NULL */
    char *cert, *key;  /* PEM blobs, or NULL */
    size_t cert_len, key_len;
    int from_exec;
};

static void creds_fini(struct creds *k)
{
    if (k->auth_header) {
        memset(k->auth_header, 0, strlen(k->auth_header));
        free(k->auth_header);
    }
    free(k->cert);
    if (k->key) {
        memset(k->key, 0, k->key_len);
        free(k->key);
    }
    memset(k, 0, sizeof *k);
}

static char *bearer(const char *token)
{
    struct buf b = BUF_INIT;
    buf_addf(&b, "Authorization: Bearer %s", token);
    return buf_take(&b);
}

/* Called with c->lock held. */
static int file_token(struct kube_client *c, struct err *e)
{
    time_t now = time(NULL);
    if (c->file_token && now - c->file_token_at < TOKEN_FILE_TTL)
        return 0;
    FILE *f = fopen(c->cfg.token_file, "r");
    if (!f) {
        if (c->file_token)
            return 0; /* keep the last good one, as client-go does */
        return err_set(e, "open %s: %s", c->cfg.token_file, strerror(errno));
    }
    struct buf b = BUF_INIT;
    buf_init(&b, 1 << 20);
    char chunk[4096];
    size_t r;
    while ((r = fread(chunk, 1, sizeof chunk, f)) > 0)
        if (buf_add(&b, chunk, r) < 0)
            break;
    fclose(f);
    char *t = buf_take(&b);
    text_trim(t);
    free(c->file_token);
    c->file_token = t;
    c->file_token_at = now;
    return 0;
}

/* Fills <k> for one attempt. <force_exec>: run the plugin even if cached
 * credentials look valid (after a 401). */
static int get_creds(struct kube_client *c, struct creds *k, int force_exec, struct err *e)
{
    const struct kube_restcfg *cfg = &c->cfg;
    memset(k, 0, sizeof *k);
    pthread_mutex_lock(&c->lock);
    int rc = 0;
    if (cfg->token_file) {
        if (file_token(c, e) < 0) {
            rc = -1;
            goto out;
        }
        k->auth_header = bearer(c->file_token);
    } else if (cfg->token) {
        k->auth_header = bearer(cfg->token);
    } else if (cfg->username || cfg->password) {
        /* libcurl's own basic auth would need the user name unescaped. */
        struct buf raw = BUF_INIT;
        buf_addf(&raw, "%s:%s", cfg->username ? cfg->username : "",
                 cfg->password ? cfg->password : "");
        char *enc = b64_encode((const unsigned char *)buf_str(&raw), raw.len);
        if (raw.p)
            memset(raw.p, 0, raw.len);
        buf_fini(&raw);
        if (enc) {
            struct buf b = BUF_INIT;
            buf_addf(&b, "Authorization: Basic %s", enc);
            explicit_bzero(enc, strlen(enc));
            free(enc);
            k->auth_header = buf_take(&b);
        }
    }
    if (cfg->cert_pem && cfg->key_pem) {
        k->cert = malloc(cfg->cert_len + 1);
        k->key = malloc(cfg->key_len + 1);
        if (k->cert && k->key) {
            memcpy(k->cert, cfg->cert_pem, cfg->cert_len);
            memcpy(k->key, cfg->key_pem, cfg->key_len);
            k->cert_len = cfg->cert_len;
            k->key_len = cfg->key_len;
        }
    }
    if (cfg->exec && !k->auth_header && !k->cert) {
        time_t now = time(NULL);
        if (force_exec || !c->have_cred || (c->cred.expiry && c->cred.expiry <= now)) {
            struct kube_exec_cred fresh;
            c->stats.exec_runs++;
            if (kube_exec_run(cfg->exec, cfg, &fresh, e) < 0) {
                err_wrap(e, "Unable to connect to the server: getting credentials");
                rc = -1;
                goto out;
            }
            kube_exec_cred_fini(&c->cred);
            c->cred = fresh;
            c->have_cred = 1;
            c->cred_gen++;
        }
        k->from_exec = 1;
        if (c->cred.token)
            k->auth_header = bearer(c->cred.token);
        if (c->cred.cert_pem) {
            k->cert = strdup(c->cred.cert_pem);
            k->key = strdup(c->cred.key_pem);
            k->cert_len = c->cred.cert_len;
            k->key_len = c->cred.key_len;
        }
    }
out:
    pthread_mutex_unlock(&c->lock);
    if (rc < 0)
        creds_fini(k);
    return rc;
}

/* ---- one attempt ---- */

struct xfer {
    struct kube_client *c;
    const struct kube_req *r;
    struct kube_resp *resp;
    CURL *h;
    long code;
    int got_headers;
    int streamed;
    int consumer_stop;
    int too_big;
    size_t max_body;
};

static size_t on_header(char *p, size_t sz, size_t nm, void *ud)
{
    struct xfer *x = ud;
    size_t n = sz * nm;
    if (n >= 5 && !strncmp(p, "HTTP/", 5)) {
        /* A new response (after a 100 Continue): forget the last. */
        x->resp->content_type[0] = '\0';
        x->resp->retry_after = -1;
        x->got_headers = 0;
        return n;
    }
    if (n <= 2) {
        x->got_headers = 1;
        return n;
    }
    const char *colon = memchr(p, ':', n);
    if (!colon)
        return n;
    size_t kl = (size_t)(colon - p);
    const char *v = colon + 1;
    size_t vl = n - kl - 1;
    while (vl && (*v == ' ' || *v == '\t')) {
        v++;
        vl--;
    }
    while (vl && (v[vl - 1] == '\r' || v[vl - 1] == '\n' || v[vl - 1] == ' '))
        vl--;
    if (kl == 12 && !strncasecmp(p, "content-type", 12)) {
        snprintf(x->resp->content_type, sizeof x->resp->content_type, "%.*s", (int)vl, v);
    } else if (kl == 11 && !strncasecmp(p, "retry-after", 11)) {
        char tmp[32];
        snprintf(tmp, sizeof tmp, "%.*s", (int)vl, v);
        char *end;
        long s = strtol(tmp, &end, 10);
        if (end != tmp && !*end && s >= 0)
            x->resp->retry_after = s;
    }
    return n;
}

static size_t on_write(char *p, size_t sz, size_t nm, void *ud)
{
    struct xfer *x = ud;
    size_t n = sz * nm;
    if (!x->code)
        curl_fn.easy_getinfo(x->h, CURLINFO_RESPONSE_CODE, &x->code);
    if (x->code >= 200 && x->code < 300 && x->r->on_data) {
        x->streamed = 1;
        if (x->r->on_data(x->r->arg, p, n) < 0) {
            x->consumer_stop = 1;
            return 0;
        }
        return n;
    }
    size_t cap = x->code >= 200 && x->code < 300 ? x->max_body : ERROR_BODY_MAX;
    if (x->resp->body.len + n > cap) {
        x->too_big = 1;
        return 0;
    }
    if (buf_add(&x->resp->body, p, n) < 0) {
        x->too_big = 1;
        return 0;
    }
    return n;
}

static int on_progress(void *ud, curl_off_t dt, curl_off_t dn, curl_off_t ut, curl_off_t un)
{
    (void)dt;
    (void)dn;
    (void)ut;
    (void)un;
    struct xfer *x = ud;
    return kube_cancelled(x->r->cancel);
}

/* Go's %q for the generic 5xx message. */
static void go_quote(struct buf *b, const char *s, size_t n)
{
    buf_addc(b, '"');
    for (size_t i = 0; i < n; i++) {
        unsigned char ch = (unsigned char)s[i];
        switch (ch) {
        case '"':
            buf_adds(b, "\\\"");
            break;
        case '\\':
            buf_adds(b, "\\\\");
            break;
        case '\n':
            buf_adds(b, "\\n");
            break;
        case '\t':
            buf_adds(b, "\\t");
            break;
        case '\r':
            buf_adds(b, "\\r");
            break;
        default:
            if (ch < 0x20 || ch == 0x7f)
                buf_addf(b, "\\x%02x", ch);
            else
                buf_addc(b, (char)ch);
        }
    }
    buf_addc(b, '"');
}

static int is_json_type(const char *ct)
{
    return ct && (!strncasecmp(ct, "application/json", 16) || strstr(ct, "+json"));
}

int kube_status_error(long code, const char *content_type, const char *body, size_t len,
                      const char *method, const char *resource, const char *name, char *reason,
                      size_t reason_len, struct err *e)
{
    char rsn[64] = "";
    struct buf msg = BUF_INIT;
    json_t *st = NULL;
    if (len && (is_json_type(content_type) || !content_type || !*content_type)) {
        st = json_loadb(body, len, 0, NULL);
        const char *kind = json_string_value(json_object_get(st, "kind"));
        if (!kind || strcmp(kind, "Status")) {
            json_decref(st);
            st = NULL;
        }
    }
    if (st) {
        const char *m = json_string_value(json_object_get(st, "message"));
        const char *r = json_string_value(json_object_get(st, "reason"));
        snprintf(rsn, sizeof rsn, "%s", r ? r : "");
        buf_adds(&msg, m ? m : "");
        json_decref(st);
    } else {
        /* client-go's newUnstructuredResponseError + NewGenericServerResponse */
        char server_msg[2100] = "unknown";
        if (content_type && !strncasecmp(content_type, "text/", 5)) {
            size_t n = len > 2048 ? 2048 : len;
            while (n && isspace((unsigned char)body[n - 1]))
                n--;
            size_t k = 0;
            while (k < n && isspace((unsigned char)body[k]))
                k++;
            snprintf(server_msg, sizeof server_msg, "%.*s", (int)(n - k), body + k);
        }
        /* client-go's texts for a status without a Status body; NULL:
         * the server's own message */
        static const struct {
            long code;
            const char *reason, *text;
        } known[] = {
            {404, "NotFound", "the server could not find the requested resource"},
            {400, "BadRequest", "the server rejected our request for an unknown reason"},
            {401, "Unauthorized", "the server has asked for the client to provide credentials"},
            {403, "Forbidden", NULL},
            {406, "NotAcceptable",
             "the server was unable to respond with a content type that the client supports"},
            {415, "UnsupportedMediaType", NULL},
            {405, "MethodNotAllowed",
             "the server does not allow this method on the requested resource"},
            {422, "Invalid", "the server rejected our request due to an error in our request"},
            {503, "ServiceUnavailable", "the server is currently unable to handle the request"},
            {504, "Timeout",
             "the server was unable to return a response in the time allotted, but may still be "
             "processing the request"},
            {429, "TooManyRequests",
             "the server has received too many requests and has asked us to try again later"},
        };
        const char *m = NULL;
        size_t k;
        for (k = 0; k < sizeof known / sizeof known[0] && known[k].code != code; k++)
            ;
        if (code == 409) {
            snprintf(rsn, sizeof rsn, "%s",
                     method && !strcmp(method, "POST") ? "AlreadyExists" : "Conflict");
            m = "the server reported a conflict";
        } else if (k < sizeof known / sizeof known[0]) {
            snprintf(rsn, sizeof rsn, "%s", known[k].reason);
            m = known[k].text ? known[k].text : server_msg;
            /* a 406 keeps the server's words when it gave any */
            if (code == 406 && strcmp(server_msg, "unknown") && *server_msg)
                m = server_msg;
        } else if (code >= 500) {
            snprintf(rsn, sizeof rsn, "InternalError");
            buf_adds(&msg, "an error on the server (");
            go_quote(&msg, server_msg, strlen(server_msg));
            buf_adds(&msg, ") has prevented the request from succeeding");
        } else {
            snprintf(rsn, sizeof rsn, "Unknown");
            buf_addf(&msg,
                     "the server responded with the status code %ld but did not return more "
                     "information",
                     code);
        }
        if (m)
            buf_adds(&msg, m);
        if (resource && *resource) {
            char verb[16];
            snprintf(verb, sizeof verb, "%s", method ? method : "GET");
            for (char *q = verb; *q; q++)
                *q = (char)tolower((unsigned char)*q);
            if (name && *name)
                buf_addf(&msg, " (%s %s %s)", verb, resource, name);
            else
                buf_addf(&msg, " (%s %s)", verb, resource);
        }
    }
    if (reason && reason_len)
        snprintf(reason, reason_len, "%s", rsn);
    if (!strcmp(rsn, "Unauthorized"))
        err_set(e, "You must be logged in to the server (%s)", buf_str(&msg));
    else if (*rsn)
        err_set(e, "Error from server (%s): %s", rsn, buf_str(&msg));
    else
        err_set(e, "Error from server: %s", buf_str(&msg));
    buf_fini(&msg);
    return KUBE_ESTATUS;
}

/* kubectl's words for a request that got no answer. */
static void conn_error(struct kube_client *c, struct xfer *x, CURLcode cc, const char *errbuf,
                       struct err *e)
{
    const char *host = c->cfg.host;
    long oserr = 0;
    curl_fn.easy_getinfo(x->h, CURLINFO_OS_ERRNO, &oserr);
    switch (cc) {
    case CURLE_COULDNT_CONNECT:
        if (oserr == ECONNREFUSED || strstr(errbuf, "refused")) {
            err_set(e,
                    "The connection to the server %s was refused - did you specify the right "
                    "host or port?",
                    host);
            return;
        }
        err_set(e, "Unable to connect to the server: dial tcp %s: connect: %s", host,
                oserr ? strerror((int)oserr) : errbuf);
        return;
    case CURLE_COULDNT_RESOLVE_HOST: {
        char h[256];
        snprintf(h, sizeof h, "%s", host);
        char *colon = strrchr(h, ':');
        if (colon && !strchr(h, ']'))
            *colon = '\0';
        err_set(e, "Unable to connect to the server: dial tcp: lookup %s: no such host", h);
        return;
    }
    case CURLE_COULDNT_RESOLVE_PROXY:
        err_set(e, "Unable to connect to the server: proxyconnect tcp: %s", errbuf);
        return;
    case CURLE_OPERATION_TIMEDOUT:
        if (!x->got_headers && !x->code) {
            err_set(e, "Unable to connect to the server: net/http: request canceled "
                       "(Client.Timeout exceeded while awaiting headers)");
        } else {
            err_set(e, "Unable to connect to the server: context deadline exceeded "
                       "(Client.Timeout or context cancellation while reading body)");
        }
        return;
    case CURLE_PEER_FAILED_VERIFICATION: {
        long vr = 0;
        curl_fn.easy_getinfo(x->h, CURLINFO_SSL_VERIFYRESULT, &vr);
        const char *what;
        char tmp[400];
        if (vr == 18 || vr == 19 || vr == 20 || vr == 21 || vr == 2)
            what = "x509: certificate signed by unknown authority";
        else if (vr == 9 || vr == 10)
            what = "x509: certificate has expired or is not yet valid";
        else if (vr == 62 || strstr(errbuf, "subject name") || strstr(errbuf, "hostname")) {
            snprintf(tmp, sizeof tmp, "x509: certificate is not valid for %s",
                     c->cfg.tls_server_name ? c->cfg.tls_server_name : host);
            what = tmp;
        } else {
            snprintf(tmp, sizeof tmp, "%s", errbuf);
            what = tmp;
        }
        err_set(e, "Unable to connect to the server: tls: failed to verify certificate: %s", what);
        return;
    }
    case CURLE_GOT_NOTHING:
        err_set(e, "Unable to connect to the server: EOF");
        return;
    case CURLE_PARTIAL_FILE:
        err_set(e, "Unable to connect to the server: unexpected EOF");
        return;
    case CURLE_ABORTED_BY_CALLBACK:
        err_set(e, "Unable to connect to the server: context canceled");
        return;
    case CURLE_SSL_CERTPROBLEM:
        err_set(e, "Unable to connect to the server: tls: failed to load client certificate: %s",
                errbuf);
        return;
    default:
        err_set(e, "Unable to connect to the server: %s",
                *errbuf ? errbuf : curl_fn.easy_strerror(cc));
        return;
    }
}

static int idempotent(const char *m)
{
    return !strcmp(m, "GET") || !strcmp(m, "HEAD") || !strcmp(m, "OPTIONS");
}

enum outcome { O_OK, O_STATUS, O_CONN, O_ABORT };

struct attempt {
    enum outcome out;
    int retryable;
    long retry_after_ms; /* -1: none */
    int unauthorized_exec;
    int streamed;
};

static void attempt_once(struct kube_client *c, const struct kube_req *r, struct kube_resp *resp,
                         long timeout_ms, int force_exec, struct attempt *a, struct err *e)
{
    const char *method = r->method ? r->method : "GET";
    memset(a, 0, sizeof *a);
    a->retry_after_ms = -1;
    struct creds k;
    if (get_creds(c, &k, force_exec, e) < 0) {
        a->out = O_CONN;
        return;
    }
    CURL *h = handle_get(c);
    if (!h) {
        creds_fini(&k);
        err_set(e, "out of memory");
        a->out = O_CONN;
        return;
    }
    buf_reset(&resp->body);
    resp->code = 0;
    resp->content_type[0] = '\0';
    resp->reason[0] = '\0';
    resp->retry_after = -1;
    struct xfer x = {.c = c, .r = r, .resp = resp, .h = h};
    x.max_body = r->max_body ? r->max_body : BUF_DEFAULT_MAX;

    struct buf url = BUF_INIT;
    buf_addf(&url, "%s%s%s%s", c->base_url, r->path, r->query && *r->query ? "?" : "",
             r->query && *r->query ? r->query : "");
    struct curl_slist *hdrs = NULL;
    char line[512];
    snprintf(line, sizeof line, "Accept: %s", r->accept ? r->accept : "application/json");
    hdrs = curl_fn.slist_append(hdrs, line);
    if (r->content_type) {
        snprintf(line, sizeof line, "Content-Type: %s", r->content_type);
        hdrs = curl_fn.slist_append(hdrs, line);
    }
    hdrs = curl_fn.slist_append(hdrs, "Expect:");
    if (k.auth_header)
        hdrs = curl_fn.slist_append(hdrs, k.auth_header);
    if (c->host_header)
        hdrs = curl_fn.slist_append(hdrs, c->host_header);
    char errbuf[CURL_ERROR_SIZE] = "";

    curl_fn.easy_setopt(h, CURLOPT_SHARE, c->share);
    curl_fn.easy_setopt(h, CURLOPT_URL, buf_str(&url));
    curl_fn.easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
    curl_fn.easy_setopt(h, CURLOPT_HTTP_VERSION, (long)CURL_HTTP_VERSION_2TLS);
    curl_fn.easy_setopt(h, CURLOPT_HTTPHEADER, hdrs);
    curl_fn.easy_setopt(h, CURLOPT_USERAGENT, USER_AGENT);
    curl_fn.easy_setopt(h, CURLOPT_ERRORBUFFER, errbuf);
    curl_fn.easy_setopt(h, CURLOPT_TCP_KEEPALIVE, 1L);
    curl_fn.easy_setopt(h, CURLOPT_TCP_NODELAY, 1L);
    curl_fn.easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, CONNECT_TIMEOUT_MS);
    curl_fn.easy_setopt(h, CURLOPT_SSLVERSION, (long)CURL_SSLVERSION_TLSv1_2);
    if (!c->cfg.disable_compression)
        curl_fn.easy_setopt(h, CURLOPT_ACCEPT_ENCODING, "gzip");
    if (timeout_ms > 0)
        curl_fn.easy_setopt(h, CURLOPT_TIMEOUT_MS, timeout_ms);
    if (c->connect_to)
        curl_fn.easy_setopt(h, CURLOPT_CONNECT_TO, c->connect_to);
    if (c->cfg.insecure) {
        curl_fn.easy_setopt(h, CURLOPT_SSL_VERIFYPEER, 0L);
        curl_fn.easy_setopt(h, CURLOPT_SSL_VERIFYHOST, 0L);
    } else if (c->cfg.ca_pem) {
        struct curl_blob ca = {c->cfg.ca_pem, c->cfg.ca_len, CURL_BLOB_NOCOPY};
        curl_fn.easy_setopt(h, CURLOPT_CAINFO_BLOB, &ca);
    }
    if (k.cert && k.key) {
        struct curl_blob cb = {k.cert, k.cert_len, CURL_BLOB_COPY};
        struct curl_blob kb = {k.key, k.key_len, CURL_BLOB_COPY};
        curl_fn.easy_setopt(h, CURLOPT_SSLCERT_BLOB, &cb);
        curl_fn.easy_setopt(h, CURLOPT_SSLCERTTYPE, "PEM");
        curl_fn.easy_setopt(h, CURLOPT_SSLKEY_BLOB, &kb);
        curl_fn.easy_setopt(h, CURLOPT_SSLKEYTYPE, "PEM");
    }
    if (c->cfg.proxy_url)
        curl_fn.easy_setopt(h, CURLOPT_PROXY, c->cfg.proxy_url);
    else
        curl_fn.easy_setopt(h, CURLOPT_NOPROXY, "");
    if (!strcmp(method, "GET")) {
        curl_fn.easy_setopt(h, CURLOPT_HTTPGET, 1L);
    } else if (!strcmp(method, "HEAD")) {
        curl_fn.easy_setopt(h, CURLOPT_NOBODY, 1L);
    } else {
        curl_fn.easy_setopt(h, CURLOPT_CUSTOMREQUEST, method);
        if (r->body || strcmp(method, "DELETE")) {
            curl_fn.easy_setopt(h, CURLOPT_POSTFIELDS, r->body ? r->body : "");
            curl_fn.easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)r->body_len);
        }
    }
    curl_fn.easy_setopt(h, CURLOPT_HEADERFUNCTION, on_header);
    curl_fn.easy_setopt(h, CURLOPT_HEADERDATA, &x);
    curl_fn.easy_setopt(h, CURLOPT_WRITEFUNCTION, on_write);
    curl_fn.easy_setopt(h, CURLOPT_WRITEDATA, &x);
    if (r->cancel) {
        curl_fn.easy_setopt(h, CURLOPT_XFERINFOFUNCTION, on_progress);
        curl_fn.easy_setopt(h, CURLOPT_XFERINFODATA, &x);
        curl_fn.easy_setopt(h, CURLOPT_NOPROGRESS, 0L);
    }

    double t0 = now_s();
    pthread_mutex_lock(&c->lock);
    c->stats.requests++;
    pthread_mutex_unlock(&c->lock);
    CURLcode cc = curl_fn.easy_perform(h);
    long code = 0, conns = 0;
    curl_fn.easy_getinfo(h, CURLINFO_RESPONSE_CODE, &code);
    curl_fn.easy_getinfo(h, CURLINFO_NUM_CONNECTS, &conns);
    long hv = 0;
    curl_fn.easy_getinfo(h, CURLINFO_HTTP_VERSION, &hv);
    pthread_mutex_lock(&c->lock);
    c->stats.connects += conns;
    c->stats.http2 += hv == CURL_HTTP_VERSION_2_0;
    pthread_mutex_unlock(&c->lock);
    LOG_V(7, "Response protocol: %s",
          hv == CURL_HTTP_VERSION_2_0   ? "HTTP/2"
          : hv == CURL_HTTP_VERSION_1_1 ? "HTTP/1.1"
          : hv == CURL_HTTP_VERSION_1_0 ? "HTTP/1.0"
                                        : "none");
    resp->code = code;
    a->streamed = x.streamed;
    LOG_V(6, "%s %s %ld in %ld milliseconds", method, buf_str(&url), code,
          (long)((now_s() - t0) * 1000));

    if (x.consumer_stop) {
        a->out = O_ABORT;
    } else if (cc != CURLE_OK && !(cc == CURLE_WRITE_ERROR && x.too_big)) {
        conn_error(c, &x, cc, errbuf, e);
        a->out = O_CONN;
        int sent = cc != CURLE_COULDNT_CONNECT && cc != CURLE_COULDNT_RESOLVE_HOST &&
                   cc != CURLE_SSL_CONNECT_ERROR;
        a->retryable = cc != CURLE_OPERATION_TIMEDOUT && cc != CURLE_ABORTED_BY_CALLBACK &&
                       cc != CURLE_PEER_FAILED_VERIFICATION && cc != CURLE_SSL_CERTPROBLEM &&
                       cc != CURLE_COULDNT_RESOLVE_HOST && (idempotent(method) || !sent);
    } else if (x.too_big) {
        err_set(e, "the server's answer is larger than %zu bytes", x.max_body);
        a->out = O_CONN;
    } else if (code >= 200 && code < 300) {
        a->out = O_OK;
    } else {
        kube_status_error(code, r->generic_errors ? "text/plain" : resp->content_type,
                          r->generic_errors ? "" : buf_str(&resp->body),
                          r->generic_errors ? 0 : resp->body.len, method, r->resource, r->name,
                          resp->reason, sizeof resp->reason, e);
        a->out = O_STATUS;
        if (resp->retry_after >= 0)
            a->retry_after_ms = resp->retry_after * 1000;
        if (code == 429 || (code >= 500 && resp->retry_after >= 0))
            a->retryable = 1;
        else if ((code == 500 || code == 502 || code == 503 || code == 504) && idempotent(method))
            a->retryable = 1;
        if (code == 401 && k.from_exec)
            a->unauthorized_exec = 1;
    }
    curl_fn.slist_free_all(hdrs);
    buf_fini(&url);
    creds_fini(&k);
    handle_put(c, h);
}

int kube_do(struct kube_client *c, const struct kube_req *r, struct kube_resp *resp, struct err *e)
{
    long timeout_ms = r->timeout_ms == 0  ? c->cfg.timeout_ms
                      : r->timeout_ms < 0 ? 0
                                          : r->timeout_ms;
    double deadline = timeout_ms > 0 ? now_s() + (double)timeout_ms / 1000.0 : 0;
    int force_exec = 0, exec_retried = 0;
    resp->attempts = 0;
    for (int attempt = 0;; attempt++) {
        ratelimit_wait(c);
        long left = 0;
        if (deadline) {
            left = (long)((deadline - now_s()) * 1000.0);
            if (left <= 0) {
                err_set(e, "Unable to connect to the server: net/http: request canceled "
                           "(Client.Timeout exceeded while awaiting headers)");
                return KUBE_ECONN;
            }
        }
        struct attempt a;
        resp->attempts++;
        attempt_once(c, r, resp, left, force_exec, &a, e);
        force_exec = 0;
        switch (a.out) {
        case O_OK:
            return 0;
        case O_ABORT:
            return KUBE_EABORTED;
        default:
            break;
        }
        if (a.unauthorized_exec && !exec_retried) {
            /* The plugin's credentials were refused: get fresh ones once. */
            exec_retried = 1;
            force_exec = 1;
            attempt--;
            continue;
        }
        if (!a.retryable || r->no_retry || attempt >= c->opts.max_retries ||
            (a.out == O_CONN && attempt >= c->opts.max_conn_retries))
            return a.out == O_STATUS ? KUBE_ESTATUS : KUBE_ECONN;
        long delay;
        if (a.retry_after_ms >= 0) {
            delay = a.retry_after_ms;
            if (delay > c->opts.retry_after_max_ms)
                delay = c->opts.retry_after_max_ms;
        } else {
            long d = c->opts.backoff_ms;
            for (int i = 0; i < attempt && d < c->opts.backoff_max_ms; i++)
                d *= 2;
            if (d > c->opts.backoff_max_ms)
                d = c->opts.backoff_max_ms;
            /* Equal jitter: half fixed, half random. */
            pthread_mutex_lock(&c->lock);
            unsigned rv = (unsigned)rand_r(&c->rnd);
            pthread_mutex_unlock(&c->lock);
            delay = d / 2 + (d > 1 ? (long)(rv % (unsigned long)(d / 2 + 1)) : 0);
        }
        if (deadline && now_s() + (double)delay / 1000.0 >= deadline)
            return a.out == O_STATUS ? KUBE_ESTATUS : KUBE_ECONN;
        if (a.streamed && (!r->on_retry || r->on_retry(r->arg) < 0))
            return a.out == O_STATUS ? KUBE_ESTATUS : KUBE_ECONN;
        LOG_V(2, "retrying %s %s in %ld ms: %s", r->method ? r->method : "GET", r->path, delay,
              e->msg);
        pthread_mutex_lock(&c->lock);
        c->stats.retries++;
        pthread_mutex_unlock(&c->lock);
        sleep_ms(delay);
        if (kube_cancelled(r->cancel)) {
            err_set(e, "Unable to connect to the server: context canceled");
            return KUBE_ECONN;
        }
    }
}

int kube_msg_is_raw(const char *msg)
{
    static const char *const raw[] = {"Error from server", "The connection to the server",
                                      "Unable to connect to the server", "Error in configuration",
                                      "error: "};
    for (size_t i = 0; i < sizeof raw / sizeof raw[0]; i++)
        if (!strncmp(msg, raw[i], strlen(raw[i])))
            return 1;
    return 0;
}

int kube_fail(const struct err *e)
{
    const char *m = e->msg;
    size_t n = strlen(m);
    fprintf(stderr, "%s%s%s", kube_msg_is_raw(m) ? "" : "error: ", m,
            n && m[n - 1] == '\n' ? "" : "\n");
    return 1;
}
