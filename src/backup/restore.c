/* ferry restore create: a backup's objects into the current cluster.
 *
 * 1. The backup's record is read (it must exist and have completed), its
 *    tarball read whole: each object that passes the filters goes to an
 *    unlinked spool file, and an index entry (directory, namespace, name,
 *    offset) stays in memory. Memory is bounded by the index, not by the
 *    objects; a corrupt tarball fails here, before anything is created.
 * 2. The rules that need the whole backup: objects whose controller is
 *    restored too are left for it to recreate; Endpoints of Services with
 *    a selector likewise; PVs that would be deleted with their claim are
 *    not restored unless asked (nothing brings their data back).
 * 3. Groups in priority order; inside a group, objects are created by
 *    several threads sharing the (thread-safe, rate-limited) client. CRDs
 *    come first, and their custom resources wait until the API serves
 *    them (Established, then discovery again).
 * 4. The record: the Restore object, logs and results next to the backup.
 */
#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "backup/backup.h"
#include "backup/filter.h"
#include "backup/record.h"
#include "backup/restore_int.h"
#include "backup/tarball.h"
#include "core/file.h"
#include "core/json.h"
#include "core/table.h"
#include "core/text.h"
#include "core/yaml.h"
#include "kube/api.h"
#include "storage/location.h"
#include "storage/storage.h"

#define RESTORE_DEFAULT_WORKERS 4
#define RESTORE_LOG_MAX ((size_t)32 << 20)
#define CRD_DIR "customresourcedefinitions.apiextensions.k8s.io"
/* How long a restored CRD may take to be Established. */
#define RESTORE_CRD_WAIT_MS 60000

/* Skip reasons compared by address: the one that is also a warning, and
 * the mark of a CRD decided once the whole backup is read. */
static const char SKIP_DELETE_PV[] = "reclaim policy Delete";
static const char SKIP_DEFERRED[] = "deferred";

enum outcome { OUT_PENDING, OUT_CREATED, OUT_UPDATED, OUT_SKIPPED, OUT_FAILED };

struct item {
    char *dir, *ns, *name; /* as in the backup; ns NULL when cluster-scoped */
    off_t off;             /* its JSON in the spool file */
    size_t len;
    int rank;
    const char *skip; /* why it is not restored (static text), or NULL */
    char *owner_uid;  /* its controller's uid, or NULL */
    char *claim;      /* PVC: the PV it was bound to */
    enum outcome done;
};

struct run {
    const struct restore_opts *o;
    char name[256];
    struct kube_client *k;
    struct storage *s;
    struct location loc; /* where the backup is, valid while <s> is */
    struct filter nsf;   /* namespace rules, shared with the backup */
    json_t *selector;    /* metav1.LabelSelector, or NULL */
    char **inc_res, **exc_res;
    size_t ninc_res, nexc_res;
    int spool;
    off_t spool_len;
    struct item *v;
    size_t n, cap;
    json_t *uids;     /* set: uids of the selected objects */
    json_t *services; /* set: "ns/name" of selected Services with a selector */
    json_t *crd_dirs; /* set: "plural.group" of the selected CRDs */
    json_t *ns_dirs;  /* set: directories with selected namespaced objects */
    json_t *pvs;      /* set: names of the PVs restored */
    json_t *ns_ready; /* set: target namespaces known to exist */
    /* results, under mu */
    pthread_mutex_t mu;
    json_t *errors, *warnings; /* Velero's Result: velero, cluster, namespaces */
    long nerrors, nwarnings;
    size_t total, restored, finished;
    struct buf log;
    int tty;
    FILE *out;
    struct table *dry; /* the --dry-run table */
    int dry_printed;
};

/* ---- logs and results ---- */

/* One line of the restore's log; called with mu held. Object content never
 * goes here, only names and the API's messages. */
static void logline(struct run *r, const char *level, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void logline(struct run *r, const char *level, const char *fmt, ...)
{
    if (r->log.len > RESTORE_LOG_MAX)
        return;
    char when[32], msg[2048];
    text_rfc3339(time(NULL), when, sizeof when);
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    buf_addf(&r->log, "time=\"%s\" level=%s msg=", when, level);
    backup_log_value(&r->log, msg);
    buf_addf(&r->log, " restore=%s/%s\n", RECORD_NAMESPACE, r->name);
}

/* Adds <msg> to the errors or warnings of <ns> ("cluster" results when
 * NULL, Velero's own when <velero>); called with mu held. */
static void result(struct run *r, int error, const char *ns, int velero, const char *msg)
{
    json_t *res = error ? r->errors : r->warnings;
    json_t *list;
    if (velero || !ns) {
        const char *key = velero ? "velero" : "cluster";
        if (!(list = json_object_get(res, key)))
            json_object_set_new(res, key, list = json_array());
    } else {
        json_t *nss = json_object_get(res, "namespaces");
        if (!nss)
            json_object_set_new(res, "namespaces", nss = json_object());
        if (!(list = json_object_get(nss, ns)))
            json_object_set_new(nss, ns, list = json_array());
    }
    json_array_append_new(list, json_string(msg));
    if (error)
        r->nerrors++;
    else
        r->nwarnings++;
    logline(r, error ? "error" : "warning", "%s", msg);
}

static void set_add(json_t *set, const char *key)
{
    if (key)
        json_object_set_new(set, key, json_true());
}

static int set_has(const json_t *set, const char *key)
{
    return key && json_object_get(set, key) != NULL;
}

/* ---- reading the backup ---- */

static int dir_matches(char **list, size_t n, const char *dir)
{
    for (size_t i = 0; i < n; i++) {
        size_t k = strlen(list[i]);
        if (!strcmp(list[i], "*") || !strcmp(list[i], dir) ||
            (!strncmp(list[i], dir, k) && dir[k] == '.'))
            return 1;
    }
    return 0;
}

static int resource_included(const struct run *r, const char *dir)
{
    if (r->ninc_res && !dir_matches(r->inc_res, r->ninc_res, dir))
        return 0;
    return !dir_matches(r->exc_res, r->nexc_res, dir);
}

/* -1: decided after the whole backup is read (CRDs of restored custom
 * resources). */
static int cluster_included(const struct run *r, const char *dir, const json_t *obj)
{
    if (r->nsf.include_cluster >= 0)
        return r->nsf.include_cluster;
    /* no namespace chosen: every cluster-scoped object, as Velero does;
     * otherwise only those the namespaces use */
    if (r->nsf.all_ns)
        return 1;
    if (!strcmp(dir, "persistentvolumes")) {
        const char *ns = record_sget(json_object_get(obj, "spec"), "claimRef", "namespace");
        return ns && filter_namespace(&r->nsf, ns);
    }
    return !strcmp(dir, CRD_DIR) ? -1 : 0;
}

/* The backup directory of a CRD's objects: "<plural>.<group>". */
static void crd_dir(const json_t *spec, char *dst, size_t n)
{
    snprintf(dst, n, "%s.%s", record_sget(spec, "names", "plural") ?: "",
             record_sget(spec, "group", NULL) ?: "");
}

static int on_entry(void *arg, const char *dir, const char *ns, const char *name, const char *text,
                    size_t len, struct err *e)
{
    struct run *r = arg;
    json_error_t je;
    json_t *obj = json_loadb(text, len, 0, &je);
    if (!obj || !json_is_object(obj)) {
        json_decref(obj);
        return err_set(e, "backup \"%s\": resources/%s/.../%s.json is not a JSON object: %s",
                       r->o->backup, dir, name, obj ? "" : je.text);
    }
    int take = resource_included(r, dir), deferred = 0;
    int is_ns = !strcmp(dir, "namespaces");
    if (take && is_ns)
        take = filter_namespace(&r->nsf, name);
    else if (take && ns)
        take = filter_namespace(&r->nsf, ns);
    else if (take)
        deferred = (take = cluster_included(r, dir, obj)) < 0;
    if (take && r->selector && !restore_selector_match(r->selector, obj))
        take = 0;
    if (!take) {
        json_decref(obj);
        return 0;
    }
    if (r->n == r->cap) {
        size_t cap = r->cap ? r->cap * 2 : 256;
        struct item *v = realloc(r->v, cap * sizeof *v);
        if (!v)
            goto oom;
        r->v = v;
        r->cap = cap;
    }
    struct item *it = &r->v[r->n];
    memset(it, 0, sizeof *it);
    it->dir = strdup(dir);
    it->ns = ns ? strdup(ns) : NULL;
    it->name = strdup(name);
    const char *owner = restore_controller_uid(obj);
    it->owner_uid = owner ? strdup(owner) : NULL;
    r->n++;
    if (!it->dir || !it->name || (ns && !it->ns) || (owner && !it->owner_uid))
        goto oom;
    it->off = r->spool_len;
    it->len = len;
    it->rank = restore_prio_rank(&r->o->prio, dir);
    if (file_write_all(r->spool, text, len) < 0) {
        json_decref(obj);
        return err_set(e, "cannot write the temporary file");
    }
    r->spool_len += (off_t)len;
    it->skip = restore_never_reason(dir, obj);
    if (deferred)
        it->skip = SKIP_DEFERRED;
    if (!it->skip) {
        set_add(r->uids, record_sget(obj, "metadata", "uid"));
        if (ns)
            set_add(r->ns_dirs, dir);
    }
    const json_t *spec = json_object_get(obj, "spec");
    char key[600];
    if (!strcmp(dir, "services") && json_object_size(json_object_get(spec, "selector"))) {
        snprintf(key, sizeof key, "%s/%s", ns ? ns : "", name);
        set_add(r->services, key);
    } else if (!strcmp(dir, CRD_DIR)) {
        crd_dir(spec, key, sizeof key);
        set_add(r->crd_dirs, key);
    } else if (!strcmp(dir, "persistentvolumes") && !it->skip && !r->o->restore_volumes &&
               !strcmp(record_sget(spec, "persistentVolumeReclaimPolicy", NULL) ?: "", "Delete")) {
        it->skip = SKIP_DELETE_PV;
    } else if (!strcmp(dir, "persistentvolumeclaims") && record_sget(spec, "volumeName", NULL)) {
        if (!(it->claim = strdup(record_sget(spec, "volumeName", NULL))))
            goto oom;
    }
    json_decref(obj);
    return 0;
oom:
    json_decref(obj);
    return err_set(e, "out of memory");
}

/* An object's JSON, back from the spool; NULL when it cannot be read. */
static json_t *load(const struct run *r, const struct item *it)
{
    char *text = malloc(it->len ? it->len : 1);
    json_t *obj = NULL;
    if (text && pread(r->spool, text, it->len, it->off) == (ssize_t)it->len)
        obj = json_loadb(text, it->len, 0, NULL);
    free(text);
    return obj;
}

/* The rules that need every selected object: see the top of the file. */
static void decide(struct run *r)
{
    char key[600];
    for (size_t i = 0; i < r->n; i++) {
        struct item *it = &r->v[i];
        if (it->skip == SKIP_DEFERRED) {
            /* A CRD without its custom resources is left out when namespaces
             * were chosen (Velero's "related" cluster resources). */
            json_t *obj = load(r, it);
            json_t *spec = json_object_get(obj, "spec");
            crd_dir(spec, key, sizeof key);
            it->skip = set_has(r->ns_dirs, key) ? NULL
                                                : "cluster resource not used by the "
                                                  "chosen namespaces";
            json_decref(obj);
        }
        if (!it->skip && set_has(r->uids, it->owner_uid))
            it->skip = "owned by a controller that is restored: it recreates the object";
        if (!it->skip && !strcmp(it->dir, "endpoints")) {
            snprintf(key, sizeof key, "%s/%s", it->ns ? it->ns : "", it->name);
            if (set_has(r->services, key))
                it->skip = "managed by its Service";
        }
        if (!it->skip && !strcmp(it->dir, "persistentvolumes"))
            set_add(r->pvs, it->name);
    }
}

static int by_order(const void *a, const void *b)
{
    const struct item *x = a, *y = b;
    if (x->rank != y->rank)
        return x->rank < y->rank ? -1 : 1;
    int c = strcmp(x->dir, y->dir);
    if (c)
        return c;
    if ((c = strcmp(x->ns ? x->ns : "", y->ns ? y->ns : "")))
        return c;
    return strcmp(x->name, y->name);
}

/* ---- one object ---- */

/* The served resource for <dir> in the object's version. */
static const struct kube_resource *resource_for(const struct kube_discovery *d, const char *dir,
                                                const char *api_version)
{
    const char *dot = strchr(dir, '.');
    size_t plen = dot ? (size_t)(dot - dir) : strlen(dir);
    const char *group = dot ? dot + 1 : "";
    const char *slash = api_version ? strchr(api_version, '/') : NULL;
    const char *version = slash ? slash + 1 : api_version;
    for (size_t i = 0; d && version && i < d->n; i++) {
        const struct kube_resource *x = &d->res[i];
        if (!strncmp(x->name, dir, plen) && !x->name[plen] && !strcmp(x->group, group) &&
            !strcmp(x->version, version))
            return x;
    }
    return NULL;
}

static void drop_restore_labels(json_t *obj)
{
    json_t *md = json_object_get(obj, "metadata");
    json_t *labels = json_object_get(md, "labels");
    json_object_del(labels, RESTORE_LABEL_BACKUP);
    json_object_del(labels, RESTORE_LABEL_RESTORE);
    if (labels && !json_object_size(labels))
        json_object_del(md, "labels");
}

/* Whether the cluster's <existing> is what the restore would send, once
 * both lose what the clusters themselves write. */
static int identical(const struct run *r, const char *dir, const json_t *obj,
                     const json_t *existing)
{
    json_t *a = json_deep_copy(obj), *b = json_deep_copy(existing);
    restore_clean(b, dir, r->o->preserve_nodeports);
    drop_restore_labels(a);
    drop_restore_labels(b);
    int same = a && b && json_equal(a, b);
    json_decref(a);
    json_decref(b);
    return same;
}

/* What an update must keep of the live object: the resourceVersion it
 * replaces, and what the cluster allocated (Service IPs and node ports,
 * a claim's volume), which the API refuses to change. */
static void keep_allocated(json_t *obj, const char *dir, const json_t *existing)
{
    json_t *md = json_object_get(obj, "metadata");
    const char *rv = record_sget(existing, "metadata", "resourceVersion");
    if (rv)
        json_object_set_new(md, "resourceVersion", json_string(rv));
    json_t *spec = json_object_get(obj, "spec");
    const json_t *live = json_object_get(existing, "spec");
    if (!strcmp(dir, "services")) {
        static const char *const keep[] = {"clusterIP", "clusterIPs", "healthCheckNodePort", NULL};
        for (size_t i = 0; keep[i]; i++)
            if (!json_object_get(spec, keep[i]) && json_object_get(live, keep[i]))
                json_object_set(spec, keep[i], json_object_get(live, keep[i]));
        size_t i, j;
        json_t *p;
        const json_t *q;
        json_array_foreach(json_object_get(spec, "ports"), i, p)
        {
            if (json_object_get(p, "nodePort"))
                continue;
            json_array_foreach(json_object_get(live, "ports"), j, q)
            {
                if (json_equal(json_object_get(p, "port"), json_object_get(q, "port")) &&
                    json_object_get(q, "nodePort"))
                    json_object_set(p, "nodePort", json_object_get(q, "nodePort"));
            }
        }
    } else if (!strcmp(dir, "persistentvolumeclaims") && !json_object_get(spec, "volumeName") &&
               json_object_get(live, "volumeName")) {
        json_object_set(spec, "volumeName", json_object_get(live, "volumeName"));
    }
}

/* The object as it will be sent: cleaned, mapped, labelled. */
static json_t *prepare(struct run *r, const struct item *it)
{
    json_t *obj = load(r, it);
    if (!obj)
        return NULL;
    restore_clean(obj, it->dir, r->o->preserve_nodeports);
    if (restore_map_object(obj, it->dir, &r->o->maps)) {
        json_decref(obj);
        return NULL;
    }
    json_t *md = json_object_get(obj, "metadata");
    json_t *labels = json_object_get(md, "labels");
    if (!labels)
        json_object_set_new(md, "labels", labels = json_object());
    json_object_set_new(labels, RESTORE_LABEL_BACKUP, json_string(r->o->backup));
    json_object_set_new(labels, RESTORE_LABEL_RESTORE, json_string(r->name));
    /* A claim whose volume is not restored is provisioned afresh: binding
     * it to a name the new cluster never had would leave it Pending. */
    if (it->claim && !set_has(r->pvs, it->claim))
        json_object_del(json_object_get(obj, "spec"), "volumeName");
    return obj;
}

static void dry_row(struct run *r, const json_t *obj, const struct item *it, const char *ns,
                    const char *action)
{
    const char *kind = record_sget(obj, "kind", NULL);
    table_add(r->dry, kind ? kind : it->dir);
    table_add(r->dry, ns ? ns : "<none>");
    table_add(r->dry, record_sget(obj, "metadata", "name") ?: it->name);
    table_add(r->dry, action);
    table_end_row(r->dry);
}

/* -o yaml|json in a dry run: the objects as they would be sent. */
static void dry_print(struct run *r, const json_t *obj)
{
    struct buf b = BUF_INIT;
    if (!strcmp(r->o->output, "json")) {
        json_emit_go(obj, 4, &b);
        buf_addc(&b, '\n');
    } else {
        if (r->dry_printed)
            buf_adds(&b, "---\n");
        yaml_emit(obj, &b);
    }
    r->dry_printed = 1;
    fwrite(b.p ? b.p : "", 1, b.len, r->out);
    buf_fini(&b);
}

/* The dry-run table shows every object, and why one is left out. */
static void dry_skip(struct run *r, const struct item *it)
{
    char action[300];
    snprintf(action, sizeof action, "skip (%s)", it->skip);
    json_t *obj = load(r, it);
    const char *ns = it->ns ? restore_mapping_get(&r->o->maps.ns, it->ns) ?: it->ns : NULL;
    pthread_mutex_lock(&r->mu);
    dry_row(r, obj, it, ns, action);
    pthread_mutex_unlock(&r->mu);
    json_decref(obj);
}

static void progress(struct run *r)
{
    if (!r->tty || r->o->dry_run)
        return;
    fprintf(stderr, "\rRestoring items: %zu of %zu", r->finished, r->total);
    if (r->finished == r->total)
        fputc('\n', stderr);
    fflush(stderr);
}

/* Records the end of one object; takes mu. */
static void finish(struct run *r, struct item *it, const json_t *obj, const char *ns,
                   enum outcome out, const char *action, int error, const char *msg)
{
    pthread_mutex_lock(&r->mu);
    it->done = out;
    if (out == OUT_CREATED || out == OUT_UPDATED)
        r->restored++;
    if (msg)
        result(r, error, ns, 0, msg);
    if (r->o->dry_run) {
        if (r->dry)
            dry_row(r, obj, it, ns, action);
        else if (obj && (out == OUT_CREATED || out == OUT_UPDATED))
            dry_print(r, obj);
    } else if (!msg) {
        logline(r, "info", "%s %s %s%s%s", action, it->dir, ns ? ns : "", ns ? "/" : "",
                record_sget(obj, "metadata", "name") ?: it->name);
    }
    r->finished++;
    progress(r);
    pthread_mutex_unlock(&r->mu);
}

/* Creates one object; when it exists, compares it with the live one and
 * leaves it, warns, or replaces it as the policy says. Never deletes. In a
 * dry run only reads. */
static void restore_one(struct run *r, struct item *it)
{
    char msg[ERR_MSG_MAX + 300];
    json_t *obj = prepare(r, it), *existing = NULL;
    struct err e = {{0}};
    if (!obj) {
        snprintf(msg, sizeof msg, "%s %s: cannot read the object from the backup", it->dir,
                 it->name);
        finish(r, it, NULL, it->ns, OUT_FAILED, "failed", 1, msg);
        return;
    }
    const char *ns = record_sget(obj, "metadata", "namespace");
    const char *name = record_sget(obj, "metadata", "name") ?: it->name;
    const struct kube_discovery *d = kube_discover(r->k, &e);
    const struct kube_resource *res =
        resource_for(d, it->dir, record_sget(obj, "apiVersion", NULL));
    if (!res) {
        if (r->o->dry_run && set_has(r->crd_dirs, it->dir)) {
            finish(r, it, obj, ns, OUT_CREATED, "create", 0, NULL);
        } else {
            snprintf(msg, sizeof msg, "%s %s: the server does not serve %s in version %s", it->dir,
                     name, it->dir, record_sget(obj, "apiVersion", NULL) ?: "(none)");
            finish(r, it, obj, ns, OUT_FAILED, "failed", 1, msg);
        }
        json_decref(obj);
        return;
    }
    int rc = 0;
    if (!r->o->dry_run) {
        rc = kube_create(r->k, res, ns, obj, NULL, &e);
        if (!rc) {
            finish(r, it, obj, ns, OUT_CREATED, "created", 0, NULL);
            goto out;
        }
        if (!strstr(e.msg, "(AlreadyExists)"))
            goto failed;
    }
    rc = kube_get(r->k, res, ns, name, NULL, &existing, &e);
    if (rc && strstr(e.msg, "(NotFound)")) {
        finish(r, it, obj, ns, OUT_CREATED, "create", 0, NULL);
        goto out;
    }
    if (rc)
        goto failed;
    if (identical(r, it->dir, obj, existing)) {
        finish(r, it, obj, ns, OUT_SKIPPED, "skip (exists, identical)", 0, NULL);
    } else if (r->o->policy == RESTORE_POLICY_NONE) {
        snprintf(msg, sizeof msg,
                 "could not restore, %s \"%s\" already exists. Warning: the in-cluster version "
                 "is different than the backed-up version",
                 record_sget(obj, "kind", NULL) ?: it->dir, name);
        finish(r, it, obj, ns, OUT_SKIPPED, "skip (exists)", 0, r->o->dry_run ? NULL : msg);
    } else {
        keep_allocated(obj, it->dir, existing);
        if (r->o->dry_run) {
            finish(r, it, obj, ns, OUT_UPDATED, "update", 0, NULL);
        } else if (!kube_update(r->k, res, ns, name, obj, NULL, &e)) {
            finish(r, it, obj, ns, OUT_UPDATED, "updated", 0, NULL);
        } else {
            goto failed;
        }
    }
    goto out;
failed:
    snprintf(msg, sizeof msg, "error restoring %s %s%s%s: %s", it->dir, ns ? ns : "", ns ? "/" : "",
             name, e.msg);
    finish(r, it, obj, ns, OUT_FAILED, "failed", 1, msg);
out:
    json_decref(existing);
    json_decref(obj);
}

/* ---- groups ---- */

struct group {
    struct run *r;
    size_t next, end;
    pthread_mutex_t mu;
};

static void *worker(void *arg)
{
    struct group *g = arg;
    for (;;) {
        pthread_mutex_lock(&g->mu);
        size_t i = g->next < g->end ? g->next++ : g->end;
        pthread_mutex_unlock(&g->mu);
        if (i == g->end)
            return NULL;
        struct item *it = &g->r->v[i];
        if (!it->skip)
            restore_one(g->r, it);
        else if (g->r->dry)
            dry_skip(g->r, it);
    }
}

static void run_group(struct run *r, size_t from, size_t to)
{
    struct group g = {r, from, to, PTHREAD_MUTEX_INITIALIZER};
    size_t want =
        r->o->dry_run ? 1 : (size_t)(r->o->workers > 0 ? r->o->workers : RESTORE_DEFAULT_WORKERS);
    if (want > to - from)
        want = to - from;
    pthread_t th[RESTORE_MAX_WORKERS];
    size_t started = 0;
    for (; started < want && started < RESTORE_MAX_WORKERS; started++)
        if (pthread_create(&th[started], NULL, worker, &g))
            break;
    if (!started)
        worker(&g);
    for (size_t i = 0; i < started; i++)
        pthread_join(th[i], NULL);
    pthread_mutex_destroy(&g.mu);
}

/* Namespaces the group's objects go to that neither the backup brought
 * nor the cluster has are created bare, as Velero does. */
static void ensure_namespaces(struct run *r, size_t from, size_t to)
{
    const struct kube_resource *nsr = NULL;
    struct err e;
    const struct kube_discovery *d = kube_discover(r->k, &e);
    nsr = resource_for(d, "namespaces", "v1");
    for (size_t i = from; i < to && nsr; i++) {
        const struct item *it = &r->v[i];
        if (it->skip || !it->ns)
            continue;
        const char *ns = restore_mapping_get(&r->o->maps.ns, it->ns) ?: it->ns;
        if (set_has(r->ns_ready, ns))
            continue;
        set_add(r->ns_ready, ns);
        json_t *got = NULL;
        if (!kube_get(r->k, nsr, NULL, ns, NULL, &got, &e)) {
            json_decref(got);
            continue;
        }
        json_t *obj = json_pack("{s:s, s:s, s:{s:s, s:{s:s, s:s}}}", "apiVersion", "v1", "kind",
                                "Namespace", "metadata", "name", ns, "labels", RESTORE_LABEL_BACKUP,
                                r->o->backup, RESTORE_LABEL_RESTORE, r->name);
        if (!kube_create(r->k, nsr, NULL, obj, NULL, &e)) {
            pthread_mutex_lock(&r->mu);
            logline(r, "info", "created namespace %s", ns);
            pthread_mutex_unlock(&r->mu);
        }
        json_decref(obj);
    }
}

static int established(const json_t *crd)
{
    size_t i;
    const json_t *c;
    json_array_foreach(json_object_get(json_object_get(crd, "status"), "conditions"), i, c)
    {
        if (!strcmp(record_sget(c, "type", NULL) ?: "", "Established") &&
            !strcmp(record_sget(c, "status", NULL) ?: "", "True"))
            return 1;
    }
    return 0;
}

/* Waits until the CRDs restored in [from, to) are Established, then
 * discovers again so their custom resources resolve. */
static void await_crds(struct run *r, size_t from, size_t to)
{
    struct err e;
    const struct kube_resource *res = resource_for(kube_discover(r->k, &e), CRD_DIR, "v1");
    struct timespec t0, now;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    int any = 0;
    for (size_t i = from; i < to && res; i++) {
        struct item *it = &r->v[i];
        /* The group may hold other resources too (--resource-priorities). */
        if (strcmp(it->dir, CRD_DIR) || (it->done != OUT_CREATED && it->done != OUT_UPDATED))
            continue;
        any = 1;
        for (;;) {
            json_t *crd = NULL;
            int ok = !kube_get(r->k, res, NULL, it->name, NULL, &crd, &e) && established(crd);
            json_decref(crd);
            clock_gettime(CLOCK_MONOTONIC, &now);
            long ms = (now.tv_sec - t0.tv_sec) * 1000 + (now.tv_nsec - t0.tv_nsec) / 1000000;
            if (ok)
                break;
            if (ms > RESTORE_CRD_WAIT_MS) {
                pthread_mutex_lock(&r->mu);
                char msg[600];
                snprintf(msg, sizeof msg,
                         "CustomResourceDefinition %s is not Established after %d s: its "
                         "objects may fail",
                         it->name, RESTORE_CRD_WAIT_MS / 1000);
                result(r, 0, NULL, 0, msg);
                pthread_mutex_unlock(&r->mu);
                break;
            }
            usleep(100 * 1000);
        }
    }
    /* Discovered again here, before the next group's threads start, so
     * that they all share one result. */
    if (any) {
        kube_discovery_forget(r->k);
        kube_discover(r->k, &e);
    }
}

static void run_all(struct run *r)
{
    int crd_rank = restore_prio_rank(&r->o->prio, CRD_DIR);
    for (size_t i = 0; i < r->n;) {
        size_t j = i;
        while (j < r->n && r->v[j].rank == r->v[i].rank)
            j++;
        if (!r->o->dry_run)
            ensure_namespaces(r, i, j);
        run_group(r, i, j);
        if (r->v[i].rank == crd_rank && !r->o->dry_run)
            await_crds(r, i, j);
        i = j;
    }
}

/* ---- the record ---- */

static json_t *mapping_json(const struct restore_mapping *m)
{
    json_t *o = json_object();
    for (size_t i = 0; i < m->n; i++)
        json_object_set_new(o, m->v[i].from, json_string(m->v[i].to));
    return o;
}

static json_t *restore_object(const struct run *r, const char *phase, time_t start, time_t end,
                              const char *failure)
{
    const struct restore_opts *o = r->o;
    char t0[32], t1[32];
    text_rfc3339(start, t0, sizeof t0);
    text_rfc3339(end, t1, sizeof t1);
    json_t *spec = json_pack("{s:s}", "backupName", o->backup);
    record_scope_lists(spec, &o->scope, 0);
    if (o->maps.ns.n)
        json_object_set_new(spec, "namespaceMapping", mapping_json(&o->maps.ns));
    /* Not Velero's: ferry's volume mappings, kept so describe can show them. */
    if (o->maps.zone.n)
        json_object_set_new(spec, "zoneMapping", mapping_json(&o->maps.zone));
    if (o->maps.region.n)
        json_object_set_new(spec, "regionMapping", mapping_json(&o->maps.region));
    if (o->maps.storage_class.n)
        json_object_set_new(spec, "storageClassMapping", mapping_json(&o->maps.storage_class));
    if (r->selector)
        json_object_set(spec, "labelSelector", r->selector);
    json_object_set_new(spec, "restorePVs", json_boolean(o->restore_volumes));
    json_object_set_new(spec, "preserveNodePorts", json_boolean(o->preserve_nodeports));
    if (o->scope.include_cluster >= 0)
        json_object_set_new(spec, "includeClusterResources",
                            json_boolean(o->scope.include_cluster));
    json_object_set_new(spec, "existingResourcePolicy",
                        json_string(o->policy == RESTORE_POLICY_UPDATE ? "update" : "none"));
    json_t *status = json_pack("{s:s, s:s, s:s, s:{s:I, s:I}}", "phase", phase, "startTimestamp",
                               t0, "completionTimestamp", t1, "progress", "totalItems",
                               (json_int_t)r->total, "itemsRestored", (json_int_t)r->restored);
    if (r->nwarnings)
        json_object_set_new(status, "warnings", json_integer(r->nwarnings));
    if (r->nerrors)
        json_object_set_new(status, "errors", json_integer(r->nerrors));
    if (failure)
        json_object_set_new(status, "failureReason", json_string(failure));
    return json_pack("{s:s, s:s, s:{s:s, s:s, s:s, s:{s:s}}, s:o, s:o}", "apiVersion",
                     "velero.io/v1", "kind", "Restore", "metadata", "name", r->name, "namespace",
                     RECORD_NAMESPACE, "creationTimestamp", t0, "labels", "velero.io/backup-name",
                     o->backup, "spec", spec, "status", status);
}

/* The three objects of restores/<name>/; the Restore object last, so a
 * listed restore always has its logs and results. */
static int write_record(struct run *r, const char *phase, time_t start, const char *failure,
                        struct err *e)
{
    char key[1024], file[600];
    snprintf(file, sizeof file, "restore-%s-logs.gz", r->name);
    restore_key(key, sizeof key, r->name, file);
    if (tarball_put_gz(r->s, key, r->log.p ? r->log.p : "", r->log.len, e) < 0)
        return -1;
    json_t *res = json_pack("{s:O, s:O}", "errors", r->errors, "warnings", r->warnings);
    char *text = json_dumps(res, JSON_COMPACT);
    json_decref(res);
    snprintf(file, sizeof file, "restore-%s-results.gz", r->name);
    restore_key(key, sizeof key, r->name, file);
    int rc = text ? tarball_put_gz(r->s, key, text, strlen(text), e) : err_set(e, "out of memory");
    free(text);
    if (rc < 0)
        return -1;
    json_t *obj = restore_object(r, phase, start, time(NULL), failure);
    text = json_dumps(obj, JSON_INDENT(2));
    json_decref(obj);
    restore_key(key, sizeof key, r->name, RESTORE_RECORD);
    rc = text ? storage_put(r->s, key, text, strlen(text), "application/json", e)
              : err_set(e, "out of memory");
    free(text);
    return rc;
}

/* ---- the command ---- */

static int resolve_names(struct run *r, const char *const *args, size_t n, char ***out,
                         size_t *nout)
{
    struct err e;
    const struct kube_discovery *d = kube_discover(r->k, &e);
    if (!d)
        return -1;
    *out = calloc(n ? n : 1, sizeof **out);
    if (!*out)
        return -1;
    for (size_t i = 0; i < n; i++) {
        const struct kube_resource *res =
            strcmp(args[i], "*") ? kube_resolve(d, args[i], &e) : NULL;
        char qual[300];
        snprintf(qual, sizeof qual, "%s", args[i]);
        if (res)
            kube_resource_qualified(res, qual, sizeof qual);
        /* A type the new cluster does not serve yet (its CRD is in the
         * backup) is matched by the name as typed. */
        if (!((*out)[i] = strdup(qual)))
            return -1;
        (*nout)++;
    }
    return 0;
}

static void run_fini(struct run *r)
{
    for (size_t i = 0; i < r->n; i++) {
        free(r->v[i].dir);
        free(r->v[i].ns);
        free(r->v[i].name);
        free(r->v[i].owner_uid);
        free(r->v[i].claim);
    }
    free(r->v);
    for (size_t i = 0; i < r->ninc_res; i++)
        free(r->inc_res[i]);
    for (size_t i = 0; i < r->nexc_res; i++)
        free(r->exc_res[i]);
    free(r->inc_res);
    free(r->exc_res);
    json_decref(r->selector);
    json_decref(r->uids);
    json_decref(r->services);
    json_decref(r->crd_dirs);
    json_decref(r->ns_dirs);
    json_decref(r->pvs);
    json_decref(r->ns_ready);
    json_decref(r->errors);
    json_decref(r->warnings);
    buf_fini(&r->log);
    table_free(r->dry);
    if (r->spool >= 0)
        close(r->spool);
    pthread_mutex_destroy(&r->mu);
}

/* Reads the backup's record: it must exist and have finished. */
static int check_backup(struct run *r, struct err *e)
{
    char key[1024];
    json_t *bk;
    backup_file_key(key, sizeof key, r->o->backup, BACKUP_RECORD);
    int rc = record_load(r->s, key, &bk, e);
    time_t seen;
    /* Files without a record: `backup get` lists such a backup as Failed. */
    if (rc == STORAGE_ENOTFOUND && record_any_object(r->s, r->o->backup, &seen, e) > 0)
        return err_set(e,
                       "backup \"%s\" is incomplete: no " BACKUP_RECORD " (it was interrupted, "
                       "or is being written right now); only a Completed or PartiallyFailed "
                       "backup can be restored",
                       r->o->backup);
    if (rc == STORAGE_ENOTFOUND)
        return err_set(e, "backup \"%s\" not found in location \"%s\"", r->o->backup, r->loc.name);
    if (rc)
        return -1;
    const char *phase = record_sget(bk, "status", "phase");
    if (!phase || (strcmp(phase, "Completed") && strcmp(phase, "PartiallyFailed")))
        rc = err_set(e,
                     "backup \"%s\" is %s: only a Completed or PartiallyFailed backup can be "
                     "restored",
                     r->o->backup, phase ? phase : "without a phase");
    json_decref(bk);
    return rc;
}

static int exists(struct storage *s, const char *name)
{
    char key[1024];
    struct storage_entry ent;
    struct err e;
    restore_key(key, sizeof key, name, RESTORE_RECORD);
    return storage_stat(s, key, &ent, &e) == 0;
}

static void print_outcome(struct run *r, const char *phase)
{
    FILE *out = r->out;
    fprintf(out,
            "Restore completed with status: %s. You may check for more information using "
            "the commands `ferry restore describe %s` and `ferry restore logs %s`.\n",
            phase, r->name, r->name);
    if (!r->o->wait)
        return;
    static const char *const titles[] = {"Errors", "Warnings"};
    json_t *res[] = {r->errors, r->warnings};
    for (size_t k = 0; k < 2; k++) {
        if (!json_object_size(res[k]))
            continue;
        fprintf(out, "%s:\n", titles[k]);
        const char *key;
        json_t *v;
        json_object_foreach(res[k], key, v)
        {
            if (strcmp(key, "namespaces")) {
                size_t i;
                json_t *m;
                json_array_foreach(v, i, m)
                {
                    fprintf(out, "  %s: %s\n", key, json_string_value(m));
                }
                continue;
            }
            const char *ns;
            json_t *list;
            json_object_foreach(v, ns, list)
            {
                size_t i;
                json_t *m;
                json_array_foreach(list, i, m)
                {
                    fprintf(out, "  %s: %s\n", ns, json_string_value(m));
                }
            }
        }
    }
}

static int create(struct run *r, const char *location, struct err *e)
{
    const struct restore_opts *o = r->o;
    if (!o->name) {
        char stamp[32];
        time_t now = time(NULL);
        struct tm tm;
        localtime_r(&now, &tm);
        strftime(stamp, sizeof stamp, "%Y%m%d%H%M%S", &tm);
        snprintf(r->name, sizeof r->name, "%s-%s", o->backup, stamp);
    } else {
        snprintf(r->name, sizeof r->name, "%s", o->name);
    }
    if (backup_name_valid("backup", o->backup, e) < 0 ||
        backup_name_valid("restore", r->name, e) < 0)
        return -1;
    if (o->scope.selector && *o->scope.selector &&
        !(r->selector = record_selector_parse(o->scope.selector, e)))
        return -1;
    if (!(r->s = backup_store_open(location, &r->loc, e)))
        return -1;
    if (!o->dry_run && exists(r->s, r->name))
        return err_set(e, "restore \"%s\" already exists in location \"%s\"", r->name, r->loc.name);
    if (check_backup(r, e) < 0)
        return -1;
    if (!kube_discover(r->k, e))
        return -1;
    if (resolve_names(r, o->scope.include_res, o->scope.n_include_res, &r->inc_res, &r->ninc_res) ||
        resolve_names(r, o->scope.exclude_res, o->scope.n_exclude_res, &r->exc_res, &r->nexc_res))
        return err_set(e, "out of memory");
    if ((r->spool = restore_tmpfile(e)) < 0)
        return -1;
    return restore_read_backup(r->s, o->backup, on_entry, r, e);
}

int restore_create(struct kube_client *k, const char *location, const struct restore_opts *o,
                   int tty, FILE *out)
{
    struct run r = {.o = o, .k = k, .spool = -1, .tty = tty && o->wait, .out = out};
    pthread_mutex_init(&r.mu, NULL);
    filter_scope(&r.nsf, &o->scope);
    r.uids = json_object();
    r.services = json_object();
    r.crd_dirs = json_object();
    r.ns_dirs = json_object();
    r.pvs = json_object();
    r.ns_ready = json_object();
    r.errors = json_object();
    r.warnings = json_object();
    buf_init(&r.log, 0);
    time_t start = time(NULL);
    struct err e = {{0}};
    int status = 1;
    if (create(&r, location, &e) < 0) {
        fprintf(stderr, "error: %s\n", e.msg);
        /* A restore that got as far as its storage leaves a Failed record,
         * as Velero keeps failed restores. */
        struct err we;
        if (r.s && r.name[0] && !o->dry_run && !exists(r.s, r.name)) {
            pthread_mutex_lock(&r.mu);
            result(&r, 1, NULL, 1, e.msg);
            pthread_mutex_unlock(&r.mu);
            write_record(&r, "Failed", start, e.msg, &we);
        }
        goto out;
    }
    decide(&r);
    qsort(r.v, r.n, sizeof *r.v, by_order);
    for (size_t i = 0; i < r.n; i++)
        r.total += !r.v[i].skip;
    if (o->dry_run && !*o->output) {
        r.dry = table_new();
        table_add(r.dry, "KIND");
        table_add(r.dry, "NAMESPACE");
        table_add(r.dry, "NAME");
        table_add(r.dry, "ACTION");
        table_end_row(r.dry);
    }
    pthread_mutex_lock(&r.mu);
    logline(&r, "info", "restoring backup %s: %zu objects", o->backup, r.total);
    for (size_t i = 0; i < r.n; i++) {
        const struct item *it = &r.v[i];
        if (it->skip && !o->dry_run)
            logline(&r, "info", "skipping %s %s%s%s: %s", it->dir, it->ns ? it->ns : "",
                    it->ns ? "/" : "", it->name, it->skip);
        if (it->skip == SKIP_DELETE_PV) {
            char msg[600];
            snprintf(msg, sizeof msg,
                     "persistent volume %s not restored: its reclaim policy is Delete and no "
                     "volume data is restored, so the new cluster provisions a fresh volume "
                     "for its claim (--restore-volumes restores it)",
                     it->name);
            result(&r, 0, NULL, 0, msg);
        }
    }
    pthread_mutex_unlock(&r.mu);
    run_all(&r);
    if (o->dry_run) {
        if (r.dry) {
            struct buf b = BUF_INIT;
            table_render(r.dry, &b);
            fwrite(b.p ? b.p : "", 1, b.len, out);
            buf_fini(&b);
        }
        status = r.nerrors ? 1 : 0;
        goto out;
    }
    const char *phase = r.nerrors ? (r.restored ? "PartiallyFailed" : "Failed") : "Completed";
    if (!r.total)
        phase = "Completed";
    pthread_mutex_lock(&r.mu);
    logline(&r, "info", "restore ended: %s, %zu of %zu objects restored", phase, r.restored,
            r.total);
    pthread_mutex_unlock(&r.mu);
    fprintf(out, "Restore request \"%s\" submitted successfully.\n", r.name);
    if (write_record(&r, phase, start, NULL, &e) < 0) {
        fprintf(stderr, "error: cannot write the restore's record: %s\n", e.msg);
        goto out;
    }
    print_outcome(&r, phase);
    status = strcmp(phase, "Completed") ? 1 : 0;
out:
    if (r.s)
        backup_store_close(r.s, &r.loc);
    run_fini(&r);
    return status;
}
