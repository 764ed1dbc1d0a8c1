#include "kube/discovery.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kube/client.h"

#define AGGREGATED_ACCEPT                                                                          \
    "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList,"                        \
    "application/json;g=apidiscovery.k8s.io;v=v2beta1;as=APIGroupDiscoveryList,"                   \
    "application/json"

void kube_discovery_init(struct kube_discovery *d)
{
    memset(d, 0, sizeof *d);
}

static void names_free(char **v)
{
    for (size_t i = 0; v && v[i]; i++)
        free(v[i]);
    free(v);
}

void kube_discovery_fini(struct kube_discovery *d)
{
    for (size_t i = 0; i < d->n; i++) {
        struct kube_resource *r = &d->res[i];
        free(r->group);
        free(r->version);
        free(r->name);
        free(r->singular);
        free(r->kind);
        names_free(r->verbs);
        names_free(r->short_names);
        names_free(r->categories);
    }
    free(d->res);
    memset(d, 0, sizeof *d);
}

static char **names_from(const json_t *arr)
{
    size_t n = json_array_size(arr);
    char **v = calloc(n + 1, sizeof *v);
    if (!v)
        return NULL;
    size_t k = 0;
    for (size_t i = 0; i < n; i++) {
        const char *s = json_string_value(json_array_get(arr, i));
        if (!s)
            continue;
        if (!(v[k++] = strdup(s))) {
            names_free(v);
            return NULL;
        }
    }
    return v;
}

static char *lower_dup(const char *s)
{
    char *d = strdup(s ? s : "");
    for (char *p = d; p && *p; p++)
        *p = (char)tolower((unsigned char)*p);
    return d;
}

static int add(struct kube_discovery *d, const char *group, const char *version, const char *name,
               const char *singular, const char *kind, int namespaced, const json_t *verbs,
               const json_t *shorts, const json_t *cats, int gi, int vi, struct err *e)
{
    if (!name || !*name || strchr(name, '/') || !kind)
        return 0;
    if (d->n == d->cap) {
        size_t cap = d->cap ? d->cap * 2 : 64;
        struct kube_resource *r = realloc(d->res, cap * sizeof *r);
        if (!r)
            return err_set(e, "out of memory");
        d->res = r;
        d->cap = cap;
    }
    struct kube_resource *r = &d->res[d->n];
    memset(r, 0, sizeof *r);
    r->group = strdup(group ? group : "");
    r->version = strdup(version);
    r->name = strdup(name);
    r->singular = singular && *singular ? strdup(singular) : lower_dup(kind);
    r->kind = strdup(kind);
    r->namespaced = namespaced;
    r->verbs = names_from(verbs);
    r->short_names = names_from(shorts);
    r->categories = names_from(cats);
    r->group_index = gi;
    r->version_index = vi;
    r->preferred = vi == 0;
    d->n++;
    if (!r->group || !r->version || !r->name || !r->singular || !r->kind || !r->verbs ||
        !r->short_names || !r->categories)
        return err_set(e, "out of memory");
    if (gi + 1 > d->ngroups)
        d->ngroups = gi + 1;
    return 0;
}

int kube_discovery_add_aggregated(struct kube_discovery *d, const json_t *doc, struct err *e)
{
    const json_t *items = json_object_get(doc, "items");
    if (!json_is_array(items))
        return err_set(e, "the server's discovery document has no items");
    size_t gi;
    const json_t *g;
    int base = d->ngroups;
    json_array_foreach(items, gi, g)
    {
        const char *group =
            json_string_value(json_object_get(json_object_get(g, "metadata"), "name"));
        const json_t *versions = json_object_get(g, "versions");
        size_t vi;
        const json_t *v;
        json_array_foreach(versions, vi, v)
        {
            const char *version = json_string_value(json_object_get(v, "version"));
            if (!version)
                continue;
            size_t ri;
            const json_t *r;
            json_array_foreach(json_object_get(v, "resources"), ri, r)
            {
                const json_t *rk = json_object_get(r, "responseKind");
                const char *scope = json_string_value(json_object_get(r, "scope"));
                if (add(d, group, version, json_string_value(json_object_get(r, "resource")),
                        json_string_value(json_object_get(r, "singularResource")),
                        json_string_value(json_object_get(rk, "kind")),
                        scope && !strcmp(scope, "Namespaced"), json_object_get(r, "verbs"),
                        json_object_get(r, "shortNames"), json_object_get(r, "categories"),
                        base + (int)gi, (int)vi, e) < 0)
                    return -1;
            }
        }
        if (base + (int)gi + 1 > d->ngroups)
            d->ngroups = base + (int)gi + 1;
    }
    return 0;
}

int kube_discovery_add_legacy(struct kube_discovery *d, const char *group, const char *version,
                              int group_index, int version_index, const json_t *list, struct err *e)
{
    size_t i;
    const json_t *r;
    json_array_foreach(json_object_get(list, "resources"), i, r)
    {
        if (add(d, group, version, json_string_value(json_object_get(r, "name")),
                json_string_value(json_object_get(r, "singularName")),
                json_string_value(json_object_get(r, "kind")),
                json_is_true(json_object_get(r, "namespaced")), json_object_get(r, "verbs"),
                json_object_get(r, "shortNames"), json_object_get(r, "categories"), group_index,
                version_index, e) < 0)
            return -1;
    }
    if (group_index + 1 > d->ngroups)
        d->ngroups = group_index + 1;
    return 0;
}

/* GET <path> as JSON; returns the document or NULL with <e> set. */
static json_t *get_json(struct kube_client *c, const char *path, const char *accept, char *ctype,
                        size_t ctype_len, struct err *e)
{
    /* client-go's discovery reads the answer with Raw(): its errors are
     * worded from the status code, whatever Status the server sent. */
    struct kube_req r = {.path = path, .accept = accept, .generic_errors = 1};
    struct kube_resp resp;
    kube_resp_init(&resp);
    json_t *doc = NULL;
    int rc = kube_do(c, &r, &resp, e);
    if (rc == 0) {
        json_error_t je;
        doc = json_loadb(buf_str(&resp.body), resp.body.len, 0, &je);
        if (!doc)
            err_set(e, "couldn't get current server API group list: %s", je.text);
        if (ctype)
            snprintf(ctype, ctype_len, "%s", resp.content_type);
    }
    kube_resp_fini(&resp);
    return doc;
}

static int is_aggregated(const char *ctype)
{
    return strstr(ctype, "as=APIGroupDiscoveryList") != NULL;
}

static int legacy_group(struct kube_client *c, struct kube_discovery *d, const char *group,
                        const json_t *g, int gi, struct err *e)
{
    const char *pref =
        json_string_value(json_object_get(json_object_get(g, "preferredVersion"), "version"));
    const json_t *versions = json_object_get(g, "versions");
    /* The preferred version first, then the others in their order. */
    int vi = 0;
    for (int pass = 0; pass < 2; pass++) {
        size_t i;
        const json_t *v;
        json_array_foreach(versions, i, v)
        {
            const char *ver = json_string_value(json_object_get(v, "version"));
            if (!ver)
                continue;
            int is_pref = pref ? !strcmp(ver, pref) : i == 0;
            if (is_pref != (pass == 0))
                continue;
            char path[512];
            snprintf(path, sizeof path, "/apis/%s/%s", group, ver);
            json_t *list = get_json(c, path, NULL, NULL, 0, e);
            if (!list)
                return -1;
            int rc = kube_discovery_add_legacy(d, group, ver, gi, vi++, list, e);
            json_decref(list);
            if (rc < 0)
                return -1;
        }
    }
    return 0;
}

static int discover(struct kube_client *c, struct kube_discovery *d, struct err *e)
{
    char ctype[160];
    json_t *api = get_json(c, "/api", AGGREGATED_ACCEPT, ctype, sizeof ctype, e);
    if (!api)
        return -1;
    int rc = -1;
    json_t *apis = NULL;
    if (is_aggregated(ctype)) {
        if (kube_discovery_add_aggregated(d, api, e) < 0)
            goto out;
    } else {
        json_t *v1 = get_json(c, "/api/v1", NULL, NULL, 0, e);
        if (!v1)
            goto out;
        rc = kube_discovery_add_legacy(d, "", "v1", 0, 0, v1, e);
        json_decref(v1);
        if (rc < 0)
            goto out;
        rc = -1;
    }
    apis = get_json(c, "/apis", AGGREGATED_ACCEPT, ctype, sizeof ctype, e);
    if (!apis)
        goto out;
    if (is_aggregated(ctype)) {
        if (kube_discovery_add_aggregated(d, apis, e) < 0)
            goto out;
    } else {
        size_t i;
        const json_t *g;
        int base = d->ngroups;
        json_array_foreach(json_object_get(apis, "groups"), i, g)
        {
            const char *name = json_string_value(json_object_get(g, "name"));
            if (name && legacy_group(c, d, name, g, base + (int)i, e) < 0)
                goto out;
        }
    }
    rc = 0;
out:
    json_decref(api);
    json_decref(apis);
    return rc;
}

const struct kube_discovery *kube_discover(struct kube_client *c, struct err *e)
{
    struct kube_discovery **slot = kube_client_discovery_slot(c);
    struct kube_discovery *d = *slot;
    if (d)
        return d;
    d = malloc(sizeof *d);
    if (!d) {
        err_set(e, "out of memory");
        return NULL;
    }
    kube_discovery_init(d);
    if (discover(c, d, e) < 0) {
        kube_discovery_fini(d);
        free(d);
        return NULL;
    }
    *slot = d;
    return d;
}

/* ---- resolution ---- */

static int rank_cmp(const struct kube_resource *a, const struct kube_resource *b)
{
    if (a->group_index != b->group_index)
        return a->group_index < b->group_index ? -1 : 1;
    if (a->version_index != b->version_index)
        return a->version_index < b->version_index ? -1 : 1;
    return 0;
}

static const struct kube_resource *better(const struct kube_resource *best,
                                          const struct kube_resource *r)
{
    return !best || rank_cmp(r, best) < 0 ? r : best;
}

/* DefaultRESTMapper.ResourcesFor, then the priority pick. <group> and
 * <version> may be "" (any). */
static const struct kube_resource *resources_for(const struct kube_discovery *d,
                                                 const char *resource, const char *group,
                                                 const char *version)
{
    const struct kube_resource *best = NULL;
    int hg = *group, hv = *version;
    for (size_t i = 0; i < d->n; i++) {
        const struct kube_resource *r = &d->res[i];
        if (strcmp(r->name, resource) && strcmp(r->singular, resource))
            continue;
        if (hg && strcmp(r->group, group))
            continue;
        if (hv && strcmp(r->version, version))
            continue;
        best = better(best, r);
    }
    if (best || !hg || hv)
        return best;
    /* A group given in part: "storageclass.storage". */
    for (size_t i = 0; i < d->n; i++) {
        const struct kube_resource *r = &d->res[i];
        if (strncmp(r->group, group, strlen(group)))
            continue;
        if (strcmp(r->name, resource) && strcmp(r->singular, resource))
            continue;
        best = better(best, r);
    }
    return best;
}

/* shortcutExpander.expandResourceShortcut: short names become the plural
 * (and its group) unless a resource is called that outright. Writes the
 * result into <res>/<grp> (which hold at least 256 bytes). */
static void expand_shortcut(const struct kube_discovery *d, char *res, char *grp)
{
    for (size_t i = 0; i < d->n; i++) {
        const struct kube_resource *r = &d->res[i];
        if (*grp && strcmp(grp, r->group))
            continue;
        if (!strcmp(res, r->name) || !strcmp(res, r->singular))
            return;
    }
    const struct kube_resource *found = NULL;
    for (size_t i = 0; i < d->n; i++) {
        const struct kube_resource *r = &d->res[i];
        if (*grp && strcmp(grp, r->group))
            continue;
        for (char **s = r->short_names; s && *s; s++)
            if (!strcmp(*s, res))
                found = better(found, r);
    }
    if (!found && *grp) {
        for (size_t i = 0; i < d->n; i++) {
            const struct kube_resource *r = &d->res[i];
            if (strncmp(r->group, grp, strlen(grp)))
                continue;
            for (char **s = r->short_names; s && *s; s++)
                if (!strcmp(*s, res))
                    found = better(found, r);
        }
    }
    if (found) {
        snprintf(res, 256, "%s", found->name);
        if (*found->group)
            snprintf(grp, 256, "%s", found->group);
    }
}

static void lower(char *s)
{
    for (; *s; s++)
        *s = (char)tolower((unsigned char)*s);
}

/* kind (exact case) in group (exact), version optional. */
static const struct kube_resource *by_kind(const struct kube_discovery *d, const char *kind,
                                           const char *group, const char *version)
{
    const struct kube_resource *best = NULL;
    for (size_t i = 0; i < d->n; i++) {
        const struct kube_resource *r = &d->res[i];
        if (strcmp(r->kind, kind) || strcmp(r->group, group))
            continue;
        if (*version && strcmp(r->version, version))
            continue;
        best = better(best, r);
    }
    return best;
}

const struct kube_resource *kube_resolve(const struct kube_discovery *d, const char *arg,
                                         struct err *e)
{
    char res[256], grp[256], ver[256];
    const struct kube_resource *r = NULL;
    size_t dots = 0;
    for (const char *p = arg; *p; p++)
        dots += *p == '.';
    const char *dot = strchr(arg, '.');
    char gr_res[256], gr_grp[256];
    snprintf(gr_res, sizeof gr_res, "%.*s", dot ? (int)(dot - arg) : (int)strlen(arg), arg);
    snprintf(gr_grp, sizeof gr_grp, "%s", dot ? dot + 1 : "");

    if (dots >= 2) {
        /* resource.version.group */
        const char *d2 = strchr(dot + 1, '.');
        snprintf(res, sizeof res, "%s", gr_res);
        snprintf(ver, sizeof ver, "%.*s", (int)(d2 - dot - 1), dot + 1);
        snprintf(grp, sizeof grp, "%s", d2 + 1);
        lower(res);
        lower(ver);
        lower(grp);
        expand_shortcut(d, res, grp);
        r = resources_for(d, res, grp, ver);
    }
    if (!r) {
        snprintf(res, sizeof res, "%s", gr_res);
        snprintf(grp, sizeof grp, "%s", gr_grp);
        lower(res);
        lower(grp);
        expand_shortcut(d, res, grp);
        r = resources_for(d, res, grp, "");
    }
    if (!r && dots >= 2) {
        /* Kind.version.group */
        const char *d2 = strchr(dot + 1, '.');
        snprintf(ver, sizeof ver, "%.*s", (int)(d2 - dot - 1), dot + 1);
        r = by_kind(d, gr_res, d2 + 1, ver);
    }
    if (!r)
        r = by_kind(d, gr_res, gr_grp, "");
    if (!r)
        err_set(e, "the server doesn't have a resource type \"%s\"", gr_res);
    return r;
}

const struct kube_resource **kube_category(const struct kube_discovery *d, const char *category,
                                           size_t *n)
{
    *n = 0;
    const struct kube_resource **out = NULL;
    for (size_t i = 0; i < d->n; i++) {
        const struct kube_resource *r = &d->res[i];
        int in = 0;
        for (char **c = r->categories; c && *c && !in; c++)
            in = !strcmp(*c, category);
        if (!in)
            continue;
        /* One entry per group and resource: the best-ranked version. */
        int dup = 0;
        for (size_t k = 0; k < *n; k++) {
            if (!strcmp(out[k]->group, r->group) && !strcmp(out[k]->name, r->name)) {
                if (rank_cmp(r, out[k]) < 0)
                    out[k] = r;
                dup = 1;
            }
        }
        if (dup)
            continue;
        const struct kube_resource **o = realloc(out, (*n + 1) * sizeof *o);
        if (!o) {
            free(out);
            *n = 0;
            return NULL;
        }
        out = o;
        out[(*n)++] = r;
    }
    return out;
}

void kube_resource_qualified(const struct kube_resource *r, char *dst, size_t n)
{
    snprintf(dst, n, "%s%s%s", r->name, *r->group ? "." : "", r->group);
}

void kube_resource_gv(const struct kube_resource *r, char *dst, size_t n)
{
    snprintf(dst, n, "%s%s%s", r->group, *r->group ? "/" : "", r->version);
}

int kube_resource_has_verb(const struct kube_resource *r, const char *verb)
{
    for (char **v = r->verbs; v && *v; v++)
        if (!strcmp(*v, verb))
            return 1;
    return 0;
}

void kube_discovery_forget(struct kube_client *c)
{
    struct kube_discovery **slot = kube_client_discovery_slot(c);
    if (*slot) {
        kube_discovery_fini(*slot);
        free(*slot);
        *slot = NULL;
    }
}
