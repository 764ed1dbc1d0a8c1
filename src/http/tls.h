/* TLS for the proxy's HTTPS listener, on OpenSSL (docs/internals/tls.md).
 *
 *   struct tls_cert  one certificate: leaf, chain and private key, parsed
 *                    from PEM and checked once (when a route table is
 *                    built), never per handshake.
 *   struct tls_server the one SSL_CTX every worker shares: TLS 1.2 and 1.3
 *                    only, Mozilla "intermediate" ciphers, ALPN http/1.1,
 *                    stateless session tickets whose keys rotate hourly and
 *                    are shared by all workers, and certificate selection by
 *                    SNI through the caller's callback.
 *
 * Connections are non-blocking: tls_read and tls_write return -EAGAIN with
 * the direction the socket must become ready in, so the caller's event loop
 * drives handshakes, reads, writes and shutdowns alike. Nothing here logs or
 * returns key material. */
#ifndef FERRY_HTTP_TLS_H
#define FERRY_HTTP_TLS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <sys/uio.h>

#include "core/err.h"

struct ssl_st; /* OpenSSL's SSL */

struct tls_cert;

/* Parses <crt> (PEM: the leaf certificate, then any intermediates) and
 * <key> (PEM private key) and checks that the key belongs to the leaf.
 * Returns the certificate, or NULL with <e> saying what is wrong in words
 * ("tls.key does not match tls.crt"); never quotes either input. */
struct tls_cert *tls_cert_parse(const char *crt, size_t crt_len, const char *key, size_t key_len,
                                struct err *e);
/* A self-signed certificate for unknown names: EC P-256, CN "ferry default
 * certificate", valid for one year from now. NULL with <e> filled. */
struct tls_cert *tls_cert_self_signed(struct err *e);
/* Certificates are refcounted: a route table and the cache below may hold
 * the same one. Both are safe from any thread; the last unref frees.
 * tls_cert_unref(NULL) is ignored. */
struct tls_cert *tls_cert_ref(struct tls_cert *c);
void tls_cert_unref(struct tls_cert *c);
/* The leaf's subject common name into <buf> (for logs and tests). */
void tls_cert_subject(const struct tls_cert *c, char *buf, size_t size);

/* Parsed certificates kept from one route-table build to the next, so that
 * a rebuild parses only the Secrets that changed. An entry is found by a
 * key the caller gives in parts (ferry's: the Secret's namespace and name,
 * then its base64 tls.crt and tls.key), of which the cache keeps only a
 * SHA-256: equal bytes give the same certificate, and no key material is
 * stored. Not thread-safe: the caller serializes builds. */
struct tls_cert_cache;

struct tls_cert_cache *tls_cert_cache_new(void);
/* Drops the cache's references (tables keep theirs). NULL is ignored. */
void tls_cert_cache_free(struct tls_cert_cache *c);
/* The certificate put under this key, with a new reference, or NULL. */
struct tls_cert *tls_cert_cache_get(struct tls_cert_cache *c, const struct iovec *key, int n);
/* Keeps <cert> (the cache takes a reference of its own) under the key.
 * Returns 0 or -ENOMEM. */
int tls_cert_cache_put(struct tls_cert_cache *c, const struct iovec *key, int n,
                       struct tls_cert *cert);
/* Drops the entries no get or put asked for since the last sweep: called
 * after each build, it keeps exactly the certificates of the newest table. */
void tls_cert_cache_sweep(struct tls_cert_cache *c);

/* Chooses the certificate for a handshake. <arg> is what tls_accept was
 * given, <name> the SNI host name (NULL when the client sent none). Returns
 * a certificate that stays valid until the handshake has taken it (the
 * callback runs inside tls_read), or NULL for the server's default. */
typedef const struct tls_cert *(*tls_select_fn)(void *arg, const char *name);

struct tls_server;

/* A server context whose default certificate is <deflt> (owned by the
 * server from now on, also on failure). Ticket keys are made here and
 * rotated every TLS_TICKET_ROTATE_S; the previous key still decrypts. */
struct tls_server *tls_server_new(struct tls_cert *deflt, tls_select_fn select, struct err *e);
void tls_server_free(struct tls_server *s);

#define TLS_TICKET_ROTATE_S 3600

/* A server-side TLS connection on the connected socket <fd>; the handshake
 * happens in the first tls_read. NULL when memory runs out. */
struct ssl_st *tls_accept(struct tls_server *s, int fd, void *arg);
void tls_free(struct ssl_st *ssl);

/* What a -EAGAIN from tls_read or tls_write waits for. */
enum { TLS_WANT_READ = 1, TLS_WANT_WRITE = 2 };

/* Decrypted bytes into <p> (up to <n>): > 0 bytes, 0 at the end of the
 * stream (close_notify or a plain close), -EAGAIN with *want set, or -EIO
 * (a failed handshake, a bad record). */
ssize_t tls_read(struct ssl_st *ssl, char *p, size_t n, int *want);
/* After a tls_read that returned bytes: true when the socket was empty at
 * its last read and OpenSSL holds nothing more, so another tls_read could
 * only say -EAGAIN until the socket is readable again. */
bool tls_read_drained(struct ssl_st *ssl);
/* Encrypts and sends the first bytes of <iov>: gathered into <scratch>
 * (<cap> bytes; the whole of a single iovec goes without a copy). Returns
 * bytes taken (> 0), -EAGAIN with *want set, or -EPIPE. After -EAGAIN
 * the caller must offer the same bytes again (more may follow them). */
ssize_t tls_writev(struct ssl_st *ssl, const struct iovec *iov, int n, char *scratch, size_t cap,
                   int *want);
/* Sends close_notify if the socket takes it now; never blocks. */
void tls_shutdown(struct ssl_st *ssl);

#endif
