#include "net/net.h"

#include "core/file.h"

#include <arpa/inet.h>
#include <errno.h>
#include <net/if.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* ---- addresses --------------------------------------------------------- */

static int bad_addr(struct err *e, const char *text, const char *why)
{
    err_set(e, "invalid address \"%s\": %s", text, why);
    return -EINVAL;
}

/* Decimal 0..<max>, digits only, the whole of <s>. */
static int parse_uint(const char *s, unsigned max, unsigned *out)
{
    if (!*s)
        return -1;
    unsigned long v = 0;
    for (; *s; s++) {
        if (*s < '0' || *s > '9')
            return -1;
        v = v * 10 + (unsigned)(*s - '0');
        if (v > max)
            return -1;
    }
    *out = (unsigned)v;
    return 0;
}

int net_addr_parse(const char *text, struct sockaddr_storage *ss, socklen_t *len, struct err *e)
{
    memset(ss, 0, sizeof *ss);
    const char *colon;
    char host[INET6_ADDRSTRLEN + IF_NAMESIZE + 2];
    size_t hlen;
    int v6 = 0;

    if (text[0] == '[') {
        const char *close = strchr(text, ']');
        if (!close)
            return bad_addr(e, text, "missing ']' after an IPv6 address");
        if (close[1] != ':')
            return bad_addr(e, text, "missing port after ']'");
        hlen = (size_t)(close - text - 1);
        if (hlen == 0 || hlen >= sizeof host)
            return bad_addr(e, text, "not a numeric IPv6 address");
        memcpy(host, text + 1, hlen);
        host[hlen] = '\0';
        colon = close + 1;
        v6 = 1;
    } else {
        colon = strrchr(text, ':');
        if (!colon)
            return bad_addr(e, text, "missing port (host:port)");
        hlen = (size_t)(colon - text);
        if (memchr(text, ':', hlen))
            return bad_addr(e, text, "an IPv6 address must be in brackets, as in [::1]:80");
        if (hlen >= sizeof host)
            return bad_addr(e, text, "not a numeric IPv4 or IPv6 address");
        memcpy(host, text, hlen);
        host[hlen] = '\0';
    }

    unsigned port;
    if (parse_uint(colon + 1, 65535, &port) != 0)
        return bad_addr(e, text, "port must be a number from 0 to 65535");

    if (!v6 && (hlen == 0 || strcmp(host, "*") == 0)) {
        /* Every address: IPv6's, which listeners open dual-stack. */
        struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)ss;
        s6->sin6_family = AF_INET6;
        s6->sin6_addr = in6addr_any;
        s6->sin6_port = htons((uint16_t)port);
        *len = sizeof *s6;
        return 0;
    }
    if (!v6) {
        struct sockaddr_in *s4 = (struct sockaddr_in *)ss;
        /* inet_pton takes exactly four decimal parts, no leading zeros'
         * octal or hex forms (which inet_aton would take). */
        if (inet_pton(AF_INET, host, &s4->sin_addr) != 1)
            return bad_addr(e, text, "not a numeric IPv4 or IPv6 address");
        s4->sin_family = AF_INET;
        s4->sin_port = htons((uint16_t)port);
        *len = sizeof *s4;
        return 0;
    }

    struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)ss;
    char *zone = strchr(host, '%');
    if (zone) {
        *zone++ = '\0';
        if (!*zone)
            return bad_addr(e, text, "empty IPv6 zone after '%'");
        unsigned id;
        if (zone[0] >= '0' && zone[0] <= '9') {
            if (parse_uint(zone, 0xffffffffu, &id) != 0)
                return bad_addr(e, text, "invalid IPv6 zone");
        } else {
            id = if_nametoindex(zone);
            if (id == 0)
                return bad_addr(e, text, "unknown network interface in IPv6 zone");
        }
        s6->sin6_scope_id = id;
    }
    if (inet_pton(AF_INET6, host, &s6->sin6_addr) != 1)
        return bad_addr(e, text, "not a numeric IPv6 address");
    s6->sin6_family = AF_INET6;
    s6->sin6_port = htons((uint16_t)port);
    *len = sizeof *s6;
    return 0;
}

static size_t finish(char *dst, size_t n, int r)
{
    if (r < 0 || n == 0) {
        if (n)
            dst[0] = '\0';
        return 0;
    }
    return (size_t)r < n ? (size_t)r : n - 1;
}

/* The IP as text in <ip>, and whether it needs brackets. 0 or -1. */
static int ip_text(const struct sockaddr *sa, char *ip, size_t n, unsigned *port, int *bracket)
{
    if (sa->sa_family == AF_INET) {
        const struct sockaddr_in *s4 = (const struct sockaddr_in *)(const void *)sa;
        *port = ntohs(s4->sin_port);
        *bracket = 0;
        return inet_ntop(AF_INET, &s4->sin_addr, ip, (socklen_t)n) ? 0 : -1;
    }
    if (sa->sa_family == AF_INET6) {
        const struct sockaddr_in6 *s6 = (const struct sockaddr_in6 *)(const void *)sa;
        *port = ntohs(s6->sin6_port);
        if (IN6_IS_ADDR_V4MAPPED(&s6->sin6_addr)) {
            *bracket = 0;
            return inet_ntop(AF_INET, &s6->sin6_addr.s6_addr[12], ip, (socklen_t)n) ? 0 : -1;
        }
        *bracket = 1;
        if (!inet_ntop(AF_INET6, &s6->sin6_addr, ip, (socklen_t)n))
            return -1;
        if (s6->sin6_scope_id) {
            size_t l = strlen(ip);
            char name[IF_NAMESIZE];
            if (if_indextoname(s6->sin6_scope_id, name))
                snprintf(ip + l, n - l, "%%%s", name);
            else
                snprintf(ip + l, n - l, "%%%u", (unsigned)s6->sin6_scope_id);
        }
        return 0;
    }
    return -1;
}

size_t net_addr_format(const struct sockaddr *sa, char *dst, size_t n)
{
    char ip[NET_ADDR_STRLEN];
    unsigned port;
    int bracket;
    if (ip_text(sa, ip, sizeof ip, &port, &bracket) != 0)
        return finish(dst, n, snprintf(dst, n, "?"));
    return finish(dst, n, snprintf(dst, n, bracket ? "[%s]:%u" : "%s:%u", ip, port));
}

size_t net_addr_format_ip(const struct sockaddr *sa, char *dst, size_t n)
{
    char ip[NET_ADDR_STRLEN];
    unsigned port;
    int bracket;
    if (ip_text(sa, ip, sizeof ip, &port, &bracket) != 0)
        return finish(dst, n, snprintf(dst, n, "?"));
    return finish(dst, n, snprintf(dst, n, "%s", ip));
}

/* ---- sockets ----------------------------------------------------------- */

static int set_int(int fd, int level, int opt, int v)
{
    return setsockopt(fd, level, opt, &v, sizeof v) < 0 ? -errno : 0;
}

/* Go's wording: "listen tcp 127.0.0.1:80: bind: address already in use",
 * plus what to do when a port below 1024 is refused to an unprivileged user. */
static int sock_fail(struct err *e, const char *what, const char *addr, const char *op, int r)
{
    char text[128];
    const char *hint = r == -EACCES && !strcmp(op, "bind")
                           ? " (ports below 1024 need root, the NET_BIND_SERVICE capability or"
                             " a lower net.ipv4.ip_unprivileged_port_start; or listen on a port"
                             " from 1024 up)"
                           : "";
    err_set(e, "%s %s: %s: %s%s", what, addr, op, file_strerror(-r, text, sizeof text), hint);
    return r;
}

/* A non-blocking socket of <type> bound to <addr>, options set per <flags>.
 * <what> names the operation in messages ("listen tcp", "listen udp"). */
static int open_bound(const char *addr, int type, unsigned flags, const char *what, struct err *e)
{
    struct sockaddr_storage ss;
    socklen_t len;
    int r = net_addr_parse(addr, &ss, &len, e);
    if (r < 0)
        return r;
    int wildcard6 = ss.ss_family == AF_INET6 &&
                    IN6_IS_ADDR_UNSPECIFIED(&((struct sockaddr_in6 *)&ss)->sin6_addr);
    int fd = socket(ss.ss_family, type | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0 && wildcard6 && errno == EAFNOSUPPORT) {
        /* A kernel without IPv6: ":port" means 0.0.0.0. */
        uint16_t port = ((struct sockaddr_in6 *)&ss)->sin6_port;
        struct sockaddr_in *s4 = (struct sockaddr_in *)&ss;
        memset(&ss, 0, sizeof ss);
        s4->sin_family = AF_INET;
        s4->sin_addr.s_addr = htonl(INADDR_ANY);
        s4->sin_port = port;
        len = sizeof *s4;
        wildcard6 = 0;
        fd = socket(AF_INET, type | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    }
    if (fd < 0)
        return sock_fail(e, what, addr, "socket", -errno);
    const char *op = "setsockopt";
    if ((r = set_int(fd, SOL_SOCKET, SO_REUSEADDR, 1)) < 0)
        goto fail;
    if ((flags & NET_REUSEPORT) && (r = set_int(fd, SOL_SOCKET, SO_REUSEPORT, 1)) < 0)
        goto fail;
    if (wildcard6 && (r = set_int(fd, IPPROTO_IPV6, IPV6_V6ONLY, 0)) < 0)
        goto fail;
    if (bind(fd, (struct sockaddr *)&ss, len) < 0) {
        r = -errno;
        op = "bind";
        goto fail;
    }
    return fd;

fail:
    close(fd);
    return sock_fail(e, what, addr, op, r);
}

int net_listen_tcp(const char *addr, int backlog, unsigned flags, struct err *e)
{
    int fd = open_bound(addr, SOCK_STREAM, flags, "listen tcp", e);
    if (fd < 0)
        return fd;
    int r;
    const char *op = "setsockopt";
    /* The seconds bound how long a connection that sends nothing waits
     * before it is handed over anyway. */
    if ((flags & NET_DEFER_ACCEPT) && (r = set_int(fd, IPPROTO_TCP, TCP_DEFER_ACCEPT, 1)) < 0)
        goto fail;
    if (listen(fd, backlog > 0 ? backlog : 4096) < 0) {
        r = -errno;
        op = "listen";
        goto fail;
    }
    return fd;

fail:
    close(fd);
    return sock_fail(e, "listen tcp", addr, op, r);
}

int net_bind_udp(const char *addr, unsigned flags, struct err *e)
{
    return open_bound(addr, SOCK_DGRAM, flags & NET_REUSEPORT, "listen udp", e);
}

int net_local_port(int fd)
{
    struct sockaddr_storage ss;
    memset(&ss, 0, sizeof ss);
    socklen_t len = sizeof ss;
    if (getsockname(fd, (struct sockaddr *)&ss, &len) < 0)
        return -errno;
    if (ss.ss_family == AF_INET)
        return ntohs(((struct sockaddr_in *)&ss)->sin_port);
    if (ss.ss_family == AF_INET6)
        return ntohs(((struct sockaddr_in6 *)&ss)->sin6_port);
    return -EAFNOSUPPORT;
}

int net_accept(int lfd, struct sockaddr_storage *ss, socklen_t *len)
{
    if (ss)
        *len = sizeof *ss;
    else
        len = NULL;
    for (;;) {
        int fd = accept4(lfd, (struct sockaddr *)ss, len, SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (fd >= 0)
            return fd;
        if (errno != EINTR)
            return errno == EWOULDBLOCK ? -EAGAIN : -errno;
    }
}

int net_connect_tcp(const struct sockaddr *sa, socklen_t len, struct err *e)
{
    char text[NET_ADDR_STRLEN];
    int fd = socket(sa->sa_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    int r;
    if (fd < 0) {
        r = -errno;
        goto fail_msg;
    }
    /* Requests and responses are written whole; Nagle would only delay the
     * last segment of each. */
    if ((r = set_int(fd, IPPROTO_TCP, TCP_NODELAY, 1)) < 0)
        goto fail;
    if (connect(fd, sa, len) < 0 && errno != EINPROGRESS) {
        r = -errno;
        goto fail;
    }
    return fd;

fail:
    close(fd);
fail_msg:
    if (e) {
        char why[128];
        net_addr_format(sa, text, sizeof text);
        err_set(e, "dial tcp %s: %s", text, file_strerror(-r, why, sizeof why));
    }
    return r;
}

int net_connect_result(int fd)
{
    int v = 0;
    socklen_t len = sizeof v;
    if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &v, &len) < 0)
        return -errno;
    return -v;
}
