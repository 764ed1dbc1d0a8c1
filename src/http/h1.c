/* Strict HTTP/1.1 parsing. See h1.h for the contract and
 * docs/internals/http1.md for the strictness choices and their reasons.
 *
 * Shape: one resumable state machine for a head (start line + field section),
 * shared by requests, responses and chunked trailers. The scanners (names
 * through a 256-byte class table, the request-target and field values 16 or
 * 32 bytes at a time with SSE2/AVX2) run until they find the byte that ends
 * the element or reach the end of the data; only then is the state written
 * back. Complete field lines of the usual shape take a faster road: they are
 * read off bit masks computed 64 bytes at a time (see st_line), and anything
 * unusual goes back to the byte-wise code, which is the reference.
 * Limits are enforced by clamping the end of the data the scanners may look
 * at: running into the clamp while the buffer holds more is the limit error,
 * so a head that never ends is cut off as soon as it is too long. */
#include "http/h1.h"

#include <string.h>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif
/* AVX2 versions of the two hottest scanners, chosen at run time: the build
 * stays baseline x86-64 (SSE2), and other CPUs use the portable loops. */
#if defined(__SSE2__) && defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#include <immintrin.h>
#define H1_AVX2 1
#define HAVE_AVX2() __builtin_cpu_supports("avx2")
#else
#define H1_AVX2 0
#define HAVE_AVX2() 0
#endif

#define LIKELY(x) __builtin_expect(!!(x), 1)
#define UNLIKELY(x) __builtin_expect(!!(x), 0)

/* Character classes (generated; tests/unit/test_h1.c checks every byte
 * against the RFC definitions). */
#define C_TCHAR 0x01u  /* token character, RFC 9110 5.6.2 */
#define C_VALUE 0x02u  /* field-vchar / SP / HTAB, RFC 9110 5.5 (obs-text allowed) */
#define C_TARGET 0x04u /* request-target: VCHAR except "#" */
#define C_HEX 0x08u    /* HEXDIG */
#define C_HOST 0x10u   /* reg-name: unreserved / sub-delims (RFC 3986); "%" apart */
#define C_QDTEXT 0x20u /* quoted-string text: HTAB SP ! #-[ ]-~ obs-text */
#define C_OWS 0x40u    /* SP, HTAB */

static const unsigned char cls[256] = {
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x62, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    0x62, 0x37, 0x06, 0x23, 0x37, 0x27, 0x37, 0x37, 0x36, 0x36, 0x37, 0x37, 0x36, 0x37, 0x37, 0x26,
    0x3f, 0x3f, 0x3f, 0x3f, 0x3f, 0x3f, 0x3f, 0x3f, 0x3f, 0x3f, 0x26, 0x36, 0x26, 0x36, 0x26, 0x26,
    0x26, 0x3f, 0x3f, 0x3f, 0x3f, 0x3f, 0x3f, 0x37, 0x37, 0x37, 0x37, 0x37, 0x37, 0x37, 0x37, 0x37,
    0x37, 0x37, 0x37, 0x37, 0x37, 0x37, 0x37, 0x37, 0x37, 0x37, 0x37, 0x26, 0x06, 0x26, 0x27, 0x37,
    0x27, 0x3f, 0x3f, 0x3f, 0x3f, 0x3f, 0x3f, 0x37, 0x37, 0x37, 0x37, 0x37, 0x37, 0x37, 0x37, 0x37,
    0x37, 0x37, 0x37, 0x37, 0x37, 0x37, 0x37, 0x37, 0x37, 0x37, 0x37, 0x26, 0x27, 0x26, 0x37, 0x00,
    0x22, 0x22, 0x22, 0x22, 0x22, 0x22, 0x22, 0x22, 0x22, 0x22, 0x22, 0x22, 0x22, 0x22, 0x22, 0x22,
    0x22, 0x22, 0x22, 0x22, 0x22, 0x22, 0x22, 0x22, 0x22, 0x22, 0x22, 0x22, 0x22, 0x22, 0x22, 0x22,
    0x22, 0x22, 0x22, 0x22, 0x22, 0x22, 0x22, 0x22, 0x22, 0x22, 0x22, 0x22, 0x22, 0x22, 0x22, 0x22,
    0x22, 0x22, 0x22, 0x22, 0x22, 0x22, 0x22, 0x22, 0x22, 0x22, 0x22, 0x22, 0x22, 0x22, 0x22, 0x22,
    0x22, 0x22, 0x22, 0x22, 0x22, 0x22, 0x22, 0x22, 0x22, 0x22, 0x22, 0x22, 0x22, 0x22, 0x22, 0x22,
    0x22, 0x22, 0x22, 0x22, 0x22, 0x22, 0x22, 0x22, 0x22, 0x22, 0x22, 0x22, 0x22, 0x22, 0x22, 0x22,
    0x22, 0x22, 0x22, 0x22, 0x22, 0x22, 0x22, 0x22, 0x22, 0x22, 0x22, 0x22, 0x22, 0x22, 0x22, 0x22,
    0x22, 0x22, 0x22, 0x22, 0x22, 0x22, 0x22, 0x22, 0x22, 0x22, 0x22, 0x22, 0x22, 0x22, 0x22, 0x22,
};

#define IS(c, k) (cls[(unsigned char)(c)] & (k))
#define IS_OWS(c) ((c) == ' ' || (c) == '\t')
#define IS_DIGIT(c) ((unsigned)((c) - '0') < 10u)

/* For tests/unit/test_h1.c, which checks every byte of the table against the
 * RFC definitions; not in h1.h because nothing else should use it. */
const unsigned char *h1__cls(void);
const unsigned char *h1__cls(void)
{
    return cls;
}

enum {
    S_START, /* requests: empty lines before the request line */
    S_METHOD,
    S_TARGET,
    S_VERSION,  /* requests: "HTTP/d.d" CRLF, checked as bytes arrive */
    S_PREFACE,  /* after "PRI * HTTP/2.0" CRLF: "\r\nSM\r\n\r\n" */
    S_SVERSION, /* responses: "HTTP/d.d" SP */
    S_STATUS,   /* 3DIGIT then SP or CR */
    S_REASON,
    S_REASON_LF,
    S_LINE, /* first byte of a field line, or the CRLF ending the section */
    S_NAME,
    S_VALUE,
    S_VALUE_LF,
    S_DONE,
    S_ERROR,
};

enum { K_REQUEST, K_RESPONSE, K_TRAILERS };

/* p->te */
#define TE_SEEN 0x1u
#define TE_CHUNKED 0x2u
#define TE_LAST_CHUNKED 0x4u
#define TE_OTHER 0x8u

/* ---- small helpers ---------------------------------------------------- */

/* ASCII case-insensitive compare of <s> with the lower-case literal <lit>. */
static int eqi(const char *s, const char *lit, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        unsigned c = (unsigned char)s[i];
        c += (unsigned)(c - 'A' < 26u) << 5;
        if (c != (unsigned char)lit[i])
            return 0;
    }
    return 1;
}

#define EQI(s, n, lit) ((n) == sizeof(lit) - 1 && eqi((s), (lit), sizeof(lit) - 1))

static inline uint64_t ld64(const void *s)
{
    uint64_t v;
    memcpy(&v, s, 8);
    return v;
}

static inline uint16_t ld16(const void *s)
{
    uint16_t v;
    memcpy(&v, s, 2);
    return v;
}

static inline uint32_t ld32(const void *s)
{
    uint32_t v;
    memcpy(&v, s, 4);
    return v;
}

/* Case-insensitive compare of a field name (every byte a tchar) with a
 * lower-case literal of letters and "-", <n> >= 4, a word at a time. For tchar
 * bytes, OR 0x20 maps only the upper-case letters onto the literal's bytes. */
static inline int name_is(const char *s, const char *lit, size_t n)
{
    if (n >= 8) {
        size_t i;
        for (i = 0; i + 8 < n; i += 8)
            if ((ld64(s + i) | UINT64_C(0x2020202020202020)) != ld64(lit + i))
                return 0;
        /* <lit> has <n> bytes: every caller passes a literal and its length */
        // cppcheck-suppress pointerOutOfBoundsCond
        return (ld64(s + n - 8) | UINT64_C(0x2020202020202020)) == ld64(lit + n - 8);
    }
    return (ld32(s) | 0x20202020u) == ld32(lit) &&
           (ld32(s + n - 4) | 0x20202020u) == ld32(lit + n - 4);
}

static int hexval(unsigned c)
{
    return c <= '9' ? (int)(c - '0') : (int)((c | 0x20u) - 'a' + 10);
}

static int is_token(const char *s, size_t n)
{
    if (n == 0)
        return 0;
    for (size_t i = 0; i < n; i++)
        if (!IS(s[i], C_TCHAR))
            return 0;
    return 1;
}

/* Iterates a comma-separated field value: each call yields one element with
 * its surrounding OWS removed, possibly empty. A value yields at least one
 * element. None of the lists parsed here may hold quoted strings. */
struct list {
    const char *p, *end;
    int done;
};

static int list_next(struct list *l, const char **e, size_t *n)
{
    if (l->done)
        return 0;
    const char *s = l->p;
    const char *c = memchr(s, ',', (size_t)(l->end - s));
    const char *t = c ? c : l->end;
    l->p = c ? c + 1 : l->end;
    l->done = !c;
    while (s < t && IS_OWS(*s))
        s++;
    while (t > s && IS_OWS(t[-1]))
        t--;
    *e = s;
    *n = (size_t)(t - s);
    return 1;
}

/* ---- scanners ----------------------------------------------------------- */

static inline size_t scan_tchar(const unsigned char *b, size_t pos, size_t end)
{
    while (pos + 4 <= end) {
        if (!IS(b[pos], C_TCHAR))
            return pos;
        if (!IS(b[pos + 1], C_TCHAR))
            return pos + 1;
        if (!IS(b[pos + 2], C_TCHAR))
            return pos + 2;
        if (!IS(b[pos + 3], C_TCHAR))
            return pos + 3;
        pos += 4;
    }
    while (pos < end && IS(b[pos], C_TCHAR))
        pos++;
    return pos;
}

/* Field names: SSE2 runs over letters, digits and "-" (nearly every name),
 * the table takes over at the first other byte ("_", or the colon). */
static inline __attribute__((always_inline)) size_t scan_name(const unsigned char *b, size_t pos,
                                                              size_t end)
{
#if defined(__SSE2__)
    if (end - pos >= 16) {
        const unsigned char *s = b + pos, *last = b + end - 16;
        const __m128i k20 = _mm_set1_epi8(0x20), ka = _mm_set1_epi8('a');
        const __m128i k25 = _mm_set1_epi8(25), k0 = _mm_set1_epi8('0');
        const __m128i k9 = _mm_set1_epi8(9), kdash = _mm_set1_epi8('-');
        do {
            __m128i v = _mm_loadu_si128((const __m128i *)(const void *)s);
            __m128i a = _mm_sub_epi8(_mm_or_si128(v, k20), ka);
            __m128i d = _mm_sub_epi8(v, k0);
            __m128i ok = _mm_cmpeq_epi8(_mm_min_epu8(a, k25), a);          /* letter */
            ok = _mm_or_si128(ok, _mm_cmpeq_epi8(_mm_min_epu8(d, k9), d)); /* digit */
            ok = _mm_or_si128(ok, _mm_cmpeq_epi8(v, kdash));
            unsigned mask = ~(unsigned)_mm_movemask_epi8(ok) & 0xffffu;
            if (mask) {
                s += __builtin_ctz(mask);
                if (LIKELY(*s == ':'))
                    return (size_t)(s - b);
                break;
            }
            s += 16;
        } while (s <= last);
        pos = (size_t)(s - b);
    }
#endif
    return scan_tchar(b, pos, end);
}

/* First byte at or after <pos> that may not appear in a field value (CTL
 * other than HTAB, DEL); a well-formed line stops at its CR.
 * The SIMD loop tests the cheap superset "signed byte < 0x20, or DEL", which
 * also catches HTAB and obs-text; when the first byte it flags is not the CR
 * ending the line, the block gets the exact test. */
#if defined(__SSE2__)
static inline __m128i value_quick(__m128i v)
{
    return _mm_or_si128(_mm_cmpgt_epi8(_mm_set1_epi8(0x20), v),
                        _mm_cmpeq_epi8(v, _mm_set1_epi8(0x7f)));
}

static inline unsigned value_exact(__m128i v)
{
    __m128i ctl = _mm_cmpeq_epi8(_mm_min_epu8(v, _mm_set1_epi8(0x1f)), v); /* <= 0x1f */
    ctl = _mm_andnot_si128(_mm_cmpeq_epi8(v, _mm_set1_epi8(0x09)), ctl);
    ctl = _mm_or_si128(ctl, _mm_cmpeq_epi8(v, _mm_set1_epi8(0x7f)));
    return (unsigned)_mm_movemask_epi8(ctl);
}
#endif

static inline __attribute__((always_inline)) size_t scan_value(const unsigned char *b, size_t pos,
                                                               size_t end)
{
#if defined(__SSE2__)
    const unsigned char *s = b + pos;
    while (end - (size_t)(s - b) >= 32) {
        __m128i v0 = _mm_loadu_si128((const __m128i *)(const void *)s);
        __m128i v1 = _mm_loadu_si128((const __m128i *)(const void *)(s + 16));
        unsigned q = (unsigned)_mm_movemask_epi8(value_quick(v0)) |
                     (unsigned)_mm_movemask_epi8(value_quick(v1)) << 16;
        if (LIKELY(q == 0)) {
            s += 32;
            continue;
        }
        if (LIKELY(s[__builtin_ctz(q)] == '\r'))
            return (size_t)(s - b) + (size_t)__builtin_ctz(q);
        unsigned x = value_exact(v0) | value_exact(v1) << 16;
        if (x)
            return (size_t)(s - b) + (size_t)__builtin_ctz(x);
        s += 32;
    }
    if (end - (size_t)(s - b) >= 16) {
        __m128i v = _mm_loadu_si128((const __m128i *)(const void *)s);
        unsigned q = (unsigned)_mm_movemask_epi8(value_quick(v));
        if (q) {
            if (LIKELY(s[__builtin_ctz(q)] == '\r'))
                return (size_t)(s - b) + (size_t)__builtin_ctz(q);
            unsigned x = value_exact(v);
            if (x)
                return (size_t)(s - b) + (size_t)__builtin_ctz(x);
        }
        s += 16;
    }
    pos = (size_t)(s - b);
#endif
    while (pos < end && IS(b[pos], C_VALUE))
        pos++;
    return pos;
}

/* First byte that may not appear in a request-target: CTL, SP, DEL, "#",
 * and bytes >= 0x80 unless <lax>. */
static inline __attribute__((always_inline)) size_t scan_target(const unsigned char *b, size_t pos,
                                                                size_t end, int lax)
{
#if defined(__SSE2__)
    const __m128i k20 = _mm_set1_epi8(0x20);
    const __m128i k7f = _mm_set1_epi8(0x7f);
    const __m128i khash = _mm_set1_epi8('#');
    while (end - pos >= 16) {
        __m128i v = _mm_loadu_si128((const __m128i *)(const void *)(b + pos));
        __m128i bad = _mm_cmpeq_epi8(_mm_min_epu8(v, k20), v); /* v <= 0x20 */
        if (lax)
            bad = _mm_or_si128(bad, _mm_cmpeq_epi8(v, k7f));
        else
            bad = _mm_or_si128(bad, _mm_cmpeq_epi8(_mm_max_epu8(v, k7f), v)); /* v >= 0x7f */
        bad = _mm_or_si128(bad, _mm_cmpeq_epi8(v, khash));
        unsigned mask = (unsigned)_mm_movemask_epi8(bad);
        if (mask)
            return pos + (size_t)__builtin_ctz(mask);
        pos += 16;
    }
#endif
    while (pos < end && (IS(b[pos], C_TARGET) || (lax && b[pos] >= 0x80)))
        pos++;
    return pos;
}

#if defined(__SSE2__)
/* Classifies 64 bytes at <s> into two bit masks (bit i = byte i):
 *   *ctl: signed byte < 0x20 or DEL: a superset of what may not appear in a
 *         field value (it also has HTAB and obs-text), CR and LF included;
 *   *nb:  bytes other than letters, digits and "-", the usual name bytes.
 * The header fast path below reads lines off these masks: the 4 blocks are
 * independent, so the work overlaps instead of forming one chain per line. */
struct masks {
    uint64_t ctl, nb;
};

static inline __attribute__((always_inline)) struct masks classify64(const unsigned char *s)
{
    const __m128i k20 = _mm_set1_epi8(0x20), k21 = _mm_set1_epi8(0x21), k1 = _mm_set1_epi8(1);
    const __m128i ka = _mm_set1_epi8((char)(0x80 - 'a')), kal = _mm_set1_epi8(-128 + 26);
    const __m128i kd = _mm_set1_epi8((char)(0x80 - '0')), kdl = _mm_set1_epi8(-128 + 10);
    const __m128i kdash = _mm_set1_epi8('-');
    uint64_t c = 0, n = 0;
    for (size_t i = 0; i < 4; i++) {
        __m128i v = _mm_loadu_si128((const __m128i *)(const void *)(s + 16 * i));
        /* v + 1 < 0x21 (signed) <=> v <= 0x1f, v == DEL or v >= 0x80 */
        __m128i q = _mm_cmpgt_epi8(k21, _mm_add_epi8(v, k1));
        /* x + 0x80 - lo < -128 + count (signed) <=> lo <= x < lo + count */
        __m128i ok = _mm_cmpgt_epi8(kal, _mm_add_epi8(_mm_or_si128(v, k20), ka));
        ok = _mm_or_si128(ok, _mm_cmpgt_epi8(kdl, _mm_add_epi8(v, kd)));
        ok = _mm_or_si128(ok, _mm_cmpeq_epi8(v, kdash));
        c |= (uint64_t)(unsigned)_mm_movemask_epi8(q) << (16 * i);
        n |= (uint64_t)(unsigned)_mm_movemask_epi8(ok) << (16 * i);
    }
    return (struct masks){c, ~n};
}
#endif

#if H1_AVX2
/* classify64() and scan_value() with 32-byte vectors. Not inlined (the
 * target differs), which costs a call per 64 bytes. */
__attribute__((target("avx2"), noinline)) static struct masks
classify64_avx2(const unsigned char *s)
{
    const __m256i k20 = _mm256_set1_epi8(0x20), k21 = _mm256_set1_epi8(0x21);
    const __m256i k1 = _mm256_set1_epi8(1), kdash = _mm256_set1_epi8('-');
    const __m256i ka = _mm256_set1_epi8((char)(0x80 - 'a')), kal = _mm256_set1_epi8(-128 + 26);
    const __m256i kd = _mm256_set1_epi8((char)(0x80 - '0')), kdl = _mm256_set1_epi8(-128 + 10);
    __m256i v0 = _mm256_loadu_si256((const __m256i *)(const void *)s);
    __m256i v1 = _mm256_loadu_si256((const __m256i *)(const void *)(s + 32));
    __m256i q0 = _mm256_cmpgt_epi8(k21, _mm256_add_epi8(v0, k1));
    __m256i q1 = _mm256_cmpgt_epi8(k21, _mm256_add_epi8(v1, k1));
    __m256i o0 = _mm256_cmpgt_epi8(kal, _mm256_add_epi8(_mm256_or_si256(v0, k20), ka));
    __m256i o1 = _mm256_cmpgt_epi8(kal, _mm256_add_epi8(_mm256_or_si256(v1, k20), ka));
    o0 = _mm256_or_si256(o0, _mm256_cmpgt_epi8(kdl, _mm256_add_epi8(v0, kd)));
    o1 = _mm256_or_si256(o1, _mm256_cmpgt_epi8(kdl, _mm256_add_epi8(v1, kd)));
    o0 = _mm256_or_si256(o0, _mm256_cmpeq_epi8(v0, kdash));
    o1 = _mm256_or_si256(o1, _mm256_cmpeq_epi8(v1, kdash));
    uint64_t c = (uint64_t)(uint32_t)_mm256_movemask_epi8(q0) |
                 (uint64_t)(uint32_t)_mm256_movemask_epi8(q1) << 32;
    uint64_t n = (uint64_t)(uint32_t)_mm256_movemask_epi8(o0) |
                 (uint64_t)(uint32_t)_mm256_movemask_epi8(o1) << 32;
    return (struct masks){c, ~n};
}

__attribute__((target("avx2"), noinline)) static size_t scan_value_avx2(const unsigned char *b,
                                                                        size_t pos, size_t end)
{
    const __m256i k21 = _mm256_set1_epi8(0x21), k1 = _mm256_set1_epi8(1);
    const __m256i k1f = _mm256_set1_epi8(0x1f), ktab = _mm256_set1_epi8(0x09);
    const __m256i kdel = _mm256_set1_epi8(0x7f);
    while (end - pos >= 32) {
        __m256i v = _mm256_loadu_si256((const __m256i *)(const void *)(b + pos));
        uint32_t q = (uint32_t)_mm256_movemask_epi8(_mm256_cmpgt_epi8(k21, _mm256_add_epi8(v, k1)));
        if (LIKELY(q == 0)) {
            pos += 32;
            continue;
        }
        if (LIKELY(b[pos + (size_t)__builtin_ctz(q)] == '\r'))
            return pos + (size_t)__builtin_ctz(q);
        __m256i ctl = _mm256_cmpeq_epi8(_mm256_min_epu8(v, k1f), v);
        ctl = _mm256_andnot_si256(_mm256_cmpeq_epi8(v, ktab), ctl);
        ctl = _mm256_or_si256(ctl, _mm256_cmpeq_epi8(v, kdel));
        uint32_t x = (uint32_t)_mm256_movemask_epi8(ctl);
        if (x)
            return pos + (size_t)__builtin_ctz(x);
        pos += 32;
    }
    return scan_value(b, pos, end);
}
#endif

/* ---- element checks ------------------------------------------------------- */

static uint8_t method_id(const char *s, size_t n)
{
    switch (n) {
    case 3:
        if (!memcmp(s, "GET", 3))
            return H1_M_GET;
        if (!memcmp(s, "PUT", 3))
            return H1_M_PUT;
        break;
    case 4:
        if (!memcmp(s, "POST", 4))
            return H1_M_POST;
        if (!memcmp(s, "HEAD", 4))
            return H1_M_HEAD;
        break;
    case 5:
        if (!memcmp(s, "PATCH", 5))
            return H1_M_PATCH;
        if (!memcmp(s, "TRACE", 5))
            return H1_M_TRACE;
        break;
    case 6:
        if (!memcmp(s, "DELETE", 6))
            return H1_M_DELETE;
        break;
    case 7:
        if (!memcmp(s, "OPTIONS", 7))
            return H1_M_OPTIONS;
        if (!memcmp(s, "CONNECT", 7))
            return H1_M_CONNECT;
        break;
    }
    return H1_M_OTHER;
}

static uint8_t header_id(const char *s, size_t n)
{
    switch (n) {
    case 2:
        return ((s[0] | 0x20) == 't' && (s[1] | 0x20) == 'e') ? H1_H_TE : H1_H_OTHER;
    case 4:
        return name_is(s, "host", 4) ? H1_H_HOST : H1_H_OTHER;
    case 6:
        return name_is(s, "expect", 6) ? H1_H_EXPECT : H1_H_OTHER;
    case 7:
        if (name_is(s, "upgrade", 7))
            return H1_H_UPGRADE;
        return name_is(s, "trailer", 7) ? H1_H_TRAILER : H1_H_OTHER;
    case 10:
        if (name_is(s, "connection", 10))
            return H1_H_CONNECTION;
        return name_is(s, "keep-alive", 10) ? H1_H_KEEP_ALIVE : H1_H_OTHER;
    case 14:
        return name_is(s, "content-length", 14) ? H1_H_CONTENT_LENGTH : H1_H_OTHER;
    case 16:
        return name_is(s, "proxy-connection", 16) ? H1_H_PROXY_CONNECTION : H1_H_OTHER;
    case 17:
        return name_is(s, "transfer-encoding", 17) ? H1_H_TRANSFER_ENCODING : H1_H_OTHER;
    }
    return H1_H_OTHER;
}

/* uri-host [":" port] (RFC 3986: IP-literal, IPv4address or reg-name; port
 * at most 5 digits, <= 65535). Userinfo ("@") is refused. Sets *host_len to
 * the length of the host part and *has_port when a non-empty port follows.
 * Returns 0 when valid, -1 otherwise. */
static int check_host(const char *s, size_t n, size_t *host_len, int *has_port)
{
    size_t i = 0;
    if (n && s[0] == '[') {
        for (i = 1; i < n && s[i] != ']'; i++)
            if (!IS(s[i], C_HOST) && s[i] != ':' && s[i] != '%')
                return -1;
        if (i >= n || i == 1)
            return -1;
        i++;
    } else {
        for (;;) {
            while (i + 4 <= n && IS(s[i], C_HOST) && IS(s[i + 1], C_HOST) && IS(s[i + 2], C_HOST) &&
                   IS(s[i + 3], C_HOST))
                i += 4;
            while (i < n && IS(s[i], C_HOST))
                i++;
            if (i >= n || s[i] != '%')
                break;
            /* pct-encoded */
            if (i + 2 >= n || !IS(s[i + 1], C_HEX) || !IS(s[i + 2], C_HEX))
                return -1;
            i += 3;
        }
    }
    *host_len = i;
    *has_port = 0;
    if (i == n)
        return 0;
    if (s[i] != ':')
        return -1;
    i++;
    if (n - i > 5)
        return -1;
    unsigned port = 0;
    for (; i < n; i++) {
        if (!IS_DIGIT(s[i]))
            return -1;
        port = port * 10 + (unsigned)(s[i] - '0');
        *has_port = 1;
    }
    return port > 65535 ? -1 : 0;
}

/* Request-target form against the method (RFC 9112 3.2). "*" with method PRI
 * passes here and is settled once the version is known (HTTP/2 preface). */
static int check_target(struct h1_msg *m)
{
    const char *t = m->target.p;
    size_t n = m->target.len, hl;
    int port;

    if (m->method == H1_M_CONNECT) {
        if (check_host(t, n, &hl, &port) < 0 || hl == 0 || !port)
            return H1_E_TARGET;
        m->target_form = H1_T_AUTHORITY;
        m->authority = m->target;
        return 0;
    }
    if (t[0] == '/') {
        m->target_form = H1_T_ORIGIN;
        return 0;
    }
    if (n == 1 && t[0] == '*') {
        if (m->method != H1_M_OPTIONS &&
            !(m->method_s.len == 3 && !memcmp(m->method_s.p, "PRI", 3)))
            return H1_E_TARGET;
        m->target_form = H1_T_ASTERISK;
        return 0;
    }
    /* absolute-form; only the schemes a proxy can route */
    size_t skip;
    if (n > 7 && eqi(t, "http://", 7))
        skip = 7;
    else if (n > 8 && eqi(t, "https://", 8))
        skip = 8;
    else
        return H1_E_TARGET;
    size_t a = skip;
    while (a < n && t[a] != '/' && t[a] != '?')
        a++;
    if (check_host(t + skip, a - skip, &hl, &port) < 0 || hl == 0)
        return H1_E_TARGET;
    m->target_form = H1_T_ABSOLUTE;
    m->authority.p = t + skip;
    m->authority.len = a - skip;
    return 0;
}

/* Content-Length = 1*DIGIT; a list of identical values ("5, 5") is what
 * several identical fields combine to and is accepted (RFC 9110 8.6). */
static int parse_cl(const char *v, size_t n, uint64_t *out)
{
    struct list l = {v, v + n, 0};
    const char *e;
    size_t en;
    int first = 1;
    uint64_t val = 0;
    while (list_next(&l, &e, &en)) {
        if (en == 0)
            return H1_E_CL_INVALID;
        uint64_t x = 0;
        for (size_t i = 0; i < en; i++) {
            if (!IS_DIGIT(e[i]))
                return H1_E_CL_INVALID;
            unsigned d = (unsigned)(e[i] - '0');
            if (x > (UINT64_C(0x7fffffffffffffff) - d) / 10)
                return H1_E_CL_INVALID;
            x = x * 10 + d;
        }
        if (!first && x != val)
            return H1_E_CL_MISMATCH;
        first = 0;
        val = x;
    }
    *out = val;
    return 0;
}

/* Transfer-Encoding: a list of codings over all its fields. Accepted in the
 * end: exactly one "chunked", last, with no parameters. Anything that cannot
 * become that is refused here; "gzip, chunked" is settled at the end. */
static int parse_te(struct h1_parser *p, const char *v, size_t n)
{
    struct list l = {v, v + n, 0};
    const char *e;
    size_t en;
    while (list_next(&l, &e, &en)) {
        if (!is_token(e, en))
            return H1_E_TE_INVALID; /* empty element, parameters, spaces */
        if (p->te & TE_CHUNKED)
            return H1_E_TE_INVALID; /* chunked must be final and applied once */
        if (EQI(e, en, "chunked"))
            p->te |= TE_CHUNKED | TE_LAST_CHUNKED;
        else
            p->te |= TE_OTHER;
        p->te |= TE_SEEN;
    }
    return 0;
}

static int parse_connection(struct h1_msg *m, const char *v, size_t n)
{
    /* the usual values, compared a word at a time: a field value holds no
     * CTL, so OR 0x20 matches only the letters' two cases and "-" itself */
    if (n == 10 && name_is(v, "keep-alive", 10)) {
        m->conn |= H1_CONN_KEEP_ALIVE;
        return 0;
    }
    if (n == 5 && name_is(v, "close", 5)) {
        m->conn |= H1_CONN_CLOSE;
        return 0;
    }
    struct list l = {v, v + n, 0};
    const char *e;
    size_t en;
    while (list_next(&l, &e, &en)) {
        if (en == 0)
            continue; /* empty list elements are allowed (RFC 9110 5.6.1) */
        if (!is_token(e, en))
            return H1_E_CONNECTION;
        if (EQI(e, en, "close"))
            m->conn |= H1_CONN_CLOSE;
        else if (EQI(e, en, "keep-alive"))
            m->conn |= H1_CONN_KEEP_ALIVE;
        else if (EQI(e, en, "upgrade"))
            m->conn |= H1_CONN_UPGRADE;
        else
            m->conn |= H1_CONN_OTHER;
    }
    return 0;
}

static void parse_expect(struct h1_msg *m, const char *v, size_t n)
{
    struct list l = {v, v + n, 0};
    const char *e;
    size_t en;
    while (list_next(&l, &e, &en)) {
        if (en == 0)
            continue;
        if (EQI(e, en, "100-continue"))
            m->flags |= H1_MF_EXPECT_CONTINUE;
        else
            m->flags |= H1_MF_EXPECT_OTHER;
    }
}

/* What a field means to the message. <flags> receives H1_HF_*. */
static int field_semantics(struct h1_parser *p, struct h1_msg *m, int id, const char *v, size_t n,
                           uint8_t *flags)
{
    uint64_t cl;
    int err;

    if (p->kind == K_TRAILERS) {
        /* RFC 9110 6.5.1: these cannot be processed after the content; a
         * recipient merging them would reframe or reroute the message. */
        if (id == H1_H_CONTENT_LENGTH || id == H1_H_TRANSFER_ENCODING || id == H1_H_HOST)
            return H1_E_TRAILER_FORBIDDEN;
        return 0;
    }
    switch (id) {
    case H1_H_HOST:
        if (p->kind == K_REQUEST) {
            size_t hl;
            int port;
            if (m->host.p)
                return H1_E_HOST_DUP;
            if (check_host(v, n, &hl, &port) < 0)
                return H1_E_HOST_INVALID;
            m->host.p = v;
            m->host.len = n;
        }
        break;
    case H1_H_CONTENT_LENGTH:
        *flags |= H1_HF_FRAMING;
        if ((err = parse_cl(v, n, &cl)))
            return err;
        if (p->has_cl && cl != m->content_length)
            return H1_E_CL_MISMATCH;
        p->has_cl = 1;
        m->content_length = cl;
        break;
    case H1_H_TRANSFER_ENCODING:
        *flags |= H1_HF_FRAMING;
        return parse_te(p, v, n);
    case H1_H_CONNECTION:
        *flags |= H1_HF_HOP;
        return parse_connection(m, v, n);
    case H1_H_UPGRADE:
        *flags |= H1_HF_HOP;
        if (!m->upgrade.p) {
            m->upgrade.p = v;
            m->upgrade.len = n;
        }
        break;
    case H1_H_KEEP_ALIVE:
    case H1_H_PROXY_CONNECTION:
    case H1_H_TE:
        *flags |= H1_HF_HOP;
        break;
    case H1_H_EXPECT:
        if (p->kind == K_REQUEST)
            parse_expect(m, v, n);
        break;
    case H1_H_TRAILER:
        m->flags |= H1_MF_TRAILER;
        break;
    }
    return 0;
}

/* For each name length, the first letters (as bit <letter & 31>) of the
 * names header_id() knows: most fields skip the lookup altogether. */
#define FL(c) (1u << ((c)&31u))
static const uint32_t known_first[18] = {
    [2] = FL('t'),
    [4] = FL('h'),
    [6] = FL('e'),
    [7] = FL('u') | FL('t'),
    [10] = FL('c') | FL('k'),
    [14] = FL('c'),
    [16] = FL('p'),
    [17] = FL('t'),
};
#undef FL

/* Fields named as connection options are hop-by-hop too (RFC 9110 7.6.1),
 * except the ones a client could use to make us drop framing or routing. */
static void mark_connection_options(struct h1_msg *m)
{
    for (uint32_t i = 0; i < m->nheaders; i++) {
        const struct h1_header *c = &m->headers[i];
        if (c->id != H1_H_CONNECTION)
            continue;
        struct list l = {c->value, c->value + c->value_len, 0};
        const char *e;
        size_t en;
        while (list_next(&l, &e, &en)) {
            if (en == 0 || EQI(e, en, "close") || EQI(e, en, "keep-alive") || EQI(e, en, "upgrade"))
                continue;
            for (uint32_t j = 0; j < m->nheaders; j++) {
                struct h1_header *h = &m->headers[j];
                if (h->id == H1_H_HOST || h->id == H1_H_CONTENT_LENGTH ||
                    h->id == H1_H_TRANSFER_ENCODING || (h->flags & H1_HF_HOP) || h->name_len != en)
                    continue;
                int same = 1;
                for (size_t k = 0; k < en && same; k++) {
                    unsigned a = (unsigned char)h->name[k], b = (unsigned char)e[k];
                    a += (unsigned)(a - 'A' < 26u) << 5;
                    b += (unsigned)(b - 'A' < 26u) << 5;
                    same = a == b;
                }
                if (same) {
                    m->nskip += h->flags == 0;
                    h->flags |= H1_HF_HOP;
                }
            }
        }
    }
}

static int finish_request(struct h1_parser *p, struct h1_msg *m)
{
    if (m->version == 1 && !m->host.p)
        return H1_E_HOST_MISSING;
    if (p->te) {
        /* RFC 9112 6.1: Transfer-Encoding in HTTP/1.0 means faulty framing;
         * 6.3: with Content-Length too, the message is a smuggling attempt
         * far more often than not. */
        if (m->version == 0)
            return H1_E_TE_HTTP10;
        if (p->has_cl)
            return H1_E_CL_AND_TE;
        if (!(p->te & TE_LAST_CHUNKED))
            return H1_E_TE_INVALID;
        if (p->te & TE_OTHER)
            return H1_E_TE_UNSUPP;
        m->body = H1_BODY_CHUNKED;
    } else {
        m->body = p->has_cl ? H1_BODY_LENGTH : H1_BODY_NONE;
    }
    if (m->version == 1) {
        if (!(m->conn & H1_CONN_CLOSE))
            m->flags |= H1_MF_KEEP_ALIVE;
        if (m->upgrade.p && (m->conn & H1_CONN_UPGRADE))
            m->flags |= H1_MF_UPGRADE;
    } else {
        if ((m->conn & (H1_CONN_KEEP_ALIVE | H1_CONN_CLOSE)) == H1_CONN_KEEP_ALIVE)
            m->flags |= H1_MF_KEEP_ALIVE;
        /* RFC 9110 10.1.1 and 7.8: ignored in HTTP/1.0 requests */
        m->flags &= (uint8_t) ~(H1_MF_EXPECT_CONTINUE | H1_MF_EXPECT_OTHER);
    }
    if (m->conn & H1_CONN_OTHER)
        mark_connection_options(m);
    return 0;
}

/* RFC 9112 6.3, in its order. */
static int finish_response(struct h1_parser *p, struct h1_msg *m)
{
    unsigned st = m->status;
    if (p->te) {
        if (m->version == 0)
            return H1_E_TE_HTTP10;
        if (p->has_cl)
            return H1_E_CL_AND_TE;
        if (!(p->te & TE_LAST_CHUNKED))
            return H1_E_TE_INVALID;
        if (p->te & TE_OTHER)
            return H1_E_TE_UNSUPP;
    }
    if (st < 200)
        m->body = st == 101 ? H1_BODY_TUNNEL : H1_BODY_NONE;
    else if (p->req_method == H1_M_HEAD || st == 204 || st == 304)
        m->body = H1_BODY_NONE;
    else if (p->req_method == H1_M_CONNECT && st < 300)
        m->body = H1_BODY_TUNNEL;
    else if (p->te)
        m->body = H1_BODY_CHUNKED;
    else if (p->has_cl)
        m->body = H1_BODY_LENGTH;
    else
        m->body = H1_BODY_CLOSE;

    if (m->body != H1_BODY_CLOSE && m->body != H1_BODY_TUNNEL) {
        if (m->version == 1
                ? !(m->conn & H1_CONN_CLOSE)
                : (m->conn & (H1_CONN_KEEP_ALIVE | H1_CONN_CLOSE)) == H1_CONN_KEEP_ALIVE)
            m->flags |= H1_MF_KEEP_ALIVE;
    }
    if (st == 101 && m->upgrade.p && (m->conn & H1_CONN_UPGRADE))
        m->flags |= H1_MF_UPGRADE;
    if (m->conn & H1_CONN_OTHER)
        mark_connection_options(m);
    return 0;
}

/* Matches the first <n> bytes of <s> against "HTTP/" DIGIT "." DIGIT <tail>.
 * Returns the number of bytes the full pattern has when all matched, 0 when
 * the <n> bytes are a proper prefix of a match, or -1 with *bad the index of
 * the first byte that does not match. */
static inline int match_version(const unsigned char *s, size_t n, const char *tail, size_t tail_len,
                                size_t *bad)
{
    static const char pat[] = "HTTP/0.0";
    static const unsigned char keep[8] = {0xff, 0xff, 0xff, 0xff, 0xff, 0, 0xff, 0};
    size_t want = 8 + tail_len;
    if (LIKELY(n >= want) && (ld64(s) & ld64(keep)) == (ld64(pat) & ld64(keep)) && IS_DIGIT(s[5]) &&
        IS_DIGIT(s[7]) && s[8] == (unsigned char)tail[0] &&
        (tail_len == 1 || s[9] == (unsigned char)tail[1]))
        return (int)want;
    for (size_t i = 0; i < n && i < want; i++) {
        unsigned c = s[i];
        int ok;
        if (i < 8)
            ok = (i == 5 || i == 7) ? IS_DIGIT(c) : c == (unsigned char)pat[i];
        else
            ok = c == (unsigned char)tail[i - 8];
        if (!ok) {
            *bad = i;
            return -1;
        }
    }
    return n >= want ? (int)want : 0;
}

/* Slices filled by earlier calls point into the previous buffer; move them. */
static const char *moved(const char *ptr, uintptr_t from, const char *to)
{
    return ptr ? to + ((uintptr_t)ptr - from) : NULL;
}

static void rebase(struct h1_msg *m, const char *from, const char *to)
{
    uintptr_t f = (uintptr_t)from;
    m->method_s.p = moved(m->method_s.p, f, to);
    m->target.p = moved(m->target.p, f, to);
    m->authority.p = moved(m->authority.p, f, to);
    m->reason.p = moved(m->reason.p, f, to);
    m->host.p = moved(m->host.p, f, to);
    m->upgrade.p = moved(m->upgrade.p, f, to);
    for (uint32_t i = 0; i < m->nheaders; i++) {
        m->headers[i].name = moved(m->headers[i].name, f, to);
        m->headers[i].value = moved(m->headers[i].value, f, to);
    }
}

static void msg_clear(struct h1_msg *m)
{
    struct h1_header *h = m->headers;
    uint32_t cap = m->cap;
    memset(m, 0, sizeof(*m));
    m->headers = h;
    m->cap = cap;
}

/* A complete field line: name at <mark> (<nlen> bytes), value between
 * <vmark> (just after the colon) and the CR at <ve>. Trims OWS, gives the
 * field its meaning and stores it. Returns 0 or an H1_E_* code. */
static inline __attribute__((always_inline)) int take_field(struct h1_parser *p, struct h1_msg *m,
                                                            struct h1_header **hdrp,
                                                            const char *buf, size_t mark,
                                                            size_t nlen, size_t vmark, size_t ve)
{
    const unsigned char *b = (const unsigned char *)buf;
    /* OWS around the value; b[vmark - 1] is the colon and b[ve] the CR,
     * which stops the first loop */
    vmark += b[vmark] == ' ';
    if (UNLIKELY(b[vmark] <= ' ')) /* SP, HTAB, or the CR of an empty value */
        while (IS(b[vmark], C_OWS))
            vmark++;
    if (UNLIKELY(b[ve - 1] <= ' '))
        while (ve > vmark && IS(b[ve - 1], C_OWS))
            ve--;
    const char *name = buf + mark, *val = buf + vmark;
    uint8_t id = 0, flags = 0;
    if (UNLIKELY(nlen < sizeof(known_first) / sizeof(known_first[0]) &&
                 ((known_first[nlen] >> (b[mark] & 31u)) & 1u)) &&
        (id = header_id(name, nlen)) != H1_H_OTHER) {
        int err = field_semantics(p, m, id, val, ve - vmark, &flags);
        if (err)
            return err;
        m->nskip += flags != 0;
    }
    struct h1_header *h = *hdrp;
    if (LIKELY(h != NULL)) {
        h->name = name;
        h->value = val;
        h->name_len = (uint32_t)nlen;
        h->value_len = (uint32_t)(ve - vmark);
        h->id = id;
        h->flags = flags;
        *hdrp = h + 1;
    }
    return 0;
}

#if defined(__SSE2__)
/* Fast path for complete field lines of the usual shape (a name of letters,
 * digits and "-", a value without HTAB or obs-text), read off 64-byte
 * classification windows: per line, two tzcnt and a few compares, with no
 * dependency on the vector work of the previous line. A window [w, w + 64)
 * starts at a line start and serves the lines that begin in it; a value
 * running past it is finished by scan_value(), cheaper per byte on long
 * values. Anything else (end of the head, other bytes, the last 64 bytes of
 * the data) is left to the byte-wise code, from the start of its line.
 * A function of its own so that its few variables stay in registers.
 * Returns the start of the first line not taken; *err is set (and the
 * return value is the offending CR) when a field is refused. */
__attribute__((noinline)) static size_t fast_fields(struct h1_parser *p, struct h1_msg *m,
                                                    struct h1_header **hdrp, const char *buf,
                                                    size_t pos, size_t end, size_t maxf,
                                                    size_t *nfp, int *err)
{
    const unsigned char *b = (const unsigned char *)buf;
    struct h1_header *hdr = *hdrp;
    size_t nf = *nfp, w = pos, colon, cr;
    uint64_t t;
    struct masks k;
#if H1_AVX2
    const int avx2 = !(p->lim.flags & H1_NO_AVX2) && HAVE_AVX2();
#define CLASSIFY(at) (avx2 ? classify64_avx2(b + (at)) : classify64(b + (at)))
#define SCAN_VALUE(from) (avx2 ? scan_value_avx2(b, (from), end) : scan_value(b, (from), end))
#else
#define CLASSIFY(at) classify64(b + (at))
#define SCAN_VALUE(from) scan_value(b, (from), end)
#endif
    *err = 0;
    k = CLASSIFY(w);
    for (;;) {
        if (UNLIKELY(nf >= maxf))
            break;
        if (pos - w >= 64 || (t = k.nb >> (pos - w)) == 0) {
            if (end - pos < 64)
                break;
            w = pos;
            k = CLASSIFY(w);
            if ((t = k.nb) == 0)
                break; /* a name of 64 bytes or more */
        }
        colon = pos + (size_t)__builtin_ctzll(t);
        if (b[colon] != ':' || colon == pos)
            break; /* end of the head, or an unusual byte */
        if (colon + 1 - w < 64 && (t = k.ctl >> (colon + 1 - w)) != 0)
            cr = colon + 1 + (size_t)__builtin_ctzll(t);
        else
            cr = SCAN_VALUE(colon + 1);
        if (cr + 1 >= end || ld16(b + cr) != ld16("\r\n"))
            break;
        if ((*err = take_field(p, m, &hdr, buf, pos, colon - pos, colon + 1, cr))) {
            pos = cr; /* where the byte-wise code would report it */
            break;
        }
        nf++;
        pos = cr + 2;
    }
#undef CLASSIFY
#undef SCAN_VALUE
    *hdrp = hdr;
    *nfp = nf;
    return pos;
}
#endif

/* ---- the head parser ------------------------------------------------------ */

static int parse_head(struct h1_parser *p, struct h1_msg *m, const char *buf, size_t len)
{
    const unsigned char *b = (const unsigned char *)buf;
    size_t pos, end, maxf, mark, vmark, nlen, nf, bad, have;
    struct h1_header *hdr; /* next free slot, NULL when fields are not kept */
    int err, r;
    unsigned c, major, minor;
    /* "PRI * HTTP/2.0\r\n" is followed by this (RFC 9113 3.4) */
    static const char preface_rest[] = "\r\nSM\r\n\r\n";

    if (UNLIKELY(p->state >= S_DONE)) {
        if (p->base != buf && p->state == S_DONE) {
            rebase(m, p->base, buf);
            p->base = buf;
        }
        return p->result;
    }
    if (p->base == NULL) {
        msg_clear(m);
    } else if (p->base != buf) {
        rebase(m, p->base, buf);
    }
    p->base = buf;
    pos = p->pos;
    mark = p->mark;
    vmark = p->vmark;
    nlen = p->name_len;
    nf = p->nfields;
    hdr = m->headers ? m->headers + m->nheaders : NULL;
    maxf = p->lim.max_headers;
    if (m->headers == NULL) {
        if (p->kind != K_TRAILERS)
            maxf = 0;
    } else if (m->cap < maxf) {
        maxf = m->cap;
    }

#define FAIL(e)                                                                                    \
    do {                                                                                           \
        err = (e);                                                                                 \
        goto fail;                                                                                 \
    } while (0)
#define MORE(st)                                                                                   \
    do {                                                                                           \
        p->state = (st);                                                                           \
        goto more;                                                                                 \
    } while (0)

    if (p->state < S_LINE) {
        end = len < p->lim.max_start_line ? len : p->lim.max_start_line;
    } else {
        size_t lim = (size_t)p->hdr_start + p->lim.max_header_bytes;
        end = len < lim ? len : lim;
    }

    switch (p->state) {
    case S_START:
        goto st_start;
    case S_METHOD:
        goto st_method;
    case S_TARGET:
        goto st_target;
    case S_VERSION:
        goto st_version;
    case S_PREFACE:
        goto st_preface;
    case S_SVERSION:
        goto st_sversion;
    case S_STATUS:
        goto st_status;
    case S_REASON:
        goto st_reason;
    case S_REASON_LF:
        goto st_reason_lf;
    case S_LINE:
        goto st_line;
    case S_NAME:
        goto st_name;
    case S_VALUE:
        goto st_value;
    case S_VALUE_LF:
        goto st_value_lf;
    default:
        FAIL(H1_E_NONE); /* not reached */
    }

    /* -- request line: method SP request-target SP HTTP-version CRLF -- */
st_start:
    /* RFC 9112 2.2: a server SHOULD ignore at least one empty line (CRLF)
     * before the request-line; they count against max_start_line. */
    for (;;) {
        if (pos >= end)
            MORE(S_START);
        if (b[pos] != '\r')
            break;
        if (pos + 1 >= end)
            MORE(S_START);
        if (b[pos + 1] != '\n')
            FAIL(H1_E_BARE_CR);
        pos += 2;
    }
    if (b[pos] == '\n')
        FAIL(H1_E_BARE_LF);
    mark = pos;
st_method:
    pos = scan_tchar(b, pos, end);
    if (pos >= end)
        MORE(S_METHOD);
    if (b[pos] != ' ' || pos == mark)
        FAIL(H1_E_METHOD);
    m->method_s.p = buf + mark;
    m->method_s.len = pos - mark;
    m->method = method_id(m->method_s.p, m->method_s.len);
    mark = ++pos;
st_target:
    pos = scan_target(b, pos, end, (int)(p->lim.flags & H1_ALLOW_8BIT_TARGET));
    if (pos >= end)
        MORE(S_TARGET);
    if (b[pos] != ' ' || pos == mark)
        FAIL(H1_E_TARGET);
    m->target.p = buf + mark;
    m->target.len = pos - mark;
    if ((err = check_target(m)))
        FAIL(err);
    mark = ++pos;
st_version:
    r = match_version(b + mark, end - mark, "\r\n", 2, &bad);
    if (r < 0) {
        pos = mark + bad;
        if (bad == 8)
            FAIL(b[pos] == '\n' ? H1_E_BARE_LF : H1_E_VERSION);
        FAIL(bad == 9 ? H1_E_BARE_CR : H1_E_VERSION);
    }
    if (r == 0) {
        pos = mark;
        MORE(S_VERSION);
    }
    major = b[mark + 5] - '0';
    minor = b[mark + 7] - '0';
    pos = mark + (size_t)r;
    if (m->target_form == H1_T_ASTERISK && m->method != H1_M_OPTIONS) {
        /* method PRI (check_target): only the HTTP/2 preface, from byte 0 */
        if (major != 2 || minor != 0 || m->method_s.p != buf)
            FAIL(H1_E_TARGET);
        goto st_preface;
    }
    if (major != 1 || minor > 1)
        FAIL(H1_E_VERSION_UNSUPP);
    m->version = (uint8_t)minor;
    goto fields;

st_preface:
    have = len - pos < 8 ? len - pos : 8;
    if (memcmp(b + pos, preface_rest, have) != 0)
        FAIL(H1_E_PREFACE);
    if (have < 8) {
        end = len; /* the preface is not subject to max_start_line */
        MORE(S_PREFACE);
    }
    m->head_len = (uint32_t)(pos + 8);
    p->state = S_DONE;
    p->pos = (uint32_t)(pos + 8);
    p->result = H1_H2_PREFACE;
    return H1_H2_PREFACE;

    /* -- status line: HTTP-version SP 3DIGIT SP reason-phrase CRLF -- */
st_sversion:
    r = match_version(b, end, " ", 1, &bad);
    if (r < 0) {
        pos = bad;
        FAIL(H1_E_VERSION);
    }
    if (r == 0)
        MORE(S_SVERSION);
    if (b[5] != '1' || b[7] > '1')
        FAIL(H1_E_VERSION_UNSUPP);
    m->version = (uint8_t)(b[7] - '0');
st_status:
    /* RFC 9112 4: the SP after the code is required, but "HTTP/1.1 200\r\n"
     * is common enough from upstreams and harmless: a CR may follow. */
    for (size_t i = 9; i < 13; i++) {
        if (i >= end) {
            pos = 9;
            MORE(S_STATUS);
        }
        if (i < 12 ? !IS_DIGIT(b[i]) : (b[i] != ' ' && b[i] != '\r')) {
            pos = i;
            FAIL(H1_E_STATUS);
        }
    }
    m->status = (uint16_t)((b[9] - '0') * 100 + (b[10] - '0') * 10 + (b[11] - '0'));
    if (m->status < 100 || m->status > 599) {
        pos = 9;
        FAIL(H1_E_STATUS);
    }
    pos = b[12] == ' ' ? 13 : 12;
    mark = pos;
st_reason:
    pos = scan_value(b, pos, end);
    if (pos >= end)
        MORE(S_REASON);
    if (b[pos] != '\r')
        FAIL(b[pos] == '\n' ? H1_E_BARE_LF : H1_E_STATUS);
st_reason_lf:
    if (pos + 1 >= end)
        MORE(S_REASON_LF);
    if (b[pos + 1] != '\n')
        FAIL(H1_E_BARE_CR);
    m->reason.p = buf + mark;
    m->reason.len = pos - mark;
    pos += 2;

fields:
    p->hdr_start = (uint32_t)pos;
    {
        size_t lim = pos + p->lim.max_header_bytes;
        end = len < lim ? len : lim;
    }

    /* -- field section: *( field-line CRLF ) CRLF -- */
st_line:
#if defined(__SSE2__)
    if (end - pos >= 64 && !(p->lim.flags & H1_NO_FAST_PATH)) {
        pos = fast_fields(p, m, &hdr, buf, pos, end, maxf, &nf, &err);
        if (err)
            FAIL(err);
    }
#endif
    if (pos >= end)
        MORE(S_LINE);
    c = b[pos];
    if (LIKELY(IS(c, C_TCHAR))) {
        if (UNLIKELY(nf >= maxf))
            FAIL(H1_E_HEADERS_MANY);
        mark = pos++;
    } else if (c == '\r') {
        if (pos + 1 >= end)
            MORE(S_LINE);
        if (b[pos + 1] != '\n')
            FAIL(H1_E_BARE_CR);
        pos += 2;
        goto finish;
    } else {
        /* SP/HTAB: obs-fold, or whitespace after the start line (RFC 9112
         * 2.2, 5.2): rejected rather than unfolded. */
        FAIL(IS_OWS(c) ? H1_E_OBS_FOLD : c == '\n' ? H1_E_BARE_LF : H1_E_NAME);
    }
st_name:
    pos = scan_name(b, pos, end);
    if (UNLIKELY(pos >= end))
        MORE(S_NAME);
    if (UNLIKELY(b[pos] != ':'))
        FAIL(IS_OWS(b[pos]) ? H1_E_NAME_WS : H1_E_NAME);
    nlen = pos - mark;
    vmark = ++pos; /* OWS is trimmed once the line is complete */
st_value:
    pos = scan_value(b, pos, end);
    if (UNLIKELY(pos >= end))
        MORE(S_VALUE);
    if (UNLIKELY(b[pos] != '\r'))
        FAIL(b[pos] == '\n' ? H1_E_BARE_LF : H1_E_VALUE);
st_value_lf:
    if (UNLIKELY(pos + 1 >= end))
        MORE(S_VALUE_LF);
    if (UNLIKELY(b[pos + 1] != '\n'))
        FAIL(H1_E_BARE_CR);
    if ((err = take_field(p, m, &hdr, buf, mark, nlen, vmark, pos)))
        FAIL(err);
    nf++;
    pos += 2;
    goto st_line;

finish:
    m->head_len = (uint32_t)pos;
    p->nfields = (uint32_t)nf;
    if (hdr)
        m->nheaders = (uint32_t)(hdr - m->headers);
    if (p->kind == K_REQUEST)
        err = finish_request(p, m);
    else if (p->kind == K_RESPONSE)
        err = finish_response(p, m);
    else
        err = 0;
    if (err)
        FAIL(err);
    p->state = S_DONE;
    p->pos = (uint32_t)pos;
    p->result = (int)pos;
    return (int)pos;

more:
    p->pos = (uint32_t)pos;
    p->mark = (uint32_t)mark;
    p->vmark = (uint32_t)vmark;
    p->name_len = (uint32_t)nlen;
    p->nfields = (uint32_t)nf;
    if (hdr)
        m->nheaders = (uint32_t)(hdr - m->headers);
    if (end < len) {
        /* the data goes on past a limit and the element has not ended */
        err = p->state < S_LINE ? H1_E_START_LINE_LONG : H1_E_HEADERS_LARGE;
        goto fail;
    }
    return H1_AGAIN;

fail:
    p->nfields = (uint32_t)nf;
    if (hdr)
        m->nheaders = (uint32_t)(hdr - m->headers);
    p->state = S_ERROR;
    p->err = (uint8_t)err;
    p->pos = (uint32_t)pos;
    p->status = (uint16_t)h1_error_status(err, p->kind == K_RESPONSE);
    p->result = H1_ERROR;
    return H1_ERROR;
#undef FAIL
#undef MORE
}

/* ---- public head API ------------------------------------------------------ */

static uint32_t clamp_limit(uint32_t v, uint32_t def, uint32_t min)
{
    if (v == 0)
        return def;
    if (v > H1_LIMIT_MAX)
        return H1_LIMIT_MAX;
    return v < min ? min : v;
}

void h1_parser_init(struct h1_parser *p, const struct h1_limits *lim)
{
    memset(p, 0, sizeof(*p));
    if (lim)
        p->lim = *lim;
    p->lim.max_start_line = clamp_limit(p->lim.max_start_line, H1_MAX_START_LINE_DEFAULT, 16);
    p->lim.max_header_bytes = clamp_limit(p->lim.max_header_bytes, H1_MAX_HEADER_BYTES_DEFAULT, 2);
    p->lim.max_headers = clamp_limit(p->lim.max_headers, H1_MAX_HEADERS_DEFAULT, 1);
    p->lim.max_chunk_line = clamp_limit(p->lim.max_chunk_line, H1_MAX_CHUNK_LINE_DEFAULT, 3);
}

void h1_parser_reset(struct h1_parser *p)
{
    struct h1_limits lim = p->lim;
    memset(p, 0, sizeof(*p));
    p->lim = lim;
}

void h1_msg_init(struct h1_msg *m, struct h1_header *hdrs, uint32_t cap)
{
    memset(m, 0, sizeof(*m));
    m->headers = hdrs;
    m->cap = hdrs ? cap : 0;
}

int h1_parse_request(struct h1_parser *p, struct h1_msg *m, const char *buf, size_t len)
{
    /* state S_START and kind K_REQUEST are both 0 after init/reset */
    return parse_head(p, m, buf, len);
}

int h1_parse_response(struct h1_parser *p, struct h1_msg *m, const char *buf, size_t len,
                      int req_method)
{
    if (p->base == NULL && p->state == S_START) {
        p->kind = K_RESPONSE;
        p->state = S_SVERSION;
    }
    p->req_method = (uint8_t)req_method;
    return parse_head(p, m, buf, len);
}

int h1_error_status(int err, int response)
{
    if (response)
        return 502;
    switch (err) {
    case H1_E_START_LINE_LONG:
        return 414;
    case H1_E_HEADERS_LARGE:
    case H1_E_HEADERS_MANY:
        return 431;
    case H1_E_VERSION_UNSUPP:
        return 505;
    case H1_E_TE_UNSUPP:
        return 501;
    default:
        return 400;
    }
}

const char *h1_strerror(int err)
{
    static const char *const text[H1_E__COUNT] = {
        [H1_E_NONE] = "no error",
        [H1_E_BARE_CR] = "CR not followed by LF",
        [H1_E_BARE_LF] = "LF without CR",
        [H1_E_METHOD] = "invalid method",
        [H1_E_TARGET] = "invalid request-target",
        [H1_E_VERSION] = "invalid HTTP version",
        [H1_E_VERSION_UNSUPP] = "unsupported HTTP version",
        [H1_E_STATUS] = "invalid status line",
        [H1_E_PREFACE] = "invalid HTTP/2 preface",
        [H1_E_START_LINE_LONG] = "start line too long",
        [H1_E_HEADERS_LARGE] = "header section too large",
        [H1_E_HEADERS_MANY] = "too many header fields",
        [H1_E_OBS_FOLD] = "line folding or leading whitespace",
        [H1_E_NAME] = "invalid field name",
        [H1_E_NAME_WS] = "whitespace before colon",
        [H1_E_VALUE] = "invalid character in field value",
        [H1_E_HOST_MISSING] = "missing Host",
        [H1_E_HOST_DUP] = "more than one Host",
        [H1_E_HOST_INVALID] = "invalid Host",
        [H1_E_CL_INVALID] = "invalid Content-Length",
        [H1_E_CL_MISMATCH] = "conflicting Content-Length",
        [H1_E_CL_AND_TE] = "both Content-Length and Transfer-Encoding",
        [H1_E_TE_INVALID] = "invalid Transfer-Encoding",
        [H1_E_TE_UNSUPP] = "unsupported transfer coding",
        [H1_E_TE_HTTP10] = "Transfer-Encoding in HTTP/1.0",
        [H1_E_CONNECTION] = "invalid Connection",
        [H1_E_TRAILER_FORBIDDEN] = "framing or routing field in trailers",
        [H1_E_CHUNK_SIZE] = "invalid chunk size",
        [H1_E_CHUNK_EXT] = "invalid chunk extension",
        [H1_E_CHUNK_CRLF] = "chunk data not followed by CRLF",
        [H1_E_CHUNK_LINE_LONG] = "chunk-size line too long",
    };
    if (err < 0 || err >= H1_E__COUNT || !text[err])
        return "unknown error";
    return text[err];
}

const char *h1_method_name(int method)
{
    static const char *const names[] = {
        [H1_M_OTHER] = NULL,        [H1_M_GET] = "GET",         [H1_M_HEAD] = "HEAD",
        [H1_M_POST] = "POST",       [H1_M_PUT] = "PUT",         [H1_M_DELETE] = "DELETE",
        [H1_M_CONNECT] = "CONNECT", [H1_M_OPTIONS] = "OPTIONS", [H1_M_TRACE] = "TRACE",
        [H1_M_PATCH] = "PATCH",
    };
    if (method <= H1_M_OTHER || method > H1_M_PATCH)
        return NULL;
    return names[method];
}

/* ---- chunked transfer coding ---------------------------------------------- */

enum {
    C_SIZE0,       /* first HEXDIG of chunk-size */
    C_SIZE,        /* more HEXDIG */
    C_SIZE_WS,     /* BWS after the size: ";" must follow */
    C_EXT_PRE,     /* after ";": BWS, then chunk-ext-name */
    C_EXT_NAME,    /* in chunk-ext-name */
    C_EXT_NAME_WS, /* BWS after the name: "=" or ";" must follow */
    C_EXT_VAL_PRE, /* after "=": BWS, then token or quoted-string */
    C_EXT_TOK,     /* in a token value */
    C_EXT_Q,       /* in a quoted-string value */
    C_EXT_QESC,    /* after a backslash in it */
    C_EXT_VAL_END, /* after the closing quote */
    C_EXT_VAL_WS,  /* BWS after a value: ";" must follow */
    C_LF,          /* after the CR of the chunk-size line */
    C_DATA,
    C_DATA_CR,
    C_DATA_LF,
    C_TRAILERS,
    C_DONE,
    C_ERROR,
};

void h1_chunked_init(struct h1_chunked *c, const struct h1_limits *lim, struct h1_header *hdrs,
                     uint32_t cap)
{
    memset(c, 0, sizeof(*c));
    h1_parser_init(&c->tp, lim);
    c->max_line = c->tp.lim.max_chunk_line;
    h1_msg_init(&c->trailers, hdrs, cap);
}

ptrdiff_t h1_chunked_decode(struct h1_chunked *c, const char *buf, size_t len,
                            struct h1_slice *data)
{
    const unsigned char *b = (const unsigned char *)buf;
    size_t pos = 0;
    int err;

    data->p = NULL;
    data->len = 0;
    if (c->state == C_ERROR)
        return H1_ERROR;
    while (pos < len) {
        unsigned ch = b[pos];
        switch (c->state) {
        case C_DATA: {
            if (data->p)
                return (ptrdiff_t)pos; /* one data slice per call */
            size_t n = len - pos;
            if (n > c->left)
                n = (size_t)c->left;
            data->p = buf + pos;
            data->len = n;
            pos += n;
            c->left -= n;
            c->total += n;
            if (c->left == 0)
                c->state = C_DATA_CR;
            continue;
        }
        case C_DATA_CR:
            if (ch != '\r')
                goto fail_crlf;
            c->state = C_DATA_LF;
            pos++;
            continue;
        case C_DATA_LF:
            if (ch != '\n')
                goto fail_crlf;
            c->state = C_SIZE0;
            c->line = 0;
            c->size = 0;
            c->ndigits = 0;
            pos++;
            continue;
        case C_TRAILERS: {
            int r = parse_head(&c->tp, &c->trailers, buf + pos, len - pos);
            if (r == H1_AGAIN)
                return (ptrdiff_t)pos;
            if (r < 0) {
                err = c->tp.err;
                goto fail;
            }
            c->state = C_DONE;
            c->done = 1;
            return (ptrdiff_t)(pos + (size_t)r);
        }
        case C_DONE:
            return (ptrdiff_t)pos;
        default:
            break;
        }

        /* one byte of a chunk-size line */
        if (++c->line > c->max_line) {
            err = H1_E_CHUNK_LINE_LONG;
            goto fail;
        }
        switch (c->state) {
        case C_SIZE0:
            if (!IS(ch, C_HEX)) {
                err = ch == '\n' ? H1_E_BARE_LF : H1_E_CHUNK_SIZE;
                goto fail;
            }
            c->size = (uint64_t)hexval(ch);
            c->ndigits = 1;
            c->state = C_SIZE;
            break;
        case C_SIZE:
            if (IS(ch, C_HEX)) {
                /* 16 digits at most, leading zeros included; value < 2^63 */
                if (c->ndigits >= 16 || c->size >= (UINT64_C(1) << 59)) {
                    err = H1_E_CHUNK_SIZE;
                    goto fail;
                }
                c->size = c->size * 16 + (uint64_t)hexval(ch);
                c->ndigits++;
            } else if (ch == '\r') {
                c->state = C_LF;
            } else if (ch == ';') {
                c->state = C_EXT_PRE;
            } else if (IS_OWS(ch)) {
                c->state = C_SIZE_WS;
            } else {
                err = ch == '\n' ? H1_E_BARE_LF : H1_E_CHUNK_SIZE;
                goto fail;
            }
            break;
        case C_SIZE_WS:
            if (ch == ';')
                c->state = C_EXT_PRE;
            else if (!IS_OWS(ch))
                goto fail_ext;
            break;
        case C_EXT_PRE:
            if (IS(ch, C_TCHAR))
                c->state = C_EXT_NAME;
            else if (!IS_OWS(ch))
                goto fail_ext;
            break;
        case C_EXT_NAME:
            if (IS(ch, C_TCHAR))
                break;
            if (ch == '\r')
                c->state = C_LF;
            else if (ch == ';')
                c->state = C_EXT_PRE;
            else if (ch == '=')
                c->state = C_EXT_VAL_PRE;
            else if (IS_OWS(ch))
                c->state = C_EXT_NAME_WS;
            else
                goto fail_ext;
            break;
        case C_EXT_NAME_WS:
            if (ch == ';')
                c->state = C_EXT_PRE;
            else if (ch == '=')
                c->state = C_EXT_VAL_PRE;
            else if (!IS_OWS(ch))
                goto fail_ext;
            break;
        case C_EXT_VAL_PRE:
            if (ch == '"')
                c->state = C_EXT_Q;
            else if (IS(ch, C_TCHAR))
                c->state = C_EXT_TOK;
            else if (!IS_OWS(ch))
                goto fail_ext;
            break;
        case C_EXT_TOK:
        case C_EXT_VAL_END:
            if (c->state == C_EXT_TOK && IS(ch, C_TCHAR))
                break;
            if (ch == '\r')
                c->state = C_LF;
            else if (ch == ';')
                c->state = C_EXT_PRE;
            else if (IS_OWS(ch))
                c->state = C_EXT_VAL_WS;
            else
                goto fail_ext;
            break;
        case C_EXT_Q:
            if (ch == '"')
                c->state = C_EXT_VAL_END;
            else if (ch == '\\')
                c->state = C_EXT_QESC;
            else if (!IS(ch, C_QDTEXT))
                goto fail_ext;
            break;
        case C_EXT_QESC:
            /* quoted-pair = "\" ( HTAB / SP / VCHAR / obs-text ) */
            if (!IS(ch, C_VALUE))
                goto fail_ext;
            c->state = C_EXT_Q;
            break;
        case C_EXT_VAL_WS:
            if (ch == ';')
                c->state = C_EXT_PRE;
            else if (!IS_OWS(ch))
                goto fail_ext;
            break;
        case C_LF:
            if (ch != '\n') {
                err = H1_E_BARE_CR;
                goto fail;
            }
            if (c->size == 0) {
                /* last-chunk: the trailer section follows, parsed as a head
                 * without a start line */
                h1_parser_reset(&c->tp);
                c->tp.kind = K_TRAILERS;
                c->tp.state = S_LINE;
                c->state = C_TRAILERS;
            } else {
                c->left = c->size;
                c->state = C_DATA;
            }
            break;
        default:
            err = H1_E_NONE; /* not reached */
            goto fail;
        }
        pos++;
    }
    return (ptrdiff_t)pos;

fail_crlf:
    err = H1_E_CHUNK_CRLF;
    goto fail;
fail_ext:
    err = (b[pos] == '\n') ? H1_E_BARE_LF : H1_E_CHUNK_EXT;
fail:
    c->state = C_ERROR;
    c->err = (uint8_t)err;
    data->p = NULL;
    data->len = 0;
    return H1_ERROR;
}
