/* libFuzzer target for the HTTP/1.1 head parser (src/http/h1.c).
 *
 * Input: byte 0 picks the mode (request or response, the method answered,
 * default or tiny limits), bytes 1-2 a split point; the rest is the data.
 * The head is parsed in one call, then again in two calls split at the chosen
 * point with the buffer moved in between, then without the SIMD fast paths,
 * then byte by byte: all must give the same verdict and the same slices. Successful parses are also
 * checked against the grammar (what a slice may contain). */
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

#define MAXH 64

struct run {
    int rc, err, status;
    uint32_t pos; /* where an error was found */
    struct h1_msg m;
    struct h1_header h[MAXH];
};

struct mode {
    int response;
    int method;
    struct h1_limits lim;
};

static int parse(const struct mode *md, struct h1_parser *p, struct h1_msg *m, const char *b,
                 size_t n)
{
    return md->response ? h1_parse_response(p, m, b, n, md->method) : h1_parse_request(p, m, b, n);
}

static void begin(const struct mode *md, struct h1_parser *p, struct run *r)
{
    h1_parser_init(p, &md->lim);
    h1_msg_init(&r->m, r->h, MAXH);
}

static void end(struct run *r, const struct h1_parser *p, int rc)
{
    r->rc = rc;
    r->err = rc == H1_ERROR ? p->err : 0;
    r->status = rc == H1_ERROR ? p->status : 0;
    r->pos = rc == H1_ERROR ? p->pos : 0;
}

static ptrdiff_t rel(const char *p, const char *base)
{
    return p ? p - base : -1;
}

static void same_slice(struct h1_slice a, const char *ab, struct h1_slice b, const char *bb)
{
    CHECK(rel(a.p, ab) == rel(b.p, bb) && a.len == b.len);
}

static void same(const struct run *a, const char *ab, const struct run *b, const char *bb)
{
    CHECK(a->rc == b->rc && a->err == b->err && a->status == b->status && a->pos == b->pos);
    if (a->rc == H1_AGAIN || a->rc == H1_ERROR)
        return;
    CHECK(a->m.head_len == b->m.head_len);
    if (a->rc == H1_H2_PREFACE)
        return;
    CHECK(a->m.method == b->m.method && a->m.target_form == b->m.target_form);
    same_slice(a->m.method_s, ab, b->m.method_s, bb);
    same_slice(a->m.target, ab, b->m.target, bb);
    same_slice(a->m.authority, ab, b->m.authority, bb);
    same_slice(a->m.reason, ab, b->m.reason, bb);
    same_slice(a->m.host, ab, b->m.host, bb);
    same_slice(a->m.upgrade, ab, b->m.upgrade, bb);
    CHECK(a->m.status == b->m.status && a->m.version == b->m.version);
    CHECK(a->m.body == b->m.body && a->m.conn == b->m.conn && a->m.flags == b->m.flags);
    CHECK(a->m.content_length == b->m.content_length);
    CHECK(a->m.nheaders == b->m.nheaders && a->m.nskip == b->m.nskip);
    for (uint32_t i = 0; i < a->m.nheaders; i++) {
        const struct h1_header *x = &a->m.headers[i], *y = &b->m.headers[i];
        CHECK(rel(x->name, ab) == rel(y->name, bb) && rel(x->value, ab) == rel(y->value, bb));
        CHECK(x->name_len == y->name_len && x->value_len == y->value_len);
        CHECK(x->id == y->id && x->flags == y->flags);
    }
}

static int tchar(unsigned char c)
{
    return (c >= '0' && c <= '9') || ((c | 0x20) >= 'a' && (c | 0x20) <= 'z') ||
           (c && strchr("!#$%&'*+-.^_`|~", c));
}

static void within(const char *p, size_t n, const char *b, size_t hl)
{
    CHECK(p >= b && p + n <= b + hl);
}

/* What a successful parse promises about its slices. */
static void grammar(const struct mode *md, const struct run *r, const char *b, size_t n)
{
    const struct h1_msg *m = &r->m;
    CHECK(r->rc == (int)m->head_len && m->head_len <= n && m->head_len >= 4);
    CHECK(memcmp(b + m->head_len - 4, "\r\n\r\n", 4) == 0 ||
          (m->nheaders == 0 && memcmp(b + m->head_len - 2, "\r\n", 2) == 0));
    CHECK(m->version <= 1);
    if (!md->response) {
        within(m->method_s.p, m->method_s.len, b, m->head_len);
        within(m->target.p, m->target.len, b, m->head_len);
        CHECK(m->method_s.len > 0 && m->target.len > 0);
        for (size_t i = 0; i < m->method_s.len; i++)
            CHECK(tchar((unsigned char)m->method_s.p[i]));
        for (size_t i = 0; i < m->target.len; i++) {
            unsigned char c = (unsigned char)m->target.p[i];
            CHECK(c > 0x20 && c != 0x7f && c != '#');
        }
        if (m->version == 1)
            CHECK(m->host.p != NULL);
        CHECK(m->body == H1_BODY_NONE || m->body == H1_BODY_LENGTH || m->body == H1_BODY_CHUNKED);
    } else {
        CHECK(m->status >= 100 && m->status <= 599);
    }
    CHECK(m->content_length <= UINT64_C(0x7fffffffffffffff));
    int cl = 0, te = 0;
    uint32_t skip = 0;
    for (uint32_t i = 0; i < m->nheaders; i++) {
        const struct h1_header *h = &m->headers[i];
        within(h->name, h->name_len, b, m->head_len);
        within(h->value, h->value_len, b, m->head_len);
        CHECK(h->name_len > 0);
        for (uint32_t k = 0; k < h->name_len; k++)
            CHECK(tchar((unsigned char)h->name[k]));
        CHECK(h->name[h->name_len] == ':');
        for (uint32_t k = 0; k < h->value_len; k++) {
            unsigned char c = (unsigned char)h->value[k];
            CHECK(c == '\t' || (c >= 0x20 && c != 0x7f));
        }
        if (h->value_len) {
            CHECK(h->value[0] != ' ' && h->value[0] != '\t');
            CHECK(h->value[h->value_len - 1] != ' ' && h->value[h->value_len - 1] != '\t');
        }
        cl += h->id == H1_H_CONTENT_LENGTH;
        te += h->id == H1_H_TRANSFER_ENCODING;
        skip += h->flags != 0;
    }
    CHECK(skip == m->nskip);
    CHECK(!(cl && te));
    if (m->body == H1_BODY_CHUNKED)
        CHECK(te == 1);
    if (m->body == H1_BODY_LENGTH)
        CHECK(cl >= 1);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const int methods[] = {H1_M_GET, H1_M_HEAD, H1_M_CONNECT, H1_M_POST};
    if (size < 3)
        return 0;
    struct mode md;
    memset(&md, 0, sizeof(md));
    md.response = data[0] & 1;
    md.method = methods[(data[0] >> 1) & 3];
    if (data[0] & 8) {
        md.lim.max_start_line = 40;
        md.lim.max_header_bytes = 64;
        md.lim.max_headers = 3;
    }
    if (data[0] & 16)
        md.lim.flags = H1_ALLOW_8BIT_TARGET;
    size_t n = size - 3;
    size_t split = n ? ((size_t)data[1] << 8 | data[2]) % (n + 1) : 0;
    const char *in = (const char *)data + 3;

    struct run *a = malloc(sizeof(*a)), *b = malloc(sizeof(*b));
    char *one = malloc(n + 1), *two = malloc(n + 1);
    CHECK(a && b && one && two);
    memcpy(one, in, n);
    memcpy(two, in, n);
    struct h1_parser p;

    begin(&md, &p, a);
    end(a, &p, parse(&md, &p, &a->m, one, n));
    if (a->rc > 0)
        grammar(&md, a, one, n);

    /* two calls, the buffer moved in between */
    begin(&md, &p, b);
    int rc = parse(&md, &p, &b->m, one, split);
    if (rc == H1_AGAIN)
        rc = parse(&md, &p, &b->m, two, n);
    end(b, &p, rc);
    same(a, one, b, p.base == two ? two : one);

    /* without the SIMD fast paths */
    struct mode slow = md;
    slow.lim.flags |= H1_NO_AVX2 | H1_NO_FAST_PATH;
    begin(&slow, &p, b);
    end(b, &p, parse(&slow, &p, &b->m, one, n));
    same(a, one, b, one);
    slow.lim.flags = md.lim.flags | H1_NO_AVX2;
    begin(&slow, &p, b);
    end(b, &p, parse(&slow, &p, &b->m, one, n));
    same(a, one, b, one);

    /* byte by byte */
    begin(&md, &p, b);
    rc = H1_AGAIN;
    for (size_t i = 0; i <= n && rc == H1_AGAIN; i++)
        rc = parse(&md, &p, &b->m, one, i);
    end(b, &p, rc);
    same(a, one, b, one);

    free(a);
    free(b);
    free(one);
    free(two);
    return 0;
}
