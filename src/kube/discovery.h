/* API discovery and kubectl's resolution of what users type (RESTMapper).
 *
 * Discovery asks /api and /apis for the aggregated document
 * (apidiscovery.k8s.io/v2, then v2beta1) as kubectl 1.32 does, and falls
 * back to the legacy documents (/api, /api/v1, /apis, /apis/G/V) when the
 * server does not serve it. The result is kept with the client for the rest
 * of the run (nothing is written to disk).
 *
 * Resolution follows kubectl's builder (mappingFor) over client-go's
 * shortcut expander and priority RESTMapper: "deployment.v1.apps" (resource,
 * version, group), "deployments.apps", "deploy" (short names), "Deployment"
 * and "deployment" (kind, singular), "Deployment.apps", matched without
 * regard to case; a group given in part matches by prefix
 * ("storageclass.storage"); among several matches the group listed first by
 * discovery wins (the core group first), then its preferred version. */
#ifndef FERRY_KUBE_DISCOVERY_H
#define FERRY_KUBE_DISCOVERY_H

#include <stddef.h>

#include <jansson.h>

#include "core/err.h"

struct kube_client;

struct kube_resource {
    char *group;    /* "" for the core group */
    char *version;  /* "v1" */
    char *name;     /* plural, lower case: "deployments" */
    char *singular; /* "deployment" (the kind in lower case when not served) */
    char *kind;     /* "Deployment" */
    int namespaced;
    char **verbs, **short_names, **categories; /* NULL-terminated */
    int preferred;                             /* served from its group's preferred version */
    int group_index, version_index;            /* discovery order */
};

struct kube_discovery {
    struct kube_resource *res; /* every served resource, every version; no subresources */
    size_t n, cap;
    int ngroups;
};

void kube_discovery_init(struct kube_discovery *d);
void kube_discovery_fini(struct kube_discovery *d);

/* Discovers (once per client; later calls return the cached result, owned
 * by the client). Returns NULL with kubectl's message on failure. */
const struct kube_discovery *kube_discover(struct kube_client *c, struct err *e);

/* Drops the discovery cached with <c>, so that the next kube_discover asks
 * the server again: a restore does so once it has created
 * CustomResourceDefinitions. Every pointer obtained from the old result is
 * invalid afterwards; no other thread may be using one. */
void kube_discovery_forget(struct kube_client *c);

/* Adds an aggregated discovery document (APIGroupDiscoveryList). Groups are
 * numbered after those already added. Returns 0 or -1. */
int kube_discovery_add_aggregated(struct kube_discovery *d, const json_t *doc, struct err *e);
/* Adds a legacy APIResourceList for <group>/<version>; <group_index> and
 * <version_index> give its place in discovery order (0: preferred). */
int kube_discovery_add_legacy(struct kube_discovery *d, const char *group, const char *version,
                              int group_index, int version_index, const json_t *list,
                              struct err *e);

/* What a user typed -> the resource, as kubectl resolves it. Returns NULL
 * with "the server doesn't have a resource type \"X\"" when nothing
 * matches. */
const struct kube_resource *kube_resolve(const struct kube_discovery *d, const char *arg,
                                         struct err *e);

/* The resources of a category ("all"), in discovery order, preferred
 * versions only; *n is their number. NULL (and *n 0) when the category is
 * unknown. The array is malloc'd; its entries point into <d>. */
const struct kube_resource **kube_category(const struct kube_discovery *d, const char *category,
                                           size_t *n);

/* "deployments.apps", "configmaps": how kubectl names a resource. Writes a
 * NUL-terminated string into <dst>. */
void kube_resource_qualified(const struct kube_resource *r, char *dst, size_t n);
/* "apps/v1", "v1". */
void kube_resource_gv(const struct kube_resource *r, char *dst, size_t n);
int kube_resource_has_verb(const struct kube_resource *r, const char *verb);

#endif
