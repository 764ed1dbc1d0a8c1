/* Base64 as Go's encoding/base64 StdEncoding (kubeconfig data fields,
 * Secrets). */
#include "core/b64.h"

#include <stdlib.h>
#include <string.h>

static const char alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

char *b64_encode(const unsigned char *p, size_t n)
{
    char *out = malloc((n + 2) / 3 * 4 + 1);
    if (!out)
        return NULL;
    size_t w = 0;
    for (size_t i = 0; i < n; i += 3) {
        unsigned v = (unsigned)p[i] << 16;
        if (i + 1 < n)
            v |= (unsigned)p[i + 1] << 8;
        if (i + 2 < n)
            v |= p[i + 2];
        out[w++] = alphabet[(v >> 18) & 63];
        out[w++] = alphabet[(v >> 12) & 63];
        out[w++] = i + 1 < n ? alphabet[(v >> 6) & 63] : '=';
        out[w++] = i + 2 < n ? alphabet[v & 63] : '=';
    }
    out[w] = '\0';
    return out;
}

static int b64_val(int c)
{
    if (c >= 'A' && c <= 'Z')
        return c - 'A';
    if (c >= 'a' && c <= 'z')
        return c - 'a' + 26;
    if (c >= '0' && c <= '9')
        return c - '0' + 52;
    return c == '+' ? 62 : c == '/' ? 63 : -1;
}

int b64_canonical(const char *s, size_t n)
{
    if (n % 4)
        return 0;
    size_t pad = n && s[n - 1] == '=' ? (n > 1 && s[n - 2] == '=' ? 2 : 1) : 0;
    for (size_t i = 0; i < n - pad; i++)
        if (b64_val((unsigned char)s[i]) < 0)
            return 0;
    /* the bits after the last byte must be zero, as the encoder writes them */
    if (pad == 1)
        return (b64_val((unsigned char)s[n - 2]) & 3) == 0;
    if (pad == 2)
        return (b64_val((unsigned char)s[n - 3]) & 15) == 0;
    return 1;
}

int b64_decode(const char *s, unsigned char **out, size_t *n, struct err *e)
{
    return b64_decode_n(s, strlen(s), out, n, e);
}

int b64_decode_n(const char *s, size_t len, unsigned char **out, size_t *n, struct err *e)
{
    unsigned char *o = malloc(len / 4 * 3 + 3);
    if (!o) {
        err_set(e, "out of memory");
        return -2;
    }
    size_t w = 0, i = 0;
    while (i < len) {
        int q[4], got = 0, pad = 0;
        size_t first = i;
        while (got < 4) {
            while (i < len && (s[i] == '\r' || s[i] == '\n'))
                i++;
            if (i >= len) {
                if (got == 0)
                    goto done;
                free(o);
                return err_set(e, "illegal base64 data at input byte %zu", first);
            }
            if (s[i] == '=') {
                if (got < 2) {
                    free(o);
                    return err_set(e, "illegal base64 data at input byte %zu", i);
                }
                pad = 4 - got;
                i++;
                if (pad == 2) {
                    while (i < len && (s[i] == '\r' || s[i] == '\n'))
                        i++;
                    if (i >= len || s[i] != '=') {
                        free(o);
                        return err_set(e, "illegal base64 data at input byte %zu",
                                       i >= len ? len : i - 1);
                    }
                    i++;
                }
                while (i < len && (s[i] == '\r' || s[i] == '\n'))
                    i++;
                if (i < len) {
                    free(o);
                    return err_set(e, "illegal base64 data at input byte %zu", i);
                }
                break;
            }
            int v = b64_val((unsigned char)s[i]);
            if (v < 0) {
                free(o);
                return err_set(e, "illegal base64 data at input byte %zu", i);
            }
            q[got++] = v;
            i++;
        }
        unsigned v = (unsigned)q[0] << 18 | (unsigned)q[1] << 12;
        if (got > 2)
            v |= (unsigned)q[2] << 6;
        if (got > 3)
            v |= (unsigned)q[3];
        o[w++] = (unsigned char)(v >> 16);
        if (got > 2)
            o[w++] = (unsigned char)(v >> 8);
        if (got > 3)
            o[w++] = (unsigned char)v;
        if (pad)
            break;
    }
done:
    *out = o;
    *n = w;
    return 0;
}
