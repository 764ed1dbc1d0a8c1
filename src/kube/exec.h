/* Exec credential plugins (client.authentication.k8s.io/v1 and v1beta1
 * ExecCredential), as client-go's plugin/pkg/client/auth/exec runs them.
 *
 * The plugin runs with ferry's environment plus the kubeconfig's env
 * entries and KUBERNETES_EXEC_INFO, the ExecCredential request in JSON
 * (spec.interactive; spec.cluster when provideClusterInfo is set). Its
 * stdout must be an ExecCredential of the configured apiVersion whose
 * status has a token or a client certificate and key; its stderr is
 * ferry's. It gets ferry's stdin only when interactive (stdin is a terminal
 * and interactiveMode is not Never). Failures read as kubectl's, after its
 * "getting credentials: " prefix. */
#ifndef FERRY_KUBE_EXEC_H
#define FERRY_KUBE_EXEC_H

#include <stddef.h>
#include <time.h>

#include "core/err.h"
#include "kube/restcfg.h"

struct kube_exec_cred {
    char *token;              /* or NULL */
    char *cert_pem, *key_pem; /* both or neither */
    size_t cert_len, key_len;
    time_t expiry; /* status.expirationTimestamp; 0: never expires */
};

/* The KUBERNETES_EXEC_INFO value (malloc'd), in Go's field order. */
char *kube_exec_info(const struct kube_exec_cfg *x, const struct kube_restcfg *cfg,
                     int interactive);

/* Parses a plugin's stdout. Returns 0, or -1 with client-go's message. */
int kube_exec_parse(const struct kube_exec_cfg *x, const char *out, size_t len,
                    struct kube_exec_cred *cred, struct err *e);

/* Runs the plugin and parses what it prints. Blocks until it exits.
 * Returns 0, or -1 with e->msg as client-go words it ("exec: executable X
 * not found" + kubectl's hint, "exec: executable X failed with exit code
 * N", "exec plugin didn't return a status field", ...). */
int kube_exec_run(const struct kube_exec_cfg *x, const struct kube_restcfg *cfg,
                  struct kube_exec_cred *cred, struct err *e);

void kube_exec_cred_fini(struct kube_exec_cred *c);

#endif
