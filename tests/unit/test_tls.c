/* TLS certificates: parsing and checking Secrets' PEM (src/http/tls.c), and
 * the route table's choice of certificate by SNI name and its compiled SSL
 * redirects (src/ingress/routes.c). Certificates are made here with
 * OpenSSL, EC P-256, self-signed or signed by a test CA. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "core/b64.h"
#include "core/buf.h"
#include "core/yaml.h"
#include "http/tls.h"
#include "ingress/model.h"
#include "ingress/route_build.h"

struct pem {
    char *crt, *key; /* malloc'd PEM text */
    EVP_PKEY *pkey;
    X509 *x509;
};

static char *bio_text(BIO *b)
{
    char *p;
    long n = BIO_get_mem_data(b, &p);
    char *s = malloc((size_t)n + 1);
    assert_non_null(s);
    memcpy(s, p, (size_t)n);
    s[n] = '\0';
    BIO_free(b);
    return s;
}

/* A certificate for <cn>, signed by <ca> (NULL: self-signed). */
static struct pem make_pem(const char *cn, const struct pem *ca)
{
    struct pem p = {0};
    assert_non_null(p.pkey = EVP_EC_gen("P-256"));
    assert_non_null(p.x509 = X509_new());
    X509_set_version(p.x509, 2);
    ASN1_INTEGER_set(X509_get_serialNumber(p.x509), 7);
    X509_gmtime_adj(X509_getm_notBefore(p.x509), 0);
    X509_gmtime_adj(X509_getm_notAfter(p.x509), 3600);
    X509_set_pubkey(p.x509, p.pkey);
    X509_NAME *name = X509_get_subject_name(p.x509);
    X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, (const unsigned char *)cn, -1, -1, 0);
    X509_set_issuer_name(p.x509, ca ? X509_get_subject_name(ca->x509) : name);
    assert_true(X509_sign(p.x509, ca ? ca->pkey : p.pkey, EVP_sha256()) > 0);
    BIO *b = BIO_new(BIO_s_mem());
    PEM_write_bio_X509(b, p.x509);
    p.crt = bio_text(b);
    b = BIO_new(BIO_s_mem());
    PEM_write_bio_PrivateKey(b, p.pkey, NULL, NULL, 0, NULL, NULL);
    p.key = bio_text(b);
    return p;
}

static void pem_fini(struct pem *p)
{
    free(p->crt);
    free(p->key);
    EVP_PKEY_free(p->pkey);
    X509_free(p->x509);
}

static struct tls_cert *parse(const char *crt, const char *key, struct err *e)
{
    return tls_cert_parse(crt, strlen(crt), key, strlen(key), e);
}

static void assert_subject(const struct tls_cert *c, const char *want)
{
    char cn[128];
    assert_non_null(c);
    tls_cert_subject(c, cn, sizeof cn);
    assert_string_equal(cn, want);
}

/* ---- parsing --------------------------------------------------------------- */

static void parse_accepts_a_matching_pair(void **state)
{
    (void)state;
    struct pem a = make_pem("a.example.com", NULL);
    struct err e = {{0}};
    struct tls_cert *c = parse(a.crt, a.key, &e);
    assert_subject(c, "a.example.com");
    tls_cert_unref(c);
    pem_fini(&a);
}

static void parse_refuses_a_key_of_another_certificate(void **state)
{
    (void)state;
    struct pem a = make_pem("a.example.com", NULL), b = make_pem("b.example.com", NULL);
    struct err e = {{0}};
    assert_null(parse(a.crt, b.key, &e));
    assert_string_equal(e.msg, "tls.key does not match the certificate in tls.crt");
    pem_fini(&a);
    pem_fini(&b);
}

static void parse_says_what_is_missing_without_quoting_it(void **state)
{
    (void)state;
    struct pem a = make_pem("a.example.com", NULL);
    struct err e = {{0}};
    assert_null(parse("not a certificate", a.key, &e));
    assert_string_equal(e.msg, "tls.crt holds no PEM certificate");
    assert_null(parse(a.crt, "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n", &e));
    assert_non_null(strstr(e.msg, "tls.key holds no usable PEM private key"));
    assert_null(strstr(e.msg, "AAAA"));
    pem_fini(&a);
}

static void parse_refuses_an_encrypted_key_without_prompting(void **state)
{
    (void)state;
    struct pem a = make_pem("a.example.com", NULL);
    BIO *b = BIO_new(BIO_s_mem());
    PEM_write_bio_PrivateKey(b, a.pkey, EVP_aes_128_cbc(), NULL, 0, NULL, (void *)"secret");
    char *enc = bio_text(b);
    struct err e = {{0}};
    assert_null(parse(a.crt, enc, &e));
    assert_non_null(strstr(e.msg, "tls.key"));
    free(enc);
    pem_fini(&a);
}

static void parse_takes_the_chain_after_the_leaf(void **state)
{
    (void)state;
    struct pem ca = make_pem("test CA", NULL), leaf = make_pem("leaf.example.com", &ca);
    size_t n = strlen(leaf.crt) + strlen(ca.crt) + 1;
    char *chain = malloc(n);
    snprintf(chain, n, "%s%s", leaf.crt, ca.crt);
    struct err e = {{0}};
    struct tls_cert *c = parse(chain, leaf.key, &e);
    assert_subject(c, "leaf.example.com"); /* the first certificate is the leaf */
    tls_cert_unref(c);
    snprintf(chain, n, "%s%s", leaf.crt,
             "-----BEGIN CERTIFICATE-----\nbm90IGEgY2VydA==\n-----END CERTIFICATE-----\n");
    assert_null(parse(chain, leaf.key, &e));
    assert_string_equal(e.msg, "tls.crt: a certificate after the first is malformed");
    free(chain);
    pem_fini(&leaf);
    pem_fini(&ca);
}

static void self_signed_default_names_itself(void **state)
{
    (void)state;
    struct err e = {{0}};
    struct tls_cert *c = tls_cert_self_signed(&e);
    assert_subject(c, "ferry default certificate");
    tls_cert_unref(c);
}

/* ---- the route table: certificates by SNI, redirects ------------------------ */

static void add_secret(struct buf *y, const char *name, const char *crt, const char *key)
{
    char *c64 = b64_encode((const unsigned char *)crt, strlen(crt));
    char *k64 = b64_encode((const unsigned char *)key, strlen(key));
    buf_addf(y,
             "---\napiVersion: v1\nkind: Secret\nmetadata: {name: %s, namespace: default}\n"
             "type: kubernetes.io/tls\ndata: {tls.crt: \"%s\", tls.key: \"%s\"}\n",
             name, c64, k64);
    free(c64);
    free(k64);
}

/* An Ingress with one host routed to service "s" and, when <secret> is not
 * NULL, a spec.tls entry for it; <ann> is a YAML flow map or NULL. */
static void add_ingress(struct buf *y, const char *name, const char *host, const char *secret,
                        const char *ann)
{
    buf_addf(y,
             "---\napiVersion: networking.k8s.io/v1\nkind: Ingress\n"
             "metadata: {name: %s, namespace: default%s%s}\nspec:\n  ingressClassName: ferry\n"
             "  rules:\n  - host: \"%s\"\n    http: {paths: [{path: /, pathType: Prefix, "
             "backend: {service: {name: s, port: {number: 80}}}}]}\n",
             name, ann ? ", annotations: " : "", ann ? ann : "", host);
    if (secret)
        buf_addf(y, "  tls: [{hosts: [\"%s\"], secretName: %s}]\n", host, secret);
}

struct fixture {
    struct pem a, w, bad, dflt;
    struct route_table *t, *t_nodefault;
};

static struct route_table *build(const char *yaml, const char *default_cert)
{
    json_t *docs = NULL;
    struct err e = {{0}};
    if (yaml_load(yaml, strlen(yaml), &docs, &e) != 0)
        fail_msg("yaml: %s", e.msg);
    struct ingress_opts opts = {.default_ssl_certificate = default_cert};
    struct ingress_model *m = ingress_model_build(docs, &opts, &e);
    assert_non_null(m);
    struct route_table *t = route_table_build(m, &e);
    assert_non_null(t);
    ingress_model_free(m);
    json_decref(docs);
    return t;
}

static int setup(void **state)
{
    struct fixture *f = calloc(1, sizeof *f);
    f->a = make_pem("a.example.com", NULL);
    f->w = make_pem("*.w.example.com", NULL);
    f->bad = make_pem("bad.w.example.com", NULL);
    f->dflt = make_pem("my default", NULL);
    struct buf y = BUF_INIT;
    add_secret(&y, "a", f->a.crt, f->a.key);
    add_secret(&y, "w", f->w.crt, f->w.key);
    add_secret(&y, "bad", f->bad.crt, f->a.key); /* mismatched */
    add_secret(&y, "dflt", f->dflt.crt, f->dflt.key);
    add_ingress(&y, "a", "a.example.com", "a", NULL);
    add_ingress(&y, "w", "*.w.example.com", "w", NULL);
    add_ingress(&y, "bad", "bad.w.example.com", "bad", NULL);
    add_ingress(&y, "noredirect", "nr.example.com", "a", "{ferry.dev/ssl-redirect: \"false\"}");
    add_ingress(&y, "nginxoff", "no.example.com", "a",
                "{nginx.ingress.kubernetes.io/ssl-redirect: \"false\"}");
    add_ingress(&y, "force", "f.example.com", NULL,
                "{nginx.ingress.kubernetes.io/force-ssl-redirect: \"true\"}");
    add_ingress(&y, "plain", "p.example.com", NULL, NULL);
    f->t = build(y.p, "default/dflt");
    f->t_nodefault = build(y.p, NULL);
    buf_fini(&y);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    struct fixture *f = *state;
    route_table_unref(f->t);
    route_table_unref(f->t_nodefault);
    pem_fini(&f->a);
    pem_fini(&f->w);
    pem_fini(&f->bad);
    pem_fini(&f->dflt);
    free(f);
    return 0;
}

static void sni_exact_host_any_case(void **state)
{
    struct fixture *f = *state;
    assert_subject(route_cert(f->t, "a.example.com"), "a.example.com");
    assert_subject(route_cert(f->t, "A.Example.COM"), "a.example.com");
}

static void sni_wildcard_covers_exactly_one_label(void **state)
{
    struct fixture *f = *state;
    assert_subject(route_cert(f->t, "x.w.example.com"), "*.w.example.com");
    assert_subject(route_cert(f->t, "y.x.w.example.com"), "my default");
    assert_subject(route_cert(f->t, "w.example.com"), "my default");
    assert_subject(route_cert(f->t, ".w.example.com"), "my default");
}

static void sni_unknown_or_absent_gets_the_default(void **state)
{
    struct fixture *f = *state;
    assert_subject(route_cert(f->t, "nobody.example.com"), "my default");
    assert_subject(route_cert(f->t, NULL), "my default");
    /* Without --default-ssl-certificate: the server's own default. */
    assert_null(route_cert(f->t_nodefault, "nobody.example.com"));
    assert_null(route_cert(f->t_nodefault, NULL));
}

static void sni_bad_secret_falls_back_to_the_default_not_the_wildcard(void **state)
{
    struct fixture *f = *state;
    assert_subject(route_cert(f->t, "bad.w.example.com"), "my default");
    assert_null(route_cert(f->t_nodefault, "bad.w.example.com"));
}

static int redirects(const struct route_table *t, const char *host)
{
    const struct route *r = route_lookup(t, host, strlen(host), "/", 1);
    assert_non_null(r);
    return r->ssl_redirect;
}

static void redirect_is_compiled_per_route(void **state)
{
    struct fixture *f = *state;
    assert_int_equal(redirects(f->t, "a.example.com"), 1);     /* TLS host */
    assert_int_equal(redirects(f->t, "x.w.example.com"), 1);   /* TLS wildcard host */
    assert_int_equal(redirects(f->t, "bad.w.example.com"), 1); /* TLS, bad Secret: still */
    assert_int_equal(redirects(f->t, "nr.example.com"), 0);    /* ferry.dev/ssl-redirect */
    assert_int_equal(redirects(f->t, "no.example.com"), 0);    /* nginx's annotation */
    assert_int_equal(redirects(f->t, "f.example.com"), 1);     /* force-ssl-redirect */
    assert_int_equal(redirects(f->t, "p.example.com"), 0);     /* plain */
}

static struct route_table *build_cached(const char *yaml, struct route_cache *c)
{
    json_t *docs = NULL;
    struct err e = {{0}};
    if (yaml_load(yaml, strlen(yaml), &docs, &e) != 0)
        fail_msg("yaml: %s", e.msg);
    struct ingress_model *m = ingress_model_build(docs, NULL, &e);
    assert_non_null(m);
    struct route_table *t = route_table_build_cached(m, c, &e);
    assert_non_null(t);
    ingress_model_free(m);
    json_decref(docs);
    return t;
}

/* A Secret whose bytes did not change is not parsed again (the next table
 * shares the certificate); new bytes are; and a table keeps its
 * certificates after the cache and newer tables have let go of them. */
static void certificates_are_cached_across_builds(void **state)
{
    struct fixture *f = *state;
    struct pem a2 = make_pem("a2.example.com", NULL);
    struct buf y1 = BUF_INIT, y2 = BUF_INIT;
    add_secret(&y1, "a", f->a.crt, f->a.key);
    add_ingress(&y1, "a", "a.example.com", "a", NULL);
    add_secret(&y2, "a", a2.crt, a2.key);
    add_ingress(&y2, "a", "a.example.com", "a", NULL);
    struct route_cache *c = route_cache_new();
    assert_non_null(c);
    struct route_table *t1 = build_cached(y1.p, c);
    struct route_table *t2 = build_cached(y1.p, c);
    assert_ptr_equal(route_cert(t1, "a.example.com"), route_cert(t2, "a.example.com"));
    struct route_table *t3 = build_cached(y2.p, c);
    assert_subject(route_cert(t3, "a.example.com"), "a2.example.com");
    route_table_unref(t2);
    route_table_unref(t3);
    route_cache_free(c);
    assert_subject(route_cert(t1, "a.example.com"), "a.example.com");
    route_table_unref(t1);
    buf_fini(&y1);
    buf_fini(&y2);
    pem_fini(&a2);
}

int main(void)
{
    const struct CMUnitTest parsing[] = {
        cmocka_unit_test(parse_accepts_a_matching_pair),
        cmocka_unit_test(parse_refuses_a_key_of_another_certificate),
        cmocka_unit_test(parse_says_what_is_missing_without_quoting_it),
        cmocka_unit_test(parse_refuses_an_encrypted_key_without_prompting),
        cmocka_unit_test(parse_takes_the_chain_after_the_leaf),
        cmocka_unit_test(self_signed_default_names_itself),
    };
    const struct CMUnitTest table[] = {
        cmocka_unit_test(sni_exact_host_any_case),
        cmocka_unit_test(sni_wildcard_covers_exactly_one_label),
        cmocka_unit_test(sni_unknown_or_absent_gets_the_default),
        cmocka_unit_test(sni_bad_secret_falls_back_to_the_default_not_the_wildcard),
        cmocka_unit_test(redirect_is_compiled_per_route),
        cmocka_unit_test(certificates_are_cached_across_builds),
    };
    int rc = cmocka_run_group_tests_name("tls parsing", parsing, NULL, NULL);
    return rc | cmocka_run_group_tests_name("tls in route tables", table, setup, teardown);
}
