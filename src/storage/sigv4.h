/* AWS Signature Version 4 (the Authorization header), on OpenSSL.
 *
 * Written here rather than taken from libcurl's CURLOPT_AWS_SIGV4 because
 * libcurl 7.88 hashes only CURLOPT_POSTFIELDS bodies: an upload from a read
 * callback is signed as if it were empty, and S3 rejects it. Tested with
 * AWS's published test suite (tests/unit/test_storage.c). */
#ifndef FERRY_STORAGE_SIGV4_H
#define FERRY_STORAGE_SIGV4_H

#include <stddef.h>

#include "core/buf.h"

struct sigv4_param {
    const char *key, *value; /* raw; encoded by the signer */
};

struct sigv4_header {
    const char *name, *value; /* any case; the value is trimmed by the signer */
};

struct sigv4_request {
    const char *method;
    const char *path; /* raw ("/bucket/a b"); each byte but '/' is encoded once */
    const struct sigv4_param *query;
    size_t nquery;
    const struct sigv4_header *headers; /* the headers to sign, host included */
    size_t nheaders;
    const char *payload_hash; /* hex SHA-256 of the body (or "UNSIGNED-PAYLOAD") */
};

struct sigv4_key {
    const char *access_key, *secret_key;
    const char *region, *service;
};

/* Appends "AWS4-HMAC-SHA256 Credential=..., SignedHeaders=..., Signature=..."
 * for <r> made at <amz_date> ("20150830T123600Z") to <out>. 0, or -1 when
 * out of memory or on a malformed request. */
int sigv4_authorization(const struct sigv4_request *r, const struct sigv4_key *k,
                        const char *amz_date, struct buf *out);

/* The canonical request (the signature's first step), for tests and -v. */
int sigv4_canonical_request(const struct sigv4_request *r, struct buf *out);

/* Hex SHA-256 of <n> bytes: 64 characters and a NUL in <hex>. */
void sigv4_sha256_hex(const void *p, size_t n, char hex[65]);

/* Appends <s> URI-encoded as SigV4 wants it: everything but A-Z a-z 0-9
 * - . _ ~ as %XX (upper-case), and '/' too unless <keep_slash>. */
int sigv4_uri_encode(struct buf *out, const char *s, int keep_slash);

#endif
