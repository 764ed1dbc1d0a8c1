#include "kube/restcfg.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/b64.h"
#include "core/buf.h"
#include "core/file.h"
#include "core/text.h"
#include "kubeconfig/kcfg.h"

#define EXEC_EXTENSION "client.authentication.k8s.io/exec"
#define SMALL_FILE_MAX ((size_t)16 << 20)

static char *dup_or_null(const char *s)
{
    return s && *s ? strdup(s) : NULL;
}

static const char *jstr(const json_t *obj, const char *key)
{
    const char *s = json_string_value(json_object_get(obj, key));
    return s && *s ? s : NULL;
}

static int jbool(const json_t *obj, const char *key)
{
    return json_is_true(json_object_get(obj, key));
}

static void exec_free(struct kube_exec_cfg *x)
{
    if (!x)
        return;
    free(x->command);
    for (size_t i = 0; i < x->nargs; i++)
        free(x->args[i]);
    free(x->args);
    for (size_t i = 0; i < x->nenv; i++)
        free(x->env[i]);
    free(x->env);
    free(x->api_version);
    free(x->install_hint);
    free(x->interactive_mode);
    json_decref(x->cluster_config);
    free(x);
}

void kube_restcfg_fini(struct kube_restcfg *cfg)
{
    free(cfg->server);
    free(cfg->host);
    free(cfg->ca_pem);
    free(cfg->tls_server_name);
    free(cfg->proxy_url);
    free(cfg->cert_pem);
    free(cfg->key_pem);
    free(cfg->token);
    free(cfg->token_file);
    free(cfg->username);
    free(cfg->password);
    exec_free(cfg->exec);
    free(cfg->auth_name);
    free(cfg->namespace_);
    free(cfg->context);
    memset(cfg, 0, sizeof *cfg);
}

int kube_parse_timeout(const char *s, long *ms, struct err *e)
{
    static const char msg[] = "Invalid timeout value. Timeout must be a single integer in seconds, "
                              "or an integer followed by a corresponding time unit (e.g. 1s | 2m "
                              "| 3h)";
    if (!s || !*s) {
        *ms = 0;
        return 0;
    }
    char *end;
    errno = 0;
    long long v = strtoll(s, &end, 10);
    if (!*end && !errno && end != s) {
        if (v < 0)
            return err_set(e, "%s", msg);
        *ms = (long)(v * 1000);
        return 0;
    }
    double d;
    if (text_go_duration(s, &d) < 0 || d < 0)
        return err_set(e, "%s", msg);
    *ms = (long)d;
    if (d > 0 && *ms == 0)
        *ms = 1;
    return 0;
}

/* Go's filepath.Join(dir(origin), p) for a relative <p>, else a copy. */
static char *resolve_path(const char *p, const char *origin)
{
    if (!p || !*p)
        return NULL;
    if (p[0] == '/' || !origin || !*origin)
        return strdup(p);
    char *abs = kcfg_abs_path(origin);
    if (!abs)
        return NULL;
    char *slash = strrchr(abs, '/');
    if (slash)
        slash[slash == abs ? 1 : 0] = '\0';
    struct buf b = BUF_INIT;
    buf_addf(&b, "%s/%s", abs, p);
    free(abs);
    char *clean = kcfg_clean_path(buf_str(&b));
    buf_fini(&b);
    return clean;
}

static int read_small(const char *path, char **out, size_t *len, struct err *e)
{
    struct buf b = BUF_INIT;
    int rc = file_read(path, SMALL_FILE_MAX, &b, e);
    if (rc < 0) {
        buf_fini(&b);
        return rc;
    }
    if (len)
        *len = b.len;
    *out = buf_take(&b);
    return 0;
}

static int b64(const char *text, char **out, size_t *len, struct err *e)
{
    unsigned char *p;
    size_t n;
    if (b64_decode(text, &p, &n, e) < 0)
        return -1;
    char *s = malloc(n + 1);
    if (!s) {
        free(p);
        return err_set(e, "out of memory");
    }
    memcpy(s, p, n);
    s[n] = '\0';
    free(p);
    *out = s;
    *len = n;
    return 0;
}

/* "scheme://host:port/path" -> "host:port", as Go's url.URL.Host. */
static char *url_host(const char *url)
{
    const char *h = strstr(url, "://");
    h = h ? h + 3 : url;
    const char *at = NULL;
    size_t n = strcspn(h, "/?#");
    for (size_t i = 0; i < n; i++)
        if (h[i] == '@')
            at = h + i;
    if (at) {
        n -= (size_t)(at + 1 - h);
        h = at + 1;
    }
    return strndup(h, n);
}

/* client-go's DefaultServerURL: a server without a scheme gets https when
 * any TLS setting is present, else http; a trailing slash is dropped. */
static char *server_url(const char *server, int tls)
{
    struct buf b = BUF_INIT;
    if (!strstr(server, "://"))
        buf_adds(&b, tls ? "https://" : "http://");
    buf_adds(&b, server);
    while (b.len > 0 && b.p[b.len - 1] == '/' && !(b.len >= 3 && !strcmp(b.p + b.len - 3, "://")))
        b.p[--b.len] = '\0';
    return buf_take(&b);
}

static int exec_from(struct kube_restcfg *cfg, const json_t *x, const char *origin,
                     const json_t *cluster, const char *user, struct err *e)
{
    struct kube_exec_cfg *ex = calloc(1, sizeof *ex);
    if (!ex)
        return err_set(e, "out of memory");
    cfg->exec = ex;
    const char *cmd = jstr(x, "command");
    const char *api = jstr(x, "apiVersion");
    if (!cmd)
        return err_set(e, "command must be specified for %s to use exec authentication plugin",
                       user);
    if (!api)
        return err_set(e, "apiVersion must be specified for %s to use exec authentication plugin",
                       user);
    ex->command = strchr(cmd, '/') ? resolve_path(cmd, origin) : strdup(cmd);
    ex->api_version = strdup(api);
    ex->install_hint = dup_or_null(jstr(x, "installHint"));
    ex->provide_cluster_info = jbool(x, "provideClusterInfo");
    const char *mode = jstr(x, "interactiveMode");
    if (!mode) {
        if (!strcmp(api, "client.authentication.k8s.io/v1"))
            return err_set(e,
                           "interactiveMode must be specified for %s to use exec authentication "
                           "plugin",
                           user);
        mode = "IfAvailable";
    }
    if (strcmp(mode, "Never") && strcmp(mode, "IfAvailable") && strcmp(mode, "Always"))
        return err_set(e,
                       "invalid interactiveMode for %s: %s (must be one of Never, IfAvailable, "
                       "Always)",
                       user, mode);
    ex->interactive_mode = strdup(mode);
    const json_t *args = json_object_get(x, "args");
    ex->args = calloc(json_array_size(args) + 1, sizeof *ex->args);
    const json_t *env = json_object_get(x, "env");
    ex->env = calloc(json_array_size(env) + 1, sizeof *ex->env);
    if (!ex->command || !ex->api_version || !ex->interactive_mode || !ex->args || !ex->env)
        return err_set(e, "out of memory");
    size_t i;
    const json_t *v;
    json_array_foreach(args, i, v)
    {
        ex->args[ex->nargs] = strdup(json_string_value(v) ? json_string_value(v) : "");
        if (!ex->args[ex->nargs++])
            return err_set(e, "out of memory");
    }
    json_array_foreach(env, i, v)
    {
        const char *n = json_string_value(json_object_get(v, "name"));
        const char *val = json_string_value(json_object_get(v, "value"));
        if (!n || !*n)
            return err_set(e,
                           "env variable name must be specified for %s to use exec "
                           "authentication plugin",
                           user);
        struct buf b = BUF_INIT;
        buf_addf(&b, "%s=%s", n, val ? val : "");
        ex->env[ex->nenv++] = buf_take(&b);
    }
    const json_t *exts = json_object_get(cluster, "extensions");
    json_array_foreach(exts, i, v)
    {
        const char *n = json_string_value(json_object_get(v, "name"));
        if (n && !strcmp(n, EXEC_EXTENSION)) {
            ex->cluster_config = json_deep_copy(json_object_get(v, "extension"));
            break;
        }
    }
    return 0;
}

static int sa_dir_read(const char *dir, const char *name, char **out, struct err *e)
{
    struct buf p = BUF_INIT;
    buf_addf(&p, "%s/%s", dir, name);
    int rc = read_small(buf_str(&p), out, NULL, e);
    buf_fini(&p);
    return rc;
}

/* rest.InClusterConfig, plus the namespace clientcmd's in-cluster config
 * gives. Returns 1 when not in a cluster, 0 on success, -1 on error. */
static int in_cluster(struct kube_restcfg *cfg, struct err *e)
{
    const char *host = getenv("KUBERNETES_SERVICE_HOST");
    const char *port = getenv("KUBERNETES_SERVICE_PORT");
    if (!host || !*host || !port || !*port)
        return 1;
    const char *dir = getenv("FERRY_SERVICEACCOUNT_DIR");
    if (!dir || !*dir)
        dir = KUBE_SA_DIR;
    struct buf tf = BUF_INIT;
    buf_addf(&tf, "%s/token", dir);
    char *token = NULL;
    /* clientcmd's inClusterClientConfig.Possible(): the token file exists. */
    if (!file_exists(buf_str(&tf))) {
        buf_fini(&tf);
        return 1;
    }
    if (read_small(buf_str(&tf), &token, NULL, e) < 0) {
        buf_fini(&tf);
        return -1;
    }
    text_trim(token);
    struct buf url = BUF_INIT;
    if (strchr(host, ':'))
        buf_addf(&url, "https://[%s]:%s", host, port);
    else
        buf_addf(&url, "https://%s:%s", host, port);
    cfg->server = buf_take(&url);
    cfg->host = url_host(cfg->server);
    cfg->token = token;
    cfg->token_file = buf_take(&tf);
    struct err ce;
    if (sa_dir_read(dir, "ca.crt", &cfg->ca_pem, &ce) == 0)
        cfg->ca_len = strlen(cfg->ca_pem);
    cfg->in_cluster = 1;
    if (!cfg->namespace_) {
        const char *pns = getenv("POD_NAMESPACE");
        char *ns = NULL;
        if (pns && *pns)
            cfg->namespace_ = strdup(pns);
        else if (sa_dir_read(dir, "namespace", &ns, &ce) == 0) {
            text_trim(ns);
            if (*ns)
                cfg->namespace_ = ns;
            else
                free(ns);
        }
    }
    return 0;
}

static int add_method(struct buf *b, int *n, const char *m)
{
    (*n)++;
    return buf_addf(b, "%s%s", b->len ? " " : "", m);
}

int kube_restcfg_load(struct kube_restcfg *cfg, const struct kube_overrides *o, struct err *e)
{
    struct kcfg_paths paths;
    struct kcfg kc;
    memset(cfg, 0, sizeof *cfg);
    if (o->request_timeout && kube_parse_timeout(o->request_timeout, &cfg->timeout_ms, e) < 0)
        return -1;
    if (o->in_cluster) {
        if (o->namespace_ && *o->namespace_) {
            cfg->namespace_ = strdup(o->namespace_);
            cfg->namespace_explicit = 1;
        }
        int ic = in_cluster(cfg, e);
        if (ic == 1)
            err_set(e, "unable to load in-cluster configuration, KUBERNETES_SERVICE_HOST and "
                       "KUBERNETES_SERVICE_PORT must be defined");
        if (ic == 0 && !cfg->namespace_)
            cfg->namespace_ = strdup("default");
        if (ic != 0 || !cfg->namespace_) {
            kube_restcfg_fini(cfg);
            return ic == 0 ? err_set(e, "out of memory") : -1;
        }
        return 0;
    }
    if (kcfg_paths_init(&paths, o->kubeconfig && *o->kubeconfig ? o->kubeconfig : NULL, e) < 0)
        return -1;
    if (kcfg_load(&kc, &paths, e) < 0) {
        kcfg_paths_fini(&paths);
        return -1;
    }
    kcfg_paths_fini(&paths);

    int rc = -1;
    const char *ctx_name = o->context && *o->context ? o->context : kc.current_context;
    const json_t *ctx = *ctx_name ? json_object_get(kc.entries[KCFG_CONTEXTS], ctx_name) : NULL;
    if (*ctx_name && !ctx) {
        err_set(e, "Error in configuration: context was not found for specified context: %s",
                ctx_name);
        goto out;
    }
    const char *cluster_name = o->cluster && *o->cluster ? o->cluster : jstr(ctx, "cluster");
    const char *user_name = o->user && *o->user ? o->user : jstr(ctx, "user");
    const json_t *cluster =
        cluster_name ? json_object_get(kc.entries[KCFG_CLUSTERS], cluster_name) : NULL;
    const json_t *user = user_name ? json_object_get(kc.entries[KCFG_USERS], user_name) : NULL;
    const char *corigin =
        cluster_name ? json_string_value(json_object_get(kc.origin[KCFG_CLUSTERS], cluster_name))
                     : NULL;
    const char *uorigin =
        user_name ? json_string_value(json_object_get(kc.origin[KCFG_USERS], user_name)) : NULL;
    if (o->cluster && *o->cluster && !cluster && !(o->server && *o->server)) {
        err_set(e, "no server found for cluster \"%s\"", o->cluster);
        goto out;
    }
    if (o->user && *o->user && !user) {
        err_set(e, "auth info \"%s\" does not exist", o->user);
        goto out;
    }
    if (ctx)
        cfg->context = strdup(ctx_name);
    const char *ns = o->namespace_ && *o->namespace_ ? o->namespace_ : jstr(ctx, "namespace");
    cfg->namespace_explicit = o->namespace_ && *o->namespace_;
    cfg->namespace_ = dup_or_null(ns);

    const char *server = o->server && *o->server ? o->server : jstr(cluster, "server");
    if (!server) {
        int ic = in_cluster(cfg, e);
        if (ic < 0)
            goto out;
        if (ic == 0) {
            if (o->token && *o->token) {
                free(cfg->token);
                cfg->token = strdup(o->token);
                free(cfg->token_file);
                cfg->token_file = NULL;
            }
            if (o->insecure == 1) {
                cfg->insecure = 1;
                free(cfg->ca_pem);
                cfg->ca_pem = NULL;
            }
            rc = 0;
            goto done;
        }
        server = "http://localhost:8080";
    }

    /* The cluster: CA, verification, names, proxy. */
    cfg->insecure = o->insecure >= 0 ? o->insecure : jbool(cluster, "insecure-skip-tls-verify");
    const char *cname = cluster_name ? cluster_name : "";
    if (o->certificate_authority && *o->certificate_authority) {
        struct err fe;
        if (read_small(o->certificate_authority, &cfg->ca_pem, &cfg->ca_len, &fe) < 0) {
            err_set(e, "unable to read certificate-authority %s for %s due to %s",
                    o->certificate_authority, cname, fe.msg);
            goto out;
        }
    } else if (!(o->insecure == 1)) {
        const char *data = jstr(cluster, "certificate-authority-data");
        const char *file = jstr(cluster, "certificate-authority");
        if (data) {
            if (b64(data, &cfg->ca_pem, &cfg->ca_len, e) < 0)
                goto out;
        } else if (file) {
            char *p = resolve_path(file, corigin);
            struct err fe;
            if (!p || read_small(p, &cfg->ca_pem, &cfg->ca_len, &fe) < 0) {
                err_set(e, "unable to read certificate-authority %s for %s due to %s", file, cname,
                        p ? fe.msg : "out of memory");
                free(p);
                goto out;
            }
            free(p);
        }
    }
    if (cfg->insecure && cfg->ca_pem) {
        err_set(e, "specifying a root certificates file with the insecure flag is not allowed");
        goto out;
    }
    const char *tsn = o->tls_server_name && *o->tls_server_name ? o->tls_server_name
                                                                : jstr(cluster, "tls-server-name");
    cfg->tls_server_name = dup_or_null(tsn);
    cfg->proxy_url = dup_or_null(jstr(cluster, "proxy-url"));
    cfg->disable_compression = jbool(cluster, "disable-compression");

    /* The user: certificates, token, basic auth, exec. */
    const char *uname = user_name ? user_name : "";
    cfg->auth_name = strdup(uname);
    struct buf verrs = BUF_INIT; /* validation errors, one "* msg" line each */
    int nverr = 0;
    const char *cert_file = o->client_certificate && *o->client_certificate
                                ? o->client_certificate
                                : jstr(user, "client-certificate");
    const char *key_file =
        o->client_key && *o->client_key ? o->client_key : jstr(user, "client-key");
    const char *cert_data = o->client_certificate && *o->client_certificate
                                ? NULL
                                : jstr(user, "client-certificate-data");
    const char *key_data = o->client_key && *o->client_key ? NULL : jstr(user, "client-key-data");
    int cert_from_flag = o->client_certificate && *o->client_certificate;
    int key_from_flag = o->client_key && *o->client_key;
    if (cert_file || cert_data) {
        if (!key_file && !key_data) {
            buf_addf(&verrs,
                     "\n* client-key-data or client-key must be specified for %s to use the "
                     "clientCert authentication method.",
                     uname);
            nverr++;
        }
        struct err fe;
        if (cert_data) {
            if (b64(cert_data, &cfg->cert_pem, &cfg->cert_len, e) < 0)
                goto out_v;
        } else {
            char *p = cert_from_flag ? strdup(cert_file) : resolve_path(cert_file, uorigin);
            if (!p || read_small(p, &cfg->cert_pem, &cfg->cert_len, &fe) < 0) {
                buf_addf(&verrs, "\n* unable to read client-cert %s for %s due to %s", cert_file,
                         uname, p ? fe.msg : "out of memory");
                nverr++;
            }
            free(p);
        }
        if (key_data) {
            if (b64(key_data, &cfg->key_pem, &cfg->key_len, e) < 0)
                goto out_v;
        } else if (key_file) {
            char *p = key_from_flag ? strdup(key_file) : resolve_path(key_file, uorigin);
            if (!p || read_small(p, &cfg->key_pem, &cfg->key_len, &fe) < 0) {
                buf_addf(&verrs, "\n* unable to read client-key %s for %s due to %s", key_file,
                         uname, p ? fe.msg : "out of memory");
                nverr++;
            }
            free(p);
        }
    }
    if (nverr) {
        if (nverr == 1)
            err_set(e, "Error in configuration: %s", verrs.p + 3);
        else
            err_set(e, "Error in configuration: %s", verrs.p);
        goto out_v;
    }
    if (o->token && *o->token) {
        cfg->token = strdup(o->token);
    } else {
        cfg->token = dup_or_null(jstr(user, "token"));
        const char *tf = jstr(user, "tokenFile");
        if (tf) {
            cfg->token_file = resolve_path(tf, uorigin);
            if (!cfg->token) {
                struct err fe;
                char *t = NULL;
                if (read_small(cfg->token_file, &t, NULL, &fe) < 0) {
                    err_set(e, "%s", fe.msg);
                    goto out_v;
                }
                free(t);
            }
        }
    }
    const char *un = o->username && *o->username ? o->username : jstr(user, "username");
    const char *pw = o->password && *o->password ? o->password : jstr(user, "password");
    cfg->username = dup_or_null(un);
    cfg->password = dup_or_null(pw);
    struct buf methods = BUF_INIT;
    int nm = 0;
    if (cfg->token || cfg->token_file)
        add_method(&methods, &nm, "token");
    if (cfg->username || cfg->password)
        add_method(&methods, &nm, "basicAuth");
    if (nm > 1) {
        err_set(e,
                "more than one authentication method found for %s; found [%s], only one is "
                "allowed",
                uname, buf_str(&methods));
        buf_fini(&methods);
        goto out_v;
    }
    buf_fini(&methods);
    const json_t *exec = json_object_get(user, "exec");
    if (exec && json_is_object(exec) && exec_from(cfg, exec, uorigin, cluster, uname, e) < 0)
        goto out_v;
    rc = 0;
out_v:
    buf_fini(&verrs);
    if (rc < 0)
        goto out;
    cfg->server = server_url(server, cfg->ca_pem || cfg->insecure || cfg->cert_pem);
    cfg->host = url_host(cfg->server);
done:
    if (!cfg->namespace_)
        cfg->namespace_ = strdup("default");
    if (!cfg->server || !cfg->host || !cfg->namespace_) {
        err_set(e, "out of memory");
        rc = -1;
    }
out:
    kcfg_fini(&kc);
    if (rc < 0)
        kube_restcfg_fini(cfg);
    return rc;
}
