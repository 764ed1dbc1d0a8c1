#include "kube/exec.h"

#include <errno.h>
#include <fcntl.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <jansson.h>

#include "core/b64.h"
#include "core/buf.h"
#include "core/json.h"
#include "core/text.h"

extern char **environ;

#define EXEC_OUT_MAX ((size_t)16 << 20)
#define NOT_INSTALLED_HINT                                                                         \
    "It looks like you are trying to use a client-go credential plugin that is not "               \
    "installed.\n\nTo learn more about this feature, consult the documentation available "         \
    "at:\n      https://kubernetes.io/docs/reference/access-authn-authz/authentication/"           \
    "#client-go-credential-plugins"

void kube_exec_cred_fini(struct kube_exec_cred *c)
{
    free(c->token);
    free(c->cert_pem);
    free(c->key_pem);
    memset(c, 0, sizeof *c);
}

char *kube_exec_info(const struct kube_exec_cfg *x, const struct kube_restcfg *cfg, int interactive)
{
    json_t *spec = json_object();
    json_t *root = json_pack("{s:s,s:s}", "kind", "ExecCredential", "apiVersion", x->api_version);
    if (!spec || !root)
        goto fail;
    if (x->provide_cluster_info) {
        json_t *cl = json_object();
        if (!cl)
            goto fail;
        json_object_set_new(cl, "server", json_string(cfg->server ? cfg->server : ""));
        if (cfg->tls_server_name)
            json_object_set_new(cl, "tls-server-name", json_string(cfg->tls_server_name));
        if (cfg->insecure)
            json_object_set_new(cl, "insecure-skip-tls-verify", json_true());
        if (cfg->ca_pem && cfg->ca_len) {
            char *b = b64_encode((const unsigned char *)cfg->ca_pem, cfg->ca_len);
            if (b)
                json_object_set_new(cl, "certificate-authority-data", json_string(b));
            free(b);
        }
        if (cfg->proxy_url)
            json_object_set_new(cl, "proxy-url", json_string(cfg->proxy_url));
        if (cfg->disable_compression)
            json_object_set_new(cl, "disable-compression", json_true());
        json_object_set_new(cl, "config",
                            x->cluster_config ? json_incref(x->cluster_config) : json_null());
        json_object_set_new(spec, "cluster", cl);
    }
    json_object_set_new(spec, "interactive", json_boolean(interactive));
    json_object_set_new(root, "spec", spec);
    spec = NULL;
    struct buf b = BUF_INIT;
    if (json_emit_go(root, 0, &b) < 0) {
        buf_fini(&b);
        goto fail;
    }
    json_decref(root);
    return buf_take(&b);
fail:
    json_decref(spec);
    json_decref(root);
    return NULL;
}

int kube_exec_parse(const struct kube_exec_cfg *x, const char *out, size_t len,
                    struct kube_exec_cred *cred, struct err *e)
{
    json_error_t je;
    memset(cred, 0, sizeof *cred);
    json_t *doc = json_loadb(out, len, 0, &je);
    if (!doc || !json_is_object(doc)) {
        json_decref(doc);
        return err_set(e, "decoding stdout: couldn't get version/kind; json parse error: %s",
                       doc ? "json: cannot unmarshal into Go value of type struct { APIVersion "
                             "string \"json:\\\"apiVersion,omitempty\\\"\"; Kind string "
                             "\"json:\\\"kind,omitempty\\\"\" }"
                           : je.text);
    }
    const char *api = json_string_value(json_object_get(doc, "apiVersion"));
    const char *kind = json_string_value(json_object_get(doc, "kind"));
    int rc = -1;
    if (!api || strcmp(api, x->api_version)) {
        err_set(e, "exec plugin is configured to use API version %s, plugin returned version %s",
                x->api_version, api ? api : "");
        goto out;
    }
    if (!kind || strcmp(kind, "ExecCredential")) {
        err_set(e, "decoding stdout: no kind \"%s\" is registered for version \"%s\"",
                kind ? kind : "", api);
        goto out;
    }
    const json_t *st = json_object_get(doc, "status");
    if (!st || json_is_null(st)) {
        err_set(e, "exec plugin didn't return a status field");
        goto out;
    }
    const char *tok = json_string_value(json_object_get(st, "token"));
    const char *cert = json_string_value(json_object_get(st, "clientCertificateData"));
    const char *key = json_string_value(json_object_get(st, "clientKeyData"));
    if (tok && !*tok)
        tok = NULL;
    if (cert && !*cert)
        cert = NULL;
    if (key && !*key)
        key = NULL;
    if (!tok && !cert && !key) {
        err_set(e, "exec plugin didn't return a token or cert/key pair");
        goto out;
    }
    if (!!cert != !!key) {
        err_set(e, "exec plugin returned only certificate or key, not both");
        goto out;
    }
    const char *exp = json_string_value(json_object_get(st, "expirationTimestamp"));
    if (exp && *exp) {
        int64_t t;
        if (text_rfc3339_parse(exp, &t) < 0) {
            err_set(e, "decoding stdout: parsing time \"%s\" as \"2006-01-02T15:04:05Z07:00\"",
                    exp);
            goto out;
        }
        cred->expiry = (time_t)t;
    }
    cred->token = tok ? strdup(tok) : NULL;
    if (cert) {
        cred->cert_pem = strdup(cert);
        cred->key_pem = strdup(key);
        cred->cert_len = strlen(cert);
        cred->key_len = strlen(key);
    }
    if ((tok && !cred->token) || (cert && (!cred->cert_pem || !cred->key_pem))) {
        kube_exec_cred_fini(cred);
        err_set(e, "out of memory");
        goto out;
    }
    rc = 0;
out:
    json_decref(doc);
    return rc;
}

/* environ without the names <x> sets, then <x>'s entries, then the info. */
static char **build_env(const struct kube_exec_cfg *x, const char *info)
{
    size_t n = 0;
    while (environ && environ[n])
        n++;
    char **env = calloc(n + x->nenv + 2, sizeof *env);
    if (!env)
        return NULL;
    size_t k = 0;
    for (size_t i = 0; i < n; i++) {
        const char *eq = strchr(environ[i], '=');
        size_t nl = eq ? (size_t)(eq - environ[i]) : strlen(environ[i]);
        int skip = nl == strlen("KUBERNETES_EXEC_INFO") &&
                   !strncmp(environ[i], "KUBERNETES_EXEC_INFO", nl);
        for (size_t j = 0; j < x->nenv && !skip; j++)
            skip = !strncmp(x->env[j], environ[i], nl) && x->env[j][nl] == '=';
        if (!skip)
            env[k++] = environ[i];
    }
    for (size_t j = 0; j < x->nenv; j++)
        env[k++] = x->env[j];
    env[k++] = (char *)info;
    env[k] = NULL;
    return env;
}

int kube_exec_run(const struct kube_exec_cfg *x, const struct kube_restcfg *cfg,
                  struct kube_exec_cred *cred, struct err *e)
{
    int tty = isatty(STDIN_FILENO);
    int interactive = tty && strcmp(x->interactive_mode, "Never");
    if (!tty && !strcmp(x->interactive_mode, "Always"))
        return err_set(e, "exec plugin cannot support interactive mode: standard input is not a "
                          "terminal");
    char *info_json = kube_exec_info(x, cfg, interactive);
    struct buf info = BUF_INIT;
    if (!info_json || buf_addf(&info, "KUBERNETES_EXEC_INFO=%s", info_json) < 0) {
        free(info_json);
        return err_set(e, "out of memory");
    }
    free(info_json);
    char **env = build_env(x, buf_str(&info));
    char **argv = calloc(x->nargs + 2, sizeof *argv);
    int pfd[2] = {-1, -1};
    int rc = -1;
    posix_spawn_file_actions_t fa;
    int fa_ok = 0;
    if (!env || !argv) {
        err_set(e, "out of memory");
        goto out;
    }
    argv[0] = x->command;
    for (size_t i = 0; i < x->nargs; i++)
        argv[i + 1] = x->args[i];
    if (pipe2(pfd, O_CLOEXEC) < 0) {
        err_set(e, "exec: %s", strerror(errno));
        goto out;
    }
    if (posix_spawn_file_actions_init(&fa) != 0) {
        err_set(e, "out of memory");
        goto out;
    }
    fa_ok = 1;
    posix_spawn_file_actions_adddup2(&fa, pfd[1], STDOUT_FILENO);
    if (!interactive)
        posix_spawn_file_actions_addopen(&fa, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
    pid_t pid;
    int serr = posix_spawnp(&pid, x->command, &fa, NULL, argv, env);
    close(pfd[1]);
    pfd[1] = -1;
    if (serr != 0) {
        if (serr == ENOENT || serr == EACCES || serr == ENOTDIR) {
            err_set(e, "exec: executable %s not found\n\n" NOT_INSTALLED_HINT "%s%s", x->command,
                    x->install_hint ? "\n\n" : "", x->install_hint ? x->install_hint : "");
        } else {
            err_set(e, "exec: fork/exec %s: %s", x->command, strerror(serr));
        }
        goto out;
    }
    struct buf out = BUF_INIT;
    buf_init(&out, EXEC_OUT_MAX);
    char chunk[8192];
    int too_big = 0;
    for (;;) {
        ssize_t r = read(pfd[0], chunk, sizeof chunk);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            break;
        if (!too_big && buf_add(&out, chunk, (size_t)r) < 0)
            too_big = 1;
    }
    int status;
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
        ;
    if (WIFEXITED(status) && WEXITSTATUS(status) != 0) {
        err_set(e, "exec: executable %s failed with exit code %d", x->command, WEXITSTATUS(status));
    } else if (WIFSIGNALED(status)) {
        err_set(e, "exec: executable %s failed with exit code -1", x->command);
    } else if (too_big) {
        err_set(e, "exec: plugin output larger than %zu bytes", (size_t)EXEC_OUT_MAX);
    } else {
        rc = kube_exec_parse(x, buf_str(&out), out.len, cred, e);
    }
    buf_fini(&out);
out:
    if (fa_ok)
        posix_spawn_file_actions_destroy(&fa);
    if (pfd[0] >= 0)
        close(pfd[0]);
    if (pfd[1] >= 0)
        close(pfd[1]);
    free(argv);
    free(env);
    buf_fini(&info);
    return rc;
}
