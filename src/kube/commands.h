/* What `ferry get`, `ferry api-resources` and `ferry ns` do, as kubectl
 * (and kubens) do it. src/cmd maps flags onto these options; everything
 * else happens here. Each function prints its output and its errors and
 * returns the exit status. All block on the network. */
#ifndef FERRY_KUBE_COMMANDS_H
#define FERRY_KUBE_COMMANDS_H

#include <stddef.h>

#include "core/err.h"
#include "kube/client.h"
#include "kube/restcfg.h"

/* Builds a client from the kubeconfig and flags. <qps> and <burst> are the
 * --kube-api-qps/--kube-api-burst texts (NULL or "": the defaults). Returns
 * NULL with kubectl's message in <e>. */
struct kube_client *kube_connect(const struct kube_overrides *o, const char *qps, const char *burst,
                                 struct err *e);

struct kube_get_opts {
    const char *const *args;
    size_t nargs;
    const char *output;                    /* -o */
    const char *selector, *field_selector; /* -l, --field-selector */
    int all_namespaces;                    /* -A */
    long chunk_size;                       /* --chunk-size (0: none) */
    int no_headers, ignore_not_found, show_kind, allow_missing;
    int watch, watch_only, output_watch_events;
};

int kube_cmd_get(struct kube_client *c, const struct kube_get_opts *o);

struct kube_api_resources_opts {
    const char *output;    /* "", "wide", "name" */
    const char *api_group; /* NULL: every group; "": the core group */
    int api_group_set;
    int namespaced; /* -1: both */
    int no_headers;
    const char *sort_by; /* "", "name", "kind" */
    const char *const *verbs;
    size_t nverbs;
    const char *categories; /* NULL or comma-separated */
};

int kube_cmd_api_resources(struct kube_client *c, const struct kube_api_resources_opts *o);

/* The cluster's namespaces, sorted, one a line, the current one marked
 * "* " (in bold green on a terminal), the others indented by two spaces.
 * When the cluster cannot be listed: the current namespace alone, marked,
 * a warning with the reason on stderr, and exit status 1. */
int kube_cmd_namespaces(const struct kube_overrides *o, int tty);

#endif
