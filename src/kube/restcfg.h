/* Where and how to reach the API server: the settings kubectl derives from
 * the kubeconfig (client-go's clientcmd) or, inside a pod, from the service
 * account, with kubectl's command-line overrides applied.
 *
 * Rules, as clientcmd has them:
 * - The context is --context, else the kubeconfig's current-context. A
 *   context asked for that does not exist is an error; --cluster, --user and
 *   --namespace replace the context's fields.
 * - --server, --certificate-authority, --insecure-skip-tls-verify (which
 *   drops the CA) and --tls-server-name replace the cluster's fields;
 *   --token (which drops tokenFile), --client-certificate, --client-key,
 *   --username and --password the user's.
 * - Relative file names in the kubeconfig are relative to the file they
 *   came from.
 * - With no server at all: in-cluster settings when KUBERNETES_SERVICE_HOST
 *   and KUBERNETES_SERVICE_PORT are set and the service account's token is
 *   readable, else http://localhost:8080 (where kubectl goes too).
 * - The namespace is -n, else the context's, else (in a pod) $POD_NAMESPACE
 *   or the service account's namespace file, else "default".
 *
 * The service account directory is /var/run/secrets/kubernetes.io/
 * serviceaccount, or $FERRY_SERVICEACCOUNT_DIR (for tests). */
#ifndef FERRY_KUBE_RESTCFG_H
#define FERRY_KUBE_RESTCFG_H

#include <stddef.h>

#include <jansson.h>

#include "core/err.h"

#define KUBE_SA_DIR "/var/run/secrets/kubernetes.io/serviceaccount"

/* An exec credential plugin, as the kubeconfig's users[].user.exec says. */
struct kube_exec_cfg {
    char *command; /* absolute when the kubeconfig gave a relative path */
    char **args;   /* nargs entries */
    size_t nargs;
    char **env; /* "NAME=VALUE", nenv entries */
    size_t nenv;
    char *api_version;      /* client.authentication.k8s.io/v1 or v1beta1 */
    char *install_hint;     /* may be NULL */
    char *interactive_mode; /* Never, IfAvailable, Always */
    int provide_cluster_info;
    json_t *cluster_config; /* the cluster's client.authentication.k8s.io/exec extension, or NULL */
};

/* Resolved settings. Strings are owned by the struct; NULL when unset. */
struct kube_restcfg {
    char *server; /* scheme://host[:port][/prefix], no trailing slash */
    char *host;   /* host[:port] as in the URL: what messages name */
    char *ca_pem; /* CA bundle (PEM); NULL: the system's roots */
    size_t ca_len;
    int insecure;          /* skip server certificate verification */
    char *tls_server_name; /* name to verify the server certificate against */
    char *proxy_url;
    int disable_compression;
    char *cert_pem, *key_pem; /* client certificate and key (PEM) */
    size_t cert_len, key_len;
    char *token;
    char *token_file; /* re-read every minute, wins over <token> */
    char *username, *password;
    struct kube_exec_cfg *exec;
    char *auth_name;        /* the kubeconfig user's name, for messages */
    char *namespace_;       /* never NULL after a successful load */
    int namespace_explicit; /* -n was given */
    char *context;          /* the context used, or NULL (in-cluster, none) */
    int in_cluster;
    long timeout_ms; /* --request-timeout; 0: none */
};

/* Command-line overrides; NULL or -1 for what was not given. */
struct kube_overrides {
    const char *kubeconfig, *context, *cluster, *user, *namespace_;
    const char *server, *certificate_authority, *tls_server_name;
    const char *token, *client_certificate, *client_key, *username, *password;
    const char *request_timeout;
    int insecure;   /* -1, 0, 1 */
    int in_cluster; /* 1: the in-cluster settings only, kubeconfig files unread (an Ingress
                     * controller in a pod must not pick up a stray kubeconfig) */
};

/* Loads the kubeconfig files (or the in-cluster settings) and applies <o>.
 * On failure returns -1 with kubectl's message in <e> (see kube.h for which
 * messages print without "error: "). <cfg> needs kube_restcfg_fini after
 * a success only. May block on file reads. */
int kube_restcfg_load(struct kube_restcfg *cfg, const struct kube_overrides *o, struct err *e);
void kube_restcfg_fini(struct kube_restcfg *cfg);

/* kubectl's --request-timeout: "0", "5" (seconds), "1s", "500ms", "2m",
 * "1h30m" (Go durations). Returns 0 and *ms, or -1 with kubectl's message. */
int kube_parse_timeout(const char *s, long *ms, struct err *e);

#endif
