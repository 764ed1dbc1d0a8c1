/* libFuzzer target for the chunked decoder (src/http/h1.c).
 *
 * Input: byte 0 picks the limits and whether trailers are kept, byte 1 a
 * read size; the rest is a chunked body. The body is decoded three ways, as
 * a proxy reading from a socket would (consumed bytes leave the buffer, the
 * rest waits for the next read): all at once, in reads of the chosen size,
 * and byte by byte. The verdict, the bytes consumed, the data and the
 * trailers must be the same every time. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "http/h1.h"

#define CHECK(c)                                                                                   \
    do {                                                                                           \
        if (!(c))                                                                                  \
            abort();                                                                               \
    } while (0)

struct result {
    int error, err, done;
    size_t consumed, ntrailers;
    char *data; /* the decoded bytes */
    size_t len;
    char *trailers; /* "name\0value\0" for each */
    size_t tlen;
};

static void decode(const char *in, size_t n, size_t step, const struct h1_limits *lim, int keep,
                   struct result *r)
{
    struct h1_header tr[8];
    struct h1_chunked c;
    h1_chunked_init(&c, lim, keep ? tr : NULL, keep ? 8 : 0);
    memset(r, 0, sizeof(*r));
    r->data = malloc(n + 1);
    r->trailers = malloc(2 * n + 2);
    char *buf = malloc(n + 1);
    CHECK(r->data && r->trailers && buf);
    size_t have = 0, fed = 0;
    for (;;) {
        size_t more = step < n - fed ? step : n - fed;
        memcpy(buf + have, in + fed, more);
        have += more;
        fed += more;
        for (;;) {
            struct h1_slice s;
            ptrdiff_t got = h1_chunked_decode(&c, buf, have, &s);
            if (got < 0) {
                r->error = 1;
                r->err = c.err;
                CHECK(s.len == 0 && c.err != 0);
                goto out;
            }
            CHECK((size_t)got <= have);
            if (s.len) {
                CHECK(s.p >= buf && s.p + s.len <= buf + got);
                memcpy(r->data + r->len, s.p, s.len);
                r->len += s.len;
            }
            if (c.done && c.trailers.nheaders) {
                /* slices of the trailer section: copy before the bytes go */
                for (uint32_t i = 0; i < c.trailers.nheaders; i++) {
                    const struct h1_header *h = &c.trailers.headers[i];
                    CHECK(h->name >= buf && h->value + h->value_len <= buf + got);
                    memcpy(r->trailers + r->tlen, h->name, h->name_len);
                    r->tlen += h->name_len;
                    r->trailers[r->tlen++] = '\0';
                    memcpy(r->trailers + r->tlen, h->value, h->value_len);
                    r->tlen += h->value_len;
                    r->trailers[r->tlen++] = '\0';
                }
            }
            memmove(buf, buf + got, have - (size_t)got);
            have -= (size_t)got;
            r->consumed += (size_t)got;
            if (c.done || got == 0)
                break;
        }
        if (c.done || fed == n)
            break;
    }
    r->done = c.done;
    r->ntrailers = c.trailers.nheaders;
    CHECK(c.total == r->len);
    if (r->done)
        CHECK(have == fed - r->consumed);
out:
    free(buf);
}

static void release(struct result *r)
{
    free(r->data);
    free(r->trailers);
}

static void same(const struct result *a, const struct result *b)
{
    CHECK(a->error == b->error && a->err == b->err);
    if (a->error)
        return; /* the data of the failing read is not reported: amounts may differ */
    CHECK(a->done == b->done && a->consumed == b->consumed);
    CHECK(a->len == b->len && memcmp(a->data, b->data, a->len) == 0);
    CHECK(a->ntrailers == b->ntrailers && a->tlen == b->tlen &&
          memcmp(a->trailers, b->trailers, a->tlen) == 0);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 2)
        return 0;
    struct h1_limits lim;
    memset(&lim, 0, sizeof(lim));
    if (data[0] & 1) {
        lim.max_chunk_line = 12;
        lim.max_header_bytes = 24;
        lim.max_headers = 2;
    }
    int keep = (data[0] >> 1) & 1;
    size_t step = data[1] ? data[1] : 1;
    const char *in = (const char *)data + 2;
    size_t n = size - 2;

    struct result whole, split, bytes;
    decode(in, n, n ? n : 1, &lim, keep, &whole);
    decode(in, n, step, &lim, keep, &split);
    decode(in, n, 1, &lim, keep, &bytes);
    same(&whole, &split);
    same(&whole, &bytes);
    release(&whole);
    release(&split);
    release(&bytes);
    return 0;
}
