#include "kubeconfig/kcfg.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/b64.h"
#include "core/buf.h"
#include "core/file.h"
#include "core/log.h"
#include "core/json.h"
#include "core/strv.h"
#include "core/yaml.h"
#include "kubeconfig/schema.h"

/* kubeconfig files larger than this are refused rather than read. */
#define KCFG_MAX_FILE ((size_t)64 << 20)

static const char *const kind_list[KCFG_NKINDS] = {"clusters", "users", "contexts"};
static const char *const kind_body[KCFG_NKINDS] = {"cluster", "user", "context"};
static const char *const kind_named[KCFG_NKINDS] = {"NamedCluster", "NamedAuthInfo",
                                                    "NamedContext"};
static const char *const kind_api[KCFG_NKINDS] = {"api.Cluster", "api.AuthInfo", "api.Context"};

/* ---- paths ---- */

char *kcfg_clean_path(const char *path)
{
    size_t n = strlen(path);
    if (n == 0)
        return strdup(".");
    int rooted = path[0] == '/';
    char *out = malloc(n + 2);
    if (!out)
        return NULL;
    size_t w = 0, dotdot = 0; /* dotdot: where ".." may no longer back up */
    size_t r = 0;
    if (rooted) {
        out[w++] = '/';
        r = 1;
        dotdot = 1;
    }
    while (r < n) {
        if (path[r] == '/') {
            r++;
        } else if (path[r] == '.' && (r + 1 == n || path[r + 1] == '/')) {
            r++;
        } else if (path[r] == '.' && path[r + 1] == '.' && (r + 2 == n || path[r + 2] == '/')) {
            r += 2;
            if (w > dotdot) {
                w--;
                while (w > dotdot && out[w] != '/')
                    w--;
            } else if (!rooted) {
                if (w > 0)
                    out[w++] = '/';
                out[w++] = '.';
                out[w++] = '.';
                dotdot = w;
            }
        } else {
            if ((rooted && w != 1) || (!rooted && w != 0))
                out[w++] = '/';
            while (r < n && path[r] != '/')
                out[w++] = path[r++];
        }
    }
    if (w == 0)
        out[w++] = '.';
    out[w] = '\0';
    return out;
}

char *kcfg_abs_path(const char *path)
{
    if (path[0] == '/')
        return kcfg_clean_path(path);
    char cwd[PATH_MAX];
    if (!getcwd(cwd, sizeof cwd))
        return kcfg_clean_path(path);
    struct buf b = BUF_INIT;
    if (buf_addf(&b, "%s/%s", cwd, path) < 0)
        return NULL;
    char *r = kcfg_clean_path(b.p);
    buf_fini(&b);
    return r;
}

/* filepath.Dir */
static char *dir_of(const char *path)
{
    const char *slash = strrchr(path, '/');
    if (!slash)
        return strdup(".");
    char *d = strndup(path, (size_t)(slash - path) + 1);
    if (!d)
        return NULL;
    char *c = kcfg_clean_path(d);
    free(d);
    return c;
}

/* filepath.Join(base, p) for a relative p, cleaned. */
static char *join(const char *base, const char *p)
{
    struct buf b = BUF_INIT;
    if (buf_addf(&b, "%s/%s", base, p) < 0)
        return NULL;
    char *r = kcfg_clean_path(b.p);
    buf_fini(&b);
    return r;
}

/* filepath.Rel for two absolute, clean paths. */
static char *rel_path(const char *base, const char *targ)
{
    if (!strcmp(base, targ))
        return strdup(".");
    size_t bl = strlen(base), tl = strlen(targ);
    if (!strcmp(base, "/"))
        return strdup(targ + 1);
    size_t i = 0, last = 0;
    while (i < bl && i < tl && base[i] == targ[i]) {
        if (base[i] == '/')
            last = i;
        i++;
    }
    if (i == bl && (i == tl || targ[i] == '/'))
        return strdup(targ + bl + (targ[bl] == '/'));
    if (i == tl && base[i] == '/')
        last = i;
    struct buf b = BUF_INIT;
    for (size_t j = last; j < bl; j++)
        if (base[j] == '/' && buf_adds(&b, b.len ? "/.." : "..") < 0)
            goto fail;
    if (last + 1 < tl && buf_addf(&b, "/%s", targ + last + 1) < 0)
        goto fail;
    return buf_take(&b);
fail:
    buf_fini(&b);
    return NULL;
}

int kcfg_paths_init(struct kcfg_paths *p, const char *explicit_path, struct err *e)
{
    memset(p, 0, sizeof *p);
    const char *env = getenv("KUBECONFIG");
    if (explicit_path && *explicit_path) {
        p->explicit_path = strdup(explicit_path);
        p->files = calloc(1, sizeof *p->files);
        if (!p->explicit_path || !p->files)
            goto fail;
        p->files[p->nfiles++] = strdup(explicit_path);
    } else if (env && *env) {
        size_t n = 1;
        for (const char *s = env; *s; s++)
            n += *s == ':';
        p->files = calloc(n, sizeof *p->files);
        if (!p->files)
            goto fail;
        for (const char *s = env;;) {
            const char *c = strchr(s, ':');
            size_t l = c ? (size_t)(c - s) : strlen(s);
            int dup = 0;
            for (size_t i = 0; i < p->nfiles; i++)
                dup |= strlen(p->files[i]) == l && !strncmp(p->files[i], s, l);
            if (!dup && !(p->files[p->nfiles++] = strndup(s, l)))
                goto fail;
            if (!c)
                break;
            s = c + 1;
        }
    } else {
        const char *home = getenv("HOME");
        struct buf b = BUF_INIT;
        if (buf_addf(&b, "%s/.kube/config", home ? home : "") < 0)
            goto fail;
        p->files = calloc(1, sizeof *p->files);
        if (!p->files) {
            buf_fini(&b);
            goto fail;
        }
        p->files[p->nfiles++] = buf_take(&b);
    }
    return 0;
fail:
    kcfg_paths_fini(p);
    return err_set(e, "out of memory");
}

void kcfg_paths_fini(struct kcfg_paths *p)
{
    for (size_t i = 0; i < p->nfiles; i++)
        free(p->files[i]);
    free(p->files);
    free(p->explicit_path);
    memset(p, 0, sizeof *p);
}

static int exists(const char *path)
{
    struct stat st;
    return *path && stat(path, &st) == 0;
}

const char *kcfg_default_file(const struct kcfg_paths *p)
{
    if (p->explicit_path || p->nfiles == 1)
        return p->files[0];
    for (size_t i = 0; i < p->nfiles; i++)
        if (exists(p->files[i]))
            return p->files[i];
    return p->files[p->nfiles - 1];
}

/* ---- the model ---- */

int kcfg_init(struct kcfg *c)
{
    memset(c, 0, sizeof *c);
    for (int k = 0; k < KCFG_NKINDS; k++) {
        c->entries[k] = json_object();
        c->origin[k] = json_object();
    }
    c->preferences = json_object();
    c->extensions = json_array();
    c->current_context = strdup("");
    for (int k = 0; k < KCFG_NKINDS; k++)
        if (!c->entries[k] || !c->origin[k])
            goto fail;
    if (!c->preferences || !c->extensions || !c->current_context)
        goto fail;
    return 0;
fail:
    kcfg_fini(c);
    return -1;
}

void kcfg_fini(struct kcfg *c)
{
    for (int k = 0; k < KCFG_NKINDS; k++) {
        json_decref(c->entries[k]);
        json_decref(c->origin[k]);
    }
    json_decref(c->preferences);
    json_decref(c->extensions);
    free(c->current_context);
    memset(c, 0, sizeof *c);
}

int kcfg_copy(struct kcfg *dst, const struct kcfg *src)
{
    memset(dst, 0, sizeof *dst);
    for (int k = 0; k < KCFG_NKINDS; k++) {
        dst->entries[k] = json_deep_copy(src->entries[k]);
        dst->origin[k] = json_deep_copy(src->origin[k]);
        if (!dst->entries[k] || !dst->origin[k])
            goto fail;
    }
    dst->preferences = json_deep_copy(src->preferences);
    dst->extensions = json_deep_copy(src->extensions);
    dst->current_context = strdup(src->current_context);
    if (!dst->preferences || !dst->extensions || !dst->current_context)
        goto fail;
    return 0;
fail:
    kcfg_fini(dst);
    return -1;
}

json_t *kcfg_new_entry(enum kcfg_kind kind)
{
    json_t *out = NULL;
    if (kschema_decode(kschema_of_kind(kind), NULL, "", "", &out, NULL) < 0)
        return NULL;
    return out;
}

int kcfg_entry_canon(json_t **body, enum kcfg_kind kind, struct err *e)
{
    json_t *out;
    if (kschema_decode(kschema_of_kind(kind), *body, kind_named[kind], kind_body[kind], &out, e) <
        0)
        return -1;
    json_decref(*body);
    *body = out;
    return 0;
}

/* client-go's defaulting on load: an exec plugin of the beta and alpha APIs
 * without an interactiveMode gets IfAvailable. */
static int default_exec(json_t **user, struct err *e)
{
    json_t *ex = json_object_get(*user, "exec");
    const char *v = json_string_value(json_object_get(ex, "apiVersion"));
    const char *mode = json_string_value(json_object_get(ex, "interactiveMode"));
    if (!v || (mode && *mode) ||
        (strcmp(v, "client.authentication.k8s.io/v1beta1") &&
         strcmp(v, "client.authentication.k8s.io/v1alpha1")))
        return 0;
    json_object_set_new(ex, "interactiveMode", json_string("IfAvailable"));
    return kcfg_entry_canon(user, KCFG_USERS, e);
}

static int version_kind_error(struct err *e, const json_t *doc)
{
    return err_set(e,
                   "couldn't get version/kind; json parse error: json: cannot unmarshal %s "
                   "into Go value of type struct { APIVersion string "
                   "\"json:\\\"apiVersion,omitempty\\\"\"; Kind string "
                   "\"json:\\\"kind,omitempty\\\"\" }",
                   kschema_json_type(doc));
}

/* The top-level list of one kind into the name -> body map. */
static int parse_list(struct kcfg *c, enum kcfg_kind k, const json_t *list, const char *origin,
                      struct err *e)
{
    char tmp[128];
    const char *lname = kind_list[k];
    if (!list || json_is_null(list))
        return 0;
    if (!json_is_array(list)) {
        snprintf(tmp, sizeof tmp, "[]v1.%s", kind_named[k]);
        return err_set(e, "json: cannot unmarshal %s into Go struct field Config.%s of type %s",
                       kschema_json_type(list), lname, tmp);
    }
    size_t i;
    json_t *it;
    json_array_foreach(list, i, it)
    {
        if (json_is_null(it))
            it = NULL;
        else if (!json_is_object(it))
            return err_set(e,
                           "json: cannot unmarshal %s into Go struct field Config.%s of type v1.%s",
                           kschema_json_type(it), lname, kind_named[k]);
        const json_t *name = it ? json_object_get(it, "name") : NULL;
        if (name && !json_is_null(name) && !json_is_string(name))
            return err_set(
                e, "json: cannot unmarshal %s into Go struct field %s.%s.name of type string",
                kschema_json_type(name), kind_named[k], lname);
        const char *nm = json_is_string(name) ? json_string_value(name) : "";
        const json_t *body = it ? json_object_get(it, kind_body[k]) : NULL;
        char path[128];
        snprintf(path, sizeof path, "%s.%s", lname, kind_body[k]);
        if (body && !json_is_null(body) && !json_is_object(body))
            return err_set(e, "json: cannot unmarshal %s into Go struct field %s.%s of type v1.%s",
                           kschema_json_type(body), kind_named[k], path,
                           kschema_of_kind(k)->goname);
        json_t *canon;
        if (kschema_decode(kschema_of_kind(k), body, kind_named[k], path, &canon, e) < 0)
            return -1;
        if (k == KCFG_USERS && default_exec(&canon, e) < 0) {
            json_decref(canon);
            return -1;
        }
        if (json_object_get(c->entries[k], nm)) {
            json_decref(canon);
            return err_set(e,
                           "error converting *[]%s into *map[string]*%s: duplicate name \"%s\" "
                           "in list",
                           kind_named[k], kind_api[k], nm);
        }
        json_object_set_new(c->entries[k], nm, canon);
        if (origin)
            json_object_set_new(c->origin[k], nm, json_string(origin));
    }
    return 0;
}

int kcfg_parse(struct kcfg *c, const char *data, size_t len, const char *origin, struct err *e)
{
    if (len == 0)
        return 0;
    json_t *doc = NULL;
    if (yaml_load_one(data, len, &doc, e) < 0)
        return -1;
    int rc = -1;
    if (json_is_null(doc)) {
        rc = 0;
        goto out;
    }
    if (!json_is_object(doc)) {
        version_kind_error(e, doc);
        goto out;
    }
    const json_t *av = json_object_get(doc, "apiVersion");
    const json_t *kd = json_object_get(doc, "kind");
    if ((av && !json_is_string(av) && !json_is_null(av)) ||
        (kd && !json_is_string(kd) && !json_is_null(kd))) {
        err_set(e,
                "couldn't get version/kind; json parse error: json: cannot unmarshal %s into "
                "Go struct field .%s of type string",
                kschema_json_type(av && !json_is_string(av) ? av : kd),
                av && !json_is_string(av) && !json_is_null(av) ? "apiVersion" : "kind");
        goto out;
    }
    const char *version = json_is_string(av) ? json_string_value(av) : "";
    const char *kind = json_is_string(kd) ? json_string_value(kd) : "";
    if ((*version && strcmp(version, "v1")) || (*kind && strcmp(kind, "Config"))) {
        err_set(e,
                "no kind \"%s\" is registered for version \"%s\" in scheme "
                "\"k8s.io/client-go/tools/clientcmd/api/latest/latest.go:50\"",
                *kind ? kind : "Config", *version ? version : "v1");
        goto out;
    }
    const json_t *prefs = json_object_get(doc, "preferences");
    if (prefs && !json_is_null(prefs)) {
        if (!json_is_object(prefs)) {
            err_set(e,
                    "json: cannot unmarshal %s into Go struct field Config.preferences of type "
                    "v1.Preferences",
                    kschema_json_type(prefs));
            goto out;
        }
        json_t *p;
        if (kschema_decode(&kschema_preferences, prefs, "Config", "preferences", &p, e) < 0)
            goto out;
        json_decref(c->preferences);
        c->preferences = p;
    }
    for (int k = 0; k < KCFG_NKINDS; k++)
        if (parse_list(c, (enum kcfg_kind)k, json_object_get(doc, kind_list[k]), origin, e) < 0)
            goto out;
    const json_t *cc = json_object_get(doc, "current-context");
    if (cc && !json_is_null(cc)) {
        if (!json_is_string(cc)) {
            err_set(e,
                    "json: cannot unmarshal %s into Go struct field Config.current-context of "
                    "type string",
                    kschema_json_type(cc));
            goto out;
        }
        free(c->current_context);
        c->current_context = strdup(json_string_value(cc));
    }
    const json_t *ext = json_object_get(doc, "extensions");
    if (ext && !json_is_null(ext)) {
        static const struct kfield fields[] = {{"extensions", KF_EXTS, 1, NULL, NULL, NULL},
                                               {NULL, 0, 0, NULL, NULL, NULL}};
        static const struct kschema top = {"Config", fields};
        json_t *wrap = json_pack("{s:O}", "extensions", ext), *out;
        int r = kschema_decode(&top, wrap, "Config", "", &out, e);
        json_decref(wrap);
        if (r < 0)
            goto out;
        json_t *list = json_object_get(out, "extensions");
        json_decref(c->extensions);
        c->extensions = list ? json_incref(list) : json_array();
        json_decref(out);
    }
    rc = 0;
out:
    json_decref(doc);
    return rc;
}

/* The last file parsed, kept so that reading it again (a change re-reads
 * its file under the lock, as kubectl does) costs a copy, not a parse,
 * when the bytes are the same. */
static struct {
    char *path;
    struct buf data;
    struct kcfg cfg;
} last;

static void remember(const char *path, struct buf *data, const struct kcfg *c)
{
    free(last.path);
    buf_fini(&last.data);
    kcfg_fini(&last.cfg);
    last.path = strdup(path);
    last.data = *data;
    *data = (struct buf)BUF_INIT;
    if (!last.path || kcfg_copy(&last.cfg, c) < 0) {
        free(last.path);
        last.path = NULL;
        buf_fini(&last.data);
    }
}

int kcfg_load_file(struct kcfg *c, const char *path, struct err *e)
{
    struct buf b = BUF_INIT;
    memset(c, 0, sizeof *c);
    int r = file_read(path, KCFG_MAX_FILE, &b, e);
    if (r == -ENOENT) {
        buf_fini(&b);
        return kcfg_init(c) < 0 ? err_set(e, "out of memory") : 1;
    }
    if (r < 0) {
        buf_fini(&b);
        return -1;
    }
    if (last.path && !strcmp(last.path, path) && last.data.len == b.len &&
        (!b.len || !memcmp(last.data.p, b.p, b.len))) {
        buf_fini(&b);
        return kcfg_copy(c, &last.cfg) < 0 ? err_set(e, "out of memory") : 0;
    }
    if (kcfg_init(c) < 0) {
        buf_fini(&b);
        return err_set(e, "out of memory");
    }
    if (kcfg_parse(c, buf_str(&b), b.len, path, e) < 0) {
        buf_fini(&b);
        kcfg_fini(c);
        return -1;
    }
    remember(path, &b, c);
    buf_fini(&b);
    LOG_V(6, "Config loaded from file:  %s", path);
    return 0;
}

/* Entries from <src> that <dst> does not have yet: the first file wins. */
static void merge_into(struct kcfg *dst, const struct kcfg *src)
{
    for (int k = 0; k < KCFG_NKINDS; k++) {
        const char *name;
        json_t *v;
        json_object_foreach(src->entries[k], name, v)
        {
            if (json_object_get(dst->entries[k], name))
                continue;
            json_object_set(dst->entries[k], name, v);
            json_t *o = json_object_get(src->origin[k], name);
            if (o)
                json_object_set(dst->origin[k], name, o);
        }
    }
    if (!*dst->current_context && *src->current_context) {
        free(dst->current_context);
        dst->current_context = strdup(src->current_context);
    }
    if (!json_is_true(json_object_get(dst->preferences, "colors")) &&
        json_is_true(json_object_get(src->preferences, "colors"))) {
        json_t *p = json_deep_copy(src->preferences);
        json_t *ext = json_object_get(dst->preferences, "extensions");
        if (ext)
            json_object_set(p, "extensions", ext);
        json_decref(dst->preferences);
        dst->preferences = p;
    }
    if (!json_object_get(dst->preferences, "extensions") &&
        json_object_get(src->preferences, "extensions"))
        json_object_set(dst->preferences, "extensions",
                        json_object_get(src->preferences, "extensions"));
    size_t i;
    json_t *x;
    json_array_foreach(src->extensions, i, x)
    {
        const char *nm = json_string_value(json_object_get(x, "name"));
        int have = 0;
        size_t j;
        json_t *y;
        json_array_foreach(dst->extensions, j, y)
        {
            have |= !strcmp(json_string_value(json_object_get(y, "name")), nm);
        }
        if (!have)
            json_array_append(dst->extensions, x);
    }
}

int kcfg_load(struct kcfg *c, const struct kcfg_paths *p, struct err *e)
{
    struct buf errs = BUF_INIT;
    int nerr = 0;
    if (kcfg_init(c) < 0)
        return err_set(e, "out of memory");
    for (size_t i = 0; i < p->nfiles; i++) {
        const char *f = p->files[i];
        if (!*f)
            continue;
        struct kcfg one;
        struct err fe;
        int r = kcfg_load_file(&one, f, &fe);
        if (r == 1) {
            kcfg_fini(&one);
            continue;
        }
        if (r < 0) {
            buf_addf(&errs, "%serror loading config file \"%s\": %s", nerr ? ", " : "", f, fe.msg);
            nerr++;
            continue;
        }
        merge_into(c, &one);
        kcfg_fini(&one);
    }
    if (nerr) {
        if (nerr == 1)
            err_set(e, "%s", buf_str(&errs));
        else
            err_set(e, "[%s]", buf_str(&errs));
        buf_fini(&errs);
        kcfg_fini(c);
        return -1;
    }
    return 0;
}

/* ---- output ---- */

static json_t *named_list(json_t *map, const char *body_key)
{
    if (json_object_size(map) == 0)
        return json_null();
    size_t n;
    const char **names = json_sorted_keys(map, &n);
    if (!names)
        return NULL;
    json_t *list = json_array();
    for (size_t i = 0; i < n; i++)
        json_array_append_new(list, json_pack("{s:s,s:O}", "name", names[i], body_key,
                                              json_object_get(map, names[i])));
    free(names);
    return list;
}

json_t *kcfg_to_v1(const struct kcfg *c)
{
    json_t *o = json_object();
    json_object_set_new(o, "kind", json_string("Config"));
    json_object_set_new(o, "apiVersion", json_string("v1"));
    json_object_set(o, "preferences", c->preferences);
    for (int k = 0; k < KCFG_NKINDS; k++)
        json_object_set_new(o, kind_list[k], named_list(c->entries[k], kind_body[k]));
    json_object_set_new(o, "current-context", json_string(c->current_context));
    if (json_array_size(c->extensions))
        json_object_set(o, "extensions", c->extensions);
    return o;
}

int kcfg_write_file(const struct kcfg *c, const char *path, struct err *e)
{
    json_t *v1 = kcfg_to_v1(c);
    struct buf out = BUF_INIT;
    int rc = -1;
    if (!v1) {
        err_set(e, "out of memory");
        goto out;
    }
    if (yaml_emit_err(v1, &out, e) < 0)
        goto out;
    if (file_write_atomic(path, out.p, out.len, 0600, e) < 0)
        goto out;
    rc = 0;
out:
    json_decref(v1);
    buf_fini(&out);
    return rc;
}

/* ---- ModifyConfig ---- */

static int load_for_write(struct kcfg *c, const char *path, struct err *e)
{
    int r = kcfg_load_file(c, path, e);
    return r < 0 ? -1 : 0;
}

/* Resolves the entry's file references against <base> and makes them
 * relative to it when that needs no "../" (client-go's
 * RelativizePathWithNoBacksteps). */
static int relativize(json_t *body, enum kcfg_kind k, const char *dest, struct err *e)
{
    static const char *const cluster_refs[] = {"certificate-authority", NULL};
    static const char *const user_refs[] = {"client-certificate", "client-key", "tokenFile", NULL};
    const char *const *refs = k == KCFG_CLUSTERS ? cluster_refs : user_refs;
    char *d = dir_of(dest);
    char *base = d ? kcfg_abs_path(d) : NULL;
    free(d);
    if (!base)
        return err_set(e, "out of memory");
    json_t *targets[8];
    const char *keys[8];
    size_t n = 0;
    for (size_t i = 0; refs[i]; i++) {
        targets[n] = body;
        keys[n++] = refs[i];
    }
    json_t *exec = json_object_get(body, "exec");
    if (k == KCFG_USERS && exec && json_is_string(json_object_get(exec, "command")) &&
        strchr(json_string_value(json_object_get(exec, "command")), '/')) {
        targets[n] = exec;
        keys[n++] = "command";
    }
    for (size_t i = 0; i < n; i++) {
        const char *v = json_string_value(json_object_get(targets[i], keys[i]));
        if (!v || !*v)
            continue;
        char *abs = v[0] == '/' ? strdup(v) : join(base, v);
        char *cabs = abs ? kcfg_clean_path(abs) : NULL;
        char *rel = cabs ? rel_path(base, cabs) : NULL;
        if (rel && strncmp(rel, "../", 3) && strcmp(rel, ".."))
            json_object_set_new(targets[i], keys[i], json_string(rel));
        else if (cabs)
            json_object_set_new(targets[i], keys[i], json_string(cabs));
        free(abs);
        free(cabs);
        free(rel);
    }
    free(base);
    return 0;
}

static int write_stanza(const struct kcfg_paths *p, enum kcfg_kind k, const char *name,
                        json_t *body, json_t *origin, int relativize_paths, struct err *e)
{
    const char *dest = origin ? json_string_value(origin) : kcfg_default_file(p);
    struct kcfg f;
    if (load_for_write(&f, dest, e) < 0)
        return -1;
    int rc = -1;
    if (body) {
        json_t *copy = json_deep_copy(body);
        if (relativize_paths && k != KCFG_CONTEXTS && relativize(copy, k, dest, e) < 0) {
            json_decref(copy);
            goto out;
        }
        json_object_set_new(f.entries[k], name, copy);
    } else {
        json_object_del(f.entries[k], name);
    }
    rc = kcfg_write_file(&f, dest, e);
out:
    kcfg_fini(&f);
    return rc;
}

static int write_current_context(const struct kcfg_paths *p, const struct kcfg *start,
                                 const char *cc, struct err *e)
{
    if (!strcmp(start->current_context, cc))
        return 0;
    const char *dest = NULL;
    if (p->explicit_path || *cc) {
        dest = p->explicit_path ? p->explicit_path : kcfg_default_file(p);
    } else {
        for (size_t i = 0; i < p->nfiles && !dest; i++) {
            if (!exists(p->files[i]))
                continue;
            struct kcfg f;
            if (load_for_write(&f, p->files[i], e) < 0)
                return -1;
            if (*f.current_context)
                dest = p->files[i];
            kcfg_fini(&f);
        }
        if (!dest)
            return err_set(e, "no config found to write context");
    }
    struct kcfg f;
    if (load_for_write(&f, dest, e) < 0)
        return -1;
    free(f.current_context);
    f.current_context = strdup(cc);
    int rc = kcfg_write_file(&f, dest, e);
    kcfg_fini(&f);
    return rc;
}

static int write_preferences(const struct kcfg_paths *p, const json_t *prefs, struct err *e)
{
    for (size_t i = 0; i < p->nfiles; i++) {
        struct kcfg f;
        if (load_for_write(&f, p->files[i], e) < 0)
            return -1;
        int rc = 1;
        if (p->explicit_path || !json_equal(f.preferences, (json_t *)prefs)) {
            json_decref(f.preferences);
            f.preferences = json_deep_copy(prefs);
            rc = kcfg_write_file(&f, p->files[i], e);
        }
        kcfg_fini(&f);
        if (rc <= 0)
            return rc;
    }
    return err_set(e, "no config found to write preferences");
}

static int same_config(const struct kcfg *a, const struct kcfg *b)
{
    for (int k = 0; k < KCFG_NKINDS; k++)
        if (!json_equal(a->entries[k], b->entries[k]) || !json_equal(a->origin[k], b->origin[k]))
            return 0;
    return !strcmp(a->current_context, b->current_context) &&
           json_equal(a->preferences, b->preferences) && json_equal(a->extensions, b->extensions);
}

int kcfg_modify(const struct kcfg_paths *p, const struct kcfg *changed, int relativize_paths,
                struct err *e)
{
    char **locks = calloc(p->nfiles + 1, sizeof *locks);
    size_t nlocks = 0;
    int rc = -1;
    struct kcfg start;
    int have_start = 0;
    if (!locks)
        return err_set(e, "out of memory");
    for (size_t i = 0; i < p->nfiles; i++)
        if (*p->files[i])
            locks[nlocks++] = p->files[i];
    qsort(locks, nlocks, sizeof *locks, strv_cmp);
    size_t locked = 0;
    for (; locked < nlocks; locked++)
        if (file_lock(locks[locked], e) < 0)
            goto out;

    if (kcfg_load(&start, p, e) < 0)
        goto out;
    have_start = 1;
    if (same_config(&start, changed)) {
        rc = 0;
        goto out;
    }
    if (strcmp(start.current_context, changed->current_context) &&
        write_current_context(p, &start, changed->current_context, e) < 0)
        goto out;
    if (!json_equal(start.preferences, changed->preferences) &&
        write_preferences(p, changed->preferences, e) < 0)
        goto out;
    static const enum kcfg_kind order[] = {KCFG_CLUSTERS, KCFG_CONTEXTS, KCFG_USERS};
    for (size_t oi = 0; oi < 3; oi++) {
        enum kcfg_kind k = order[oi];
        const char *name;
        json_t *body;
        json_object_foreach(changed->entries[k], name, body)
        {
            json_t *old = json_object_get(start.entries[k], name);
            if (old && json_equal(old, body))
                continue;
            if (write_stanza(p, k, name, body, json_object_get(changed->origin[k], name),
                             relativize_paths, e) < 0)
                goto out;
        }
    }
    for (size_t oi = 0; oi < 3; oi++) {
        enum kcfg_kind k = order[oi];
        const char *name;
        json_t *body;
        json_object_foreach(start.entries[k], name, body)
        {
            if (json_object_get(changed->entries[k], name))
                continue;
            if (write_stanza(p, k, name, NULL, json_object_get(start.origin[k], name), 0, e) < 0)
                goto out;
        }
    }
    rc = 0;
out:
    if (have_start)
        kcfg_fini(&start);
    while (locked > 0)
        file_unlock(locks[--locked]);
    free(locks);
    return rc;
}

/* ---- view ---- */

int kcfg_minify(struct kcfg *c, struct err *e)
{
    if (!*c->current_context)
        return err_set(e, "current-context must exist in order to minify");
    json_t *ctx = json_object_get(c->entries[KCFG_CONTEXTS], c->current_context);
    if (!ctx)
        return err_set(e, "cannot locate context %s", c->current_context);
    const char *cluster = json_string_value(json_object_get(ctx, "cluster"));
    const char *user = json_string_value(json_object_get(ctx, "user"));
    if (*cluster && !json_object_get(c->entries[KCFG_CLUSTERS], cluster))
        return err_set(e, "cannot locate cluster %s", cluster);
    if (*user && !json_object_get(c->entries[KCFG_USERS], user))
        return err_set(e, "cannot locate user %s", user);
    const char *keep[KCFG_NKINDS] = {cluster, user, c->current_context};
    for (int k = 0; k < KCFG_NKINDS; k++) {
        json_t *m = json_object();
        json_t *v = *keep[k] ? json_object_get(c->entries[k], keep[k]) : NULL;
        if (v)
            json_object_set(m, keep[k], v);
        json_decref(c->entries[k]);
        c->entries[k] = m;
    }
    return 0;
}

static int flatten_one(json_t *body, const char *path_key, const char *data_key, const char *base,
                       struct err *e)
{
    const char *path = json_string_value(json_object_get(body, path_key));
    if (!path || !*path)
        return 0;
    const char *data = json_string_value(json_object_get(body, data_key));
    if (data && *data)
        return err_set(e, "cannot have values for both path and contents");
    char *abs = path[0] == '/' ? strdup(path) : join(base, path);
    struct buf b = BUF_INIT;
    int r = abs ? file_read(abs, KCFG_MAX_FILE, &b, e) : err_set(e, "out of memory");
    free(abs);
    if (r < 0) {
        buf_fini(&b);
        return -1;
    }
    char *enc = b64_encode((const unsigned char *)buf_str(&b), b.len);
    buf_fini(&b);
    json_object_del(body, path_key);
    if (enc && *enc)
        json_object_set_new(body, data_key, json_string(enc));
    free(enc);
    return 0;
}

int kcfg_flatten(struct kcfg *c, struct err *e)
{
    static const enum kcfg_kind kinds[] = {KCFG_USERS, KCFG_CLUSTERS};
    for (int i = 0; i < 2; i++) {
        enum kcfg_kind k = kinds[i];
        const char *name;
        json_t *body;
        json_object_foreach(c->entries[k], name, body)
        {
            const char *origin = json_string_value(json_object_get(c->origin[k], name));
            char *d = dir_of(origin ? origin : "");
            char *base = d ? kcfg_abs_path(d) : NULL;
            free(d);
            if (!base)
                return err_set(e, "out of memory");
            int r;
            if (k == KCFG_USERS)
                r = flatten_one(body, "client-certificate", "client-certificate-data", base, e) ||
                    flatten_one(body, "client-key", "client-key-data", base, e);
            else
                r = flatten_one(body, "certificate-authority", "certificate-authority-data", base,
                                e);
            free(base);
            if (r)
                return -1;
            json_t *b = json_incref(body);
            kcfg_entry_canon(&b, k, NULL);
            json_object_set_new(c->entries[k], name, b);
        }
    }
    return 0;
}

static void redact_field(json_t *body, const char *key, const char *with)
{
    const char *v = json_string_value(json_object_get(body, key));
    if (v && *v)
        json_object_set_new(body, key, json_string(with));
}

void kcfg_redact(struct kcfg *c)
{
    const char *name;
    json_t *body;
    json_object_foreach(c->entries[KCFG_USERS], name, body)
    {
        redact_field(body, "client-certificate-data", "DATA+OMITTED");
        redact_field(body, "client-key-data", "DATA+OMITTED");
        redact_field(body, "token", "REDACTED");
        redact_field(body, "password", "REDACTED");
    }
    json_object_foreach(c->entries[KCFG_CLUSTERS], name, body)
    {
        redact_field(body, "certificate-authority-data", "DATA+OMITTED");
    }
}
