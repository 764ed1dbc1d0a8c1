/* Which objects a backup takes: Velero's include/exclude rules for
 * namespaces and resources, and its rules for cluster-scoped resources. */
#ifndef FERRY_BACKUP_FILTER_H
#define FERRY_BACKUP_FILTER_H

#include <stddef.h>

#include "core/buf.h"
#include "core/err.h"
#include "kube/discovery.h"

struct backup_opts;
struct backup_scope;

struct filter {
    const char *const *inc_ns, *const *exc_ns; /* borrowed from the options */
    size_t n_inc_ns, n_exc_ns;
    int all_ns;   /* no namespace filter at all */
    int named_ns; /* the included namespaces are a list of names (no "*") */
    const struct kube_resource **inc_res, **exc_res; /* resolved; owned */
    size_t n_inc_res, n_exc_res;
    int all_res;         /* no --include-resources, or "*" */
    int include_cluster; /* 1, 0, -1 unset */
};

/* The namespace rules of <sc> and what follows from them (all_ns,
 * named_ns, all_res, include_cluster), without resolving resource names:
 * what a restore needs. */
void filter_scope(struct filter *f, const struct backup_scope *sc);

/* Resolves the resource names of <o> with kubectl's rules. A name the
 * server does not know is not fatal (Velero goes on too): its message is
 * appended to <warnings>, one a line. -1 only when out of memory. */
int filter_init(struct filter *f, const struct kube_discovery *d, const struct backup_opts *o,
                struct buf *warnings, struct err *e);
void filter_fini(struct filter *f);

/* Whether objects in namespace <ns> are taken. */
int filter_namespace(const struct filter *f, const char *ns);

/* Whether <r> is apiextensions.k8s.io's customresourcedefinitions. */
int filter_is_crd(const struct kube_resource *r);

/* Whether resource <r> is taken at all: listable, not one of the kinds a
 * backup never holds (nodes, ...), and allowed by the resource rules. For a
 * cluster-scoped resource, *<related_only> is set when only the objects the
 * chosen namespaces use are taken (include_cluster unset with a namespace
 * filter): their Namespaces, the PVs of their PVCs, the CRDs of their
 * custom resources. CRDs are also taken that way when --include-resources
 * does not name them (the CRDs of the custom resources it names), unless
 * include_cluster is 0. */
int filter_resource(const struct filter *f, const struct kube_resource *r, int *related_only);

#endif
