#include "storage/location.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "core/buf.h"
#include "core/file.h"
#include "core/yaml.h"

/* ferry's config file is small; anything larger is a mistake. */
#define LOCATION_MAX_FILE ((size_t)4 << 20)
#define LOCATIONS_KEY "backupStorageLocations"

char *location_path(const char *p)
{
    const char *home = getenv("HOME");
    if ((p[0] == '~' && (p[1] == '/' || !p[1])) && home && *home) {
        size_t n = strlen(home) + strlen(p);
        char *s = malloc(n);
        if (s)
            snprintf(s, n, "%s%s", home, p + 1);
        return s;
    }
    return strdup(p);
}

static char *default_file(void)
{
    const char *env = getenv("FERRY_CONFIG");
    return location_path(env && *env ? env : "~/.config/ferry/config.yaml");
}

const char *location_config(const struct location *l, const char *key)
{
    for (size_t i = 0; i < l->nconfig; i++)
        if (!strcmp(l->config[i].key, key))
            return l->config[i].value;
    return NULL;
}

int location_config_set(struct location *l, const char *key, const char *value)
{
    for (size_t i = 0; i < l->nconfig; i++) {
        if (strcmp(l->config[i].key, key))
            continue;
        char *v = strdup(value);
        if (!v)
            return -ENOMEM;
        free(l->config[i].value);
        l->config[i].value = v;
        return 0;
    }
    struct location_kv *c = realloc(l->config, (l->nconfig + 1) * sizeof *c);
    if (!c)
        return -ENOMEM;
    l->config = c;
    char *k = strdup(key), *v = strdup(value);
    if (!k || !v) {
        free(k);
        free(v);
        return -ENOMEM;
    }
    c[l->nconfig].key = k;
    c[l->nconfig].value = v;
    l->nconfig++;
    return 0;
}

void location_fini(struct location *l)
{
    free(l->name);
    free(l->provider);
    free(l->bucket);
    free(l->prefix);
    for (size_t i = 0; i < l->nconfig; i++) {
        free(l->config[i].key);
        free(l->config[i].value);
    }
    free(l->config);
    free(l->credential);
    memset(l, 0, sizeof *l);
}

static int dup_or_null(char **dst, const char *s)
{
    *dst = NULL;
    return s && !(*dst = strdup(s)) ? -ENOMEM : 0;
}

int location_copy(struct location *dst, const struct location *src)
{
    memset(dst, 0, sizeof *dst);
    if (dup_or_null(&dst->name, src->name) || dup_or_null(&dst->provider, src->provider) ||
        dup_or_null(&dst->bucket, src->bucket) ||
        dup_or_null(&dst->prefix, src->prefix ? src->prefix : "") ||
        dup_or_null(&dst->credential, src->credential))
        goto fail;
    for (size_t i = 0; i < src->nconfig; i++)
        if (location_config_set(dst, src->config[i].key, src->config[i].value) < 0)
            goto fail;
    dst->is_default = src->is_default;
    return 0;
fail:
    location_fini(dst);
    return -ENOMEM;
}

void location_set_fini(struct location_set *ls)
{
    for (size_t i = 0; i < ls->n; i++)
        location_fini(&ls->v[i]);
    free(ls->v);
    free(ls->path);
    memset(ls, 0, sizeof *ls);
}

/* ---- reading ---- */

/* A scalar as text, the way a user typed it: YAML reads `true` and `8`
 * as a boolean and a number, but config values are strings. */
static char *scalar_text(const json_t *v)
{
    char tmp[64];
    if (json_is_string(v))
        return strdup(json_string_value(v));
    if (json_is_true(v) || json_is_false(v))
        return strdup(json_is_true(v) ? "true" : "false");
    if (json_is_integer(v)) {
        snprintf(tmp, sizeof tmp, "%lld", (long long)json_integer_value(v));
        return strdup(tmp);
    }
    if (json_is_real(v)) {
        snprintf(tmp, sizeof tmp, "%g", json_real_value(v));
        return strdup(tmp);
    }
    return NULL;
}

static int str_field(const json_t *obj, const char *key, char **dst, const char *where,
                     struct err *e)
{
    const json_t *v = json_object_get(obj, key);
    *dst = NULL;
    if (!v || json_is_null(v))
        return 0;
    if (!json_is_string(v) && !json_is_number(v) && !json_is_boolean(v))
        return err_set(e, "%s: %s must be a string", where, key);
    *dst = scalar_text(v);
    return *dst ? 0 : err_set(e, "out of memory");
}

static int parse_one(const json_t *item, struct location *l, const char *where, struct err *e)
{
    memset(l, 0, sizeof *l);
    if (!json_is_object(item))
        return err_set(e, "%s: must be a mapping", where);
    if (str_field(item, "name", &l->name, where, e) < 0 ||
        str_field(item, "provider", &l->provider, where, e) < 0 ||
        str_field(item, "bucket", &l->bucket, where, e) < 0 ||
        str_field(item, "prefix", &l->prefix, where, e) < 0 ||
        str_field(item, "credential", &l->credential, where, e) < 0)
        goto fail;
    if (!l->prefix && !(l->prefix = strdup(""))) {
        err_set(e, "out of memory");
        goto fail;
    }
    const json_t *def = json_object_get(item, "default");
    if (def && !json_is_boolean(def) && !json_is_null(def)) {
        err_set(e, "%s: default must be true or false", where);
        goto fail;
    }
    l->is_default = json_is_true(def);
    const json_t *cfg = json_object_get(item, "config");
    if (cfg && !json_is_null(cfg)) {
        if (!json_is_object(cfg)) {
            err_set(e, "%s: config must be a mapping", where);
            goto fail;
        }
        const char *k;
        const json_t *v;
        json_object_foreach((json_t *)cfg, k, v)
        {
            char *text = scalar_text(v);
            if (!text) {
                err_set(e, "%s: config.%s must be a string", where, k);
                goto fail;
            }
            int r = location_config_set(l, k, text);
            free(text);
            if (r < 0) {
                err_set(e, "out of memory");
                goto fail;
            }
        }
    }
    if (location_validate(l, e) < 0) {
        err_wrap(e, "%s", where);
        goto fail;
    }
    return 0;
fail:
    location_fini(l);
    return -1;
}

static int parse_doc(struct location_set *ls, const json_t *doc, struct err *e)
{
    if (json_is_null(doc))
        return 0;
    if (!json_is_object(doc))
        return err_set(e, "%s: the config must be a mapping", ls->path);
    const json_t *arr = json_object_get(doc, LOCATIONS_KEY);
    if (!arr || json_is_null(arr))
        return 0;
    if (!json_is_array(arr))
        return err_set(e, "%s: %s must be a list", ls->path, LOCATIONS_KEY);
    size_t n = json_array_size(arr);
    ls->v = calloc(n ? n : 1, sizeof *ls->v);
    if (!ls->v)
        return err_set(e, "out of memory");
    for (size_t i = 0; i < n; i++) {
        char where[512];
        snprintf(where, sizeof where, "%s: %s[%zu]", ls->path, LOCATIONS_KEY, i);
        if (parse_one(json_array_get(arr, i), &ls->v[i], where, e) < 0)
            return -1;
        ls->n++;
        for (size_t j = 0; j < i; j++)
            if (!strcmp(ls->v[j].name, ls->v[i].name))
                return err_set(e, "%s: backup storage location \"%s\" is defined twice", ls->path,
                               ls->v[i].name);
    }
    return 0;
}

/* Reads and parses the file; *doc is NULL when it does not exist. */
static int load_doc(const char *path, json_t **doc, struct err *e)
{
    struct buf b = BUF_INIT;
    *doc = NULL;
    int r = file_read(path, LOCATION_MAX_FILE, &b, e);
    if (r == -ENOENT)
        return 0;
    if (r < 0)
        return err_wrap(e, "cannot read ferry config");
    r = yaml_load_one(b.p, b.len, doc, e);
    buf_fini(&b);
    if (r < 0)
        return err_wrap(e, "%s", path);
    return 0;
}

int location_set_load(struct location_set *ls, const char *path, struct err *e)
{
    memset(ls, 0, sizeof *ls);
    ls->path = path ? strdup(path) : default_file();
    if (!ls->path)
        return err_set(e, "out of memory");
    json_t *doc;
    if (load_doc(ls->path, &doc, e) < 0) {
        location_set_fini(ls);
        return -1;
    }
    int r = doc ? parse_doc(ls, doc, e) : 0;
    json_decref(doc);
    if (r < 0) /* the caller may fini again: fini leaves an empty set */
        location_set_fini(ls);
    return r;
}

/* ---- writing ---- */

json_t *location_to_json(const struct location *l)
{
    json_t *o = json_object();
    json_object_set_new(o, "name", json_string(l->name));
    json_object_set_new(o, "provider", json_string(l->provider));
    json_object_set_new(o, "bucket", json_string(l->bucket));
    if (l->prefix && *l->prefix)
        json_object_set_new(o, "prefix", json_string(l->prefix));
    if (l->nconfig) {
        json_t *c = json_object();
        for (size_t i = 0; i < l->nconfig; i++)
            json_object_set_new(c, l->config[i].key, json_string(l->config[i].value));
        json_object_set_new(o, "config", c);
    }
    if (l->credential)
        json_object_set_new(o, "credential", json_string(l->credential));
    if (l->is_default)
        json_object_set_new(o, "default", json_true());
    return o;
}

int location_set_save(const struct location_set *ls, struct err *e)
{
    json_t *doc;
    /* Read again rather than keep the old tree: settings another process
     * wrote since we loaded survive too. */
    if (load_doc(ls->path, &doc, e) < 0)
        return -1;
    if (!json_is_object(doc)) {
        json_decref(doc);
        doc = json_pack("{s:s,s:s}", "apiVersion", "ferry.dev/v1", "kind", "Config");
    }
    json_t *arr = json_array();
    for (size_t i = 0; i < ls->n; i++)
        json_array_append_new(arr, location_to_json(&ls->v[i]));
    json_object_set_new(doc, LOCATIONS_KEY, arr);
    struct buf out = BUF_INIT;
    int r = yaml_emit_err(doc, &out, e);
    json_decref(doc);
    /* 0600: locations name credential files, and configs may one day hold
     * more; the mode of an existing file is kept. */
    if (r == 0)
        r = file_write_atomic(ls->path, out.p, out.len, 0600, e) < 0 ? -1 : 0;
    buf_fini(&out);
    return r;
}

/* ---- lookups ---- */

struct location *location_set_find(const struct location_set *ls, const char *name)
{
    for (size_t i = 0; i < ls->n; i++)
        if (!strcmp(ls->v[i].name, name))
            return &ls->v[i];
    return NULL;
}

int location_set_add(struct location_set *ls, struct location *l)
{
    struct location *v = realloc(ls->v, (ls->n + 1) * sizeof *v);
    if (!v)
        return -ENOMEM;
    ls->v = v;
    v[ls->n++] = *l;
    memset(l, 0, sizeof *l);
    return 0;
}

int location_set_remove(struct location_set *ls, const char *name)
{
    struct location *l = location_set_find(ls, name);
    if (!l)
        return -ENOENT;
    location_fini(l);
    size_t i = (size_t)(l - ls->v);
    memmove(l, l + 1, (ls->n - i - 1) * sizeof *l);
    ls->n--;
    return 0;
}

static int builtin(struct location *out)
{
    struct location l = {
        .name = LOCATION_DEFAULT_NAME,
        .provider = "local",
        .bucket = LOCATION_BUILTIN_DIR,
        .prefix = "",
        .is_default = 1,
    };
    return location_copy(out, &l);
}

int location_resolve(const struct location_set *ls, const char *name, struct location *out,
                     struct err *e)
{
    const struct location *l = NULL;
    memset(out, 0, sizeof *out);
    if (name && *name) {
        l = location_set_find(ls, name);
        if (!l && !(ls->n == 0 && !strcmp(name, LOCATION_DEFAULT_NAME))) {
            struct buf names = BUF_INIT;
            for (size_t i = 0; i < ls->n; i++)
                buf_addf(&names, "%s\"%s\"", i ? ", " : "", ls->v[i].name);
            if (ls->n)
                err_set(e, "backup storage location \"%s\" not found (locations: %s)", name,
                        buf_str(&names));
            else
                err_set(e,
                        "backup storage location \"%s\" not found (no location is "
                        "configured; see `ferry backup-location create`)",
                        name);
            buf_fini(&names);
            return -1;
        }
    } else {
        for (size_t i = 0; i < ls->n && !l; i++)
            if (ls->v[i].is_default)
                l = &ls->v[i];
        if (!l && ls->n == 1)
            l = &ls->v[0];
        if (!l && ls->n > 1)
            return err_set(e,
                           "%zu backup storage locations are configured and none is the "
                           "default: name one, or mark one with `ferry backup-location set "
                           "NAME --default`",
                           ls->n);
    }
    if ((l ? location_copy(out, l) : builtin(out)) < 0)
        return err_set(e, "out of memory");
    return 0;
}

/* ---- validation ---- */

static int valid_name(const char *s)
{
    size_t n = strlen(s);
    if (n == 0 || n > 63)
        return 0;
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '.'))
            return 0;
    }
    return s[0] != '-' && s[0] != '.' && s[n - 1] != '-' && s[n - 1] != '.';
}

int location_validate(struct location *l, struct err *e)
{
    if (!l->name || !*l->name)
        return err_set(e, "a backup storage location needs a name");
    if (!valid_name(l->name))
        return err_set(e,
                       "invalid backup storage location name \"%s\": use lower-case letters, "
                       "digits, '-' and '.' (at most 63)",
                       l->name);
    if (!l->provider || !*l->provider)
        return err_set(e,
                       "backup storage location \"%s\": a provider is required (local, s3 or "
                       "gcs)",
                       l->name);
    if (strcmp(l->provider, "local") && strcmp(l->provider, "s3") && strcmp(l->provider, "gcs"))
        return err_set(e,
                       "backup storage location \"%s\": unknown provider \"%s\" (local, s3 "
                       "or gcs)",
                       l->name, l->provider);
    if (!l->bucket || !*l->bucket)
        return err_set(e, "backup storage location \"%s\": a bucket is required%s", l->name,
                       strcmp(l->provider, "local") ? "" : " (the directory)");
    if (strcmp(l->provider, "local") && strchr(l->bucket, '/'))
        return err_set(e,
                       "backup storage location \"%s\": bucket \"%s\" must not contain '/' "
                       "(put a path in --prefix)",
                       l->name, l->bucket);
    /* The prefix is stored without the slashes users often type around it. */
    if (l->prefix) {
        char *p = l->prefix;
        size_t n = strlen(p), k = 0;
        while (k < n && p[k] == '/')
            k++;
        while (n > k && p[n - 1] == '/')
            n--;
        memmove(p, p + k, n - k);
        p[n - k] = '\0';
    }
    return 0;
}
