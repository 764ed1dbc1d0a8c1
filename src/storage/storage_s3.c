/* Providers "s3" and "gcs": the S3 REST API, signed with SigV4. GCS speaks
 * the same API at storage.googleapis.com with HMAC keys, so one code path
 * serves both. docs/internals/storage.md has the why of each choice. */
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "core/curl_load.h"
#include "core/file.h"
#include "core/log.h"
#include "core/text.h"
#include "storage/s3_xml.h"
#include "storage/sigv4.h"
#include "storage/storage_int.h"

#define S3_MIN_PART ((size_t)5 << 20) /* S3's floor for all parts but the last */
#define S3_DEFAULT_PART ((size_t)8 << 20)
#define S3_MAX_PARTS 10000
#define S3_CONNECT_TIMEOUT 10L
#define S3_CHECK_TIMEOUT 5L
/* Error and listing bodies held in memory: a ListObjectsV2 page of 1000
 * long keys stays well below this. */
#define S3_MAX_RESPONSE ((size_t)16 << 20)
#define S3_ATTEMPTS 3
#define CRED_MAX_FILE ((size_t)1 << 20)

struct s3 {
    struct storage s;
    CURL *h;
    char *endpoint; /* scheme://host[:port], no trailing '/' */
    char *scheme, *host;
    char *bucket;
    char *prefix; /* "" or "p/" */
    int path_style;
    char *region;
    char *access, *secret, *token;
    size_t part_size;
    int insecure;
    char *ca;
    char errbuf[CURL_ERROR_SIZE];
};

static struct s3 *to_s3(struct storage *s)
{
    return (struct s3 *)s;
}

/* ---- credentials ---- */

/* Reads <profile> from an AWS shared-credentials (or config) file:
 * "[name]" or "[profile name]" sections of "key = value" lines. 0 when
 * found, -ESRCH when the profile (or one of its two keys) is missing,
 * -ENOENT when the file is, -1 on other errors (both with <e> set). */
static int read_profile(struct s3 *s, const char *path, const char *profile, struct err *e)
{
    struct buf b = BUF_INIT;
    char *file = location_path(path);
    if (!file)
        return err_set(e, "out of memory");
    int r = file_read(file, CRED_MAX_FILE, &b, e);
    free(file);
    if (r < 0)
        return r == -ENOENT ? -ENOENT : -1;
    free(s->access);
    free(s->secret);
    free(s->token);
    s->access = s->secret = s->token = NULL;
    int in = 0;
    char *save = NULL;
    for (char *line = strtok_r(b.p, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
        text_trim(line);
        if (!*line || *line == '#' || *line == ';')
            continue;
        if (*line == '[') {
            char *end = strchr(line, ']');
            if (end)
                *end = '\0';
            char *name = line + 1;
            if (!strncmp(name, "profile ", 8))
                name += 8;
            text_trim(name);
            in = !strcmp(name, profile);
            continue;
        }
        char *eq = strchr(line, '=');
        if (!in || !eq)
            continue;
        *eq = '\0';
        char *k = line, *v = eq + 1;
        text_trim(k);
        text_trim(v);
        char **dst = !strcmp(k, "aws_access_key_id")       ? &s->access
                     : !strcmp(k, "aws_secret_access_key") ? &s->secret
                     : !strcmp(k, "aws_session_token")     ? &s->token
                                                           : NULL;
        if (dst) {
            free(*dst);
            *dst = strdup(v);
        }
    }
    /* the file held secrets: do not leave them in freed memory */
    if (b.p)
        memset(b.p, 0, b.cap);
    buf_fini(&b);
    return s->access && s->secret ? 0 : -ESRCH;
}

static int set_env(char **dst, const char *name)
{
    const char *v = getenv(name);
    return v && *v && (*dst = strdup(v)) ? 0 : -1;
}

/* The location's file, else the environment, else the shared file. */
static int load_credentials(struct s3 *s, const struct location *loc, struct err *e)
{
    const char *profile = location_config(loc, "profile");
    if (!profile || !*profile)
        profile = "default";
    if (loc->credential && *loc->credential) {
        int r = read_profile(s, loc->credential, profile, e);
        if (r == -ESRCH)
            return err_set(e,
                           "backup location \"%s\": credential file %s has no profile \"%s\" "
                           "with aws_access_key_id and aws_secret_access_key",
                           loc->name, loc->credential, profile);
        if (r < 0)
            return err_wrap(e, "backup location \"%s\": cannot read credential file", loc->name);
        return 0;
    }
    if (set_env(&s->access, "AWS_ACCESS_KEY_ID") == 0 &&
        set_env(&s->secret, "AWS_SECRET_ACCESS_KEY") == 0) {
        set_env(&s->token, "AWS_SESSION_TOKEN");
        return 0;
    }
    const char *shared = getenv("AWS_SHARED_CREDENTIALS_FILE");
    int r = read_profile(s, shared && *shared ? shared : "~/.aws/credentials", profile, e);
    if (r == 0)
        return 0;
    if (r != -ENOENT && r != -ESRCH)
        return err_wrap(e, "backup location \"%s\": cannot read credentials", loc->name);
    return err_set(e,
                   "backup location \"%s\": no credentials: give the location a credential "
                   "file (--credential), or set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, "
                   "or add profile \"%s\" to %s",
                   loc->name, profile, shared && *shared ? shared : "~/.aws/credentials");
}

/* ---- HTTP ---- */

struct req {
    const char *method;
    const char *key; /* full object key (prefix included), or NULL for the bucket */
    const struct sigv4_param *query;
    size_t nquery;
    const void *body;
    size_t blen;
    const char *content_type;
    storage_data_fn fn; /* receives a 2xx body; else it goes to <resp> */
    void *arg;
    long connect_timeout;
    int idempotent;
    /* results */
    long status;
    struct buf resp;
    char etag[256];
    long long length;
    time_t mtime;
    int delivered, consumer_failed;
    CURL *h;
};

static size_t on_data(char *p, size_t size, size_t n, void *arg)
{
    struct req *q = arg;
    size_t len = size * n;
    if (!q->status)
        curl_fn.easy_getinfo(q->h, CURLINFO_RESPONSE_CODE, &q->status);
    if (q->fn && q->status / 100 == 2) {
        q->delivered = 1;
        if (q->fn(q->arg, p, len) < 0) {
            q->consumer_failed = 1;
            return 0;
        }
        return len;
    }
    return buf_add(&q->resp, p, len) < 0 ? 0 : len;
}

static size_t on_header(char *p, size_t size, size_t n, void *arg)
{
    struct req *q = arg;
    size_t len = size * n;
    char line[512];
    if (len >= sizeof line)
        return len;
    memcpy(line, p, len);
    line[len] = '\0';
    char *colon = strchr(line, ':');
    if (!colon)
        return len;
    *colon = '\0';
    char *v = colon + 1;
    text_trim(v);
    if (!strcasecmp(line, "etag"))
        snprintf(q->etag, sizeof q->etag, "%s", v);
    else if (!strcasecmp(line, "content-length"))
        q->length = strtoll(v, NULL, 10);
    else if (!strcasecmp(line, "last-modified"))
        q->mtime = s3_time_parse(v, "%a, %d %b %Y %H:%M:%S");
    return len;
}

/* The request path before encoding: "/bucket/key" or "/key". */
static int raw_path(struct s3 *s, const char *key, struct buf *out)
{
    if (s->path_style && buf_addf(out, "/%s", s->bucket) < 0)
        return -1;
    if (key)
        return buf_addf(out, "/%s", key);
    return s->path_style ? 0 : buf_addc(out, '/');
}

static int is_retryable(CURLcode c)
{
    return c == CURLE_SEND_ERROR || c == CURLE_RECV_ERROR || c == CURLE_GOT_NOTHING ||
           c == CURLE_PARTIAL_FILE || c == CURLE_OPERATION_TIMEDOUT;
}

/* Appends a formatted header line to *l; on failure *l is unchanged. */
static int add_header(struct curl_slist **l, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static int add_header(struct curl_slist **l, const char *fmt, ...)
{
    char line[2048];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(line, sizeof line, fmt, ap);
    va_end(ap);
    struct curl_slist *nl =
        n >= 0 && (size_t)n < sizeof line ? curl_fn.slist_append(*l, line) : NULL;
    /* the line may hold a session token */
    memset(line, 0, sizeof line);
    if (!nl)
        return -1;
    *l = nl;
    return 0;
}

static int perform_once(struct s3 *s, struct req *q, CURLcode *cc)
{
    CURL *h = s->h;
    struct buf path = BUF_INIT, url = BUF_INIT, auth = BUF_INIT;
    struct curl_slist *hdrs = NULL;
    int rc = -1;
    char amz_date[32], hash[65];
    time_t now = time(NULL);
    struct tm tm;
    gmtime_r(&now, &tm);
    strftime(amz_date, sizeof amz_date, "%Y%m%dT%H%M%SZ", &tm);
    sigv4_sha256_hex(q->body ? q->body : "", q->blen, hash);

    int bad = raw_path(s, q->key, &path) < 0;
    if (s->path_style)
        bad |= buf_addf(&url, "%s://%s", s->scheme, s->host) < 0;
    else
        bad |= buf_addf(&url, "%s://%s.%s", s->scheme, s->bucket, s->host) < 0;
    bad |= sigv4_uri_encode(&url, buf_str(&path), 1) < 0;
    for (size_t i = 0; i < q->nquery; i++) {
        bad |= buf_addc(&url, i ? '&' : '?') < 0;
        bad |= sigv4_uri_encode(&url, q->query[i].key, 0) < 0 || buf_addc(&url, '=') < 0;
        bad |= sigv4_uri_encode(&url, q->query[i].value, 0) < 0;
    }
    if (bad)
        goto out;
    char host[512];
    snprintf(host, sizeof host, "%s%s%s", s->path_style ? "" : s->bucket, s->path_style ? "" : ".",
             s->host);
    struct sigv4_header sh[] = {
        {"host", host},
        {"x-amz-content-sha256", hash},
        {"x-amz-date", amz_date},
        {"x-amz-security-token", s->token},
    };
    struct sigv4_request sr = {q->method, path.p, q->query, q->nquery, sh, s->token ? 4 : 3, hash};
    struct sigv4_key k = {s->access, s->secret, s->region, "s3"};
    if (sigv4_authorization(&sr, &k, amz_date, &auth) < 0)
        goto out;
    bad = add_header(&hdrs, "Authorization: %s", auth.p) < 0;
    bad |= add_header(&hdrs, "x-amz-content-sha256: %s", hash) < 0;
    bad |= add_header(&hdrs, "x-amz-date: %s", amz_date) < 0;
    if (s->token)
        bad |= add_header(&hdrs, "x-amz-security-token: %s", s->token) < 0;
    /* curl's POST defaults (form type, 100-continue) do not apply to S3 */
    bad |= add_header(&hdrs, "Content-Type:%s%s", q->content_type ? " " : "",
                      q->content_type ? q->content_type : "") < 0;
    bad |= add_header(&hdrs, "Expect:") < 0;
    if (bad)
        goto out;

    curl_fn.easy_reset(h);
    s->errbuf[0] = '\0';
    curl_fn.easy_setopt(h, CURLOPT_URL, url.p);
    curl_fn.easy_setopt(h, CURLOPT_PATH_AS_IS, 1L); /* keys with "." segments stay keys */
    curl_fn.easy_setopt(h, CURLOPT_HTTPHEADER, hdrs);
    curl_fn.easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
    curl_fn.easy_setopt(h, CURLOPT_ERRORBUFFER, s->errbuf);
    curl_fn.easy_setopt(h, CURLOPT_CONNECTTIMEOUT, q->connect_timeout);
    /* a stalled transfer (under 1 byte/s for a minute) is a failure */
    curl_fn.easy_setopt(h, CURLOPT_LOW_SPEED_LIMIT, 1L);
    curl_fn.easy_setopt(h, CURLOPT_LOW_SPEED_TIME, 60L);
    curl_fn.easy_setopt(h, CURLOPT_WRITEFUNCTION, on_data);
    curl_fn.easy_setopt(h, CURLOPT_WRITEDATA, q);
    curl_fn.easy_setopt(h, CURLOPT_HEADERFUNCTION, on_header);
    curl_fn.easy_setopt(h, CURLOPT_HEADERDATA, q);
    if (s->insecure) {
        curl_fn.easy_setopt(h, CURLOPT_SSL_VERIFYPEER, 0L);
        curl_fn.easy_setopt(h, CURLOPT_SSL_VERIFYHOST, 0L);
    }
    if (s->ca)
        curl_fn.easy_setopt(h, CURLOPT_CAINFO, s->ca);
    if (!strcmp(q->method, "HEAD")) {
        curl_fn.easy_setopt(h, CURLOPT_NOBODY, 1L);
    } else if (q->body || strcmp(q->method, "GET")) {
        curl_fn.easy_setopt(h, CURLOPT_POSTFIELDS, q->body ? q->body : "");
        curl_fn.easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)q->blen);
        if (strcmp(q->method, "POST"))
            curl_fn.easy_setopt(h, CURLOPT_CUSTOMREQUEST, q->method);
    }
    LOG_V(6, "%s %s", q->method, url.p);
    q->h = h;
    q->status = 0;
    q->etag[0] = '\0';
    q->length = 0;
    q->mtime = 0;
    buf_reset(&q->resp);
    *cc = curl_fn.easy_perform(h);
    curl_fn.easy_getinfo(h, CURLINFO_RESPONSE_CODE, &q->status);
    LOG_V(6, "%s %s: %ld", q->method, url.p, q->status);
    rc = 0;
out:
    curl_fn.slist_free_all(hdrs);
    if (auth.p)
        memset(auth.p, 0, auth.len);
    buf_fini(&auth);
    buf_fini(&url);
    buf_fini(&path);
    return rc;
}

/* What a failed response says: "Code: Message", or the status line. */
static void describe(struct req *q, char *dst, size_t n, char *code, size_t cn)
{
    struct buf c = BUF_INIT, m = BUF_INIT;
    const char *p = q->resp.p ? q->resp.p : "", *end = p + q->resp.len;
    s3_xml_get(p, end, "Code", &c);
    s3_xml_get(p, end, "Message", &m);
    snprintf(code, cn, "%s", buf_str(&c));
    if (c.len && m.len)
        snprintf(dst, n, "%s: %s", c.p, m.p);
    else if (c.len)
        snprintf(dst, n, "%s", c.p);
    else
        snprintf(dst, n, "HTTP %ld", q->status);
    buf_fini(&c);
    buf_fini(&m);
}

/* Runs <q>, retrying idempotent requests after a dropped connection or a
 * 5xx (twice, 0.2 s then 0.8 s later). Returns 0 on a 2xx,
 * STORAGE_ENOTFOUND on 404 NoSuchKey (or a 404 to HEAD), -1 otherwise
 * with <e> set (unless the consumer stopped the transfer). */
static int perform(struct s3 *s, struct req *q, struct err *e)
{
    CURLcode cc = CURLE_OK;
    buf_init(&q->resp, S3_MAX_RESPONSE);
    if (!q->connect_timeout)
        q->connect_timeout = S3_CONNECT_TIMEOUT;
    int r = -1;
    const char *what = q->key ? q->key + strlen(s->prefix) : NULL;
    for (int attempt = 1;; attempt++) {
        if (perform_once(s, q, &cc) < 0) {
            r = storage_fail(&s->s, e, "out of memory");
            break;
        }
        if (q->consumer_failed)
            break;
        int again = q->idempotent && !q->delivered && attempt < S3_ATTEMPTS &&
                    (cc != CURLE_OK ? is_retryable(cc) : q->status >= 500);
        if (again) {
            LOG_V(4, "%s %s: retrying (%s)", q->method, what ? what : s->bucket,
                  cc != CURLE_OK ? curl_fn.easy_strerror(cc) : "server error");
            usleep(attempt == 1 ? 200000 : 800000);
            continue;
        }
        if (cc != CURLE_OK) {
            r = storage_fail(&s->s, e, "cannot reach %s: %s", s->endpoint,
                             *s->errbuf ? s->errbuf : curl_fn.easy_strerror(cc));
            break;
        }
        char msg[512], code[128];
        describe(q, msg, sizeof msg, code, sizeof code);
        if (q->status / 100 == 2) {
            r = 0;
        } else if (!strcmp(code, "NoSuchBucket") || (q->status == 404 && !q->key)) {
            r = storage_fail(&s->s, e, "bucket \"%s\" does not exist at %s", s->bucket,
                             s->endpoint);
        } else if (q->status == 404 && what && (!strcmp(code, "NoSuchKey") || !*code)) {
            storage_fail(&s->s, e, "object \"%s\" not found", what);
            r = STORAGE_ENOTFOUND;
        } else if (q->status == 403 || q->status == 401) {
            r = storage_fail(&s->s, e, "access denied by %s: %s", s->endpoint, msg);
        } else if (*code) {
            r = storage_fail(&s->s, e, "%s %s \"%s\": %s (HTTP %ld)", q->method,
                             what ? "object" : "bucket", what ? what : s->bucket, msg, q->status);
        } else {
            r = storage_fail(&s->s, e, "%s %s \"%s\": %s", q->method, what ? "object" : "bucket",
                             what ? what : s->bucket, msg);
        }
        break;
    }
    return r;
}

static void req_fini(struct req *q)
{
    buf_fini(&q->resp);
}

static char *full_key(struct s3 *s, const char *key)
{
    size_t n = strlen(s->prefix) + strlen(key) + 1;
    char *k = malloc(n);
    if (k)
        snprintf(k, n, "%s%s", s->prefix, key);
    return k;
}

/* ---- writing ---- */

struct s3_writer {
    struct storage_writer w;
    char *key; /* full */
    char *content_type;
    struct buf part;
    char *upload_id;
    int nparts;
    struct buf done; /* <Part> elements for CompleteMultipartUpload */
};

static struct storage_writer *put_begin(struct storage *s, const char *key,
                                        const char *content_type, struct err *e)
{
    struct s3_writer *w = calloc(1, sizeof *w);
    if (!w || !(w->key = full_key(to_s3(s), key)) ||
        (content_type && !(w->content_type = strdup(content_type)))) {
        if (w)
            free(w->key);
        free(w);
        storage_fail(s, e, "out of memory");
        return NULL;
    }
    w->w.s = s;
    /* the cap is the bound on a writer's memory */
    buf_init(&w->part, to_s3(s)->part_size);
    buf_init(&w->done, 0);
    return &w->w;
}

static int upload_part(struct s3_writer *w, struct err *e)
{
    struct s3 *s = to_s3(w->w.s);
    int r = -1;
    if (!w->upload_id) {
        struct sigv4_param qp[] = {{"uploads", ""}};
        struct req q = {.method = "POST",
                        .key = w->key,
                        .query = qp,
                        .nquery = 1,
                        .content_type = w->content_type};
        r = perform(s, &q, e);
        struct buf id = BUF_INIT;
        if (r == 0 && s3_xml_get(q.resp.p, q.resp.p + q.resp.len, "UploadId", &id) == 1)
            w->upload_id = buf_take(&id);
        else if (r == 0)
            r = storage_fail(&s->s, e, "CreateMultipartUpload %s: no UploadId in the answer",
                             w->key + strlen(s->prefix));
        buf_fini(&id);
        req_fini(&q);
        if (r < 0)
            return -1;
    }
    if (w->nparts == S3_MAX_PARTS)
        return storage_fail(&s->s, e, "object \"%s\" is too large for %d parts of %zu bytes",
                            w->key + strlen(s->prefix), S3_MAX_PARTS, s->part_size);
    char num[16];
    snprintf(num, sizeof num, "%d", w->nparts + 1);
    struct sigv4_param qp[] = {{"partNumber", num}, {"uploadId", w->upload_id}};
    struct req q = {.method = "PUT",
                    .key = w->key,
                    .query = qp,
                    .nquery = 2,
                    .body = w->part.p ? w->part.p : "",
                    .blen = w->part.len,
                    .idempotent = 1};
    r = perform(s, &q, e);
    if (r == 0 && !q.etag[0])
        r = storage_fail(&s->s, e, "UploadPart %s: no ETag in the answer",
                         w->key + strlen(s->prefix));
    if (r == 0) {
        w->nparts++;
        /* an ETag is a quoted hex digest: nothing in it needs escaping but
         * the quotes, which XML text allows as they are */
        if (buf_addf(&w->done, "<Part><PartNumber>%d</PartNumber><ETag>%s</ETag></Part>", w->nparts,
                     q.etag) < 0)
            r = storage_fail(&s->s, e, "out of memory");
        buf_reset(&w->part);
    }
    req_fini(&q);
    return r;
}

static int put_write(struct storage_writer *sw, const void *p, size_t n, struct err *e)
{
    struct s3_writer *w = (struct s3_writer *)sw;
    size_t cap = to_s3(sw->s)->part_size;
    const char *c = p;
    while (n) {
        size_t room = cap - w->part.len, k = n < room ? n : room;
        if (buf_add(&w->part, c, k) < 0)
            return storage_fail(sw->s, e, "out of memory");
        c += k;
        n -= k;
        /* a full part goes out only when more follows: the last part may
         * then be sent by commit, as a single PUT for a one-part object */
        if (w->part.len == cap && n && upload_part(w, e) < 0)
            return -1;
    }
    return 0;
}

static void put_abort(struct storage_writer *sw)
{
    struct s3_writer *w = (struct s3_writer *)sw;
    if (w->upload_id) {
        struct sigv4_param qp[] = {{"uploadId", w->upload_id}};
        struct req q = {
            .method = "DELETE", .key = w->key, .query = qp, .nquery = 1, .idempotent = 1};
        struct err ignored;
        if (perform(to_s3(sw->s), &q, &ignored) < 0)
            LOG_WARN("%s", ignored.msg);
        req_fini(&q);
    }
    buf_fini(&w->part);
    buf_fini(&w->done);
    free(w->upload_id);
    free(w->content_type);
    free(w->key);
    free(w);
}

static int put_commit(struct storage_writer *sw, struct err *e)
{
    struct s3_writer *w = (struct s3_writer *)sw;
    struct s3 *s = to_s3(sw->s);
    int r;
    if (!w->upload_id) {
        struct req q = {.method = "PUT",
                        .key = w->key,
                        .body = w->part.p ? w->part.p : "",
                        .blen = w->part.len,
                        .content_type = w->content_type,
                        .idempotent = 1};
        r = perform(s, &q, e);
        req_fini(&q);
        put_abort(sw);
        return r < 0 ? -1 : 0;
    }
    if (w->part.len && upload_part(w, e) < 0)
        goto fail;
    struct buf body = BUF_INIT;
    buf_addf(&body, "<CompleteMultipartUpload>%s</CompleteMultipartUpload>", buf_str(&w->done));
    struct sigv4_param qp[] = {{"uploadId", w->upload_id}};
    struct req q = {.method = "POST",
                    .key = w->key,
                    .query = qp,
                    .nquery = 1,
                    .body = body.p,
                    .blen = body.len,
                    .content_type = "application/xml"};
    r = perform(s, &q, e);
    /* S3 may answer 200 and still fail, with an <Error> body */
    if (r == 0 && q.resp.p && strstr(q.resp.p, "<Error>")) {
        char msg[512], code[128];
        describe(&q, msg, sizeof msg, code, sizeof code);
        r = storage_fail(&s->s, e, "CompleteMultipartUpload %s: %s", w->key + strlen(s->prefix),
                         msg);
    }
    req_fini(&q);
    buf_fini(&body);
    if (r < 0)
        goto fail;
    free(w->upload_id);
    w->upload_id = NULL; /* complete: nothing to abort */
    put_abort(sw);
    return 0;
fail:
    put_abort(sw);
    return -1;
}

/* ---- reading ---- */

static int get(struct storage *s, const char *key, storage_data_fn fn, void *arg, struct err *e)
{
    char *k = full_key(to_s3(s), key);
    if (!k)
        return storage_fail(s, e, "out of memory");
    struct req q = {.method = "GET", .key = k, .fn = fn, .arg = arg, .idempotent = 1};
    int r = perform(to_s3(s), &q, e);
    req_fini(&q);
    free(k);
    return r;
}

static int stat_key(struct storage *s, const char *key, struct storage_entry *ent, struct err *e)
{
    char *k = full_key(to_s3(s), key);
    if (!k)
        return storage_fail(s, e, "out of memory");
    struct req q = {.method = "HEAD", .key = k, .idempotent = 1};
    int r = perform(to_s3(s), &q, e);
    if (r == 0) {
        ent->key = key;
        ent->is_prefix = 0;
        ent->size = q.length;
        ent->mtime = q.mtime;
    }
    req_fini(&q);
    free(k);
    return r;
}

static int del(struct storage *s, const char *key, struct err *e)
{
    char *k = full_key(to_s3(s), key);
    if (!k)
        return storage_fail(s, e, "out of memory");
    struct req q = {.method = "DELETE", .key = k, .idempotent = 1};
    int r = perform(to_s3(s), &q, e);
    req_fini(&q);
    free(k);
    return r == STORAGE_ENOTFOUND ? 0 : r;
}

/* ---- listing ---- */

static int list(struct storage *s, const char *prefix, const char *delimiter, storage_list_fn fn,
                void *arg, struct err *e)
{
    char *full = full_key(to_s3(s), prefix);
    if (!full)
        return storage_fail(s, e, "out of memory");
    char *token = NULL;
    int r = 0, stop = 0;
    /* every page advances the token; a server that repeats one is broken */
    for (int page = 0; page < 1000000; page++) {
        struct sigv4_param qp[4] = {{"list-type", "2"}, {"prefix", full}};
        size_t nq = 2;
        if (delimiter)
            qp[nq++] = (struct sigv4_param){"delimiter", delimiter};
        if (token)
            qp[nq++] = (struct sigv4_param){"continuation-token", token};
        struct req q = {.method = "GET", .query = qp, .nquery = nq, .idempotent = 1};
        r = perform(to_s3(s), &q, e);
        if (r < 0) {
            req_fini(&q);
            break;
        }
        const char *p = buf_str(&q.resp), *end = p + q.resp.len;
        struct s3_entry *v;
        long n = s3_xml_list_page(to_s3(s)->prefix, p, end, &v);
        for (long i = 0; i < n && !stop; i++) {
            struct storage_entry ent = {v[i].key, v[i].is_prefix, v[i].size, v[i].mtime};
            stop = fn(arg, &ent) != 0;
        }
        s3_entries_free(v, n);
        if (n < 0)
            r = storage_fail(s, e, "out of memory");
        struct buf trunc = BUF_INIT, next = BUF_INIT;
        s3_xml_get(p, end, "IsTruncated", &trunc);
        int more = !strcmp(buf_str(&trunc), "true") &&
                   s3_xml_get(p, end, "NextContinuationToken", &next) == 1;
        free(token);
        token = more ? buf_take(&next) : NULL;
        buf_fini(&trunc);
        buf_fini(&next);
        req_fini(&q);
        if (r < 0 || !more || stop)
            break;
    }
    free(token);
    free(full);
    return r;
}

static int check(struct storage *s, struct err *e)
{
    char *full = full_key(to_s3(s), "");
    if (!full)
        return storage_fail(s, e, "out of memory");
    struct sigv4_param qp[] = {{"list-type", "2"}, {"max-keys", "1"}, {"prefix", full}};
    struct req q = {.method = "GET",
                    .query = qp,
                    .nquery = 3,
                    .connect_timeout = S3_CHECK_TIMEOUT,
                    .idempotent = 1};
    int r = perform(to_s3(s), &q, e);
    req_fini(&q);
    free(full);
    return r < 0 ? -1 : 0;
}

static void s3_free(struct storage *st)
{
    struct s3 *s = to_s3(st);
    if (s->h)
        curl_fn.easy_cleanup(s->h);
    if (s->secret)
        memset(s->secret, 0, strlen(s->secret));
    if (s->token)
        memset(s->token, 0, strlen(s->token));
    free(s->endpoint);
    free(s->scheme);
    free(s->host);
    free(s->bucket);
    free(s->prefix);
    free(s->region);
    free(s->access);
    free(s->secret);
    free(s->token);
    free(s->ca);
    free(s);
}

static const struct storage_ops s3_ops = {
    check, put_begin, put_write, put_commit, put_abort, get, list, stat_key, del, s3_free,
};

/* Virtual-hosted URLs put the bucket in the host name, which an address
 * or localhost cannot carry. */
static int host_is_address(const char *host)
{
    if (host[0] == '[' || !strncmp(host, "localhost", 9))
        return 1;
    for (const char *p = host; *p && *p != ':'; p++)
        if (!isdigit((unsigned char)*p) && *p != '.')
            return 0;
    return 1;
}

static int bool_config(const struct location *loc, const char *key, int def, struct err *e)
{
    const char *v = location_config(loc, key);
    if (!v || !*v)
        return def;
    if (!strcasecmp(v, "true") || !strcmp(v, "1"))
        return 1;
    if (!strcasecmp(v, "false") || !strcmp(v, "0"))
        return 0;
    return err_set(e, "backup location \"%s\": %s must be true or false, not \"%s\"", loc->name,
                   key, v);
}

static int configure(struct s3 *s, const struct location *loc, struct err *e)
{
    int gcs = !strcmp(loc->provider, "gcs");
    const char *region = location_config(loc, "region");
    if (!region || !*region)
        region = gcs ? "auto" : "us-east-1";
    const char *url = location_config(loc, "s3Url");
    char def[256];
    if (!url || !*url) {
        if (gcs)
            snprintf(def, sizeof def, "https://storage.googleapis.com");
        else
            snprintf(def, sizeof def, "https://s3.%s.amazonaws.com", region);
        url = def;
    }
    const char *sep = strstr(url, "://");
    if (!sep || (strncmp(url, "http://", 7) && strncmp(url, "https://", 8)))
        return err_set(e,
                       "backup location \"%s\": s3Url \"%s\" must start with http:// or "
                       "https://",
                       loc->name, url);
    s->scheme = strndup(url, (size_t)(sep - url));
    const char *h = sep + 3;
    size_t hl = strcspn(h, "/?#");
    if (!hl)
        return err_set(e, "backup location \"%s\": s3Url \"%s\" has no host", loc->name, url);
    /* curl leaves a default port out of Host:, and Host: is signed */
    const char *def_port = strcmp(s->scheme ? s->scheme : "", "https") ? ":80" : ":443";
    size_t dl = strlen(def_port);
    if (hl > dl && !strncmp(h + hl - dl, def_port, dl))
        hl -= dl;
    s->host = strndup(h, hl);
    s->endpoint = strndup(url, (size_t)(h + hl - url));
    s->region = strdup(region);
    s->bucket = strdup(loc->bucket);
    size_t pl = loc->prefix ? strlen(loc->prefix) : 0;
    s->prefix = malloc(pl + 2);
    if (s->prefix)
        snprintf(s->prefix, pl + 2, "%s%s", pl ? loc->prefix : "", pl ? "/" : "");
    if (!s->scheme || !s->host || !s->endpoint || !s->region || !s->bucket || !s->prefix)
        return err_set(e, "out of memory");
    /* Velero's s3ForcePathStyle; GCS and bare addresses need path style */
    int force = bool_config(loc, "s3ForcePathStyle", 0, e);
    s->insecure = bool_config(loc, "insecureSkipTLSVerify", 0, e);
    if (force < 0 || s->insecure < 0)
        return -1;
    s->path_style = force || gcs || host_is_address(s->host);
    const char *ca = location_config(loc, "caCert");
    if (ca && *ca && !(s->ca = location_path(ca)))
        return err_set(e, "out of memory");
    s->part_size = S3_DEFAULT_PART;
    const char *ps = location_config(loc, "multipartPartSize");
    if (ps && *ps) {
        char *end;
        unsigned long long v = strtoull(ps, &end, 10);
        if (*end || v < S3_MIN_PART || v > ((size_t)5 << 30))
            return err_set(e,
                           "backup location \"%s\": multipartPartSize \"%s\" must be a "
                           "number of bytes from %zu (5 MiB) to 5 GiB",
                           loc->name, ps, S3_MIN_PART);
        s->part_size = (size_t)v;
    }
    return 0;
}

struct storage *storage_s3_open(const struct location *loc, struct err *e)
{
    if (curl_load(e) < 0)
        return NULL;
    struct s3 *s = calloc(1, sizeof *s);
    if (!s) {
        err_set(e, "out of memory");
        return NULL;
    }
    s->s.ops = &s3_ops;
    if (configure(s, loc, e) < 0 || load_credentials(s, loc, e) < 0)
        goto fail;
    s->h = curl_fn.easy_init();
    if (!s->h) {
        err_set(e, "out of memory");
        goto fail;
    }
    return &s->s;
fail:
    s3_free(&s->s);
    return NULL;
}
