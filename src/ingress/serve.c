#include "ingress/serve.h"

#include <errno.h>
#include <signal.h>
#include <string.h>

#include "core/log.h"
#include "ingress/provider_files.h"
#include "net/loop.h"
#include "net/sigwatch.h"
#include "proxy/health.h"
#include "proxy/serve.h"

struct serve {
    struct proxy *px;
    struct objstore *store;
    struct provider_files *pf; /* one of these two */
    struct provider_kube *pk;
    struct kube_leader *leader;
    struct health *health;
    struct sigwatch sw;
    struct async done;
    struct timer grace;
    uint64_t grace_ms;
    int stopping;
};

static void publish(void *ctx, struct route_table *t)
{
    proxy_publish(ctx, t);
}

/* Manifests are ready once loaded (serve_ingress starts after that); the
 * API provider once every type was listed and served. */
static int ready(void *arg)
{
    const struct serve *s = arg;
    return !s->pk || provider_kube_ready(s->pk);
}

/* Starts the provider <src> names and publishes its first table (manifests:
 * before serving; the API: when listed, in the background). */
static int start_provider(struct serve *s, const struct serve_ingress_src *src,
                          const struct ingress_opts *opts, struct err *e)
{
    if (!(s->store = objstore_new(src->manifests ? "manifests" : "kube", opts, src->default_backend,
                                  publish, s->px)))
        return err_set(e, "out of memory");
    if (src->manifests) {
        if (!(s->pf = provider_files_new(src->manifests, s->store)))
            return err_set(e, "out of memory");
        return provider_files_reload(s->pf, e) < 0 ? -1 : 0;
    }
    struct provider_kube_opts ko = *src->kube_opts;
    if (src->election) {
        if (!(s->leader = kube_leader_start(src->kube, src->election, e)))
            return -1;
        ko.leader = s->leader;
    }
    return (s->pk = provider_kube_start(src->kube, s->store, &ko, e)) ? 0 : -1;
}

/* The health endpoints (they ask the provider), the providers (they publish
 * into the proxy), then the election, whose stop releases the Lease for the
 * next leader. */
static void stop_provider(struct serve *s)
{
    health_stop(s->health);
    s->health = NULL;
    provider_files_free(s->pf);
    s->pf = NULL;
    provider_kube_stop(s->pk);
    s->pk = NULL;
    kube_leader_stop(s->leader);
    s->leader = NULL;
    objstore_free(s->store);
    s->store = NULL;
}

static void on_done(struct loop *loop, struct async *a)
{
    (void)a;
    loop_stop(loop);
}

static void on_grace(struct loop *loop, struct timer *t)
{
    struct serve *s = NET_CONTAINER_OF(t, struct serve, grace);
    LOG_WARN("serve: %u connections still open after the grace period; closing them",
             proxy_connections(s->px));
    proxy_stop(s->px);
    loop_stop(loop);
}

static void on_signal(struct loop *loop, struct sigwatch *sw, int signo)
{
    struct serve *s = NET_CONTAINER_OF(sw, struct serve, sw);
    if (signo == SIGHUP) {
        struct err e;
        if (s->pf && provider_files_reload(s->pf, &e) < 0)
            LOG_ERROR("manifests: %s; still serving the previous configuration", e.msg);
        return;
    }
    if (s->stopping) {
        LOG_INFO("serve: second signal; stopping now");
        proxy_stop(s->px);
        loop_stop(loop);
        return;
    }
    s->stopping = 1;
    LOG_INFO("serve: %s: no new connections; finishing requests in flight (at most %llu ms)",
             strsignal(signo), (unsigned long long)s->grace_ms);
    proxy_drain(s->px);
    timer_start(loop, &s->grace, (uint32_t)s->grace_ms, on_grace);
}

int serve_ingress(const struct proxy_config *cfg, const struct serve_ingress_src *src,
                  const struct ingress_opts *opts, uint64_t grace_ms, struct err *e)
{
    signal(SIGPIPE, SIG_IGN);
    serve_raise_nofile();
    struct serve s;
    memset(&s, 0, sizeof s);
    s.grace_ms = grace_ms;
    struct loop *loop = NULL;
    int rc = -1;
    if (!(s.px = proxy_new(cfg, e)))
        return -1;
    if (!(loop = loop_new())) {
        err_set(e, "event loop: %s", strerror(errno));
        goto out;
    }
    static const int sigs[] = {SIGTERM, SIGINT, SIGHUP};
    if (sigwatch_start(loop, &s.sw, sigs, 3, on_signal) < 0) {
        err_set(e, "signals: %s", strerror(errno));
        goto out;
    }
    async_init(loop, &s.done, on_done);
    timer_init(&s.grace);
    /* After sigwatch_start: the provider's threads inherit the blocked
     * signals, so SIGTERM reaches the loop and not a watch thread. */
    if (start_provider(&s, src, opts, e) < 0)
        goto out_sig;
    if (src->health_listen && *src->health_listen) {
        if (!(s.health = health_start(src->health_listen, ready, &s, e)))
            goto out_sig;
        LOG_INFO("serve: health endpoints on %s", health_address(s.health));
    }
    if ((s.pf && provider_files_watch(s.pf, loop, e) < 0) || proxy_start(s.px, &s.done, e) < 0)
        goto out_sig;
    LOG_INFO("serve: serving HTTP on %s with %u workers", proxy_address(s.px), cfg->workers);
    if (proxy_https_address(s.px))
        LOG_INFO("serve: serving HTTPS on %s", proxy_https_address(s.px));
    loop_run(loop);
    rc = 0;
    LOG_INFO("serve: stopped");
out_sig:
    timer_stop(loop, &s.grace);
    stop_provider(&s);
    if (proxy_free(s.px) && rc == 0)
        rc = 1;
    s.px = NULL;
    sigwatch_stop(loop, &s.sw);
    async_fini(loop, &s.done);
out:
    stop_provider(&s);
    proxy_free(s.px);
    loop_free(loop);
    return rc;
}
