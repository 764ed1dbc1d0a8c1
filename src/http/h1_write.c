/* Serialising HTTP/1.1 heads and chunked framing. See h1_write.h. */
#include "http/h1_write.h"

#include <errno.h>
#include <string.h>

const char *h1_reason(int status)
{
    switch (status) {
    case 100:
        return "Continue";
    case 101:
        return "Switching Protocols";
    case 200:
        return "OK";
    case 201:
        return "Created";
    case 202:
        return "Accepted";
    case 203:
        return "Non-Authoritative Information";
    case 204:
        return "No Content";
    case 205:
        return "Reset Content";
    case 206:
        return "Partial Content";
    case 300:
        return "Multiple Choices";
    case 301:
        return "Moved Permanently";
    case 302:
        return "Found";
    case 303:
        return "See Other";
    case 304:
        return "Not Modified";
    case 307:
        return "Temporary Redirect";
    case 308:
        return "Permanent Redirect";
    case 400:
        return "Bad Request";
    case 401:
        return "Unauthorized";
    case 403:
        return "Forbidden";
    case 404:
        return "Not Found";
    case 405:
        return "Method Not Allowed";
    case 406:
        return "Not Acceptable";
    case 407:
        return "Proxy Authentication Required";
    case 408:
        return "Request Timeout";
    case 409:
        return "Conflict";
    case 410:
        return "Gone";
    case 411:
        return "Length Required";
    case 412:
        return "Precondition Failed";
    case 413:
        return "Content Too Large";
    case 414:
        return "URI Too Long";
    case 415:
        return "Unsupported Media Type";
    case 416:
        return "Range Not Satisfiable";
    case 417:
        return "Expectation Failed";
    case 421:
        return "Misdirected Request";
    case 422:
        return "Unprocessable Content";
    case 426:
        return "Upgrade Required";
    case 429:
        return "Too Many Requests";
    case 431:
        return "Request Header Fields Too Large";
    case 500:
        return "Internal Server Error";
    case 501:
        return "Not Implemented";
    case 502:
        return "Bad Gateway";
    case 503:
        return "Service Unavailable";
    case 504:
        return "Gateway Timeout";
    case 505:
        return "HTTP Version Not Supported";
    default:
        return "";
    }
}

size_t h1_write_status_line(char *out, size_t cap, int minor, int status, const char *reason)
{
    if (status < 100 || status > 999 || (minor != 0 && minor != 1))
        return 0;
    if (!reason)
        reason = h1_reason(status);
    size_t rlen = strlen(reason);
    size_t n = 13 + rlen + 2; /* "HTTP/1.x NNN " reason CRLF */
    if (n > cap)
        return 0;
    char head[] = "HTTP/1.0 000 ";
    head[7] = (char)('0' + minor);
    head[9] = (char)('0' + status / 100);
    head[10] = (char)('0' + status / 10 % 10);
    head[11] = (char)('0' + status % 10);
    /* <out> is bytes for the wire, not a C string */
    memcpy(out, head, 13);          // NOLINT(bugprone-not-null-terminated-result)
    memcpy(out + 13, reason, rlen); // NOLINT(bugprone-not-null-terminated-result)
    out[13 + rlen] = '\r';
    out[14 + rlen] = '\n';
    return n;
}

size_t h1_write_chunk_size(char out[H1_CHUNK_SIZE_MAX], uint64_t size)
{
    static const char hex[] = "0123456789abcdef";
    char tmp[16];
    size_t n = 0;
    do {
        tmp[n++] = hex[size & 15];
        size >>= 4;
    } while (size);
    for (size_t i = 0; i < n; i++)
        out[i] = tmp[n - 1 - i];
    out[n] = '\r';
    out[n + 1] = '\n';
    return n + 2;
}

int h1_write_fields(struct buf *out, const struct h1_msg *m, unsigned skip)
{
    size_t need = 0;
    for (uint32_t i = 0; i < m->nheaders; i++) {
        const struct h1_header *h = &m->headers[i];
        if (!(h->flags & skip))
            need += (size_t)h->name_len + 2 + h->value_len + 2;
    }
    /* reserve first, so that a failure leaves the buffer as it was */
    if (need == 0)
        return 0;
    int rc = buf_reserve(out, need);
    if (rc < 0)
        return rc;
    for (uint32_t i = 0; i < m->nheaders; i++) {
        const struct h1_header *h = &m->headers[i];
        if (h->flags & skip)
            continue;
        char *p = out->p + out->len;
        memcpy(p, h->name, h->name_len);
        p += h->name_len;
        *p++ = ':';
        *p++ = ' ';
        memcpy(p, h->value, h->value_len);
        p += h->value_len;
        *p++ = '\r';
        *p++ = '\n';
        out->len = (size_t)(p - out->p);
    }
    out->p[out->len] = '\0';
    return 0;
}

size_t h1_write_error(char *out, size_t cap, int status)
{
    static const char tail[] = "content-length: 0\r\nconnection: close\r\n\r\n";
    size_t n = h1_write_status_line(out, cap, 1, status, NULL);
    if (n == 0 || cap - n < sizeof(tail) - 1)
        return 0;
    memcpy(out + n, tail, sizeof(tail) - 1);
    return n + sizeof(tail) - 1;
}
