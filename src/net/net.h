/* Sockets: numeric addresses, listeners, accept, outgoing connections, UDP.
 *
 * Every descriptor returned here is non-blocking and close-on-exec. Functions
 * that return a descriptor return it (>= 0) or -errno; those that take a
 * struct err also fill it with a message naming the address, for the user.
 * Nothing here resolves names: addresses are numeric, as Kubernetes gives
 * them (pod IPs, cluster IPs). None of these calls block. */
#ifndef FERRY_NET_NET_H
#define FERRY_NET_NET_H

#include <stddef.h>
#include <sys/socket.h>

#include "core/err.h"

/* Longest text net_addr_format writes, NUL included:
 * "[" IPv6 "%" interface-or-scope "]:" port. */
#define NET_ADDR_STRLEN 72

/* Parses a numeric "host:port" into <ss> and <len>:
 *   "127.0.0.1:8080"          IPv4
 *   "[::1]:8080"              IPv6, always in brackets
 *   "[fe80::1%eth0]:8080"     IPv6 with a zone (interface name or number)
 *   ":8080", "*:8080"         every address: [::] (which listeners open
 *                             dual-stack), 0.0.0.0 where IPv6 is off
 * The port is decimal, 0 to 65535 (0: the kernel picks, for listeners).
 * Returns 0, or -EINVAL with <e> (may be NULL) saying what is wrong, e.g.
 * `invalid address "1.2.3:80": not a numeric IPv4 or IPv6 address`. */
int net_addr_parse(const char *text, struct sockaddr_storage *ss, socklen_t *len, struct err *e);

/* Writes "1.2.3.4:80" or "[::1]:80" into <dst> (NUL terminated, truncated
 * to <n>; NET_ADDR_STRLEN is always enough) and returns the length. An
 * IPv4-mapped IPv6 address (a client of a dual-stack listener) is written as
 * the IPv4 address it is. A family other than IPv4/IPv6 writes "?". */
size_t net_addr_format(const struct sockaddr *sa, char *dst, size_t n);
/* The same without the port and brackets: "1.2.3.4", "::1" (for access logs
 * and X-Forwarded-For). */
size_t net_addr_format_ip(const struct sockaddr *sa, char *dst, size_t n);

/* Flags for net_listen_tcp and net_bind_udp. */
#define NET_REUSEPORT 0x1u    /* SO_REUSEPORT: one listener per worker, same port */
#define NET_DEFER_ACCEPT 0x2u /* TCP_DEFER_ACCEPT: wake the acceptor when data arrives */

/* A listening TCP socket on <addr> (net_addr_parse syntax) with SO_REUSEADDR.
 * <backlog> <= 0 means 4096 (the kernel caps it at net.core.somaxconn).
 * A wildcard IPv6 address listens dual-stack (IPV6_V6ONLY off); where the
 * kernel has no IPv6, ":port" falls back to 0.0.0.0. Returns the descriptor
 * or -errno, with <e> like
 * `listen tcp 127.0.0.1:80: bind: address already in use`. */
int net_listen_tcp(const char *addr, int backlog, unsigned flags, struct err *e);

/* A bound UDP socket on <addr>, with SO_REUSEADDR (and SO_REUSEPORT with
 * NET_REUSEPORT). Returns the descriptor or -errno, <e> filled. */
int net_bind_udp(const char *addr, unsigned flags, struct err *e);

/* The local port of a bound socket (after port 0), or -errno. */
int net_local_port(int fd);

/* accept4 with SOCK_NONBLOCK|SOCK_CLOEXEC, retrying EINTR. <ss>/<len> may be
 * NULL. Returns the new descriptor or -errno: -EAGAIN when the backlog is
 * empty; -EMFILE/-ENFILE when out of descriptors (see struct acceptor for
 * what to do then); -ECONNABORTED and other per-connection errors mean that
 * one connection is gone and the next may be accepted. */
int net_accept(int lfd, struct sockaddr_storage *ss, socklen_t *len);

/* Starts a non-blocking TCP connection to <sa> with TCP_NODELAY set.
 * Returns the descriptor: the connection is established or in progress;
 * wait for IO_WRITE (or IO_ERR/IO_HUP), then ask net_connect_result. Returns
 * -errno when it failed at once (e.g. -ECONNREFUSED, -ENETUNREACH,
 * -EADDRNOTAVAIL when local ports run out), with <e> (may be NULL) filled. */
int net_connect_tcp(const struct sockaddr *sa, socklen_t len, struct err *e);
/* After writability: 0 if the connection was established, else -errno from
 * SO_ERROR (e.g. -ECONNREFUSED, -ETIMEDOUT). */
int net_connect_result(int fd);

#endif
