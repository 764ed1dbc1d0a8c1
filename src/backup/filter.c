#include "backup/filter.h"

#include <stdlib.h>
#include <string.h>

#include "backup/backup.h"

/* What Velero never backs up: nodes belong to the cluster, events.k8s.io
 * events are the core events again, and Velero's own kinds would restore
 * its bookkeeping into another cluster. */
static const char *const never[] = {
    "nodes",
    "events.events.k8s.io",
    "backups.velero.io",
    "restores.velero.io",
    "resticrepositories.velero.io",
    "backuprepositories.velero.io",
    "csinodes.storage.k8s.io",
    "volumeattachments.storage.k8s.io",
    NULL,
};

static int has_star(const char *const *v, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (!strcmp(v[i], "*"))
            return 1;
    return 0;
}

static int same(const struct kube_resource *a, const struct kube_resource *b)
{
    return !strcmp(a->group, b->group) && !strcmp(a->name, b->name);
}

int filter_is_crd(const struct kube_resource *r)
{
    return !strcmp(r->group, "apiextensions.k8s.io") &&
           !strcmp(r->name, "customresourcedefinitions");
}

/* Resolves each name of <names> (skipping "*") into <out>; unknown names
 * become warnings. */
static int resolve(const struct kube_discovery *d, const char *const *names, size_t n,
                   const struct kube_resource ***out, size_t *nout, struct buf *warnings,
                   struct err *e)
{
    *out = calloc(n ? n : 1, sizeof **out);
    if (!*out)
        return err_set(e, "out of memory");
    for (size_t i = 0; i < n; i++) {
        if (!strcmp(names[i], "*"))
            continue;
        struct err re;
        const struct kube_resource *r = kube_resolve(d, names[i], &re);
        if (!r) {
            if (buf_addf(warnings, "%s\n", re.msg) < 0)
                return err_set(e, "out of memory");
            continue;
        }
        (*out)[(*nout)++] = r;
    }
    return 0;
}

/* Whether every namespace is taken: none named (or "*") and none
 * excluded. Velero then takes every cluster-scoped object too. */
static int all_namespaces(const struct backup_scope *s)
{
    return (!s->n_include_ns || has_star(s->include_ns, s->n_include_ns)) && !s->n_exclude_ns;
}

void filter_scope(struct filter *f, const struct backup_scope *sc)
{
    memset(f, 0, sizeof *f);
    f->inc_ns = sc->include_ns;
    f->n_inc_ns = sc->n_include_ns;
    f->exc_ns = sc->exclude_ns;
    f->n_exc_ns = sc->n_exclude_ns;
    f->all_ns = all_namespaces(sc);
    f->named_ns = sc->n_include_ns && !has_star(sc->include_ns, sc->n_include_ns);
    f->all_res = !sc->n_include_res || has_star(sc->include_res, sc->n_include_res);
    f->include_cluster = sc->include_cluster;
}

int filter_init(struct filter *f, const struct kube_discovery *d, const struct backup_opts *o,
                struct buf *warnings, struct err *e)
{
    const struct backup_scope *sc = &o->scope;
    filter_scope(f, sc);
    if (resolve(d, sc->include_res, sc->n_include_res, &f->inc_res, &f->n_inc_res, warnings, e) <
            0 ||
        resolve(d, sc->exclude_res, sc->n_exclude_res, &f->exc_res, &f->n_exc_res, warnings, e) < 0)
        return -1;
    return 0;
}

void filter_fini(struct filter *f)
{
    free(f->inc_res);
    free(f->exc_res);
    f->inc_res = f->exc_res = NULL;
}

int filter_namespace(const struct filter *f, const char *ns)
{
    for (size_t i = 0; i < f->n_exc_ns; i++)
        if (!strcmp(f->exc_ns[i], "*") || !strcmp(f->exc_ns[i], ns))
            return 0;
    if (!f->n_inc_ns)
        return 1;
    for (size_t i = 0; i < f->n_inc_ns; i++)
        if (!strcmp(f->inc_ns[i], "*") || !strcmp(f->inc_ns[i], ns))
            return 1;
    return 0;
}

int filter_resource(const struct filter *f, const struct kube_resource *r, int *related_only)
{
    *related_only = 0;
    if (!kube_resource_has_verb(r, "list"))
        return 0;
    char qual[300];
    kube_resource_qualified(r, qual, sizeof qual);
    for (size_t i = 0; never[i]; i++)
        if (!strcmp(qual, never[i]))
            return 0;
    for (size_t i = 0; i < f->n_exc_res; i++)
        if (same(f->exc_res[i], r))
            return 0;
    if (!f->all_res) {
        size_t i = 0;
        while (i < f->n_inc_res && !same(f->inc_res[i], r))
            i++;
        /* Velero takes the CRD of each custom resource it backs up, so
         * that a restore can create the type before its objects, unless
         * cluster-scoped resources are excluded. */
        if (i == f->n_inc_res && (!filter_is_crd(r) || f->include_cluster == 0))
            return 0;
        if (i == f->n_inc_res) {
            *related_only = 1;
            return 1;
        }
    }
    if (r->namespaced)
        return 1;
    if (f->include_cluster == 0)
        return 0;
    /* Velero's rule when the flag is not given: everything cluster-scoped
     * for a whole-cluster backup, otherwise what the namespaces use. */
    if (f->include_cluster < 0 && !f->all_ns)
        *related_only = 1;
    return 1;
}
