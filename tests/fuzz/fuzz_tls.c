/* libFuzzer target for certificate loading (src/http/tls.c
 * tls_cert_parse): a Secret's tls.crt (leaf, then intermediates) and
 * tls.key, both PEM.
 *
 * Input: tls.crt, a NUL byte, tls.key (no NUL: the key is empty). A pair
 * that loads is asked for its subject and released. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "http/tls.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *in = (const char *)data;
    const char *nul = memchr(in, '\0', size);
    size_t crt_len = nul ? (size_t)(nul - in) : size;
    const char *key = nul ? nul + 1 : "";
    size_t key_len = nul ? size - crt_len - 1 : 0;
    struct err e;
    struct tls_cert *c = tls_cert_parse(in, crt_len, key, key_len, &e);
    if (c) {
        char subject[256];
        tls_cert_subject(c, subject, sizeof subject);
        tls_cert_unref(c);
    }
    return 0;
}
