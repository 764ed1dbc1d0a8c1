/* Request path normalization and refusal. See path.h. */
#include "proxy/path.h"

#include <string.h>

#include "core/text.h"

static int unreserved(unsigned char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
           c == '.' || c == '_' || c == '~';
}

int path_is_clean(const char *path, size_t len)
{
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)path[i];
        if (c == '%' || c == '\\')
            return 0;
        if (c == '/' && i + 1 < len && (path[i + 1] == '/' || path[i + 1] == '.'))
            return 0;
    }
    return 1;
}

/* Is the segment out[start, end) a dot-segment ("." or "..", optionally
 * followed by ";params")? */
static int dot_segment(const char *seg, size_t n)
{
    const char *semi = memchr(seg, ';', n);
    if (semi)
        n = (size_t)(semi - seg);
    return (n == 1 && seg[0] == '.') || (n == 2 && seg[0] == '.' && seg[1] == '.');
}

ssize_t path_normalize(const char *path, size_t len, char *out, size_t cap)
{
    static const char hex[] = "0123456789ABCDEF";
    size_t o = 0, seg = 0; /* seg: start of the current segment in out */
    for (size_t i = 0; i < len;) {
        unsigned char c = (unsigned char)path[i];
        if (c == '\\')
            return -1;
        if (c == '/') {
            if (o > 0 && dot_segment(out + seg, o - seg))
                return -1;
            if (o > 0 && out[o - 1] == '/') { /* merge runs of '/' */
                i++;
                continue;
            }
            if (o >= cap)
                return -2;
            out[o++] = '/';
            seg = o;
            i++;
            continue;
        }
        if (c == '%') {
            if (i + 2 >= len)
                return -1;
            int hi = text_hexval((unsigned char)path[i + 1]),
                lo = text_hexval((unsigned char)path[i + 2]);
            if (hi < 0 || lo < 0)
                return -1;
            unsigned char d = (unsigned char)(hi << 4 | lo);
            if (d == '/' || d == '\\' || d == 0)
                return -1;
            if (unreserved(d)) {
                if (o >= cap)
                    return -2;
                out[o++] = (char)d;
            } else {
                if (o + 3 > cap)
                    return -2;
                out[o++] = '%';
                out[o++] = hex[hi];
                out[o++] = hex[lo];
            }
            i += 3;
            continue;
        }
        if (o >= cap)
            return -2;
        out[o++] = (char)c;
        i++;
    }
    if (o > 0 && dot_segment(out + seg, o - seg))
        return -1;
    return (ssize_t)o;
}
