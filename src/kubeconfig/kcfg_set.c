/* `config set` / `config unset`: property paths over the kubeconfig types,
 * with the same navigation rules as kubectl: a path is split on dots, and a
 * map key runs up to the next part that names a field of the map's value
 * type, so names may hold dots (clusters.10.0.0.1.server). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/b64.h"
#include "core/buf.h"
#include "core/cli.h"
#include "core/json.h"
#include "kubeconfig/kcfg.h"
#include "kubeconfig/schema.h"

struct nav {
    char **parts;
    size_t n;
    const char *path; /* the whole path, for messages */
    const char *value;
    int unset, raw;
    struct err *e;
};

static char *join_parts(char **parts, size_t from, size_t to)
{
    struct buf b = BUF_INIT;
    for (size_t i = from; i < to; i++)
        if (buf_addf(&b, "%s%s", i > from ? "." : "", parts[i]) < 0) {
            buf_fini(&b);
            return NULL;
        }
    return buf_take(&b);
}

/* How many parts the map key starting at <at> spans. */
static size_t name_span(const struct nav *nv, size_t at, const struct kschema *value_type)
{
    for (size_t i = at + 1; value_type && i < nv->n; i++)
        if (kschema_set_field(value_type, nv->parts[i]))
            return i - at;
    return nv->n - at;
}

static int parse_error(const struct nav *nv)
{
    return err_set(nv->e, "unable to parse one or more field values of %s", nv->path);
}

static int to_bool(const struct nav *nv, int *out)
{
    if (!*nv->value) {
        *out = 0;
        return 0;
    }
    int b = cli_parse_bool(nv->value);
    if (b < 0)
        return err_set(nv->e, "strconv.ParseBool: parsing \"%s\": invalid syntax", nv->value);
    *out = b;
    return 0;
}

/* "can't set a map to a value: map[k:v ...]", the map as Go prints it
 * (keys sorted, as fmt does). */
static int map_value_error(const struct nav *nv, const json_t *m, enum kfield_type type)
{
    struct buf b = BUF_INIT;
    size_t n, i;
    const char **keys = json_sorted_keys(m, &n);
    if (!keys)
        return err_set(nv->e, "out of memory");
    json_t *v;
    buf_adds(&b, "map[");
    for (i = 0; i < n; i++) {
        v = json_object_get(m, keys[i]);
        buf_addf(&b, "%s%s:", i ? " " : "", keys[i]);
        if (type == KF_STRMAP) {
            buf_adds(&b, json_string_value(v));
        } else if (type == KF_STRSMAP) {
            size_t j;
            json_t *s;
            buf_addc(&b, '[');
            json_array_foreach(v, j, s)
            {
                buf_addf(&b, "%s%s", j ? " " : "", json_string_value(s));
            }
            buf_addc(&b, ']');
        } else {
            buf_adds(&b, "<object>");
        }
    }
    buf_addc(&b, ']');
    err_set(nv->e, "can't set a map to a value: %s", b.p);
    buf_fini(&b);
    free(keys);
    return -1;
}

static int set_field(const struct nav *nv, size_t at, const struct kfield *f, json_t *body)
{
    size_t more = nv->n - at - 1;
    if (!more && nv->unset) {
        json_object_del(body, f->name);
        return 0;
    }
    switch (f->type) {
    case KF_STR:
        if (more)
            return parse_error(nv);
        json_object_set_new(body, f->name, json_string(nv->value));
        return 0;
    case KF_BOOL: {
        int b = 0;
        if (more)
            return parse_error(nv);
        if (to_bool(nv, &b) < 0)
            return -1;
        json_object_set_new(body, f->name, json_boolean(b));
        return 0;
    }
    case KF_BYTES: {
        if (more)
            return parse_error(nv);
        char *enc;
        if (nv->raw) {
            enc = b64_encode((const unsigned char *)nv->value, strlen(nv->value));
        } else {
            unsigned char *raw;
            size_t n;
            struct err be;
            if (b64_decode(nv->value, &raw, &n, &be) < 0)
                return err_set(nv->e, "error decoding input value: %s", be.msg);
            enc = b64_encode(raw, n);
            free(raw);
        }
        if (!enc)
            return err_set(nv->e, "out of memory");
        json_object_set_new(body, f->name, json_string(enc));
        free(enc);
        return 0;
    }
    case KF_STRMAP:
    case KF_STRSMAP:
    case KF_EXTS:
        /* kubectl's reflection walk stops at these maps: a key below one is
         * an error, and so is a value for the whole map. */
        if (more)
            return f->type == KF_STRSMAP ? err_set(nv->e, "string is not of type struct")
                                         : parse_error(nv);
        return map_value_error(nv, json_object_get(body, f->name), f->type);
    case KF_STRUCT:
        /* exec and auth-provider are pointers, which kubectl cannot walk
         * into; a value for the whole struct is refused too. */
        if (more)
            return parse_error(nv);
        return err_set(nv->e, "can't set a struct to a value: %s", nv->path);
    case KF_STRS:
    case KF_ENVS:
        if (more)
            return parse_error(nv);
        return err_set(nv->e, "unrecognized slice type. %s",
                       f->type == KF_STRS ? "string" : "struct");
    }
    return 0;
}

static int set_in_struct(const struct nav *nv, size_t at, const struct kschema *s, json_t *body)
{
    const struct kfield *f = kschema_set_field(s, nv->parts[at]);
    if (!f) {
        char *done = join_parts(nv->parts, 0, at);
        err_set(nv->e, "unable to parse %s after %s at api.%s", nv->path, done ? done : "",
                s->goname);
        free(done);
        return -1;
    }
    return set_field(nv, at, f, body);
}

static int set_in_map(const struct nav *nv, struct kcfg *c, enum kcfg_kind k)
{
    json_t *map = c->entries[k];
    if (nv->n == 1) {
        if (!nv->unset)
            return err_set(nv->e, "can't set a map to a value: %s", nv->parts[0]);
        json_object_clear(map);
        return 0;
    }
    const struct kschema *s = kschema_of_kind(k);
    size_t span = name_span(nv, 1, s);
    char *name = join_parts(nv->parts, 1, 1 + span);
    int rc = -1;
    if (!name)
        return err_set(nv->e, "out of memory");
    json_t *body = json_object_get(map, name);
    if (1 + span == nv->n) {
        if (!nv->unset) {
            err_set(nv->e, "can't set a map to a value: %s", nv->parts[0]);
            goto out;
        }
        json_object_del(map, name);
        rc = 0;
        goto out;
    }
    if (!body) {
        if (nv->unset) {
            err_set(nv->e, "current map key `%s` is invalid", name);
            goto out;
        }
        body = kcfg_new_entry(k);
        json_object_set_new(map, name, body);
    }
    json_t *work = json_deep_copy(body);
    if (set_in_struct(nv, 1 + span, s, work) < 0 || kcfg_entry_canon(&work, k, nv->e) < 0) {
        json_decref(work);
        goto out;
    }
    json_object_set_new(map, name, work);
    rc = 0;
out:
    free(name);
    return rc;
}

int kcfg_set_property(struct kcfg *c, const char *path, const char *value, int unset, int raw_bytes,
                      struct err *e)
{
    char *copy = strdup(path);
    size_t n = 1;
    for (const char *p = path; *p; p++)
        n += *p == '.';
    char **parts = calloc(n, sizeof *parts);
    int rc = -1;
    if (!copy || !parts) {
        err_set(e, "out of memory");
        goto out;
    }
    n = 0;
    for (char *s = copy, *dot;; s = dot + 1) {
        parts[n++] = s;
        dot = strchr(s, '.');
        if (!dot)
            break;
        *dot = '\0';
    }
    struct nav nv = {parts, n, path, value ? value : "", unset, raw_bytes, e};
    const char *top = parts[0];
    if (!strcmp(top, "clusters")) {
        rc = set_in_map(&nv, c, KCFG_CLUSTERS);
    } else if (!strcmp(top, "users")) {
        rc = set_in_map(&nv, c, KCFG_USERS);
    } else if (!strcmp(top, "contexts")) {
        rc = set_in_map(&nv, c, KCFG_CONTEXTS);
    } else if (!strcmp(top, "current-context")) {
        if (n > 1) {
            rc = parse_error(&nv);
            goto out;
        }
        free(c->current_context);
        c->current_context = strdup(nv.value);
        rc = 0;
    } else if (!strcmp(top, "kind") || !strcmp(top, "apiVersion")) {
        /* Not stored: kubectl writes them as Config and v1 whatever was set. */
        rc = n > 1 ? parse_error(&nv) : 0;
    } else if (!strcmp(top, "preferences")) {
        if (n == 1) {
            if (!unset) {
                rc = err_set(e, "can't set a struct to a value: %s", path);
                goto out;
            }
            json_object_clear(c->preferences);
            rc = 0;
            goto out;
        }
        json_t *work = json_deep_copy(c->preferences), *canon;
        rc = set_in_struct(&nv, 1, &kschema_preferences, work);
        if (rc == 0 && (rc = kschema_decode(&kschema_preferences, work, "Config", "preferences",
                                            &canon, e)) == 0) {
            json_decref(c->preferences);
            c->preferences = canon;
        }
        json_decref(work);
    } else if (!strcmp(top, "extensions")) {
        if (unset && n == 1) {
            json_array_clear(c->extensions);
            rc = 0;
        } else {
            rc = err_set(e, "unrecognized type: extensions cannot be set from the command line");
        }
    } else {
        rc = err_set(e, "unable to parse %s after [] at api.Config", path);
    }
out:
    free(parts);
    free(copy);
    return rc;
}
