/* Mappings: objects moved to other namespaces, zones, regions and storage
 * classes. A backup made in us-central1 restored into europe-west1 would
 * otherwise recreate PersistentVolumes whose node affinity and volume
 * handles name zones the new cluster has no nodes in. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "backup/restore_int.h"

int restore_mapping_parse(struct restore_mapping *m, const char *const *items, size_t n,
                          const char *flag, struct err *e)
{
    for (size_t i = 0; i < n; i++) {
        const char *s = items[i];
        size_t k = strcspn(s, ":=");
        if (!s[k] || !k || !s[k + 1] || strpbrk(s + k + 1, ":="))
            return err_set(e, "invalid %s item \"%s\": expected old:new", flag, s);
        struct restore_pair *v = realloc(m->v, (m->n + 1) * sizeof *v);
        if (!v)
            return err_set(e, "out of memory");
        m->v = v;
        v[m->n].from = strndup(s, k);
        v[m->n].to = strdup(s + k + 1);
        m->n++;
        if (!v[m->n - 1].from || !v[m->n - 1].to)
            return err_set(e, "out of memory");
    }
    return 0;
}

const char *restore_mapping_get(const struct restore_mapping *m, const char *from)
{
    for (size_t i = 0; from && i < m->n; i++)
        if (!strcmp(m->v[i].from, from))
            return m->v[i].to;
    return NULL;
}

void restore_mapping_fini(struct restore_mapping *m)
{
    for (size_t i = 0; i < m->n; i++) {
        free(m->v[i].from);
        free(m->v[i].to);
    }
    free(m->v);
    m->v = NULL;
    m->n = 0;
}

void restore_opts_fini(struct restore_opts *o)
{
    restore_mapping_fini(&o->maps.ns);
    restore_mapping_fini(&o->maps.zone);
    restore_mapping_fini(&o->maps.region);
    restore_mapping_fini(&o->maps.storage_class);
    restore_prio_fini(&o->prio);
}

const char *restore_map_region(const struct restore_maps *m, const char *region)
{
    return restore_mapping_get(&m->region, region);
}

/* "-a", "a", "-b1": what follows a region in a zone name. */
static int zone_suffix(const char *s)
{
    if (*s == '-')
        s++;
    size_t n = strspn(s, "abcdefghijklmnopqrstuvwxyz0123456789");
    return n >= 1 && n <= 3 && !s[n] && s[0] >= 'a' && s[0] <= 'z';
}

const char *restore_map_zone(const struct restore_maps *m, const char *zone, char *dst, size_t n)
{
    const char *to = restore_mapping_get(&m->zone, zone);
    if (to) {
        snprintf(dst, n, "%s", to);
        return dst;
    }
    for (size_t i = 0; zone && i < m->region.n; i++) {
        size_t k = strlen(m->region.v[i].from);
        if (!strncmp(zone, m->region.v[i].from, k) && zone_suffix(zone + k)) {
            snprintf(dst, n, "%s%s", m->region.v[i].to, zone + k);
            return dst;
        }
    }
    return NULL;
}

enum topo { TOPO_NONE, TOPO_ZONE, TOPO_REGION };

static enum topo topo_key(const char *key)
{
    static const char *const zones[] = {"topology.kubernetes.io/zone",
                                        "failure-domain.beta.kubernetes.io/zone",
                                        "topology.gke.io/zone", NULL};
    static const char *const regions[] = {"topology.kubernetes.io/region",
                                          "failure-domain.beta.kubernetes.io/region", NULL};
    for (size_t i = 0; key && zones[i]; i++)
        if (!strcmp(key, zones[i]))
            return TOPO_ZONE;
    for (size_t i = 0; key && regions[i]; i++)
        if (!strcmp(key, regions[i]))
            return TOPO_REGION;
    return TOPO_NONE;
}

/* Maps one zone or region value; a multi-zone label value
 * ("us-central1-a__us-central1-b", as GCE labels regional disks) is mapped
 * part by part. Returns a new string or NULL when unchanged. */
static json_t *map_value(const struct restore_maps *m, enum topo t, const char *v)
{
    if (t == TOPO_REGION) {
        const char *to = restore_map_region(m, v);
        return to ? json_string(to) : NULL;
    }
    char out[1024] = "", part[256], mapped[256];
    int changed = 0;
    for (const char *s = v; *s;) {
        const char *sep = strstr(s, "__");
        size_t len = sep ? (size_t)(sep - s) : strlen(s);
        snprintf(part, sizeof part, "%.*s", (int)len, s);
        const char *to = restore_map_zone(m, part, mapped, sizeof mapped);
        changed |= to != NULL;
        size_t o = strlen(out);
        snprintf(out + o, sizeof out - o, "%s%s", o ? "__" : "", to ? to : part);
        s += len;
        if (sep)
            s += 2;
    }
    return changed ? json_string(out) : NULL;
}

/* "projects/P/zones/Z/disks/D", "projects/P/regions/R/disks/D" (GCE PD and
 * its CSI driver) and "aws://ZONE/vol-..." (EBS). */
static json_t *map_handle(const struct restore_maps *m, const char *h)
{
    static const struct {
        const char *marker;
        enum topo t;
    } forms[] = {{"/zones/", TOPO_ZONE}, {"/regions/", TOPO_REGION}, {"aws://", TOPO_ZONE}};
    for (size_t i = 0; i < sizeof forms / sizeof forms[0]; i++) {
        const char *at = strstr(h, forms[i].marker);
        if (!at || (i == 2 && at != h))
            continue;
        const char *start = at + strlen(forms[i].marker);
        size_t len = strcspn(start, "/");
        char val[256], mapped[256];
        snprintf(val, sizeof val, "%.*s", (int)len, start);
        const char *to = forms[i].t == TOPO_REGION
                             ? restore_map_region(m, val)
                             : restore_map_zone(m, val, mapped, sizeof mapped);
        if (!to)
            return NULL;
        char out[1024];
        snprintf(out, sizeof out, "%.*s%s%s", (int)(start - h), h, to, start + len);
        return json_string(out);
    }
    return NULL;
}

static int set_if(json_t *obj, const char *key, json_t *v)
{
    return v && json_object_set_new(obj, key, v) ? -ENOMEM : 0;
}

/* Walks the whole object: topology keys appear in labels, node selectors,
 * PV and Pod node affinity, StorageClass allowedTopologies and topology
 * spread constraints, always either as "KEY": "value" members or as
 * {"key": KEY, "values": [...]} requirements. */
static int walk(json_t *v, const struct restore_maps *m)
{
    size_t i;
    json_t *x;
    if (json_is_array(v)) {
        json_array_foreach(v, i, x)
        {
            if (walk(x, m))
                return -ENOMEM;
        }
        return 0;
    }
    if (!json_is_object(v))
        return 0;
    enum topo req = topo_key(json_string_value(json_object_get(v, "key")));
    json_t *values = json_object_get(v, "values");
    if (req != TOPO_NONE && json_is_array(values))
        json_array_foreach(values, i, x)
        {
            json_t *to = json_is_string(x) ? map_value(m, req, json_string_value(x)) : NULL;
            if (to && json_array_set_new(values, i, to))
                return -ENOMEM;
        }
    const char *key;
    json_object_foreach(v, key, x)
    {
        enum topo t = topo_key(key);
        if (json_is_string(x)) {
            const char *s = json_string_value(x);
            json_t *to = NULL;
            if (t != TOPO_NONE)
                to = map_value(m, t, s);
            else if (!strcmp(key, "volumeHandle") || !strcmp(key, "volumeID"))
                to = map_handle(m, s);
            if (set_if(v, key, to))
                return -ENOMEM;
        } else if (walk(x, m)) {
            return -ENOMEM;
        }
    }
    return 0;
}

/* A StorageClass's "zone" and "zones" parameters (GCE PD, EBS). */
static int map_sc_params(json_t *obj, const struct restore_maps *m)
{
    json_t *params = json_object_get(obj, "parameters");
    const char *zone = json_string_value(json_object_get(params, "zone"));
    char mapped[256];
    const char *to = zone ? restore_map_zone(m, zone, mapped, sizeof mapped) : NULL;
    if (to && json_object_set_new(params, "zone", json_string(to)))
        return -ENOMEM;
    const char *zones = json_string_value(json_object_get(params, "zones"));
    if (!zones)
        return 0;
    char out[1024] = "", part[256];
    for (const char *s = zones; *s;) {
        size_t len = strcspn(s, ",");
        snprintf(part, sizeof part, "%.*s", (int)len, s);
        to = restore_map_zone(m, part, mapped, sizeof mapped);
        size_t o = strlen(out);
        snprintf(out + o, sizeof out - o, "%s%s", o ? "," : "", to ? to : part);
        s += len + (s[len] == ',');
    }
    return json_object_set_new(params, "zones", json_string(out)) ? -ENOMEM : 0;
}

static int map_class(json_t *spec, const struct restore_maps *m)
{
    const char *to = restore_mapping_get(
        &m->storage_class, json_string_value(json_object_get(spec, "storageClassName")));
    return to && json_object_set_new(spec, "storageClassName", json_string(to)) ? -ENOMEM : 0;
}

static int map_namespace_field(json_t *o, const char *key, const struct restore_maps *m)
{
    const char *to = restore_mapping_get(&m->ns, json_string_value(json_object_get(o, key)));
    return to && json_object_set_new(o, key, json_string(to)) ? -ENOMEM : 0;
}

int restore_map_object(json_t *obj, const char *dir, const struct restore_maps *m)
{
    json_t *md = json_object_get(obj, "metadata");
    json_t *spec = json_object_get(obj, "spec");
    size_t i;
    json_t *x;
    if (map_namespace_field(md, "namespace", m))
        return -ENOMEM;
    /* The API server labels a Namespace with its own name: a moved one
     * carries the new name there too. */
    if (!strcmp(dir, "namespaces") &&
        (map_namespace_field(md, "name", m) ||
         map_namespace_field(json_object_get(md, "labels"), "kubernetes.io/metadata.name", m)))
        return -ENOMEM;
    if (!strcmp(dir, "persistentvolumes") &&
        map_namespace_field(json_object_get(spec, "claimRef"), "namespace", m))
        return -ENOMEM;
    if (!strcmp(dir, "rolebindings.rbac.authorization.k8s.io") ||
        !strcmp(dir, "clusterrolebindings.rbac.authorization.k8s.io"))
        json_array_foreach(json_object_get(obj, "subjects"), i, x)
        {
            if (map_namespace_field(x, "namespace", m))
                return -ENOMEM;
        }
    if (!strcmp(dir, "persistentvolumes") || !strcmp(dir, "persistentvolumeclaims")) {
        if (map_class(spec, m))
            return -ENOMEM;
        json_t *ann = json_object_get(md, "annotations");
        const char *old = "volume.beta.kubernetes.io/storage-class";
        const char *to =
            restore_mapping_get(&m->storage_class, json_string_value(json_object_get(ann, old)));
        if (to && json_object_set_new(ann, old, json_string(to)))
            return -ENOMEM;
    }
    if (!strcmp(dir, "statefulsets.apps"))
        json_array_foreach(json_object_get(spec, "volumeClaimTemplates"), i, x)
        {
            if (map_class(json_object_get(x, "spec"), m))
                return -ENOMEM;
        }
    if (!strcmp(dir, "storageclasses.storage.k8s.io") && map_sc_params(obj, m))
        return -ENOMEM;
    return walk(obj, m);
}
