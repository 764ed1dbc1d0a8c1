/* Accepting connections on a listening socket, on a loop.
 *
 * The acceptor drains the backlog when the listener becomes readable, at
 * most <batch> connections per iteration so that a connection storm cannot
 * starve the connections already open (it re-arms the listener and goes on
 * in the next iteration). Each new connection goes to the callback,
 * non-blocking and close-on-exec, a TCP one with TCP_NODELAY (HTTP writes
 * whole messages; Nagle would only delay their last segment); the callback
 * owns it.
 *
 * Out of descriptors (EMFILE/ENFILE): a pending connection cannot even be
 * refused without a descriptor, and under edge-triggered epoll the listener
 * would not be reported again, so the backlog would hang until clients time
 * out. The acceptor keeps one reserve descriptor (on /dev/null): it closes
 * it, accepts and closes pending connections (clients see their connection
 * closed at once, not a hang), and takes the reserve back. It logs a warning
 * when this starts and an info line, with the count, when accepting works
 * again; nothing in between. If the reserve cannot be taken back, it retries
 * every 100 ms from a timer. */
#ifndef FERRY_NET_ACCEPTOR_H
#define FERRY_NET_ACCEPTOR_H

#include <stdint.h>
#include <sys/socket.h>

#include "net/loop.h"

#define ACCEPTOR_BATCH 64

struct acceptor;
/* <fd> is the accepted connection, <sa>/<len> the client's address (valid
 * during the call only). The callback may call acceptor_stop; freeing the
 * acceptor must wait for a deferred callback. */
typedef void (*acceptor_cb)(struct loop *loop, struct acceptor *a, int fd,
                            const struct sockaddr *sa, socklen_t len);

struct acceptor {
    struct io io; /* the listening socket */
    struct timer retry;
    acceptor_cb cb;
    unsigned batch;
    int reserve_fd; /* -1 when it could not be opened */
    int starved;    /* in an EMFILE episode */
    /* counters, for metrics */
    uint64_t accepted;
    uint64_t refused; /* closed at once for lack of descriptors */
};

/* Starts accepting on <lfd> (from net_listen_tcp; the acceptor does not own
 * it). <batch> 0 means ACCEPTOR_BATCH. Returns 0 or -errno. */
int acceptor_start(struct loop *loop, struct acceptor *a, int lfd, unsigned batch, acceptor_cb cb);
/* Stops accepting and releases the reserve descriptor; <lfd> stays open. */
void acceptor_stop(struct loop *loop, struct acceptor *a);

#endif
