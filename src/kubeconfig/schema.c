#include "kubeconfig/schema.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/b64.h"
#include "core/json.h"
#include "kubeconfig/kcfg.h"

#define OMIT 1

static const struct kfield env_fields[] = {
    {"name", KF_STR, 0, NULL, NULL, NULL},
    {"value", KF_STR, 0, NULL, NULL, NULL},
    {NULL, 0, 0, NULL, NULL, NULL},
};
static const struct kschema kschema_env = {"ExecEnvVar", env_fields};

static const struct kfield exec_fields[] = {
    {"command", KF_STR, 0, NULL, NULL, NULL},
    {"args", KF_STRS, 0, NULL, NULL, NULL},
    {"env", KF_ENVS, 0, &kschema_env, NULL, NULL},
    {"apiVersion", KF_STR, OMIT, NULL, NULL, NULL},
    {"installHint", KF_STR, OMIT, NULL, NULL, NULL},
    {"provideClusterInfo", KF_BOOL, 0, NULL, NULL, NULL},
    {"interactiveMode", KF_STR, OMIT, NULL, "v1.ExecInteractiveMode", NULL},
    {NULL, 0, 0, NULL, NULL, NULL},
};
static const struct kschema kschema_exec = {"ExecConfig", exec_fields};

static const struct kfield provider_fields[] = {
    {"name", KF_STR, 0, NULL, NULL, NULL},
    {"config", KF_STRMAP, 0, NULL, NULL, NULL},
    {NULL, 0, 0, NULL, NULL, NULL},
};
static const struct kschema kschema_provider = {"AuthProviderConfig", provider_fields};

static const struct kfield cluster_fields[] = {
    {"server", KF_STR, 0, NULL, NULL, NULL},
    {"tls-server-name", KF_STR, OMIT, NULL, NULL, NULL},
    {"insecure-skip-tls-verify", KF_BOOL, OMIT, NULL, NULL, NULL},
    {"certificate-authority", KF_STR, OMIT, NULL, NULL, NULL},
    {"certificate-authority-data", KF_BYTES, OMIT, NULL, NULL, NULL},
    {"proxy-url", KF_STR, OMIT, NULL, NULL, NULL},
    {"disable-compression", KF_BOOL, OMIT, NULL, NULL, NULL},
    {"extensions", KF_EXTS, OMIT, NULL, NULL, NULL},
    {NULL, 0, 0, NULL, NULL, NULL},
};
const struct kschema kschema_cluster = {"Cluster", cluster_fields};

static const struct kfield authinfo_fields[] = {
    {"client-certificate", KF_STR, OMIT, NULL, NULL, NULL},
    {"client-certificate-data", KF_BYTES, OMIT, NULL, NULL, NULL},
    {"client-key", KF_STR, OMIT, NULL, NULL, NULL},
    {"client-key-data", KF_BYTES, OMIT, NULL, NULL, NULL},
    {"token", KF_STR, OMIT, NULL, NULL, NULL},
    {"tokenFile", KF_STR, OMIT, NULL, NULL, NULL},
    {"as", KF_STR, OMIT, NULL, NULL, "act-as"},
    {"as-uid", KF_STR, OMIT, NULL, NULL, "act-as-uid"},
    {"as-groups", KF_STRS, OMIT, NULL, NULL, "act-as-groups"},
    {"as-user-extra", KF_STRSMAP, OMIT, NULL, NULL, "act-as-user-extra"},
    {"username", KF_STR, OMIT, NULL, NULL, NULL},
    {"password", KF_STR, OMIT, NULL, NULL, NULL},
    {"auth-provider", KF_STRUCT, OMIT, &kschema_provider, NULL, NULL},
    {"exec", KF_STRUCT, OMIT, &kschema_exec, NULL, NULL},
    {"extensions", KF_EXTS, OMIT, NULL, NULL, NULL},
    {NULL, 0, 0, NULL, NULL, NULL},
};
const struct kschema kschema_authinfo = {"AuthInfo", authinfo_fields};

static const struct kfield context_fields[] = {
    {"cluster", KF_STR, 0, NULL, NULL, NULL},
    {"user", KF_STR, 0, NULL, NULL, NULL},
    {"namespace", KF_STR, OMIT, NULL, NULL, NULL},
    {"extensions", KF_EXTS, OMIT, NULL, NULL, NULL},
    {NULL, 0, 0, NULL, NULL, NULL},
};
const struct kschema kschema_context = {"Context", context_fields};

static const struct kfield preferences_fields[] = {
    {"colors", KF_BOOL, OMIT, NULL, NULL, NULL},
    {"extensions", KF_EXTS, OMIT, NULL, NULL, NULL},
    {NULL, 0, 0, NULL, NULL, NULL},
};
const struct kschema kschema_preferences = {"Preferences", preferences_fields};

const struct kschema *kschema_of_kind(int kind)
{
    return kind == KCFG_CLUSTERS ? &kschema_cluster
           : kind == KCFG_USERS  ? &kschema_authinfo
                                 : &kschema_context;
}

const struct kfield *kschema_field(const struct kschema *s, const char *name)
{
    for (const struct kfield *f = s->fields; f->name; f++)
        if (!strcmp(f->name, name))
            return f;
    return NULL;
}

const struct kfield *kschema_set_field(const struct kschema *s, const char *name)
{
    for (const struct kfield *f = s->fields; f->name; f++)
        if (!strcmp(f->setname ? f->setname : f->name, name))
            return f;
    return NULL;
}

const char *kschema_json_type(const json_t *v)
{
    switch (json_typeof(v)) {
    case JSON_OBJECT:
        return "object";
    case JSON_ARRAY:
        return "array";
    case JSON_STRING:
        return "string";
    case JSON_INTEGER:
    case JSON_REAL:
        return "number";
    case JSON_TRUE:
    case JSON_FALSE:
        return "bool";
    default:
        return "null";
    }
}

static const char *go_type(const struct kfield *f, char *tmp, size_t n)
{
    if (f->gotype)
        return f->gotype;
    switch (f->type) {
    case KF_STR:
        return "string";
    case KF_BOOL:
        return "bool";
    case KF_BYTES:
        return "[]uint8";
    case KF_STRS:
        return "[]string";
    case KF_STRMAP:
        return "map[string]string";
    case KF_STRSMAP:
        return "map[string][]string";
    case KF_EXTS:
        return "[]v1.NamedExtension";
    case KF_ENVS:
        return "[]v1.ExecEnvVar";
    case KF_STRUCT:
        snprintf(tmp, n, "v1.%s", f->sub->goname);
        return tmp;
    }
    return "?";
}

static int type_error(struct err *e, const json_t *v, const char *parent, const char *path,
                      const char *type)
{
    return err_set(e, "json: cannot unmarshal %s into Go struct field %s.%s of type %s",
                   kschema_json_type(v), parent, path, type);
}

int kschema_is_zero(const struct kfield *f, const json_t *v)
{
    if (!v || json_is_null(v))
        return 1;
    switch (f->type) {
    case KF_STR:
    case KF_BYTES:
        return json_string_length(v) == 0;
    case KF_BOOL:
        return !json_is_true(v);
    case KF_STRS:
    case KF_EXTS:
    case KF_ENVS:
        return json_array_size(v) == 0;
    case KF_STRMAP:
    case KF_STRSMAP:
        return json_object_size(v) == 0;
    case KF_STRUCT:
        return 0; /* a pointer that is set */
    }
    return 0;
}

json_t *kschema_zero(const struct kfield *f)
{
    switch (f->type) {
    case KF_STR:
    case KF_BYTES:
        return json_string("");
    case KF_BOOL:
        return json_false();
    default:
        return json_null();
    }
}

static int cmp_names(const void *a, const void *b)
{
    const json_t *x = *(json_t *const *)a, *y = *(json_t *const *)b;
    return strcmp(json_string_value(json_object_get(x, "name")),
                  json_string_value(json_object_get(y, "name")));
}

/* A deep copy with every object's keys in byte order: client-go reads
 * kubeconfig files through Go maps, so free-form data (extensions, string
 * maps) comes back sorted whatever the file's order. NULL on OOM. */
static json_t *sorted_copy(const json_t *v)
{
    json_t *c = json_deep_copy(v);
    if (c && json_sort_keys(c) < 0) {
        json_decref(c);
        return NULL;
    }
    return c;
}

/* Extensions are a map by name inside client-go; written back as a list
 * sorted by name. */
static int decode_exts(const json_t *in, const char *parent, const char *path, json_t **out,
                       struct err *e)
{
    char p[512];
    if (!json_is_array(in))
        return type_error(e, in, parent, path, "[]v1.NamedExtension");
    size_t n = json_array_size(in);
    json_t **items = calloc(n + 1, sizeof *items);
    json_t *list = json_array();
    if (!items || !list)
        goto fail_oom;
    for (size_t i = 0; i < n; i++) {
        const json_t *it = json_array_get(in, i);
        if (json_is_null(it))
            it = NULL;
        else if (!json_is_object(it)) {
            type_error(e, it, parent, path, "v1.NamedExtension");
            goto fail;
        }
        const json_t *name = it ? json_object_get(it, "name") : NULL;
        if (name && !json_is_null(name) && !json_is_string(name)) {
            snprintf(p, sizeof p, "%.500s.name", path);
            type_error(e, name, "NamedExtension", p, "string");
            goto fail;
        }
        const char *nm = name && json_is_string(name) ? json_string_value(name) : "";
        for (size_t j = 0; j < i; j++) {
            if (!strcmp(json_string_value(json_object_get(items[j], "name")), nm)) {
                err_set(e,
                        "error converting *[]NamedExtension into *map[string]runtime.Object: "
                        "duplicate name \"%s\" in list",
                        nm);
                goto fail;
            }
        }
        json_t *ext = it ? json_object_get(it, "extension") : NULL;
        items[i] =
            json_pack("{s:s,s:o*}", "name", nm, "extension", ext ? sorted_copy(ext) : json_null());
        if (!items[i])
            goto fail_oom;
    }
    qsort(items, n, sizeof *items, cmp_names);
    for (size_t i = 0; i < n; i++) {
        json_array_append_new(list, items[i]);
        items[i] = NULL;
    }
    free(items);
    *out = list;
    return 0;
fail_oom:
    err_set(e, "out of memory");
fail:
    for (size_t i = 0; items && i < n; i++)
        json_decref(items[i]);
    free(items);
    json_decref(list);
    return -1;
}

static int decode_strs(const json_t *in, const char *parent, const char *path, json_t **out,
                       struct err *e)
{
    if (!json_is_array(in))
        return type_error(e, in, parent, path, "[]string");
    size_t i;
    json_t *v;
    json_array_foreach(in, i, v)
    {
        if (!json_is_string(v) && !json_is_null(v))
            return type_error(e, v, parent, path, "string");
    }
    json_t *list = json_array();
    json_array_foreach(in, i, v)
    {
        json_array_append_new(list, json_string(json_is_string(v) ? json_string_value(v) : ""));
    }
    *out = list;
    return 0;
}

static int decode_field(const struct kfield *f, const json_t *v, const char *parent,
                        const char *path, json_t **out, struct err *e)
{
    char tmp[64];
    *out = NULL;
    if (json_is_null(v))
        return 0;
    switch (f->type) {
    case KF_STR:
        if (!json_is_string(v))
            return type_error(e, v, parent, path, go_type(f, tmp, sizeof tmp));
        *out = json_incref((json_t *)v);
        return 0;
    case KF_BOOL:
        if (!json_is_boolean(v))
            return type_error(e, v, parent, path, "bool");
        *out = json_incref((json_t *)v);
        return 0;
    case KF_BYTES: {
        if (!json_is_string(v))
            return type_error(e, v, parent, path, "[]uint8");
        if (b64_canonical(json_string_value(v), json_string_length(v))) {
            *out = json_incref((json_t *)v);
            return 0;
        }
        unsigned char *raw;
        size_t n;
        if (b64_decode(json_string_value(v), &raw, &n, e) < 0)
            return -1;
        char *enc = b64_encode(raw, n);
        free(raw);
        *out = json_string(enc ? enc : "");
        free(enc);
        return 0;
    }
    case KF_STRS:
        return decode_strs(v, parent, path, out, e);
    case KF_STRMAP:
    case KF_STRSMAP: {
        if (!json_is_object(v))
            return type_error(e, v, parent, path, go_type(f, tmp, sizeof tmp));
        json_t *m = json_object();
        const char *k;
        json_t *x;
        json_object_foreach((json_t *)v, k, x)
        {
            json_t *cv = NULL;
            if (f->type == KF_STRMAP) {
                if (!json_is_string(x) && !json_is_null(x)) {
                    json_decref(m);
                    return type_error(e, x, parent, path, "string");
                }
                cv = json_string(json_is_string(x) ? json_string_value(x) : "");
            } else if (json_is_null(x)) {
                cv = json_null();
            } else if (decode_strs(x, parent, path, &cv, e) < 0) {
                json_decref(m);
                return -1;
            }
            json_object_set_new(m, k, cv);
        }
        if (json_sort_keys(m) < 0) {
            json_decref(m);
            return err_set(e, "out of memory");
        }
        *out = m;
        return 0;
    }
    case KF_EXTS:
        return decode_exts(v, parent, path, out, e);
    case KF_STRUCT:
        if (!json_is_object(v))
            return type_error(e, v, parent, path, go_type(f, tmp, sizeof tmp));
        return kschema_decode(f->sub, v, parent, path, out, e);
    case KF_ENVS: {
        if (!json_is_array(v))
            return type_error(e, v, parent, path, "[]v1.ExecEnvVar");
        json_t *list = json_array();
        size_t i;
        json_t *x;
        json_array_foreach(v, i, x)
        {
            if (!json_is_object(x) && !json_is_null(x)) {
                json_decref(list);
                return type_error(e, x, parent, path, "v1.ExecEnvVar");
            }
            json_t *env;
            if (kschema_decode(f->sub, x, parent, path, &env, e) < 0) {
                json_decref(list);
                return -1;
            }
            json_array_append_new(list, env);
        }
        *out = list;
        return 0;
    }
    }
    return 0;
}

int kschema_decode(const struct kschema *s, const json_t *in, const char *parent, const char *path,
                   json_t **out, struct err *e)
{
    /* Fields are decoded in byte order of their names, the order of the
     * keys in the JSON client-go decodes (its YAML-to-JSON step sorts
     * them), so the first type error reported is the one Go reports; the
     * result is then assembled in the struct's order. */
    enum { MAXF = 32 };
    const struct kfield *order[MAXF];
    json_t *vals[MAXF] = {0};
    size_t n = 0;
    char p[512];
    (void)parent;
    for (const struct kfield *f = s->fields; f->name && n < MAXF; f++)
        order[n++] = f;
    for (size_t i = 1; i < n; i++)
        for (size_t j = i; j > 0 && strcmp(order[j - 1]->name, order[j]->name) > 0; j--) {
            const struct kfield *t = order[j];
            order[j] = order[j - 1];
            order[j - 1] = t;
        }
    json_t *obj = json_object();
    if (!obj)
        return err_set(e, "out of memory");
    int rc = 0;
    for (size_t i = 0; i < n; i++) {
        const struct kfield *f = order[i];
        const json_t *v = json_is_object(in) ? json_object_get(in, f->name) : NULL;
        size_t k = (size_t)(f - s->fields);
        snprintf(p, sizeof p, "%.400s%s%s", path, *path ? "." : "", f->name);
        if (v && decode_field(f, v, s->goname, p, &vals[k], e) < 0) {
            rc = -1;
            break;
        }
    }
    for (size_t k = 0; k < n; k++) {
        const struct kfield *f = &s->fields[k];
        json_t *cv = vals[k];
        if (rc < 0 || (f->omitempty && kschema_is_zero(f, cv))) {
            json_decref(cv);
            continue;
        }
        json_object_set_new(obj, f->name, cv ? cv : kschema_zero(f));
    }
    if (rc < 0) {
        json_decref(obj);
        return -1;
    }
    *out = obj;
    return 0;
}
