#include "net/acceptor.h"

#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <unistd.h>

#include "core/log.h"
#include "net/net.h"

#define RETRY_MS 100

static int open_reserve(void)
{
    return open("/dev/null", O_RDONLY | O_CLOEXEC);
}

/* Accepts one pending connection on the reserve's descriptor and closes it.
 * Returns what net_accept returned. */
static int refuse_one(struct acceptor *a)
{
    if (a->reserve_fd < 0)
        a->reserve_fd = open_reserve(); /* a descriptor may have come free */
    if (a->reserve_fd < 0)
        return -EMFILE;
    close(a->reserve_fd);
    a->reserve_fd = -1;
    int fd = net_accept(a->io.fd, NULL, NULL);
    if (fd >= 0) {
        close(fd);
        a->refused++;
    }
    /* Can fail if another thread took the slot; retried next time. */
    a->reserve_fd = open_reserve();
    return fd;
}

static void drain(struct loop *loop, struct acceptor *a)
{
    for (unsigned n = 0; n < a->batch; n++) {
        struct sockaddr_storage ss;
        socklen_t len;
        int fd = net_accept(a->io.fd, &ss, &len);
        if (fd >= 0) {
            if (a->starved) {
                a->starved = 0;
                LOG_INFO("accept: descriptors available again; %llu connections were closed "
                         "unserved",
                         (unsigned long long)a->refused);
            }
            a->accepted++;
            if (ss.ss_family == AF_INET || ss.ss_family == AF_INET6) {
                int one = 1;
                setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
            }
            a->cb(loop, a, fd, (const struct sockaddr *)&ss, len);
            if (!a->io.active)
                return; /* the callback stopped us */
            continue;
        }
        switch (-fd) {
        case EAGAIN:
            return; /* drained; the next connection is a new edge */
        case EMFILE:
        case ENFILE:
            if (!a->starved) {
                a->starved = 1;
                LOG_WARN("accept: %s; closing new connections at once until descriptors are "
                         "free",
                         fd == -EMFILE ? "too many open files" : "too many open files in system");
            }
            fd = refuse_one(a);
            if (fd == -EAGAIN)
                return;
            if (fd == -EMFILE || fd == -ENFILE) {
                timer_start(loop, &a->retry, RETRY_MS, a->retry.cb);
                return;
            }
            continue;
        case ENOBUFS:
        case ENOMEM:
            timer_start(loop, &a->retry, RETRY_MS, a->retry.cb);
            return;
        case EBADF:
        case EINVAL:
        case ENOTSOCK:
        case EOPNOTSUPP:
        case EFAULT:
            /* Not a listening socket: a bug, not a load problem. */
            LOG_ERROR("accept on descriptor %d: %s; not accepting there any more", a->io.fd,
                      fd == -EINVAL ? "not listening" : "not a socket");
            io_stop(loop, &a->io);
            return;
        default:
            /* ECONNABORTED, EPROTO, EPERM (a firewall), and the network
             * errors accept(2) passes on: that connection is gone, take the
             * next. */
            continue;
        }
    }
    /* Batch done and more may be waiting, which edge-triggered epoll will not
     * report again: re-arm, so the next iteration continues after the other
     * descriptors have had their turn. */
    io_modify(loop, &a->io, IO_READ);
}

static void on_listener(struct loop *loop, struct io *io, unsigned events)
{
    (void)events;
    drain(loop, NET_CONTAINER_OF(io, struct acceptor, io));
}

static void on_retry(struct loop *loop, struct timer *t)
{
    drain(loop, NET_CONTAINER_OF(t, struct acceptor, retry));
}

int acceptor_start(struct loop *loop, struct acceptor *a, int lfd, unsigned batch, acceptor_cb cb)
{
    io_init(&a->io, lfd, on_listener);
    timer_init(&a->retry);
    a->retry.cb = on_retry;
    a->cb = cb;
    a->batch = batch ? batch : ACCEPTOR_BATCH;
    a->starved = 0;
    a->accepted = 0;
    a->refused = 0;
    a->reserve_fd = open_reserve();
    int r = io_start(loop, &a->io, IO_READ);
    if (r < 0 && a->reserve_fd >= 0) {
        close(a->reserve_fd);
        a->reserve_fd = -1;
    }
    return r;
}

void acceptor_stop(struct loop *loop, struct acceptor *a)
{
    io_stop(loop, &a->io);
    timer_stop(loop, &a->retry);
    if (a->reserve_fd >= 0) {
        close(a->reserve_fd);
        a->reserve_fd = -1;
    }
}
