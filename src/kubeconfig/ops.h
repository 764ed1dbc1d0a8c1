/* The changes `kubectl config` verbs make, as functions over a set of
 * kubeconfig files. Each loads the merged config, changes it as the kubectl
 * verb does, and writes it back with kcfg_modify. Flags that were not given
 * are NULL (strings) or -1 (bools). */
#ifndef FERRY_KUBECONFIG_OPS_H
#define FERRY_KUBECONFIG_OPS_H

#include <stddef.h>

#include "kubeconfig/kcfg.h"

struct kcfg_cluster_opts {
    const char *server, *certificate_authority, *tls_server_name, *proxy_url;
    int insecure_skip_tls_verify;
    int embed_certs;
};

struct kcfg_list {
    const char *const *v;
    size_t n;
};

struct kcfg_credential_opts {
    const char *client_certificate, *client_key, *token, *username, *password;
    const char *auth_provider, *exec_command, *exec_api_version, *exec_interactive_mode;
    int exec_provide_cluster_info;
    int embed_certs;
    struct kcfg_list auth_provider_args, exec_args, exec_env;
};

struct kcfg_context_opts {
    const char *cluster, *user, *namespace_;
    int current;
};

/* Errors that kubectl reports after printing the command's help. */
#define KCFG_OP_USAGE (-2)

int kcfg_op_set_cluster(const struct kcfg_paths *p, const char *name,
                        const struct kcfg_cluster_opts *o, struct err *e);
int kcfg_op_set_credentials(const struct kcfg_paths *p, const char *name,
                            const struct kcfg_credential_opts *o, struct err *e);
/* On success *name_out is the context changed (the current one with
 * --current) and *created says whether it is new. */
int kcfg_op_set_context(const struct kcfg_paths *p, const char *name,
                        const struct kcfg_context_opts *o, char **name_out, int *created,
                        struct err *e);
int kcfg_op_use_context(const struct kcfg_paths *p, const char *name, struct err *e);
/* Deletes one entry. *file_out: the file kubectl names in its messages;
 * *was_current: the deleted context was the current one. */
int kcfg_op_delete(const struct kcfg_paths *p, enum kcfg_kind kind, const char *name,
                   const char **file_out, int *was_current, struct err *e);
int kcfg_op_rename_context(const struct kcfg_paths *p, const char *from, const char *to,
                           struct err *e);
int kcfg_op_set_property(const struct kcfg_paths *p, const char *property, const char *value,
                         int unset, int raw_bytes, struct err *e);
/* Sets the namespace of the current context (ferry ns). *ctx_out: its
 * name, which the caller frees. */
int kcfg_op_set_namespace(const struct kcfg_paths *p, const char *ns, char **ctx_out,
                          struct err *e);

#endif
