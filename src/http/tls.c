/* TLS on OpenSSL: certificates, the shared server context, session-ticket
 * keys, and non-blocking reads and writes. docs/internals/tls.md says why
 * each choice was made. */
#include "http/tls.h"

#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include <openssl/core_names.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

struct tls_cert {
    _Atomic unsigned long refs;
    X509 *x509;
    EVP_PKEY *key;
    STACK_OF(X509) * chain; /* intermediates; NULL when none */
};

/* Mozilla's "intermediate" configuration (v5.7) for TLS 1.2; TLS 1.3 keeps
 * OpenSSL's suites, which are the same three Mozilla lists. */
static const char CIPHERS_TLS12[] =
    "ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256:"
    "ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-RSA-AES256-GCM-SHA384:"
    "ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-CHACHA20-POLY1305:"
    "DHE-RSA-AES128-GCM-SHA256:DHE-RSA-AES256-GCM-SHA384:DHE-RSA-CHACHA20-POLY1305";
static const char GROUPS[] = "X25519:P-256:P-384";

/* The reason of OpenSSL's last error, for messages about our own setup. */
static const char *ossl_reason(void)
{
    const char *r = ERR_reason_error_string(ERR_peek_last_error());
    return r ? r : "out of memory";
}

/* ---- certificates ------------------------------------------------------ */

/* A blank certificate with one reference, or NULL. */
static struct tls_cert *cert_new(void)
{
    struct tls_cert *c = calloc(1, sizeof *c);
    if (c)
        atomic_init(&c->refs, 1);
    return c;
}

struct tls_cert *tls_cert_ref(struct tls_cert *c)
{
    atomic_fetch_add_explicit(&c->refs, 1, memory_order_relaxed);
    return c;
}

void tls_cert_unref(struct tls_cert *c)
{
    /* acq_rel: every use by other threads happens before the free. */
    if (!c || atomic_fetch_sub_explicit(&c->refs, 1, memory_order_acq_rel) != 1)
        return;
    X509_free(c->x509);
    EVP_PKEY_free(c->key);
    sk_X509_pop_free(c->chain, X509_free);
    free(c);
}

/* An encrypted key cannot be used unattended: refuse rather than let
 * OpenSSL's default callback prompt on the terminal. */
static int no_password(char *buf, int size, int rwflag, void *u)
{
    (void)buf, (void)size, (void)rwflag, (void)u;
    return -1;
}

/* True when the last PEM read failed only because no PEM block was left. */
static int pem_at_end(void)
{
    unsigned long err = ERR_peek_last_error();
    return ERR_GET_LIB(err) == ERR_LIB_PEM && ERR_GET_REASON(err) == PEM_R_NO_START_LINE;
}

struct tls_cert *tls_cert_parse(const char *crt, size_t crt_len, const char *key, size_t key_len,
                                struct err *e)
{
    struct tls_cert *c = cert_new();
    BIO *b = NULL;
    if (!c) {
        err_set(e, "out of memory");
        return NULL;
    }
    if (crt_len > INT32_MAX || key_len > INT32_MAX || !(b = BIO_new_mem_buf(crt, (int)crt_len))) {
        err_set(e, "out of memory");
        goto fail;
    }
    if (!(c->x509 = PEM_read_bio_X509(b, NULL, no_password, NULL))) {
        err_set(e, "tls.crt holds no PEM certificate");
        goto fail;
    }
    for (;;) {
        X509 *x = PEM_read_bio_X509(b, NULL, no_password, NULL);
        if (!x) {
            if (!pem_at_end()) {
                err_set(e, "tls.crt: a certificate after the first is malformed");
                goto fail;
            }
            break;
        }
        if ((!c->chain && !(c->chain = sk_X509_new_null())) || !sk_X509_push(c->chain, x)) {
            X509_free(x);
            err_set(e, "out of memory");
            goto fail;
        }
    }
    BIO_free(b);
    if (!(b = BIO_new_mem_buf(key, (int)key_len))) {
        err_set(e, "out of memory");
        goto fail;
    }
    if (!(c->key = PEM_read_bio_PrivateKey(b, NULL, no_password, NULL))) {
        err_set(e, "tls.key holds no usable PEM private key (unencrypted PKCS#8, RSA or EC)");
        goto fail;
    }
    if (X509_check_private_key(c->x509, c->key) != 1) {
        err_set(e, "tls.key does not match the certificate in tls.crt");
        goto fail;
    }
    BIO_free(b);
    ERR_clear_error();
    return c;
fail:
    BIO_free(b);
    tls_cert_unref(c);
    ERR_clear_error();
    return NULL;
}

struct tls_cert *tls_cert_self_signed(struct err *e)
{
    struct tls_cert *c = cert_new();
    BIGNUM *bn = BN_new();
    X509_NAME *name;
    if (!c || !bn || !(c->key = EVP_EC_gen("P-256")) || !(c->x509 = X509_new()) ||
        !X509_set_version(c->x509, 2) || !BN_rand(bn, 63, BN_RAND_TOP_ANY, BN_RAND_BOTTOM_ANY) ||
        !BN_to_ASN1_INTEGER(bn, X509_get_serialNumber(c->x509)) ||
        !X509_gmtime_adj(X509_getm_notBefore(c->x509), 0) ||
        !X509_gmtime_adj(X509_getm_notAfter(c->x509), 365L * 24 * 3600) ||
        !X509_set_pubkey(c->x509, c->key) || !(name = X509_get_subject_name(c->x509)) ||
        !X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
                                    (const unsigned char *)"ferry default certificate", -1, -1,
                                    0) ||
        !X509_set_issuer_name(c->x509, name) || !X509_sign(c->x509, c->key, EVP_sha256())) {
        err_set(e, "cannot make the default certificate: %s", ossl_reason());
        BN_free(bn);
        tls_cert_unref(c);
        ERR_clear_error();
        return NULL;
    }
    BN_free(bn);
    return c;
}

void tls_cert_subject(const struct tls_cert *c, char *buf, size_t size)
{
    if (size == 0)
        return;
    buf[0] = '\0';
    X509_NAME_get_text_by_NID(X509_get_subject_name(c->x509), NID_commonName, buf, (int)size);
}

/* ---- the certificate cache ------------------------------------------------ */

struct cert_entry {
    unsigned char id[32];  /* SHA-256 of the key parts */
    struct tls_cert *cert; /* NULL: a free slot */
    bool used;             /* got or put since the last sweep */
};

struct tls_cert_cache {
    struct cert_entry *v; /* open addressing on id, at most half full */
    size_t mask, n;
};

struct tls_cert_cache *tls_cert_cache_new(void)
{
    return calloc(1, sizeof(struct tls_cert_cache));
}

void tls_cert_cache_free(struct tls_cert_cache *c)
{
    if (!c)
        return;
    for (size_t i = 0; c->v && i <= c->mask; i++)
        tls_cert_unref(c->v[i].cert);
    free(c->v);
    free(c);
}

/* Each part is hashed with its length first, so parts cannot run into
 * each other. */
static int cache_id(const struct iovec *key, int n, unsigned char id[32])
{
    EVP_MD_CTX *md = EVP_MD_CTX_new();
    int ok = md && EVP_DigestInit_ex(md, EVP_sha256(), NULL);
    for (int i = 0; ok && i < n; i++) {
        uint64_t len = key[i].iov_len;
        ok = EVP_DigestUpdate(md, &len, sizeof len) &&
             EVP_DigestUpdate(md, key[i].iov_base, key[i].iov_len);
    }
    ok = ok && EVP_DigestFinal_ex(md, id, NULL);
    EVP_MD_CTX_free(md);
    ERR_clear_error();
    return ok ? 0 : -ENOMEM;
}

/* The slot of <id>, or the free slot where it would go. */
static struct cert_entry *cache_slot(struct cert_entry *v, size_t mask, const unsigned char *id)
{
    uint64_t h;
    memcpy(&h, id, sizeof h);
    for (size_t i = h & mask;; i = (i + 1) & mask) {
        if (!v[i].cert || !memcmp(v[i].id, id, 32))
            return &v[i];
    }
}

/* Moves the entries marked used (all when <all>) into a table with room for
 * <want> entries; the others are dropped. Returns 0 or -ENOMEM (nothing
 * changed). */
static int cache_rehash(struct tls_cert_cache *c, size_t want, bool all)
{
    size_t slots = 16;
    while (slots < want * 2)
        slots *= 2;
    struct cert_entry *v = calloc(slots, sizeof(*v));
    if (!v)
        return -ENOMEM;
    size_t n = 0;
    for (size_t i = 0; c->v && i <= c->mask; i++) {
        struct cert_entry *o = &c->v[i];
        if (!o->cert)
            continue;
        if (!all && !o->used) {
            tls_cert_unref(o->cert);
            continue;
        }
        struct cert_entry *ne = cache_slot(v, slots - 1, o->id);
        *ne = *o;
        ne->used = false;
        n++;
    }
    free(c->v);
    c->v = v;
    c->mask = slots - 1;
    c->n = n;
    return 0;
}

struct tls_cert *tls_cert_cache_get(struct tls_cert_cache *c, const struct iovec *key, int n)
{
    unsigned char id[32];
    if (!c->v || cache_id(key, n, id) < 0)
        return NULL;
    struct cert_entry *ce = cache_slot(c->v, c->mask, id);
    if (!ce->cert)
        return NULL;
    ce->used = true;
    return tls_cert_ref(ce->cert);
}

int tls_cert_cache_put(struct tls_cert_cache *c, const struct iovec *key, int n,
                       struct tls_cert *cert)
{
    unsigned char id[32];
    if (cache_id(key, n, id) < 0)
        return -ENOMEM;
    if ((!c->v || (c->n + 1) * 2 > c->mask + 1) && cache_rehash(c, c->n + 1, true) < 0)
        return -ENOMEM;
    struct cert_entry *ce = cache_slot(c->v, c->mask, id);
    if (ce->cert)
        tls_cert_unref(ce->cert);
    else
        c->n++;
    memcpy(ce->id, id, 32);
    ce->cert = tls_cert_ref(cert);
    ce->used = true;
    return 0;
}

void tls_cert_cache_sweep(struct tls_cert_cache *c)
{
    size_t used = 0;
    for (size_t i = 0; c->v && i <= c->mask; i++)
        used += c->v[i].used;
    /* Out of memory: everything stays, and the next sweep tries again. */
    (void)cache_rehash(c, used, false);
}

/* ---- session tickets ----------------------------------------------------- */

/* One ticket key: a name to find it by, an AES-256 key and an HMAC key. */
struct ticket_key {
    unsigned char name[16];
    unsigned char aes[32];
    unsigned char hmac[32];
    time_t made; /* 0: unused */
};

struct tls_server {
    SSL_CTX *ctx;
    struct tls_cert *deflt;
    tls_select_fn select;
    /* Tickets are encrypted with cur and decrypted with cur or prev, so
     * a ticket stays good for one to two rotation periods. One context
     * serves every worker, so a ticket from one worker resumes on any
     * other; the lock is taken once per handshake, never per request. */
    pthread_mutex_t lock;
    struct ticket_key cur, prev;
};

static int key_make(struct ticket_key *k, time_t now)
{
    if (RAND_bytes(k->name, sizeof k->name) != 1 || RAND_bytes(k->aes, sizeof k->aes) != 1 ||
        RAND_bytes(k->hmac, sizeof k->hmac) != 1)
        return -1;
    k->made = now;
    return 0;
}

/* Under s->lock. A key older than a period becomes the previous one; a
 * previous key that is older than two periods (no handshake came for a
 * while) is dropped. */
static void keys_rotate(struct tls_server *s, time_t now)
{
    if (now - s->cur.made < TLS_TICKET_ROTATE_S)
        return;
    struct ticket_key k;
    if (key_make(&k, now) < 0)
        return; /* keep the old key rather than have none */
    s->prev = s->cur;
    if (now - s->prev.made >= 2 * TLS_TICKET_ROTATE_S)
        s->prev.made = 0;
    s->cur = k;
    OPENSSL_cleanse(&k, sizeof k);
}

static int ticket_cb(SSL *ssl, unsigned char name[16], unsigned char *iv, EVP_CIPHER_CTX *cctx,
                     EVP_MAC_CTX *hctx, int enc)
{
    struct tls_server *s = SSL_CTX_get_app_data(SSL_get_SSL_CTX(ssl));
    struct ticket_key k;
    int rc = 1;
    time_t now = time(NULL);
    pthread_mutex_lock(&s->lock);
    keys_rotate(s, now);
    if (enc) {
        k = s->cur;
    } else if (!memcmp(name, s->cur.name, 16)) {
        k = s->cur;
        /* TLS 1.3 clients use a ticket once (RFC 8446, C.4): a resumption
         * that brings no new ticket makes the next connection a full
         * handshake, so every resumption gets one. */
        if (SSL_version(ssl) >= TLS1_3_VERSION)
            rc = 2;
    } else if (s->prev.made && !memcmp(name, s->prev.name, 16)) {
        k = s->prev;
        rc = 2; /* good, but re-issue the ticket under the current key */
    } else {
        rc = 0; /* unknown or expired key: a full handshake */
    }
    pthread_mutex_unlock(&s->lock);
    if (rc == 0)
        return 0;
    OSSL_PARAM params[] = {
        OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, (char *)"SHA256", 0),
        OSSL_PARAM_construct_end(),
    };
    if (enc) {
        memcpy(name, k.name, 16);
        if (RAND_bytes(iv, EVP_CIPHER_get_iv_length(EVP_aes_256_cbc())) != 1 ||
            !EVP_EncryptInit_ex(cctx, EVP_aes_256_cbc(), NULL, k.aes, iv))
            rc = -1;
    } else if (!EVP_DecryptInit_ex(cctx, EVP_aes_256_cbc(), NULL, k.aes, iv)) {
        rc = -1;
    }
    if (rc > 0 && !EVP_MAC_init(hctx, k.hmac, sizeof k.hmac, params))
        rc = -1;
    OPENSSL_cleanse(&k, sizeof k);
    return rc;
}

/* ---- the server context ------------------------------------------------ */

static int sni_cb(SSL *ssl, int *alert, void *arg)
{
    (void)alert;
    struct tls_server *s = arg;
    const char *name = SSL_get_servername(ssl, TLSEXT_NAMETYPE_host_name);
    const struct tls_cert *c = s->select(SSL_get_app_data(ssl), name);
    if (!c)
        return SSL_TLSEXT_ERR_OK; /* the context's default certificate */
    /* Clear first: the default may be of another key type (EC vs RSA), and
     * OpenSSL would otherwise keep it and might prefer it. */
    SSL_certs_clear(ssl);
    if (SSL_use_cert_and_key(ssl, c->x509, c->key, c->chain, 1) != 1) {
        ERR_clear_error();
        return SSL_TLSEXT_ERR_ALERT_FATAL;
    }
    return SSL_TLSEXT_ERR_OK;
}

/* HTTP/1.1 only for now: a client offering only h2 gets no ALPN answer and
 * may still speak HTTP/1.1 or give up. */
static int alpn_cb(SSL *ssl, const unsigned char **out, unsigned char *outlen,
                   const unsigned char *in, unsigned int inlen, void *arg)
{
    (void)ssl, (void)arg;
    static const unsigned char h11[] = "\x08http/1.1";
    unsigned char *sel;
    if (SSL_select_next_proto(&sel, outlen, h11, sizeof h11 - 1, in, inlen) !=
        OPENSSL_NPN_NEGOTIATED)
        return SSL_TLSEXT_ERR_NOACK;
    *out = sel;
    return SSL_TLSEXT_ERR_OK;
}

struct tls_server *tls_server_new(struct tls_cert *deflt, tls_select_fn select, struct err *e)
{
    struct tls_server *s = calloc(1, sizeof *s);
    if (!s) {
        tls_cert_unref(deflt);
        err_set(e, "tls: out of memory");
        return NULL;
    }
    s->deflt = deflt;
    s->select = select;
    pthread_mutex_init(&s->lock, NULL);
    SSL_CTX *ctx = s->ctx = SSL_CTX_new(TLS_server_method());
    if (!ctx || key_make(&s->cur, time(NULL)) < 0 ||
        !SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION) ||
        !SSL_CTX_set_max_proto_version(ctx, TLS1_3_VERSION) ||
        !SSL_CTX_set_cipher_list(ctx, CIPHERS_TLS12) || !SSL_CTX_set1_groups_list(ctx, GROUPS) ||
        !SSL_CTX_set_dh_auto(ctx, 1) ||
        !SSL_CTX_set_session_id_context(ctx, (const unsigned char *)"ferry", 5) ||
        !SSL_CTX_set_app_data(ctx, s) ||
        SSL_CTX_set_tlsext_ticket_key_evp_cb(ctx, ticket_cb) != 1 ||
        SSL_CTX_use_cert_and_key(ctx, deflt->x509, deflt->key, deflt->chain, 1) != 1) {
        err_set(e, "tls: cannot set up the server context: %s", ossl_reason());
        ERR_clear_error();
        tls_server_free(s);
        return NULL;
    }
    /* Renegotiation is an attack surface HTTP/1.1 does not need; a client
     * that closes without close_notify is an ordinary end of stream. */
    SSL_CTX_set_options(ctx, SSL_OP_NO_RENEGOTIATION | SSL_OP_NO_COMPRESSION |
                                 SSL_OP_IGNORE_UNEXPECTED_EOF);
    /* Tickets only: nothing to share between workers but the keys. One
     * TLS 1.3 ticket per handshake (OpenSSL sends two): one write and one
     * encryption less per connection, as Go's crypto/tls does. */
    SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_OFF);
    SSL_CTX_set_num_tickets(ctx, 1);
    /* Read what the socket has (up to a record buffer) in one read(2)
     * rather than a record header and then its body: half the reads. The
     * proxy keeps reading until WANT_READ, so bytes OpenSSL holds are never
     * forgotten behind an edge that will not come. */
    SSL_CTX_set_read_ahead(ctx, 1);
    /* RELEASE_BUFFERS: an idle keep-alive connection holds no 34 KiB of
     * record buffers. PARTIAL and MOVING: writes come from buffers the
     * proxy moves and grows between attempts (tls_writev). */
    SSL_CTX_set_mode(ctx, SSL_MODE_RELEASE_BUFFERS | SSL_MODE_ENABLE_PARTIAL_WRITE |
                              SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
    SSL_CTX_set_tlsext_servername_callback(ctx, sni_cb);
    SSL_CTX_set_tlsext_servername_arg(ctx, s);
    SSL_CTX_set_alpn_select_cb(ctx, alpn_cb, NULL);
    return s;
}

void tls_server_free(struct tls_server *s)
{
    if (!s)
        return;
    SSL_CTX_free(s->ctx);
    tls_cert_unref(s->deflt);
    OPENSSL_cleanse(&s->cur, sizeof s->cur);
    OPENSSL_cleanse(&s->prev, sizeof s->prev);
    pthread_mutex_destroy(&s->lock);
    free(s);
}

/* ---- the socket BIO ----------------------------------------------------- */

/* OpenSSL's socket BIO does read(2) and write(2); this one does recv(2) and
 * send(2) (no file layer) and remembers whether its last read came back
 * short, that is emptied the socket: tls_read_drained tells the proxy, which
 * then stops reading without one more read that could only say EAGAIN. */
struct sock_bio {
    int fd;
    bool drained; /* the last recv returned less than asked, or nothing */
    bool eof;
};

static int sock_bio_read(BIO *b, char *p, size_t n, size_t *got)
{
    struct sock_bio *sb = BIO_get_data(b);
    ssize_t k;
    do
        k = recv(sb->fd, p, n, 0);
    while (k < 0 && errno == EINTR);
    BIO_clear_retry_flags(b);
    *got = k > 0 ? (size_t)k : 0;
    sb->drained = k <= 0 || (size_t)k < n;
    if (k > 0)
        return 1;
    if (k < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
        BIO_set_retry_read(b);
    else if (k == 0)
        sb->eof = true;
    return 0;
}

static int sock_bio_write(BIO *b, const char *p, size_t n, size_t *put)
{
    struct sock_bio *sb = BIO_get_data(b);
    ssize_t k;
    do
        k = send(sb->fd, p, n, MSG_NOSIGNAL);
    while (k < 0 && errno == EINTR);
    BIO_clear_retry_flags(b);
    *put = k > 0 ? (size_t)k : 0;
    if (k > 0)
        return 1;
    if (k < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
        BIO_set_retry_write(b);
    return 0;
}

/* What the TLS layer asks of a socket BIO: flush (nothing buffered here),
 * end of stream (for SSL_OP_IGNORE_UNEXPECTED_EOF), the descriptor. */
static long sock_bio_ctrl(BIO *b, int cmd, long num, void *ptr)
{
    (void)num;
    struct sock_bio *sb = BIO_get_data(b);
    switch (cmd) {
    case BIO_CTRL_FLUSH:
        return 1;
    case BIO_CTRL_EOF:
        return sb->eof;
    case BIO_C_GET_FD:
        if (ptr)
            *(int *)ptr = sb->fd;
        return sb->fd;
    default:
        return 0;
    }
}

static int sock_bio_destroy(BIO *b)
{
    free(BIO_get_data(b));
    BIO_set_data(b, NULL);
    return 1;
}

static BIO_METHOD *sock_method;

static void sock_method_make(void)
{
    BIO_METHOD *m = BIO_meth_new(BIO_get_new_index() | BIO_TYPE_SOURCE_SINK | BIO_TYPE_DESCRIPTOR,
                                 "ferry socket");
    if (m && BIO_meth_set_read_ex(m, sock_bio_read) && BIO_meth_set_write_ex(m, sock_bio_write) &&
        BIO_meth_set_ctrl(m, sock_bio_ctrl) && BIO_meth_set_destroy(m, sock_bio_destroy)) {
        sock_method = m;
        return;
    }
    BIO_meth_free(m);
}

/* A BIO on <fd> that owns its state (not the descriptor), or NULL. */
static BIO *sock_bio_new(int fd)
{
    static pthread_once_t once = PTHREAD_ONCE_INIT;
    pthread_once(&once, sock_method_make);
    struct sock_bio *sb = sock_method ? calloc(1, sizeof *sb) : NULL;
    BIO *b = sb ? BIO_new(sock_method) : NULL;
    if (!b) {
        free(sb);
        return NULL;
    }
    sb->fd = fd;
    BIO_set_data(b, sb);
    BIO_set_init(b, 1);
    return b;
}

/* ---- connections ------------------------------------------------------- */

SSL *tls_accept(struct tls_server *s, int fd, void *arg)
{
    SSL *ssl = SSL_new(s->ctx);
    BIO *b = ssl ? sock_bio_new(fd) : NULL;
    if (!b) {
        SSL_free(ssl);
        ERR_clear_error();
        return NULL;
    }
    SSL_set_bio(ssl, b, b);
    SSL_set_app_data(ssl, arg);
    SSL_set_accept_state(ssl);
    return ssl;
}

bool tls_read_drained(SSL *ssl)
{
    const struct sock_bio *sb = BIO_get_data(SSL_get_rbio(ssl));
    return sb->drained && !SSL_has_pending(ssl);
}

void tls_free(SSL *ssl)
{
    SSL_free(ssl);
}

/* Maps a failed SSL call to -EAGAIN (with *want), 0 (end) or an error.
 * The thread's error queue is emptied: a stale entry would make the next
 * SSL_get_error, on any connection of this worker, lie. */
static ssize_t failed(SSL *ssl, int r, int *want, ssize_t hard)
{
    switch (SSL_get_error(ssl, r)) {
    case SSL_ERROR_WANT_READ:
        *want = TLS_WANT_READ;
        return -EAGAIN;
    case SSL_ERROR_WANT_WRITE:
        *want = TLS_WANT_WRITE;
        return -EAGAIN;
    case SSL_ERROR_ZERO_RETURN:
        return 0;
    default:
        ERR_clear_error();
        return hard;
    }
}

ssize_t tls_read(SSL *ssl, char *p, size_t n, int *want)
{
    size_t got;
    int r = SSL_read_ex(ssl, p, n, &got);
    if (r == 1)
        return (ssize_t)got;
    return failed(ssl, r, want, -EIO);
}

ssize_t tls_writev(SSL *ssl, const struct iovec *iov, int n, char *scratch, size_t cap, int *want)
{
    const void *p = iov[0].iov_base;
    size_t len = iov[0].iov_len;
    if (n > 1) {
        /* One record rather than one per piece (head, chunk size, data). */
        len = 0;
        for (int i = 0; i < n && len < cap; i++) {
            size_t k = iov[i].iov_len < cap - len ? iov[i].iov_len : cap - len;
            memcpy(scratch + len, iov[i].iov_base, k);
            len += k;
        }
        p = scratch;
    }
    size_t done;
    int r = SSL_write_ex(ssl, p, len, &done);
    if (r == 1)
        return (ssize_t)done;
    ssize_t k = failed(ssl, r, want, -EPIPE);
    return k == 0 ? -EPIPE : k;
}

void tls_shutdown(SSL *ssl)
{
    if (SSL_is_init_finished(ssl) && SSL_shutdown(ssl) < 0)
        ERR_clear_error();
}
