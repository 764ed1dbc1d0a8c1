#include "kubeconfig/ops.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "core/b64.h"
#include "core/buf.h"
#include "core/file.h"

#define KCFG_MAX_EMBED ((size_t)16 << 20)

/* Go's os.Stat error text, for kubectl's "could not stat" messages. */
static int stat_ok(const char *path, struct err *e, const char *what)
{
    struct stat st;
    if (stat(path, &st) == 0)
        return 0;
    return err_set(e, "could not stat %s file %s: stat %s: %s", what, path, path,
                   errno == ENOENT ? "no such file or directory" : strerror(errno));
}

/* File content as base64 ("" when unreadable: kubectl ignores read errors
 * once the file has been stat'ed). */
static char *embed(const char *path)
{
    struct buf b = BUF_INIT;
    if (file_read(path, KCFG_MAX_EMBED, &b, NULL) < 0)
        buf_reset(&b);
    char *enc = b64_encode((const unsigned char *)buf_str(&b), b.len);
    buf_fini(&b);
    return enc;
}

static void set_or_del(json_t *o, const char *key, const char *v)
{
    if (v && *v)
        json_object_set_new(o, key, json_string(v));
    else
        json_object_del(o, key);
}

/* Loads the merged config, hands the entry <name> of <kind> (created when
 * missing) to the caller, who changes it; commit() writes. */
static json_t *entry_for(struct kcfg *c, enum kcfg_kind kind, const char *name, int *created)
{
    json_t *body = json_object_get(c->entries[kind], name);
    if (created)
        *created = !body;
    if (!body) {
        body = kcfg_new_entry(kind);
        json_object_set_new(c->entries[kind], name, body);
    }
    return body;
}

static int commit(const struct kcfg_paths *p, struct kcfg *c, enum kcfg_kind kind, const char *name,
                  int relativize, struct err *e)
{
    if (name) {
        json_t *body = json_incref(json_object_get(c->entries[kind], name));
        if (kcfg_entry_canon(&body, kind, e) < 0) {
            json_decref(body);
            return -1;
        }
        json_object_set_new(c->entries[kind], name, body);
    }
    return kcfg_modify(p, c, relativize, e);
}

int kcfg_op_set_cluster(const struct kcfg_paths *p, const char *name,
                        const struct kcfg_cluster_opts *o, struct err *e)
{
    if (!*name)
        return err_set(e, "you must specify a non-empty cluster name");
    if (o->insecure_skip_tls_verify == 1 && o->certificate_authority && *o->certificate_authority)
        return err_set(e,
                       "you cannot specify a certificate authority and insecure mode at the same "
                       "time");
    if (o->embed_certs == 1) {
        if (!o->certificate_authority || !*o->certificate_authority)
            return err_set(e, "you must specify a --certificate-authority to embed");
        if (stat_ok(o->certificate_authority, e, "certificate-authority") < 0)
            return -1;
    }
    struct kcfg c;
    if (kcfg_load(&c, p, e) < 0)
        return -1;
    json_t *cl = entry_for(&c, KCFG_CLUSTERS, name, NULL);
    if (o->server)
        json_object_set_new(cl, "server", json_string(o->server));
    if (o->tls_server_name)
        set_or_del(cl, "tls-server-name", o->tls_server_name);
    if (o->insecure_skip_tls_verify >= 0) {
        json_object_set_new(cl, "insecure-skip-tls-verify",
                            json_boolean(o->insecure_skip_tls_verify));
        if (o->insecure_skip_tls_verify) {
            json_object_del(cl, "certificate-authority");
            json_object_del(cl, "certificate-authority-data");
        }
    }
    if (o->certificate_authority) {
        if (o->embed_certs == 1) {
            char *data = embed(o->certificate_authority);
            set_or_del(cl, "certificate-authority-data", data);
            free(data);
            json_object_del(cl, "insecure-skip-tls-verify");
            json_object_del(cl, "certificate-authority");
        } else {
            char *abs = kcfg_abs_path(o->certificate_authority);
            set_or_del(cl, "certificate-authority", abs);
            if (abs && *abs) {
                json_object_del(cl, "insecure-skip-tls-verify");
                json_object_del(cl, "certificate-authority-data");
            }
            free(abs);
        }
    }
    if (o->proxy_url)
        set_or_del(cl, "proxy-url", o->proxy_url);
    int rc = commit(p, &c, KCFG_CLUSTERS, name, 1, e);
    kcfg_fini(&c);
    return rc;
}

/* kubectl's ParsePairs: "k=v" adds, "k-" removes; anything else is invalid. */
static int parse_pairs(const struct kcfg_list *l, const char *what, json_t *add, json_t *remove,
                       struct err *e)
{
    struct buf bad = BUF_INIT;
    for (size_t i = 0; i < l->n; i++) {
        const char *a = l->v[i];
        const char *eq = strchr(a, '=');
        size_t n = strlen(a);
        if (eq && a[0] != '=') {
            char *k = strndup(a, (size_t)(eq - a));
            json_object_set_new(add, k, json_string(eq + 1));
            free(k);
        } else if (n > 1 && a[n - 1] == '-') {
            json_array_append_new(remove, json_stringn(a, n - 1));
        } else {
            buf_addf(&bad, "%s%s", bad.len ? ", " : "", a);
        }
    }
    if (bad.len) {
        err_set(e, "invalid %s format: %s", what, buf_str(&bad));
        buf_fini(&bad);
        return KCFG_OP_USAGE;
    }
    return 0;
}

static int in_list(const json_t *list, const char *s)
{
    size_t i;
    json_t *v;
    json_array_foreach(list, i, v)
    {
        if (!strcmp(json_string_value(v), s))
            return 1;
    }
    return 0;
}

static void cred_file(json_t *u, const char *path, int embed_certs, const char *key,
                      const char *data_key)
{
    if (!path)
        return;
    if (embed_certs == 1) {
        char *data = embed(path);
        set_or_del(u, data_key, data);
        free(data);
        json_object_del(u, key);
    } else {
        char *abs = kcfg_abs_path(path);
        set_or_del(u, key, abs);
        if (abs && *abs)
            json_object_del(u, data_key);
        free(abs);
    }
}

static void apply_exec(json_t *u, const struct kcfg_credential_opts *o, json_t *env_add,
                       json_t *env_remove)
{
    json_t *ex = json_object_get(u, "exec");
    if (o->exec_command) {
        if (!ex) {
            ex = json_pack("{s:s}", "command", o->exec_command);
            json_object_set_new(u, "exec", ex);
        } else {
            json_object_set_new(ex, "command", json_string(o->exec_command));
            json_object_set_new(ex, "args", json_null());
        }
    }
    if (!ex)
        return;
    if (o->exec_api_version)
        set_or_del(ex, "apiVersion", o->exec_api_version);
    if (o->exec_interactive_mode)
        set_or_del(ex, "interactiveMode", o->exec_interactive_mode);
    if (o->exec_provide_cluster_info >= 0)
        json_object_set_new(ex, "provideClusterInfo", json_boolean(o->exec_provide_cluster_info));
    if (o->exec_args.n) {
        json_t *args = json_array();
        for (size_t i = 0; i < o->exec_args.n; i++)
            json_array_append_new(args, json_string(o->exec_args.v[i]));
        json_object_set_new(ex, "args", args);
    }
    if (o->exec_env.n) {
        json_t *old = json_object_get(ex, "env"), *env = json_array();
        size_t i;
        json_t *v;
        json_array_foreach(old, i, v)
        {
            if (!in_list(env_remove, json_string_value(json_object_get(v, "name"))))
                json_array_append(env, v);
        }
        /* New variables in the order given; existing ones updated in place. */
        for (size_t a = 0; a < o->exec_env.n; a++) {
            const char *eq = strchr(o->exec_env.v[a], '=');
            if (!eq || eq == o->exec_env.v[a])
                continue;
            char *k = strndup(o->exec_env.v[a], (size_t)(eq - o->exec_env.v[a]));
            json_t *val = json_object_get(env_add, k);
            int found = 0;
            json_array_foreach(env, i, v)
            {
                if (!strcmp(json_string_value(json_object_get(v, "name")), k)) {
                    json_object_set(v, "value", val);
                    found = 1;
                }
            }
            if (!found)
                json_array_append_new(env, json_pack("{s:s,s:O}", "name", k, "value", val));
            free(k);
        }
        json_object_set_new(ex, "env", env);
    }
}

int kcfg_op_set_credentials(const struct kcfg_paths *p, const char *name,
                            const struct kcfg_credential_opts *o, struct err *e)
{
    json_t *pa_add = json_object(), *pa_rm = json_array();
    json_t *env_add = json_object(), *env_rm = json_array();
    struct kcfg c;
    int loaded = 0, rc;
    if ((rc = parse_pairs(&o->auth_provider_args, "auth-provider-arg", pa_add, pa_rm, e)) < 0 ||
        (rc = parse_pairs(&o->exec_env, "exec-env", env_add, env_rm, e)) < 0)
        goto out;
    rc = -1;
    if (!*name) {
        err_set(e, "you must specify a non-empty user name");
        goto out;
    }
    int tok = o->token && *o->token;
    int basic = (o->username && *o->username) || (o->password && *o->password);
    if (tok && basic) {
        err_set(e, "you cannot specify more than one authentication method at the same time: "
                   "--token, --username/--password");
        goto out;
    }
    if (o->embed_certs == 1) {
        const char *cert = o->client_certificate ? o->client_certificate : "";
        const char *key = o->client_key ? o->client_key : "";
        if (!*cert && !*key) {
            err_set(e, "you must specify a --client-certificate or --client-key to embed");
            goto out;
        }
        if ((*cert && stat_ok(cert, e, "client-certificate") < 0) ||
            (*key && stat_ok(key, e, "client-key") < 0))
            goto out;
    }
    if (o->exec_interactive_mode && strcmp(o->exec_interactive_mode, "IfAvailable") &&
        strcmp(o->exec_interactive_mode, "Never") && strcmp(o->exec_interactive_mode, "Always")) {
        err_set(e, "invalid interactive mode type, can be only IfAvailable, Never, Always");
        goto out;
    }
    if (kcfg_load(&c, p, e) < 0)
        goto out;
    loaded = 1;
    json_t *u = entry_for(&c, KCFG_USERS, name, NULL);
    int set_token = 0, set_basic = 0;
    cred_file(u, o->client_certificate, o->embed_certs, "client-certificate",
              "client-certificate-data");
    cred_file(u, o->client_key, o->embed_certs, "client-key", "client-key-data");
    if (o->token) {
        set_or_del(u, "token", o->token);
        set_token = *o->token != '\0';
    }
    if (o->username) {
        set_or_del(u, "username", o->username);
        set_basic |= *o->username != '\0';
    }
    if (o->password) {
        set_or_del(u, "password", o->password);
        set_basic |= *o->password != '\0';
    }
    json_t *ap = json_object_get(u, "auth-provider");
    if (o->auth_provider &&
        (!ap || strcmp(json_string_value(json_object_get(ap, "name")), o->auth_provider))) {
        ap = json_pack("{s:s}", "name", o->auth_provider);
        json_object_set_new(u, "auth-provider", ap);
    }
    if (ap) {
        json_t *cfg = json_object_get(ap, "config");
        if (!json_is_object(cfg)) {
            cfg = json_object();
            json_object_set_new(ap, "config", cfg);
        }
        size_t i;
        json_t *v;
        json_array_foreach(pa_rm, i, v)
        {
            json_object_del(cfg, json_string_value(v));
        }
        json_object_update(cfg, pa_add);
    }
    apply_exec(u, o, env_add, env_rm);
    if (set_token || set_basic) {
        if (!set_token)
            json_object_del(u, "token");
        if (!set_basic) {
            json_object_del(u, "username");
            json_object_del(u, "password");
        }
    }
    rc = commit(p, &c, KCFG_USERS, name, 1, e);
out:
    if (loaded)
        kcfg_fini(&c);
    json_decref(pa_add);
    json_decref(pa_rm);
    json_decref(env_add);
    json_decref(env_rm);
    return rc;
}

int kcfg_op_set_context(const struct kcfg_paths *p, const char *name,
                        const struct kcfg_context_opts *o, char **name_out, int *created,
                        struct err *e)
{
    if (!*name && !o->current)
        return err_set(e, "you must specify a non-empty context name or --current");
    if (*name && o->current)
        return err_set(e, "you cannot specify both a context name and --current");
    struct kcfg c;
    if (kcfg_load(&c, p, e) < 0)
        return -1;
    int rc = -1;
    if (o->current) {
        if (!*c.current_context) {
            err_set(e, "no current context is set");
            goto out;
        }
        name = c.current_context;
    }
    char *nm = strdup(name);
    json_t *ctx = entry_for(&c, KCFG_CONTEXTS, nm, created);
    if (o->cluster)
        json_object_set_new(ctx, "cluster", json_string(o->cluster));
    if (o->user)
        json_object_set_new(ctx, "user", json_string(o->user));
    if (o->namespace_)
        set_or_del(ctx, "namespace", o->namespace_);
    rc = commit(p, &c, KCFG_CONTEXTS, nm, 1, e);
    if (rc == 0)
        *name_out = nm;
    else
        free(nm);
out:
    kcfg_fini(&c);
    return rc;
}

int kcfg_op_use_context(const struct kcfg_paths *p, const char *name, struct err *e)
{
    struct kcfg c;
    if (kcfg_load(&c, p, e) < 0)
        return -1;
    int rc = -1;
    if (!*name) {
        err_set(e, "empty context names are not allowed");
        goto out;
    }
    if (!json_object_get(c.entries[KCFG_CONTEXTS], name)) {
        err_set(e, "no context exists with the name: \"%s\"", name);
        goto out;
    }
    free(c.current_context);
    c.current_context = strdup(name);
    rc = commit(p, &c, KCFG_CONTEXTS, NULL, 1, e);
out:
    kcfg_fini(&c);
    return rc;
}

int kcfg_op_delete(const struct kcfg_paths *p, enum kcfg_kind kind, const char *name,
                   const char **file_out, int *was_current, struct err *e)
{
    static const char *const what[KCFG_NKINDS] = {"cluster", "user", "context"};
    struct kcfg c;
    if (kcfg_load(&c, p, e) < 0)
        return -1;
    int rc = -1;
    const char *file = p->explicit_path ? p->explicit_path : kcfg_default_file(p);
    *file_out = file;
    if (!json_object_get(c.entries[kind], name)) {
        err_set(e, "cannot delete %s %s, not in %s", what[kind], name, file);
        goto out;
    }
    *was_current = kind == KCFG_CONTEXTS && !strcmp(c.current_context, name);
    json_object_del(c.entries[kind], name);
    rc = commit(p, &c, kind, NULL, 1, e);
out:
    kcfg_fini(&c);
    return rc;
}

int kcfg_op_rename_context(const struct kcfg_paths *p, const char *from, const char *to,
                           struct err *e)
{
    if (!*to)
        return err_set(e, "You must specify a new non-empty context name");
    struct kcfg c;
    if (kcfg_load(&c, p, e) < 0)
        return -1;
    int rc = -1;
    const char *file = p->explicit_path ? p->explicit_path : kcfg_default_file(p);
    json_t *ctx = json_object_get(c.entries[KCFG_CONTEXTS], from);
    if (!ctx) {
        err_set(e, "cannot rename the context \"%s\", it's not in %s", from, file);
        goto out;
    }
    if (json_object_get(c.entries[KCFG_CONTEXTS], to)) {
        err_set(e, "cannot rename the context \"%s\", the context \"%s\" already exists in %s",
                from, to, file);
        goto out;
    }
    json_object_set(c.entries[KCFG_CONTEXTS], to, ctx);
    json_t *origin = json_object_get(c.origin[KCFG_CONTEXTS], from);
    if (origin)
        json_object_set(c.origin[KCFG_CONTEXTS], to, origin);
    json_object_del(c.entries[KCFG_CONTEXTS], from);
    json_object_del(c.origin[KCFG_CONTEXTS], from);
    if (!strcmp(c.current_context, from)) {
        free(c.current_context);
        c.current_context = strdup(to);
    }
    rc = commit(p, &c, KCFG_CONTEXTS, NULL, 1, e);
out:
    kcfg_fini(&c);
    return rc;
}

int kcfg_op_set_property(const struct kcfg_paths *p, const char *property, const char *value,
                         int unset, int raw_bytes, struct err *e)
{
    struct kcfg c;
    if (kcfg_load(&c, p, e) < 0)
        return -1;
    int rc = -1;
    if (kcfg_set_property(&c, property, value, unset, raw_bytes, e) == 0)
        rc = kcfg_modify(p, &c, 0, e);
    kcfg_fini(&c);
    return rc;
}

int kcfg_op_set_namespace(const struct kcfg_paths *p, const char *ns, char **ctx_out, struct err *e)
{
    struct kcfg_context_opts o = {NULL, NULL, ns, 1};
    int created;
    return kcfg_op_set_context(p, "", &o, ctx_out, &created, e);
}
