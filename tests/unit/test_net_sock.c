/* Listeners, the acceptor, outgoing connections and UDP, over loopback. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "core/log.h"
#include "net/acceptor.h"
#include "net/loop.h"
#include "net/net.h"

static int setup(void **state)
{
    (void)state;
    alarm(20);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    alarm(0);
    return 0;
}

static void stop_cb(struct loop *loop, struct timer *t)
{
    (void)t;
    loop_stop(loop);
}

static struct sockaddr_in loopback(int port)
{
    struct sockaddr_in sa;
    memset(&sa, 0, sizeof sa);
    sa.sin_family = AF_INET;
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    sa.sin_port = htons((uint16_t)port);
    return sa;
}

/* A blocking client connection to 127.0.0.1:<port>, or -1. */
static int dial(int port)
{
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return -1;
    struct sockaddr_in sa = loopback(port);
    if (connect(fd, (struct sockaddr *)&sa, sizeof sa) < 0) {
        close(fd);
        return -1;
    }
    return fd;
}

static void listener_on_port_zero_gets_a_port(void **state)
{
    (void)state;
    struct err e = {{0}};
    int fd = net_listen_tcp("127.0.0.1:0", 0, 0, &e);
    assert_true(fd >= 0);
    assert_true(fcntl(fd, F_GETFL) & O_NONBLOCK);
    assert_true(fcntl(fd, F_GETFD) & FD_CLOEXEC);
    int port = net_local_port(fd);
    assert_true(port > 0 && port < 65536);
    int yes = 0;
    socklen_t len = sizeof yes;
    getsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &yes, &len);
    assert_true(yes);
    close(fd);
}

static void port_in_use_fails_with_gos_message(void **state)
{
    (void)state;
    struct err e = {{0}};
    int a = net_listen_tcp("127.0.0.1:0", 16, 0, &e);
    assert_true(a >= 0);
    char addr[64];
    snprintf(addr, sizeof addr, "127.0.0.1:%d", net_local_port(a));
    int b = net_listen_tcp(addr, 16, 0, &e);
    assert_int_equal(b, -EADDRINUSE);
    char want[128];
    snprintf(want, sizeof want, "listen tcp %s: bind: address already in use", addr);
    assert_string_equal(e.msg, want);
    assert_int_equal(net_listen_tcp("nowhere:80", 16, 0, &e), -EINVAL);
    assert_non_null(strstr(e.msg, "invalid address \"nowhere:80\""));
    close(a);
}

static void reuseport_lets_each_worker_have_a_listener(void **state)
{
    (void)state;
    struct err e = {{0}};
    int a = net_listen_tcp("127.0.0.1:0", 16, NET_REUSEPORT | NET_DEFER_ACCEPT, &e);
    assert_true(a >= 0);
    char addr[64];
    snprintf(addr, sizeof addr, "127.0.0.1:%d", net_local_port(a));
    int b = net_listen_tcp(addr, 16, NET_REUSEPORT, &e);
    assert_true(b >= 0);
    assert_int_equal(net_local_port(a), net_local_port(b));
    close(a);
    close(b);
}

/* ---- accepting many ---------------------------------------------------- */

#define CLIENTS 300

struct server {
    struct acceptor acc;
    int want;
    int got;
    int port_match; /* peers whose formatted address was 127.0.0.1:* */
    int nodelay;    /* connections handed over with TCP_NODELAY set */
};

static void on_conn(struct loop *loop, struct acceptor *a, int fd, const struct sockaddr *sa,
                    socklen_t len)
{
    (void)len;
    struct server *s = NET_CONTAINER_OF(a, struct server, acc);
    char text[NET_ADDR_STRLEN];
    net_addr_format(sa, text, sizeof text);
    if (strncmp(text, "127.0.0.1:", 10) == 0)
        s->port_match++;
    if (fcntl(fd, F_GETFL) & O_NONBLOCK)
        s->got++;
    int v = 0;
    socklen_t vl = sizeof v;
    if (getsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &v, &vl) == 0 && v)
        s->nodelay++;
    close(fd);
    if (s->got == s->want)
        loop_stop(loop);
}

static void *client_storm(void *p)
{
    int port = *(int *)p;
    for (int i = 0; i < CLIENTS; i++) {
        int fd = dial(port);
        if (fd < 0)
            return (void *)1;
        close(fd);
    }
    return NULL;
}

static void acceptor_takes_many_connections_in_batches(void **state)
{
    (void)state;
    struct err e = {{0}};
    int lfd = net_listen_tcp("127.0.0.1:0", 1024, 0, &e);
    assert_true(lfd >= 0);
    int port = net_local_port(lfd);
    struct loop *loop = loop_new();
    struct server s = {.want = CLIENTS};
    /* A small batch exercises the re-arm between iterations. */
    assert_int_equal(acceptor_start(loop, &s.acc, lfd, 4, on_conn), 0);
    pthread_t th;
    assert_int_equal(pthread_create(&th, NULL, client_storm, &port), 0);
    struct timer guard;
    timer_init(&guard);
    timer_start(loop, &guard, 10000, stop_cb);
    loop_run(loop);
    void *rc;
    pthread_join(th, &rc);
    assert_null(rc);
    assert_int_equal(s.got, CLIENTS);
    assert_int_equal(s.port_match, CLIENTS);
    assert_int_equal(s.nodelay, CLIENTS);
    assert_int_equal(s.acc.accepted, CLIENTS);
    assert_int_equal(s.acc.refused, 0);
    assert_true(loop_iterations(loop) > 1);
    acceptor_stop(loop, &s.acc);
    loop_free(loop);
    close(lfd);
}

/* ---- EMFILE ------------------------------------------------------------ */

#define PENDING 5

struct emfile_state {
    struct acceptor acc;
    int served;
};

static void emfile_on_conn(struct loop *loop, struct acceptor *a, int fd, const struct sockaddr *sa,
                           socklen_t len)
{
    (void)sa;
    (void)len;
    struct emfile_state *s = NET_CONTAINER_OF(a, struct emfile_state, acc);
    s->served++;
    close(fd);
    loop_stop(loop);
}

/* The child's test; returns the number of the failed check, 0 when all
 * passed. */
static int emfile_child(void)
{
    struct err e = {{0}};
    int lfd = net_listen_tcp("127.0.0.1:0", 64, 0, &e);
    if (lfd < 0)
        return 1;
    int port = net_local_port(lfd);
    struct loop *loop = loop_new();
    if (!loop)
        return 2;
    struct emfile_state s = {0};
    if (acceptor_start(loop, &s.acc, lfd, 0, emfile_on_conn) != 0)
        return 3;
    /* Clients first (they need descriptors too), then use up the rest. */
    int clients[PENDING];
    for (int i = 0; i < PENDING; i++)
        if ((clients[i] = dial(port)) < 0)
            return 4;
    static int fillers[4096];
    int nfill = 0;
    for (;;) {
        int fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
        if (fd < 0)
            break;
        if (nfill == 4096)
            return 5;
        fillers[nfill++] = fd;
    }
    if (errno != EMFILE)
        return 6;
    struct timer t;
    timer_init(&t);
    timer_start(loop, &t, 100, stop_cb);
    loop_run(loop);
    /* Every pending connection was accepted and closed at once. */
    if (s.served != 0 || s.acc.refused != PENDING || s.acc.accepted != 0)
        return 7;
    for (int i = 0; i < PENDING; i++) {
        char c;
        ssize_t n = recv(clients[i], &c, 1, MSG_DONTWAIT);
        if (!(n == 0 || (n < 0 && errno == ECONNRESET)))
            return 8;
    }
    /* Descriptors come back: the next client is served. */
    for (int i = 0; i < nfill; i++)
        close(fillers[i]);
    int again = dial(port);
    if (again < 0)
        return 9;
    timer_start(loop, &t, 5000, stop_cb);
    loop_run(loop);
    if (s.served != 1 || s.acc.accepted != 1)
        return 10;
    acceptor_stop(loop, &s.acc);
    loop_free(loop);
    return 0;
}

/* Runs out of descriptors in a child process (RLIMIT_NOFILE lowered there):
 * pending clients get their connection closed at once instead of hanging,
 * the acceptor logs one warning and one recovery line, and accepts again
 * when descriptors are free. */
static void out_of_descriptors_closes_pending_clients_and_recovers(void **state)
{
    (void)state;
    FILE *log = tmpfile();
    assert_non_null(log);
    fflush(stdout);
    fflush(stderr);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        dup2(fileno(log), STDERR_FILENO);
        struct rlimit rl;
        getrlimit(RLIMIT_NOFILE, &rl);
        /* Room for what is open now plus a little. */
        int high = 0;
        for (int fd = 0; fd < 4000; fd++)
            if (fcntl(fd, F_GETFD) >= 0)
                high = fd;
        rl.rlim_cur = (rlim_t)high + 24;
        if (setrlimit(RLIMIT_NOFILE, &rl) != 0)
            _exit(100);
        _exit(emfile_child());
    }
    int status;
    assert_int_equal(waitpid(pid, &status, 0), pid);
    assert_true(WIFEXITED(status));
    if (WEXITSTATUS(status) != 0)
        fail_msg("child failed check %d", WEXITSTATUS(status));
    char text[4096] = {0};
    rewind(log);
    size_t n = fread(text, 1, sizeof text - 1, log);
    fclose(log);
    text[n] = '\0';
    /* One warning for the episode, one line when it ends. */
    const char *w = strstr(text, "too many open files; closing new connections");
    assert_non_null(w);
    assert_null(strstr(w + 1, "too many open files; closing"));
    assert_non_null(strstr(text, "descriptors available again; 5 connections were closed"));
}

/* ---- outgoing connections ------------------------------------------------ */

struct dialer {
    struct io io;
    int result;
    unsigned events;
};

static void on_connected(struct loop *loop, struct io *io, unsigned events)
{
    struct dialer *d = NET_CONTAINER_OF(io, struct dialer, io);
    d->events = events;
    d->result = net_connect_result(io->fd);
    loop_stop(loop);
}

static void connect_succeeds_and_reports_writable(void **state)
{
    (void)state;
    struct err e = {{0}};
    int lfd = net_listen_tcp("127.0.0.1:0", 16, 0, &e);
    assert_true(lfd >= 0);
    struct sockaddr_in sa = loopback(net_local_port(lfd));
    int fd = net_connect_tcp((struct sockaddr *)&sa, sizeof sa, &e);
    assert_true(fd >= 0);
    int nodelay = 0;
    socklen_t len = sizeof nodelay;
    getsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &nodelay, &len);
    assert_true(nodelay);
    struct loop *loop = loop_new();
    struct dialer d = {.result = 1};
    io_init(&d.io, fd, on_connected);
    io_start(loop, &d.io, IO_WRITE);
    loop_run(loop);
    assert_true(d.events & IO_WRITE);
    assert_int_equal(d.result, 0);
    int peer = net_accept(lfd, NULL, NULL);
    assert_true(peer >= 0);
    assert_int_equal(write(fd, "hi", 2), 2);
    char buf[2];
    usleep(1000);
    assert_int_equal(read(peer, buf, 2), 2);
    assert_int_equal(net_accept(lfd, NULL, NULL), -EAGAIN);
    io_close(loop, &d.io);
    close(peer);
    close(lfd);
    loop_free(loop);
}

static void connect_refused_is_reported(void **state)
{
    (void)state;
    struct err e = {{0}};
    int lfd = net_listen_tcp("127.0.0.1:0", 16, 0, &e);
    int port = net_local_port(lfd);
    close(lfd); /* nobody listens there now */
    struct sockaddr_in sa = loopback(port);
    int fd = net_connect_tcp((struct sockaddr *)&sa, sizeof sa, &e);
    if (fd < 0) { /* refused at once: allowed, with a message */
        assert_int_equal(fd, -ECONNREFUSED);
        assert_non_null(strstr(e.msg, "connection refused"));
        return;
    }
    struct loop *loop = loop_new();
    struct dialer d = {.result = 1};
    io_init(&d.io, fd, on_connected);
    io_start(loop, &d.io, IO_WRITE);
    loop_run(loop);
    assert_true(d.events & (IO_ERR | IO_HUP));
    assert_int_equal(d.result, -ECONNREFUSED);
    io_close(loop, &d.io);
    loop_free(loop);
}

/* ---- IPv6 and dual stack ------------------------------------------------- */

static void dual_stack_listener_takes_ipv4_clients(void **state)
{
    (void)state;
    struct err e = {{0}};
    int lfd = net_listen_tcp(":0", 16, 0, &e);
    assert_true(lfd >= 0);
    int c = dial(net_local_port(lfd));
    assert_true(c >= 0);
    struct sockaddr_storage ss;
    socklen_t len;
    int fd;
    for (int i = 0; (fd = net_accept(lfd, &ss, &len)) == -EAGAIN && i < 1000; i++)
        usleep(1000);
    assert_true(fd >= 0);
    char text[NET_ADDR_STRLEN];
    net_addr_format_ip((struct sockaddr *)&ss, text, sizeof text);
    assert_string_equal(text, "127.0.0.1"); /* not ::ffff:127.0.0.1 */
    close(fd);
    close(c);
    close(lfd);
}

static void ipv6_loopback_listener(void **state)
{
    (void)state;
    struct err e = {{0}};
    int lfd = net_listen_tcp("[::1]:0", 16, 0, &e);
    if (lfd == -EADDRNOTAVAIL || lfd == -EAFNOSUPPORT) {
        skip(); /* no IPv6 loopback on this machine */
        return;
    }
    assert_true(lfd >= 0);
    struct sockaddr_in6 sa;
    memset(&sa, 0, sizeof sa);
    sa.sin6_family = AF_INET6;
    sa.sin6_addr = in6addr_loopback;
    sa.sin6_port = htons((uint16_t)net_local_port(lfd));
    int fd = net_connect_tcp((struct sockaddr *)&sa, sizeof sa, &e);
    assert_true(fd >= 0);
    struct sockaddr_storage ss;
    socklen_t len;
    int peer;
    for (int i = 0; (peer = net_accept(lfd, &ss, &len)) == -EAGAIN && i < 1000; i++)
        usleep(1000);
    assert_true(peer >= 0);
    char text[NET_ADDR_STRLEN];
    net_addr_format((struct sockaddr *)&ss, text, sizeof text);
    assert_true(strncmp(text, "[::1]:", 6) == 0);
    close(peer);
    close(fd);
    close(lfd);
}

/* ---- UDP --------------------------------------------------------------- */

static void udp_socket_receives_datagrams(void **state)
{
    (void)state;
    struct err e = {{0}};
    int u = net_bind_udp("127.0.0.1:0", NET_REUSEPORT, &e);
    assert_true(u >= 0);
    assert_true(fcntl(u, F_GETFL) & O_NONBLOCK);
    struct sockaddr_in sa = loopback(net_local_port(u));
    int c = socket(AF_INET, SOCK_DGRAM, 0);
    assert_int_equal(sendto(c, "dgram", 5, 0, (struct sockaddr *)&sa, sizeof sa), 5);
    char buf[16];
    ssize_t n = -1;
    for (int i = 0; i < 1000 && (n = recv(u, buf, sizeof buf, 0)) < 0; i++)
        usleep(1000);
    assert_int_equal(n, 5);
    assert_memory_equal(buf, "dgram", 5);
    /* A second socket on the same port with SO_REUSEPORT. */
    char addr[64];
    snprintf(addr, sizeof addr, "127.0.0.1:%d", net_local_port(u));
    int u2 = net_bind_udp(addr, NET_REUSEPORT, &e);
    assert_true(u2 >= 0);
    close(u2);
    close(c);
    close(u);
}

#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)

int main(void)
{
    const struct CMUnitTest tests[] = {
        T(listener_on_port_zero_gets_a_port),
        T(port_in_use_fails_with_gos_message),
        T(reuseport_lets_each_worker_have_a_listener),
        T(acceptor_takes_many_connections_in_batches),
        T(out_of_descriptors_closes_pending_clients_and_recovers),
        T(connect_succeeds_and_reports_writable),
        T(connect_refused_is_reported),
        T(dual_stack_listener_takes_ipv4_clients),
        T(ipv6_loopback_listener),
        T(udp_socket_receives_datagrams),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
