#include "storage/sigv4.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>
#include <openssl/crypto.h>
#include <openssl/hmac.h>

#define SHA256_LEN 32

int sigv4_uri_encode(struct buf *out, const char *s, int keep_slash)
{
    static const char hex[] = "0123456789ABCDEF";
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        int r;
        if (isalnum(*p) || *p == '-' || *p == '.' || *p == '_' || *p == '~' ||
            (*p == '/' && keep_slash)) {
            r = buf_addc(out, (char)*p);
        } else {
            char esc[3] = {'%', hex[*p >> 4], hex[*p & 15]};
            r = buf_add(out, esc, 3);
        }
        if (r < 0)
            return -1;
    }
    return 0;
}

static void to_hex(const unsigned char *md, size_t n, char *hex)
{
    static const char digits[] = "0123456789abcdef";
    for (size_t i = 0; i < n; i++) {
        hex[2 * i] = digits[md[i] >> 4];
        hex[2 * i + 1] = digits[md[i] & 15];
    }
    hex[2 * n] = '\0';
}

void sigv4_sha256_hex(const void *p, size_t n, char hex[65])
{
    unsigned char md[SHA256_LEN];
    unsigned int len = 0;
    EVP_Digest(p, n, md, &len, EVP_sha256(), NULL);
    to_hex(md, SHA256_LEN, hex);
}

static void hmac(const void *key, size_t klen, const char *data, unsigned char out[SHA256_LEN])
{
    unsigned int len = SHA256_LEN;
    HMAC(EVP_sha256(), key, (int)klen, (const unsigned char *)data, strlen(data), out, &len);
}

struct pair {
    char *text; /* "key=value", encoded */
    size_t klen;
};

static int by_pair(const void *a, const void *b)
{
    const struct pair *x = a, *y = b;
    size_t n = x->klen < y->klen ? x->klen : y->klen;
    int c = memcmp(x->text, y->text, n);
    if (c || x->klen != y->klen)
        return c ? c : (x->klen < y->klen ? -1 : 1);
    return strcmp(x->text + x->klen, y->text + y->klen);
}

struct hdr {
    char *name, *value; /* lower-cased; trimmed, inner runs of spaces as one */
};

static int by_hdr(const void *a, const void *b)
{
    return strcmp(((const struct hdr *)a)->name, ((const struct hdr *)b)->name);
}

static char *canon_value(const char *v)
{
    char *out = malloc(strlen(v) + 1), *w = out;
    if (!out)
        return NULL;
    while (*v == ' ' || *v == '\t')
        v++;
    for (; *v; v++) {
        if ((*v == ' ' || *v == '\t') && (v[1] == ' ' || v[1] == '\t' || !v[1]))
            continue;
        *w++ = *v == '\t' ? ' ' : *v;
    }
    *w = '\0';
    return out;
}

/* Writes the canonical request, and the signed header list to <signed_hdrs>. */
static int canonical(const struct sigv4_request *r, struct buf *out, struct buf *signed_hdrs)
{
    int rc = -1;
    struct pair *q = calloc(r->nquery + 1, sizeof *q);
    struct hdr *h = calloc(r->nheaders + 1, sizeof *h);
    if (!q || !h)
        goto out;
    for (size_t i = 0; i < r->nquery; i++) {
        struct buf b = BUF_INIT;
        if (sigv4_uri_encode(&b, r->query[i].key, 0) < 0 || buf_addc(&b, '=') < 0 ||
            sigv4_uri_encode(&b, r->query[i].value, 0) < 0) {
            buf_fini(&b);
            goto out;
        }
        q[i].klen = (size_t)(strchr(b.p, '=') - b.p);
        q[i].text = buf_take(&b);
    }
    qsort(q, r->nquery, sizeof *q, by_pair);
    for (size_t i = 0; i < r->nheaders; i++) {
        h[i].name = strdup(r->headers[i].name);
        h[i].value = canon_value(r->headers[i].value);
        if (!h[i].name || !h[i].value)
            goto out;
        for (char *c = h[i].name; *c; c++)
            *c = (char)tolower((unsigned char)*c);
    }
    qsort(h, r->nheaders, sizeof *h, by_hdr);

    if (buf_addf(out, "%s\n", r->method) < 0 ||
        sigv4_uri_encode(out, *r->path ? r->path : "/", 1) < 0 || buf_addc(out, '\n') < 0)
        goto out;
    for (size_t i = 0; i < r->nquery; i++)
        if (buf_addf(out, "%s%s", i ? "&" : "", q[i].text) < 0)
            goto out;
    if (buf_addc(out, '\n') < 0)
        goto out;
    for (size_t i = 0; i < r->nheaders; i++)
        if (buf_addf(out, "%s:%s\n", h[i].name, h[i].value) < 0 ||
            buf_addf(signed_hdrs, "%s%s", i ? ";" : "", h[i].name) < 0)
            goto out;
    if (buf_addf(out, "\n%s\n%s", buf_str(signed_hdrs), r->payload_hash) < 0)
        goto out;
    rc = 0;
out:
    for (size_t i = 0; q && i < r->nquery; i++)
        free(q[i].text);
    for (size_t i = 0; h && i < r->nheaders; i++) {
        free(h[i].name);
        free(h[i].value);
    }
    free(q);
    free(h);
    return rc;
}

int sigv4_canonical_request(const struct sigv4_request *r, struct buf *out)
{
    struct buf sh = BUF_INIT;
    int rc = canonical(r, out, &sh);
    buf_fini(&sh);
    return rc;
}

int sigv4_authorization(const struct sigv4_request *r, const struct sigv4_key *k,
                        const char *amz_date, struct buf *out)
{
    if (strlen(amz_date) != 16)
        return -1;
    struct buf creq = BUF_INIT, sh = BUF_INIT, sts = BUF_INIT, key = BUF_INIT;
    int rc = -1;
    char date[9], hex[65];
    memcpy(date, amz_date, 8);
    date[8] = '\0';
    if (canonical(r, &creq, &sh) < 0)
        goto out;
    sigv4_sha256_hex(creq.p, creq.len, hex);
    if (buf_addf(&sts, "AWS4-HMAC-SHA256\n%s\n%s/%s/%s/aws4_request\n%s", amz_date, date, k->region,
                 k->service, hex) < 0 ||
        buf_addf(&key, "AWS4%s", k->secret_key) < 0)
        goto out;
    /* kSigning = HMAC(HMAC(HMAC(HMAC("AWS4"+secret, date), region), service), "aws4_request") */
    unsigned char a[SHA256_LEN], b[SHA256_LEN];
    hmac(key.p, key.len, date, a);
    hmac(a, SHA256_LEN, k->region, b);
    hmac(b, SHA256_LEN, k->service, a);
    hmac(a, SHA256_LEN, "aws4_request", b);
    hmac(b, SHA256_LEN, buf_str(&sts), a);
    to_hex(a, SHA256_LEN, hex);
    OPENSSL_cleanse(b, sizeof b); /* the signing key */
    rc = buf_addf(out,
                  "AWS4-HMAC-SHA256 Credential=%s/%s/%s/%s/aws4_request, SignedHeaders=%s, "
                  "Signature=%s",
                  k->access_key, date, k->region, k->service, buf_str(&sh), hex) < 0
             ? -1
             : 0;
out:
    /* the derived key is as secret as the secret key */
    if (key.p)
        OPENSSL_cleanse(key.p, key.len);
    buf_fini(&key);
    buf_fini(&creq);
    buf_fini(&sh);
    buf_fini(&sts);
    return rc;
}
