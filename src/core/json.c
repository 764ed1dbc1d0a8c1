/* JSON output as Go's encoding/json writes it.
 *
 * kubectl prints `-o json` with json.MarshalIndent(obj, "", "    "), so every
 * byte here follows Go: the string escaper of encodeState.string with HTML
 * escaping on, floatEncoder for float64, and the layout of json.Indent. */
#include "core/json.h"

#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Decodes one UTF-8 sequence as Go's utf8.DecodeRuneInString does: returns
 * its width and sets *r, or returns 1 with *r = U+FFFD for an invalid byte
 * (overlong forms, surrogates and code points past U+10FFFF included). */
static size_t decode_rune(const unsigned char *s, size_t n, uint32_t *r)
{
    unsigned char c = s[0];
    if (c < 0x80) {
        *r = c;
        return 1;
    }
    *r = 0xFFFD;
    if (c < 0xC2 || c > 0xF4)
        return 1;
    size_t w = c < 0xE0 ? 2 : c < 0xF0 ? 3 : 4;
    if (n < w)
        return 1;
    unsigned char lo = 0x80, hi = 0xBF;
    if (c == 0xE0)
        lo = 0xA0;
    else if (c == 0xED)
        hi = 0x9F;
    else if (c == 0xF0)
        lo = 0x90;
    else if (c == 0xF4)
        hi = 0x8F;
    if (s[1] < lo || s[1] > hi)
        return 1;
    for (size_t i = 2; i < w; i++)
        if (s[i] < 0x80 || s[i] > 0xBF)
            return 1;
    if (w == 2)
        *r = (uint32_t)(c & 0x1F) << 6 | (s[1] & 0x3F);
    else if (w == 3)
        *r = (uint32_t)(c & 0x0F) << 12 | (uint32_t)(s[1] & 0x3F) << 6 | (s[2] & 0x3F);
    else
        *r = (uint32_t)(c & 0x07) << 18 | (uint32_t)(s[1] & 0x3F) << 12 |
             (uint32_t)(s[2] & 0x3F) << 6 | (s[3] & 0x3F);
    return w;
}

static int add_string(struct buf *out, const char *str, size_t n)
{
    static const char hex[] = "0123456789abcdef";
    const unsigned char *s = (const unsigned char *)str;
    size_t i = 0, start = 0;

    if (buf_addc(out, '"') < 0)
        return -ENOMEM;
    while (i < n) {
        unsigned char c = s[i];
        const char *esc = NULL;
        char ubuf[7];
        size_t w = 1;
        if (c < 0x80) {
            if (c >= 0x20 && c != '"' && c != '\\' && c != '<' && c != '>' && c != '&') {
                i++;
                continue;
            }
            switch (c) {
            case '"':
                esc = "\\\"";
                break;
            case '\\':
                esc = "\\\\";
                break;
            case '\b':
                esc = "\\b";
                break;
            case '\f':
                esc = "\\f";
                break;
            case '\n':
                esc = "\\n";
                break;
            case '\r':
                esc = "\\r";
                break;
            case '\t':
                esc = "\\t";
                break;
            default:
                /* Other control bytes, and <, >, & (Go's HTML-safe escaping). */
                snprintf(ubuf, sizeof ubuf, "\\u00%c%c", hex[c >> 4], hex[c & 0xF]);
                esc = ubuf;
                break;
            }
        } else {
            uint32_t r;
            w = decode_rune(s + i, n - i, &r);
            if (r == 0xFFFD && w == 1)
                esc = "\\ufffd";
            else if (r == 0x2028)
                esc = "\\u2028";
            else if (r == 0x2029)
                esc = "\\u2029";
            if (!esc) {
                i += w;
                continue;
            }
        }
        if (buf_add(out, s + start, i - start) < 0 || buf_adds(out, esc) < 0)
            return -ENOMEM;
        i += w;
        start = i;
    }
    if (buf_add(out, s + start, n - start) < 0 || buf_addc(out, '"') < 0)
        return -ENOMEM;
    return 0;
}

/* Shortest decimal digits that read back as <f> (finite, non-zero, taken
 * as positive), like strconv's shortest mode: digits in <digs> (no dot,
 * NUL-terminated), value = 0.<digs> * 10^*dp. Among the shortest strings
 * the closest one wins, which "%.*e" gives except next to a power of two,
 * where the rounding interval is lopsided and a neighbour may be needed. */
static void shortest_digits(double f, char *digs, int *dp)
{
    char tmp[64];
    f = fabs(f);
    for (int p = 1; p <= 17; p++) {
        snprintf(tmp, sizeof tmp, "%.*e", p - 1, f);
        char *e = strchr(tmp, 'e');
        int exp = atoi(e + 1);
        char d[32];
        int nd = 0;
        for (char *q = tmp; q < e; q++)
            if (*q != '.')
                d[nd++] = *q;
        d[nd] = '\0';
        int ok = strtod(tmp, NULL) == f;
        for (int delta = -1; !ok && delta <= 1 && p < 17; delta += 2) {
            /* The p-digit neighbours of the nearest p-digit number. */
            char c[32];
            memcpy(c, d, (size_t)nd + 1);
            int i = nd - 1, cexp = exp;
            if (delta > 0) {
                while (i >= 0 && c[i] == '9')
                    c[i--] = '0';
                if (i < 0) {
                    memmove(c + 1, c, (size_t)nd + 1);
                    c[0] = '1';
                    c[nd] = '\0';
                    cexp++;
                } else {
                    c[i]++;
                }
            } else {
                while (i >= 0 && c[i] == '0')
                    c[i--] = '9';
                if (i < 0 || (i == 0 && c[0] == '1' && nd == 1))
                    continue;
                c[i]--;
                if (c[0] == '0')
                    continue;
            }
            char t2[64];
            snprintf(t2, sizeof t2, "%c.%se%d", c[0], c + 1, cexp);
            if (strtod(t2, NULL) == f) {
                memcpy(d, c, (size_t)nd + 1);
                exp = cexp;
                ok = 1;
            }
        }
        if (ok || p == 17) {
            while (nd > 1 && d[nd - 1] == '0')
                d[--nd] = '\0';
            memcpy(digs, d, (size_t)nd + 1);
            *dp = exp + 1;
            return;
        }
    }
}

/* Go's floatEncoder for float64: %f between 1e-6 and 1e21, %e outside with
 * "e-07" shortened to "e-7"; both with the shortest digits. */
static int add_float(struct buf *out, double f)
{
    char digs[32], s[64];
    int dp, nd, n = 0;

    if (!isfinite(f))
        return -EINVAL;
    if (f == 0)
        return buf_adds(out, signbit(f) ? "-0" : "0");
    shortest_digits(f, digs, &dp);
    nd = (int)strlen(digs);
    if (f < 0)
        s[n++] = '-';
    double a = fabs(f);
    if (a < 1e-6 || a >= 1e21) {
        int exp = dp - 1;
        s[n++] = digs[0];
        if (nd > 1) {
            s[n++] = '.';
            for (int i = 1; i < nd; i++)
                s[n++] = digs[i];
        }
        n += snprintf(s + n, sizeof s - (size_t)n, "e%c%d", exp < 0 ? '-' : '+', abs(exp));
    } else {
        if (dp <= 0) {
            s[n++] = '0';
        } else {
            for (int i = 0; i < dp; i++)
                s[n++] = i < nd ? digs[i] : '0';
        }
        if (nd > dp) {
            s[n++] = '.';
            for (int i = dp; i < nd; i++)
                s[n++] = i < 0 ? '0' : digs[i];
        }
    }
    return buf_add(out, s, (size_t)n);
}

static int add_newline(struct buf *out, int indent, int level)
{
    if (buf_addc(out, '\n') < 0)
        return -ENOMEM;
    for (int i = 0; i < indent * level; i++)
        if (buf_addc(out, ' ') < 0)
            return -ENOMEM;
    return 0;
}

static int emit(const json_t *v, int indent, int level, struct buf *out)
{
    char num[32];
    size_t i, n;

    switch (json_typeof(v)) {
    case JSON_OBJECT: {
        const char *key;
        json_t *val;
        int first = 1;
        if (json_object_size(v) == 0)
            return buf_adds(out, "{}");
        if (buf_addc(out, '{') < 0)
            return -ENOMEM;
        /* json_object_foreach wants a non-const object; it does not change it. */
        json_t *obj = (json_t *)v;
        void *it;
        for (it = json_object_iter(obj); it; it = json_object_iter_next(obj, it)) {
            key = json_object_iter_key(it);
            val = json_object_iter_value(it);
            n = json_object_iter_key_len(it);
            if (!first && buf_addc(out, ',') < 0)
                return -ENOMEM;
            first = 0;
            if (indent > 0 && add_newline(out, indent, level + 1) < 0)
                return -ENOMEM;
            if (add_string(out, key, n) < 0)
                return -ENOMEM;
            if (buf_adds(out, indent > 0 ? ": " : ":") < 0)
                return -ENOMEM;
            int rc = emit(val, indent, level + 1, out);
            if (rc < 0)
                return rc;
        }
        if (indent > 0 && add_newline(out, indent, level) < 0)
            return -ENOMEM;
        return buf_addc(out, '}');
    }
    case JSON_ARRAY:
        n = json_array_size(v);
        if (n == 0)
            return buf_adds(out, "[]");
        if (buf_addc(out, '[') < 0)
            return -ENOMEM;
        for (i = 0; i < n; i++) {
            if (i > 0 && buf_addc(out, ',') < 0)
                return -ENOMEM;
            if (indent > 0 && add_newline(out, indent, level + 1) < 0)
                return -ENOMEM;
            int rc = emit(json_array_get(v, i), indent, level + 1, out);
            if (rc < 0)
                return rc;
        }
        if (indent > 0 && add_newline(out, indent, level) < 0)
            return -ENOMEM;
        return buf_addc(out, ']');
    case JSON_STRING:
        return add_string(out, json_string_value(v), json_string_length(v));
    case JSON_INTEGER:
        snprintf(num, sizeof num, "%" JSON_INTEGER_FORMAT, json_integer_value(v));
        return buf_adds(out, num);
    case JSON_REAL:
        return add_float(out, json_real_value(v));
    case JSON_TRUE:
        return buf_adds(out, "true");
    case JSON_FALSE:
        return buf_adds(out, "false");
    case JSON_NULL:
        return buf_adds(out, "null");
    }
    return -EINVAL;
}

int json_emit_go(const json_t *v, int indent, struct buf *out)
{
    if (!v)
        return buf_adds(out, "null");
    return emit(v, indent < 0 ? 0 : indent, 0, out);
}
