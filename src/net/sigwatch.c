#include "net/sigwatch.h"

#include <errno.h>
#include <pthread.h>
#include <string.h>
#include <sys/signalfd.h>
#include <unistd.h>

static void on_signal(struct loop *loop, struct io *io, unsigned events)
{
    (void)events;
    struct sigwatch *sw = NET_CONTAINER_OF(io, struct sigwatch, io);
    struct signalfd_siginfo si[8];
    for (;;) {
        ssize_t r = read(io->fd, si, sizeof si);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            return; /* EAGAIN: all read */
        size_t n = (size_t)r / sizeof si[0];
        for (size_t i = 0; i < n; i++) {
            sw->cb(loop, sw, (int)si[i].ssi_signo);
            if (!sw->io.active)
                return; /* the callback stopped the watcher */
        }
        if (n < sizeof si / sizeof si[0])
            return; /* a short read drained it */
    }
}

int sigwatch_start(struct loop *loop, struct sigwatch *sw, const int *signals, unsigned n,
                   sigwatch_cb cb)
{
    sigemptyset(&sw->set);
    for (unsigned i = 0; i < n; i++) {
        if (sigaddset(&sw->set, signals[i]) < 0)
            return -errno;
    }
    int r = pthread_sigmask(SIG_BLOCK, &sw->set, &sw->old);
    if (r != 0)
        return -r;
    int fd = signalfd(-1, &sw->set, SFD_NONBLOCK | SFD_CLOEXEC);
    if (fd < 0) {
        r = -errno;
        goto fail_mask;
    }
    sw->cb = cb;
    io_init(&sw->io, fd, on_signal);
    if ((r = io_start(loop, &sw->io, IO_READ)) < 0)
        goto fail_fd;
    return 0;

fail_fd:
    close(fd);
fail_mask:
    pthread_sigmask(SIG_SETMASK, &sw->old, NULL);
    return r;
}

void sigwatch_stop(struct loop *loop, struct sigwatch *sw)
{
    if (sw->io.fd < 0)
        return;
    io_close(loop, &sw->io);
    pthread_sigmask(SIG_SETMASK, &sw->old, NULL);
}
