/* Request path normalization (src/proxy/path.c): the clean fast path and
 * the normalizer agree; a normalized path is never longer, is a fixed point,
 * and holds none of what the proxy refuses: no "//", no dot-segment, no '\',
 * no %XX of an unreserved character, no %2F/%5C/%00, no lower-case escape. */
#include <assert.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "proxy/path.h"

static int is_hex_upper(char c)
{
    return (c >= '0' && c <= '9') || (c >= 'A' && c <= 'F');
}

static int is_unreserved(unsigned char c)
{
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
           c == '.' || c == '_' || c == '~';
}

static void check_normal(const char *p, size_t n)
{
    assert(n > 0 && p[0] == '/');
    for (size_t i = 0; i < n; i++) {
        assert(p[i] != '\\');
        if (p[i] == '/' && i + 1 < n)
            assert(p[i + 1] != '/');
        if (p[i] == '%') {
            assert(i + 2 < n);
            assert(is_hex_upper(p[i + 1]) && is_hex_upper(p[i + 2]));
            int v = (p[i + 1] <= '9' ? p[i + 1] - '0' : p[i + 1] - 'A' + 10) * 16 +
                    (p[i + 2] <= '9' ? p[i + 2] - '0' : p[i + 2] - 'A' + 10);
            assert(!is_unreserved((unsigned char)v) && v != '/' && v != '\\' && v != 0);
        }
        if (p[i] == '/') {
            /* a segment "." or ".." (possibly followed by ";params") */
            size_t j = i + 1, dots = 0;
            while (j < n && p[j] == '.')
                j++, dots++;
            if (dots == 1 || dots == 2)
                assert(!(j == n || p[j] == '/' || p[j] == ';'));
        }
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > 4096)
        return 0;
    char *in = malloc(size + 1), *out = malloc(size + 1), *again = malloc(size + 1);
    in[0] = '/';
    memcpy(in + 1, data, size);
    size_t len = size + 1;

    ssize_t n = path_normalize(in, len, out, len);
    assert(n != -2); /* normalizing never lengthens a path */
    if (path_is_clean(in, len)) {
        assert(n == (ssize_t)len && !memcmp(in, out, len));
    }
    if (n >= 0) {
        assert((size_t)n <= len);
        check_normal(out, (size_t)n);
        ssize_t m = path_normalize(out, (size_t)n, again, (size_t)n);
        assert(m == n && !memcmp(out, again, (size_t)n));
    }
    free(in);
    free(out);
    free(again);
    return 0;
}
