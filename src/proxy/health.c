/* /healthz and /readyz. See health.h. */
#include "proxy/health.h"

#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "net/net.h"

struct health {
    int fd;
    health_ready_fn ready;
    void *arg;
    atomic_int stop;
    pthread_t thread;
    char address[NET_ADDR_STRLEN];
};

static void answer(int fd, int code, const char *text)
{
    char out[256];
    int n = snprintf(out, sizeof out,
                     "HTTP/1.1 %d %s\r\nContent-Type: text/plain\r\nContent-Length: %zu\r\n"
                     "Connection: close\r\n\r\n%s",
                     code,
                     code == 200   ? "OK"
                     : code == 503 ? "Service Unavailable"
                                   : "Not Found",
                     strlen(text), text);
    if (n > 0 && write(fd, out, (size_t)n) < 0)
        return; /* the prober went away: nothing to do */
}

/* Reads the request head (at most 2 KiB, one second) and answers it. */
static void serve_one(struct health *h, int fd)
{
    char req[2048];
    size_t len = 0;
    while (len < sizeof req - 1) {
        struct pollfd p = {fd, POLLIN, 0};
        if (poll(&p, 1, 1000) <= 0)
            return;
        ssize_t n = read(fd, req + len, sizeof req - 1 - len);
        if (n <= 0)
            return;
        len += (size_t)n;
        req[len] = '\0';
        if (strstr(req, "\r\n\r\n") || strstr(req, "\n\n"))
            break;
    }
    req[len] = '\0';
    char method[8], path[256];
    if (sscanf(req, "%7s %255s", method, path) != 2)
        return;
    char *q = strchr(path, '?');
    if (q)
        *q = '\0';
    int get = !strcmp(method, "GET") || !strcmp(method, "HEAD");
    if (get && !strcmp(path, "/healthz"))
        answer(fd, 200, "ok\n");
    else if (get && !strcmp(path, "/readyz"))
        h->ready(h->arg) ? answer(fd, 200, "ok\n") : answer(fd, 503, "not ready\n");
    else
        answer(fd, 404, "not found\n");
}

static void *run(void *arg)
{
    struct health *h = arg;
    while (!atomic_load(&h->stop)) {
        struct pollfd p = {h->fd, POLLIN, 0};
        if (poll(&p, 1, 200) <= 0)
            continue;
        int c = net_accept(h->fd, NULL, NULL);
        if (c < 0)
            continue;
        serve_one(h, c);
        close(c);
    }
    return NULL;
}

struct health *health_start(const char *addr, health_ready_fn ready, void *arg, struct err *e)
{
    struct health *h = calloc(1, sizeof *h);
    if (!h) {
        err_set(e, "out of memory");
        return NULL;
    }
    h->ready = ready;
    h->arg = arg;
    h->fd = net_listen_tcp(addr, 64, 0, e);
    if (h->fd < 0) {
        free(h);
        return NULL;
    }
    struct sockaddr_storage ss;
    socklen_t sl = sizeof ss;
    if (getsockname(h->fd, (struct sockaddr *)&ss, &sl) == 0)
        net_addr_format((struct sockaddr *)&ss, h->address, sizeof h->address);
    if (pthread_create(&h->thread, NULL, run, h) != 0) {
        close(h->fd);
        free(h);
        err_set(e, "health: cannot start a thread");
        return NULL;
    }
    return h;
}

const char *health_address(const struct health *h)
{
    return h->address;
}

void health_stop(struct health *h)
{
    if (!h)
        return;
    atomic_store(&h->stop, 1);
    pthread_join(h->thread, NULL);
    close(h->fd);
    free(h);
}
