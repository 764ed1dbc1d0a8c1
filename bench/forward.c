/* The floor under any proxy's cost on this machine: a forwarder that moves
 * bytes between each client connection and an upstream connection of its
 * own, and does nothing else (no HTTP parsing, no headers, no pooling, no
 * timers). What it costs per request is what the kernel alone costs a
 * proxy: two receives and two sends. bench/proxy_cpu.sh runs it beside
 * nginx and ferry; its requests/s over nginx's is about the most any proxy
 * can show against nginx on the same machine and load.
 *
 * Not a proxy to use: sends block (on loopback, with the benchmark's small
 * messages, they never wait) and errors end the connection pair.
 *
 * Build and run:
 *   cc -O2 -std=c11 -D_GNU_SOURCE bench/forward.c -o build/bench-forward
 *   build/bench-forward LISTEN-PORT UPSTREAM-PORT     (both on 127.0.0.1) */
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#define MAX_FD 65536

static int peer[MAX_FD]; /* the other end of each open fd's pair, -1 when none */

static struct sockaddr_in loopback(int port)
{
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    return a;
}

static int watch(int ep, int fd)
{
    struct epoll_event ev = {.events = EPOLLIN, .data.fd = fd};
    return epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev);
}

/* A new client: its own upstream connection, both watched. */
static void pair_up(int ep, int c, const struct sockaddr_in *up)
{
    int one = 1;
    int u = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (u < 0 || u >= MAX_FD || c >= MAX_FD || connect(u, (const void *)up, sizeof *up) < 0) {
        if (u >= 0)
            close(u);
        close(c);
        return;
    }
    setsockopt(c, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    setsockopt(u, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    peer[c] = u;
    peer[u] = c;
    if (watch(ep, c) < 0 || watch(ep, u) < 0) {
        peer[c] = peer[u] = -1;
        close(c);
        close(u);
    }
}

static void unpair(int fd)
{
    int p = peer[fd];
    peer[fd] = -1;
    close(fd);
    if (p >= 0) {
        peer[p] = -1;
        close(p);
    }
}

int main(int argc, char **argv)
{
    if (argc != 3) {
        fprintf(stderr, "usage: %s LISTEN-PORT UPSTREAM-PORT\n", argv[0]);
        return 2;
    }
    for (int i = 0; i < MAX_FD; i++)
        peer[i] = -1;
    struct sockaddr_in at = loopback(atoi(argv[1])), up = loopback(atoi(argv[2]));
    int one = 1;
    int l = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    setsockopt(l, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    int ep = epoll_create1(EPOLL_CLOEXEC);
    if (l < 0 || bind(l, (const void *)&at, sizeof at) < 0 || listen(l, 1024) < 0 || ep < 0 ||
        watch(ep, l) < 0) {
        perror("bench-forward");
        return 1;
    }
    static char buf[65536];
    struct epoll_event evs[512];
    for (;;) {
        int n = epoll_wait(ep, evs, 512, -1);
        if (n < 0 && errno != EINTR) {
            perror("bench-forward: epoll_wait");
            return 1;
        }
        for (int i = 0; i < n; i++) {
            int fd = evs[i].data.fd;
            if (fd == l) {
                int c = accept4(l, NULL, NULL, SOCK_CLOEXEC);
                if (c >= 0)
                    pair_up(ep, c, &up);
                continue;
            }
            if (peer[fd] < 0)
                continue; /* its pair ended earlier in this batch */
            ssize_t k = recv(fd, buf, sizeof buf, MSG_DONTWAIT);
            if (k < 0 && (errno == EAGAIN || errno == EINTR))
                continue;
            if (k <= 0 || send(peer[fd], buf, (size_t)k, MSG_NOSIGNAL) != k)
                unpair(fd);
        }
    }
}
