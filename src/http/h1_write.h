/* Serialising HTTP/1.1 heads and chunked framing for the proxy.
 *
 * The output functions write into caller memory and never allocate, except
 * h1_write_fields(), which appends to a capped struct buf. Nothing here
 * validates what it is given: names and values come from h1_parse_*(), which
 * already did. */
#ifndef FERRY_HTTP_H1_WRITE_H
#define FERRY_HTTP_H1_WRITE_H

#include <stddef.h>
#include <stdint.h>

#include "core/buf.h"
#include "http/h1.h"

/* Longest chunk-size line h1_write_chunk_size() writes: 16 hex digits + CRLF. */
#define H1_CHUNK_SIZE_MAX 18
/* The last chunk with an empty trailer section. */
#define H1_LAST_CHUNK "0\r\n\r\n"

/* The registered reason phrase for <status> (RFC 9110 section 15), or "" for
 * codes it does not name. Never NULL. */
const char *h1_reason(int status);

/* "HTTP/1.<minor> <status> <reason>\r\n" into <out>. <reason> NULL means
 * h1_reason(status). Returns the length written (no NUL), or 0 when <cap> is
 * too small or <status> is not 100..999. */
size_t h1_write_status_line(char *out, size_t cap, int minor, int status, const char *reason);

/* "<hex size>\r\n", the line that starts a chunk of <size> bytes (size > 0;
 * 0 is the last chunk: use H1_LAST_CHUNK). Returns the length written. */
size_t h1_write_chunk_size(char out[H1_CHUNK_SIZE_MAX], uint64_t size);

/* Appends "name: value\r\n" for each field of <m> whose flags have no bit in
 * <skip> (e.g. H1_HF_HOP | H1_HF_FRAMING when forwarding). Returns 0, or
 * -ENOMEM when the buffer's cap is reached (the buffer is then unchanged). */
int h1_write_fields(struct buf *out, const struct h1_msg *m, unsigned skip);

/* A complete minimal error response for a client we are about to close:
 * status line, "content-length: 0", "connection: close", blank line.
 * Returns the length written, or 0 when <cap> is too small. */
size_t h1_write_error(char *out, size_t cap, int status);

#endif
