/* S3's XML answers: see s3_xml.h. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "storage/s3_xml.h"

#include "core/json.h"
#include "core/text.h"

/* The raw content [*a, *b) of the first <tag>...</tag> in [p, end).
 * 1 when found, else 0. */
static int xml_find(const char *p, const char *end, const char *tag, const char **a, const char **b)
{
    char open[64], close[64];
    snprintf(open, sizeof open, "<%s>", tag);
    snprintf(close, sizeof close, "</%s>", tag);
    const char *x = memmem(p, (size_t)(end - p), open, strlen(open));
    if (!x)
        return 0;
    x += strlen(open);
    const char *y = memmem(x, (size_t)(end - x), close, strlen(close));
    if (!y)
        return 0;
    *a = x;
    *b = y;
    return 1;
}

/* Appends the text [a, b) with XML's entities and character references
 * decoded. 0, or -1 when out of memory. */
static int xml_text(const char *a, const char *b, struct buf *out)
{
    static const struct {
        const char *ent;
        char c;
    } ents[] = {{"&amp;", '&'}, {"&lt;", '<'}, {"&gt;", '>'}, {"&quot;", '"'}, {"&apos;", '\''}};
    while (a < b) {
        int done = 0;
        if (*a == '&') {
            for (size_t i = 0; i < sizeof ents / sizeof *ents && !done; i++) {
                size_t n = strlen(ents[i].ent);
                if ((size_t)(b - a) >= n && !memcmp(a, ents[i].ent, n)) {
                    if (buf_addc(out, ents[i].c) < 0)
                        return -1;
                    a += n;
                    done = 1;
                }
            }
            if (!done && a + 2 < b && a[1] == '#') {
                /* &#NN; and &#xHH;: a code point, written as UTF-8; a
                 * surrogate is none, and stays text */
                char *stop;
                int hex = a[2] == 'x' || a[2] == 'X';
                unsigned long cp = strtoul(a + 2 + hex, &stop, hex ? 16 : 10);
                if (stop < b && *stop == ';' && cp > 0 && cp <= 0x10FFFF &&
                    (cp < 0xD800 || cp > 0xDFFF)) {
                    char u[4];
                    if (buf_add(out, u, json_rune_encode((uint32_t)cp, u)) < 0)
                        return -1;
                    a = stop + 1;
                    done = 1;
                }
            }
        }
        if (!done && buf_addc(out, *a++) < 0)
            return -1;
    }
    return 0;
}

int s3_xml_get(const char *p, const char *end, const char *tag, struct buf *out)
{
    const char *a, *b;
    if (!xml_find(p, end, tag, &a, &b))
        return 0;
    return xml_text(a, b, out) < 0 ? -1 : 1;
}

time_t s3_time_parse(const char *s, const char *fmt)
{
    struct tm tm;
    memset(&tm, 0, sizeof tm);
    return strptime(s, fmt, &tm) ? timegm(&tm) : 0;
}

static int by_key(const void *a, const void *b)
{
    return strcmp(((const struct s3_entry *)a)->key, ((const struct s3_entry *)b)->key);
}

void s3_entries_free(struct s3_entry *v, long n)
{
    for (long i = 0; i < n; i++)
        free(v[i].key);
    free(v);
}

long s3_xml_list_page(const char *prefix, const char *p, const char *end, struct s3_entry **out)
{
    long n = 0, cap = 0;
    size_t pl = strlen(prefix);
    struct s3_entry *v = NULL;
    static const char *const kinds[] = {"Contents", "CommonPrefixes"};
    for (int kind = 0; kind < 2; kind++) {
        const char *at = p, *a, *b;
        while (xml_find(at, end, kinds[kind], &a, &b)) {
            at = b;
            struct buf k = BUF_INIT, sz = BUF_INIT, lm = BUF_INIT;
            if (n == cap) {
                cap = cap ? cap * 2 : 64;
                struct s3_entry *nv = realloc(v, (size_t)cap * sizeof *nv);
                if (!nv)
                    goto fail;
                v = nv;
            }
            int got = s3_xml_get(a, b, kind ? "Prefix" : "Key", &k);
            if (!kind && got == 1 &&
                (s3_xml_get(a, b, "Size", &sz) < 0 || s3_xml_get(a, b, "LastModified", &lm) < 0))
                got = -1;
            /* a key outside <prefix> was not asked for: not ours */
            if (got == 1 && !strncmp(buf_str(&k), prefix, pl)) {
                struct s3_entry *en = &v[n];
                en->key = strdup(buf_str(&k) + pl);
                en->is_prefix = kind;
                en->size = sz.len ? strtoll(sz.p, NULL, 10) : 0;
                int64_t t;
                en->mtime = lm.len && text_rfc3339_parse(lm.p, &t) == 0 ? (time_t)t : 0;
                got = en->key ? 1 : -1;
                n += got == 1;
            }
            buf_fini(&k);
            buf_fini(&sz);
            buf_fini(&lm);
            if (got < 0)
                goto fail;
        }
    }
    /* S3 gives keys and common prefixes apart, each sorted: one order */
    if (n)
        qsort(v, (size_t)n, sizeof *v, by_key);
    *out = v;
    return n;
fail:
    s3_entries_free(v, n);
    *out = NULL;
    return -1;
}
