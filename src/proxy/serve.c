#include "proxy/serve.h"

#include <errno.h>
#include <sched.h>
#include <signal.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include "core/log.h"
#include "net/loop.h"
#include "net/sigwatch.h"

unsigned serve_ncpus(void)
{
    long n = sysconf(_SC_NPROCESSORS_ONLN);
    cpu_set_t set;
    if (sched_getaffinity(0, sizeof set, &set) == 0 && CPU_COUNT(&set) > 0)
        n = CPU_COUNT(&set);
    return n > 0 ? (unsigned)n : 1;
}

void serve_raise_nofile(void)
{
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
        rl.rlim_cur = rl.rlim_max;
        setrlimit(RLIMIT_NOFILE, &rl);
    }
}

static void on_echo_signal(struct loop *loop, struct sigwatch *sw, int signo)
{
    (void)sw;
    (void)signo;
    loop_stop(loop);
}

int serve_echo(const struct echo_config *cfg, struct err *e)
{
    signal(SIGPIPE, SIG_IGN);
    struct echo *es = echo_new(cfg, e);
    if (!es)
        return -1;
    struct loop *loop = loop_new();
    struct sigwatch sw;
    static const int sigs[] = {SIGTERM, SIGINT};
    if (!loop || sigwatch_start(loop, &sw, sigs, 2, on_echo_signal) < 0) {
        err_set(e, "event loop: %s", strerror(errno));
        echo_free(es);
        loop_free(loop);
        return -1;
    }
    int rc = 0;
    if (echo_start(es, e) < 0) {
        rc = -1;
    } else {
        LOG_INFO("echo: listening on %s", echo_address(es));
        loop_run(loop);
    }
    sigwatch_stop(loop, &sw);
    if (echo_free(es) && rc == 0)
        rc = 1;
    loop_free(loop);
    return rc;
}
