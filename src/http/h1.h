/* Strict HTTP/1.1 message parsing (RFC 9112, RFC 9110): request heads,
 * response heads and the chunked transfer coding.
 *
 * Nothing here allocates or copies. Every slice points into the caller's
 * buffer; the parser keeps a few offsets in a small state struct so that when
 * it is called again with more bytes it resumes where it stopped. Bytes are
 * looked at again only in bounded cases: the <= 10 bytes of an incomplete
 * HTTP-version, the CR of a CRLF split across two reads, and a field line the
 * SIMD fast path gave up on (parsed once more byte by byte).
 *
 * Typical use on a connection's read buffer:
 *
 *     struct h1_parser p;
 *     struct h1_header hdrs[H1_MAX_HEADERS_DEFAULT];
 *     struct h1_msg m;
 *     h1_parser_init(&p, NULL);                 (NULL: default limits)
 *     h1_msg_init(&m, hdrs, H1_MAX_HEADERS_DEFAULT);
 *     for each read:
 *         int n = h1_parse_request(&p, &m, buf, len);
 *         n > 0:         head complete, n bytes long; body framing in m.body
 *         H1_AGAIN:      read more and call again with the longer buffer
 *         H1_ERROR:      answer p.status (400, 414, 431, 501, 505), close
 *         H1_H2_PREFACE: the 24-byte HTTP/2 connection preface (h2c)
 *     next message on the connection: h1_parser_reset(&p), buf += head + body
 *
 * The buffer passed on later calls must begin with the same bytes (it may have
 * moved: slices already filled are rebased onto the new address), and the
 * caller must not change bytes already passed. After H1_ERROR or a complete
 * head, further calls return the same result until h1_parser_reset().
 *
 * Thread-safety: none needed; all state is in the caller's structs. The
 * character tables are read-only. */
#ifndef FERRY_HTTP_H1_H
#define FERRY_HTTP_H1_H

#include <stddef.h>
#include <stdint.h>

/* Return values of the parse functions (a complete head returns its length). */
#define H1_ERROR (-1)
#define H1_AGAIN (-2)
#define H1_H2_PREFACE (-3)

/* Limits; 0 in a field of struct h1_limits means the default. */
#define H1_MAX_START_LINE_DEFAULT 8192u    /* request line, incl. CRLF: 414 */
#define H1_MAX_HEADER_BYTES_DEFAULT 32768u /* header section incl. final CRLF: 431 */
#define H1_MAX_HEADERS_DEFAULT 100u        /* field lines: 431 */
#define H1_MAX_CHUNK_LINE_DEFAULT 4096u    /* chunk-size line incl. extensions and CRLF */
#define H1_LIMIT_MAX (1u << 30)            /* larger values are clamped to this */

/* h1_limits.flags */
#define H1_ALLOW_8BIT_TARGET 0x1u /* accept raw bytes 0x80-0xFF in the request-target */
/* For tests and benchmarks: results are the same with or without these. */
#define H1_NO_AVX2 0x100u      /* do not use AVX2 even where the CPU has it */
#define H1_NO_FAST_PATH 0x200u /* parse every field line byte by byte */

struct h1_limits {
    uint32_t max_start_line;   /* leading empty lines + request/status line + CRLF */
    uint32_t max_header_bytes; /* the header (or trailer) section, final CRLF included */
    uint32_t max_headers;      /* field lines in one section */
    uint32_t max_chunk_line;   /* one chunk-size line, extensions and CRLF included */
    uint32_t flags;            /* H1_ALLOW_8BIT_TARGET, H1_NO_* */
};

struct h1_slice {
    const char *p; /* NULL when absent */
    size_t len;
};

/* Methods we give a meaning to; any other token is H1_M_OTHER (see m->method_s).
 * Methods are case-sensitive: "get" is H1_M_OTHER. */
enum h1_method {
    H1_M_OTHER = 0,
    H1_M_GET,
    H1_M_HEAD,
    H1_M_POST,
    H1_M_PUT,
    H1_M_DELETE,
    H1_M_CONNECT,
    H1_M_OPTIONS,
    H1_M_TRACE,
    H1_M_PATCH,
};

/* The four request-target forms of RFC 9112 section 3.2. */
enum h1_target_form {
    H1_T_ORIGIN = 0, /* "/path?query" */
    H1_T_ABSOLUTE,   /* "http://authority/path" (m->authority is set) */
    H1_T_AUTHORITY,  /* "host:port", CONNECT only (m->authority is set) */
    H1_T_ASTERISK,   /* "*", OPTIONS only */
};

/* Field names the parser recognises (case-insensitively). */
enum h1_hdr_id {
    H1_H_OTHER = 0,
    H1_H_HOST,
    H1_H_CONTENT_LENGTH,
    H1_H_TRANSFER_ENCODING,
    H1_H_CONNECTION,
    H1_H_KEEP_ALIVE,
    H1_H_PROXY_CONNECTION,
    H1_H_UPGRADE,
    H1_H_TE,
    H1_H_TRAILER,
    H1_H_EXPECT,
};

/* h1_header.flags */
#define H1_HF_HOP 0x1u     /* hop-by-hop (RFC 9110 7.6.1, or named in Connection) */
#define H1_HF_FRAMING 0x2u /* Content-Length or Transfer-Encoding: re-generated */

/* One field line. <name> and <value> point into the parsed buffer; <value> has
 * its leading and trailing OWS removed (it may be empty). Not NUL-terminated. */
struct h1_header {
    const char *name;
    const char *value;
    uint32_t name_len;
    uint32_t value_len;
    uint8_t id;    /* enum h1_hdr_id */
    uint8_t flags; /* H1_HF_* */
};

enum h1_body {
    H1_BODY_NONE = 0, /* no content */
    H1_BODY_LENGTH,   /* exactly m->content_length bytes (may be 0) */
    H1_BODY_CHUNKED,  /* chunked coding: use struct h1_chunked */
    H1_BODY_CLOSE,    /* responses only: until the upstream closes */
    H1_BODY_TUNNEL,   /* responses only: 101, or 2xx to CONNECT; bytes flow both ways */
};

/* m->conn: options found in Connection header fields. */
#define H1_CONN_CLOSE 0x1u
#define H1_CONN_KEEP_ALIVE 0x2u
#define H1_CONN_UPGRADE 0x4u
#define H1_CONN_OTHER 0x8u /* other options; the fields they name got H1_HF_HOP */

/* m->flags */
#define H1_MF_KEEP_ALIVE 0x01u      /* the connection may carry another message */
#define H1_MF_EXPECT_CONTINUE 0x02u /* HTTP/1.1 request with Expect: 100-continue */
#define H1_MF_EXPECT_OTHER 0x04u    /* Expect with another expectation (417 is allowed) */
#define H1_MF_UPGRADE 0x08u         /* HTTP/1.1, Upgrade field and "upgrade" in Connection */
#define H1_MF_TRAILER 0x10u         /* a Trailer field announced trailer fields */

/* A parsed head. The request fields are set by h1_parse_request, the status
 * fields by h1_parse_response. */
struct h1_msg {
    /* request line */
    uint8_t method;      /* enum h1_method */
    uint8_t target_form; /* enum h1_target_form */
    struct h1_slice method_s;
    struct h1_slice target;
    struct h1_slice authority; /* absolute-form or authority-form targets, else NULL */
    /* status line */
    uint16_t status;
    struct h1_slice reason;
    /* both */
    uint8_t version; /* minor version: 0 (HTTP/1.0) or 1 (HTTP/1.1) */
    uint8_t body;    /* enum h1_body */
    uint8_t conn;    /* H1_CONN_* */
    uint8_t flags;   /* H1_MF_* */
    uint64_t content_length;
    struct h1_slice host;    /* the Host field value (requests; empty value allowed) */
    struct h1_slice upgrade; /* the first Upgrade field value, if any */
    uint32_t head_len;       /* bytes of the head, CRLFCRLF included */
    uint32_t nheaders;       /* fields stored in headers[] */
    uint32_t nskip;          /* of those, how many have H1_HF_HOP or H1_HF_FRAMING */
    uint32_t cap;            /* size of headers[] */
    struct h1_header *headers;
};

/* Why a message was rejected; h1_strerror() names it. */
enum h1_error {
    H1_E_NONE = 0,
    H1_E_BARE_CR,           /* CR not followed by LF */
    H1_E_BARE_LF,           /* LF not preceded by CR */
    H1_E_METHOD,            /* method not a token, or not followed by one SP */
    H1_E_TARGET,            /* request-target characters or form */
    H1_E_VERSION,           /* malformed HTTP-version */
    H1_E_VERSION_UNSUPP,    /* well-formed but not HTTP/1.0 or HTTP/1.1 (505) */
    H1_E_STATUS,            /* malformed status line */
    H1_E_PREFACE,           /* "PRI * HTTP/2.0" not followed by the rest of the preface */
    H1_E_START_LINE_LONG,   /* 414 */
    H1_E_HEADERS_LARGE,     /* 431 */
    H1_E_HEADERS_MANY,      /* 431 */
    H1_E_OBS_FOLD,          /* line starting with SP/HTAB in a field section */
    H1_E_NAME,              /* empty or non-token field name, or no colon */
    H1_E_NAME_WS,           /* whitespace between field name and colon */
    H1_E_VALUE,             /* control character in a field value */
    H1_E_HOST_MISSING,      /* HTTP/1.1 request without Host */
    H1_E_HOST_DUP,          /* more than one Host */
    H1_E_HOST_INVALID,      /* Host value is not uri-host [":" port] */
    H1_E_CL_INVALID,        /* Content-Length not 1*DIGIT (list), or over 2^63-1 */
    H1_E_CL_MISMATCH,       /* differing Content-Length values */
    H1_E_CL_AND_TE,         /* both Content-Length and Transfer-Encoding */
    H1_E_TE_INVALID,        /* Transfer-Encoding not ending in a single plain "chunked" */
    H1_E_TE_UNSUPP,         /* a coding other than chunked before it (501) */
    H1_E_TE_HTTP10,         /* Transfer-Encoding in an HTTP/1.0 message */
    H1_E_CONNECTION,        /* Connection value is not a list of tokens */
    H1_E_TRAILER_FORBIDDEN, /* framing or routing field in a trailer section */
    H1_E_CHUNK_SIZE,        /* chunk-size empty, not hex, over 16 digits or 2^63 */
    H1_E_CHUNK_EXT,         /* malformed chunk extension */
    H1_E_CHUNK_CRLF,        /* chunk data not followed by CRLF */
    H1_E_CHUNK_LINE_LONG,   /* chunk-size line over max_chunk_line */
    H1_E__COUNT
};

struct h1_parser {
    struct h1_limits lim;
    const char *base; /* buffer of the previous call, to rebase slices */
    uint32_t pos;     /* where to resume */
    uint32_t mark;    /* start of the current element */
    uint32_t vmark;   /* start of the current field value */
    uint32_t name_len;
    uint32_t hdr_start; /* start of the field section */
    uint32_t nfields;   /* field lines seen (stored or not) */
    uint8_t state;
    uint8_t kind; /* request, response, trailers */
    uint8_t err;  /* enum h1_error, when state is the error state */
    uint8_t te;   /* Transfer-Encoding bits seen so far */
    uint8_t has_cl;
    uint8_t req_method; /* responses: the method of the request answered */
    uint16_t status;    /* HTTP status to answer with, after H1_ERROR */
    int result;         /* the result repeated by calls after the end */
};

/* <lim> may be NULL (all defaults); it is copied. */
void h1_parser_init(struct h1_parser *p, const struct h1_limits *lim);
/* Prepares for the next message; keeps the limits. */
void h1_parser_reset(struct h1_parser *p);
/* <hdrs> (may be NULL when <cap> is 0) receives the field lines; a message
 * with more fields than min(cap, max_headers) is rejected with 431. */
void h1_msg_init(struct h1_msg *m, struct h1_header *hdrs, uint32_t cap);

/* Parses a request head at the start of <buf>.
 * Returns the head length (> 0) when complete, H1_AGAIN when more bytes are
 * needed, H1_H2_PREFACE (m->head_len = 24) for the HTTP/2 connection preface,
 * or H1_ERROR with p->err and p->status (400, 414, 431, 501 or 505) set.
 * Limits are enforced on incomplete heads too: H1_ERROR comes as soon as the
 * buffer holds more bytes than a limit allows. Never blocks or allocates. */
int h1_parse_request(struct h1_parser *p, struct h1_msg *m, const char *buf, size_t len);

/* Same for a response head from an upstream. <req_method> (enum h1_method) is
 * the method of the request it answers: HEAD and CONNECT change the framing.
 * Errors have p->status 502 (Bad Gateway). Interim 1xx responses other than 101
 * come back with body H1_BODY_NONE; parse the next head after them. */
int h1_parse_response(struct h1_parser *p, struct h1_msg *m, const char *buf, size_t len,
                      int req_method);

/* The HTTP status to answer for <err>: in a request (or its chunked body) when
 * <response> is 0, else 502 for everything an upstream sent. */
int h1_error_status(int err, int response);
const char *h1_strerror(int err);
const char *h1_method_name(int method);

/* Decoder for the chunked transfer coding (RFC 9112 section 7.1).
 *
 * Feed it the body bytes as they come: <buf> must start at the first byte the
 * previous calls did not consume. Each call consumes framing and at most one
 * run of chunk data, which it reports as a slice of <buf> in *data (len 0 when
 * none). The bytes consumed are exactly the encoded bytes, so a proxy may:
 *   - decode: forward only the data slices (re-framing them as it likes), or
 *   - pass through: forward every consumed byte unchanged.
 * Chunk extensions are validated and ignored. The trailer section is not
 * consumed piecemeal: it stays in <buf> until it is complete (bounded by
 * max_header_bytes/max_headers), then is consumed at once; its fields are in
 * c->trailers (slices of that last buffer) when an array was given, else
 * they are validated and dropped. Trailer fields that would change framing or
 * routing (Content-Length, Transfer-Encoding, Host) are rejected.
 *
 * Returns the number of bytes consumed (0 means: need more bytes), or
 * H1_ERROR with c->err set. Once c->done is set the body is over, and bytes
 * after it belong to the next message. */
struct h1_chunked {
    uint64_t left;  /* chunk data bytes still to come */
    uint64_t size;  /* chunk-size being read */
    uint64_t total; /* decoded data bytes so far */
    uint32_t line;  /* bytes of the current chunk-size line */
    uint32_t max_line;
    uint8_t state;
    uint8_t ndigits;
    uint8_t err; /* enum h1_error after H1_ERROR */
    uint8_t done;
    struct h1_parser tp; /* the trailer section */
    struct h1_msg trailers;
};

/* <lim> may be NULL; <hdrs> may be NULL (trailers dropped after checking). */
void h1_chunked_init(struct h1_chunked *c, const struct h1_limits *lim, struct h1_header *hdrs,
                     uint32_t cap);
ptrdiff_t h1_chunked_decode(struct h1_chunked *c, const char *buf, size_t len,
                            struct h1_slice *data);

#endif
