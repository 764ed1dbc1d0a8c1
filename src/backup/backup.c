/* ferry backup create: discovery, one paged list per resource, each object
 * streamed into the tarball as it arrives, then the logs, the resource list
 * and, last, the Backup record. */
#include "backup/backup.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>

#include "backup/filter.h"
#include "backup/record.h"
#include "backup/tarball.h"
#include "core/buf.h"
#include "core/json.h"
#include "core/strv.h"
#include "core/text.h"
#include "kube/api.h"
#include "kube/client.h"
#include "kube/discovery.h"
#include "storage/location.h"
#include "storage/storage.h"

#define KEY_MAX 1024
#define LOG_MAX ((size_t)16 << 20) /* the logs are per resource type, not per object */
#define PROGRESS_EVERY_MS 100

void backup_key(char *dst, size_t n, const char *name, const char *suffix)
{
    snprintf(dst, n, BACKUP_PREFIX "%s/%s%s", name, name, suffix);
}

void backup_file_key(char *dst, size_t n, const char *name, const char *file)
{
    snprintf(dst, n, BACKUP_PREFIX "%s/%s", name, file);
}

int backup_name_valid(const char *kind, const char *name, struct err *e)
{
    size_t n = strlen(name);
    int ok =
        n > 0 && n <= 253 && isalnum((unsigned char)name[0]) && isalnum((unsigned char)name[n - 1]);
    for (size_t i = 0; ok && i < n; i++)
        ok = islower((unsigned char)name[i]) || isdigit((unsigned char)name[i]) || name[i] == '-' ||
             name[i] == '.';
    if (!ok)
        return err_set(e,
                       "invalid %s name \"%s\": a lowercase RFC 1123 subdomain must consist "
                       "of lower case alphanumeric characters, '-' or '.', and must start and "
                       "end with an alphanumeric character",
                       kind, name);
    return 0;
}

struct storage *backup_store_open(const char *location, struct location *loc, struct err *e)
{
    struct location_set ls = {0};
    int rc = location_set_load(&ls, NULL, e);
    if (rc == 0)
        rc = location_resolve(&ls, location, loc, e);
    location_set_fini(&ls);
    if (rc < 0)
        return NULL;
    struct storage *s = storage_open(loc, e);
    if (s && storage_check(s, e) < 0) {
        storage_free(s);
        s = NULL;
    }
    if (!s)
        location_fini(loc);
    return s;
}

struct storage *backup_store_open_named(const char *kind, const char *name, const char *location,
                                        struct location *loc)
{
    struct err e;
    struct storage *s = NULL;
    if (backup_name_valid(kind, name, &e) < 0 || !(s = backup_store_open(location, loc, &e)))
        fprintf(stderr, "error: %s\n", e.msg);
    return s;
}

void backup_store_close(struct storage *s, struct location *loc)
{
    storage_free(s);
    location_fini(loc);
}

void backup_log_value(struct buf *b, const char *v)
{
    int plain = *v != '\0';
    for (const char *p = v; *p && plain; p++)
        plain = isalnum((unsigned char)*p) || strchr("-._/@^+", *p);
    if (plain) {
        buf_adds(b, v);
        return;
    }
    buf_addc(b, '"');
    for (const char *p = v; *p; p++) {
        if (*p == '"' || *p == '\\')
            buf_addc(b, '\\');
        if (*p == '\n')
            buf_adds(b, "\\n");
        else
            buf_addc(b, *p);
    }
    buf_addc(b, '"');
}

/* The names backed up for one resource type, for the resource list. */
struct restype {
    char key[600];    /* "apps/v1/Deployment" */
    struct buf names; /* "ns/name\n" or "name\n" */
};

struct run {
    const struct backup_opts *o;
    const struct location *loc;
    struct kube_client *k;
    struct storage *s;
    struct filter f;
    struct tarball *tar;
    struct buf log, item, path;
    struct restype *types;
    size_t ntypes;
    json_t *pvs, *crds; /* sets (object keys): PVs of included PVCs, CRDs of included resources */
    long long total, done, errors, warnings;
    /* the resource being listed */
    const struct kube_resource *r;
    char qual[300];
    struct restype *cur;
    int related_only;
    long long page_start;
    size_t pages_seen;
    long long last_progress_ms;
    /* why the backup cannot go on: storage failure or the user's signal */
    int failed;
    char reason[ERR_MSG_MAX];
};

static long long now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* ---- logs: logfmt lines as logrus writes them for Velero ---- */

/* One line. <resource>, <ns>, <name>, <error> may be NULL. Object content
 * never goes here: only names and the API's messages. */
static void logline(struct run *b, const char *level, const char *msg, const char *resource,
                    const char *ns, const char *name, const char *error)
{
    char when[32];
    text_rfc3339(time(NULL), when, sizeof when);
    struct buf *l = &b->log;
    if (l->len > LOG_MAX)
        return;
    buf_addf(l, "time=\"%s\" level=%s msg=", when, level);
    backup_log_value(l, msg);
    buf_addf(l, " backup=%s/%s", RECORD_NAMESPACE, b->o->name);
    /* logrus sorts the fields by name */
    const char *const keys[] = {"error", "name", "namespace", "resource"};
    const char *const vals[] = {error, name, ns, resource};
    for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++) {
        if (!vals[i])
            continue;
        buf_addf(l, " %s=", keys[i]);
        backup_log_value(l, vals[i]);
    }
    buf_addc(l, '\n');
}

/* ---- progress ---- */

static void progress(struct run *b, const struct kube_list_info *info, int force)
{
    if (!b->o->progress)
        return;
    long long t = now_ms();
    if (!force && t - b->last_progress_ms < PROGRESS_EVERY_MS)
        return;
    b->last_progress_ms = t;
    long long found = (long long)info->items;
    /* remainingItemCount counts the pages after this one */
    if (info->remaining > 0) {
        long long est = b->page_start + KUBE_DEFAULT_PAGE + info->remaining;
        if (est > found)
            found = est;
    }
    fprintf(stderr, "\r\033[K%s: %zu of %lld items; %lld backed up in all", b->qual, info->items,
            found, b->done);
    fflush(stderr);
}

/* ---- items ---- */

/* Marks the backup as unable to go on, keeping the first reason. */
static void fail_with(struct run *b, const char *msg)
{
    if (!b->failed)
        snprintf(b->reason, sizeof b->reason, "%s", msg);
    b->failed = 1;
}

static int is_core(const struct kube_resource *r, const char *name)
{
    return !*r->group && !strcmp(r->name, name);
}

/* Whether the user asked to stop; the backup then fails with the signal's
 * name as its reason. */
static int cancelled(struct run *b)
{
    if (b->o->cancel && *b->o->cancel) {
        char why[64];
        snprintf(why, sizeof why, "interrupted by SIG%s", sigabbrev_np((int)*b->o->cancel));
        fail_with(b, why);
    }
    return b->failed;
}

static void set_add(json_t *set, const char *key)
{
    if (key && *key)
        json_object_set_new(set, key, json_true());
}

/* Velero's rule for cluster-scoped objects when only what the chosen
 * namespaces use is taken. */
static int related(struct run *b, const char *name)
{
    if (is_core(b->r, "namespaces"))
        return filter_namespace(&b->f, name);
    if (is_core(b->r, "persistentvolumes"))
        return json_object_get(b->pvs, name) != NULL;
    return json_object_get(b->crds, name) != NULL;
}

static int on_item(void *arg, json_t *item, const struct kube_list_info *info)
{
    struct run *b = arg;
    if (cancelled(b))
        return -1;
    if (info->pages != b->pages_seen) {
        b->pages_seen = info->pages;
        b->page_start = (long long)info->items - 1;
    }
    json_t *meta = json_object_get(item, "metadata");
    const char *name = json_string_value(json_object_get(meta, "name"));
    const char *ns = json_string_value(json_object_get(meta, "namespace"));
    if (!name)
        return 0;
    if (b->r->namespaced) {
        if (!ns || !filter_namespace(&b->f, ns))
            return 0;
    } else if (b->related_only || is_core(b->r, "namespaces")) {
        /* Namespace objects always follow the namespace rules */
        if (!related(b, name))
            return 0;
    }
    b->total++;
    buf_reset(&b->path);
    buf_reset(&b->item);
    if (b->r->namespaced)
        buf_addf(&b->path, "resources/%s/namespaces/%s/%s.json", b->qual, ns, name);
    else
        buf_addf(&b->path, "resources/%s/cluster/%s.json", b->qual, name);
    /* what Velero writes: the object as json.Marshal prints an
     * unstructured map, keys sorted */
    struct err e;
    if (json_sort_keys(item) < 0 || json_emit_go(item, 0, &b->item) < 0) {
        fail_with(b, "out of memory");
        return -1;
    }
    if (tarball_add(b->tar, buf_str(&b->path), b->item.p, b->item.len, &e) < 0) {
        fail_with(b, e.msg);
        return -1;
    }
    if ((b->r->namespaced ? buf_addf(&b->cur->names, "%s/%s\n", ns, name)
                          : buf_addf(&b->cur->names, "%s\n", name)) < 0) {
        fail_with(b, "out of memory");
        return -1;
    }
    if (is_core(b->r, "persistentvolumeclaims"))
        set_add(b->pvs,
                json_string_value(json_object_get(json_object_get(item, "spec"), "volumeName")));
    b->done++;
    progress(b, info, 0);
    return 0;
}

/* ---- resources ---- */

static struct restype *restype_for(struct run *b, const struct kube_resource *r)
{
    char gv[300], key[sizeof((struct restype *)0)->key];
    kube_resource_gv(r, gv, sizeof gv);
    snprintf(key, sizeof key, "%s/%s", gv, r->kind);
    for (size_t i = 0; i < b->ntypes; i++)
        if (!strcmp(b->types[i].key, key))
            return &b->types[i];
    struct restype *t = realloc(b->types, (b->ntypes + 1) * sizeof *t);
    if (!t)
        return NULL;
    b->types = t;
    t = &b->types[b->ntypes++];
    memset(t, 0, sizeof *t);
    snprintf(t->key, sizeof t->key, "%s", key);
    return t;
}

static void list_resource(struct run *b, const struct kube_resource *r, int related_only)
{
    b->r = r;
    b->related_only = related_only;
    b->page_start = 0;
    b->pages_seen = 0;
    kube_resource_qualified(r, b->qual, sizeof b->qual);
    b->cur = restype_for(b, r);
    if (!b->cur) {
        fail_with(b, "out of memory");
        return;
    }
    logline(b, "info", "Listing items", b->qual, NULL, NULL, NULL);
    long long before = b->done;
    struct kube_list_opts lo = {.label_selector = b->o->scope.selector};
    /* Named namespaces are listed one by one: one namespace of a big
     * cluster should not cost a list of the whole cluster. */
    int per_ns = r->namespaced && b->f.named_ns;
    size_t nns = per_ns ? b->f.n_inc_ns : 1;
    for (size_t i = 0; i < nns && !b->failed; i++) {
        const char *ns = per_ns ? b->f.inc_ns[i] : NULL;
        if (ns && !filter_namespace(&b->f, ns))
            continue;
        struct kube_list_info info;
        struct err e;
        int rc = kube_list(b->k, r, ns, &lo, on_item, b, &info, &e);
        if (rc < 0 && !b->failed) {
            /* a resource that cannot be listed is recorded, the rest goes on */
            b->errors++;
            logline(b, "error", "Error listing items", b->qual, ns, NULL, e.msg);
        }
        progress(b, &info, 1);
        kube_list_info_fini(&info);
    }
    if (!b->failed) {
        char msg[128];
        snprintf(msg, sizeof msg, "Backed up %lld items", b->done - before);
        logline(b, "info", msg, b->qual, NULL, NULL, NULL);
    }
    if (b->done > before)
        set_add(b->crds, b->qual);
}

static int first_of_its_kind(const struct kube_discovery *d, size_t i)
{
    for (size_t j = 0; j < i; j++)
        if (!strcmp(d->res[j].group, d->res[i].group) && !strcmp(d->res[j].name, d->res[i].name))
            return 0;
    return 1;
}

/* Namespaced resources first, then cluster-scoped ones, CRDs last: the
 * cluster rules need to know which PVCs and custom resources were taken. */
static void back_up_all(struct run *b, const struct kube_discovery *d)
{
    for (int pass = 0; pass < 3 && !b->failed; pass++) {
        for (size_t i = 0; i < d->n && !cancelled(b); i++) {
            const struct kube_resource *r = &d->res[i];
            int related_only;
            if ((pass == 0) != (r->namespaced != 0) || (pass == 2) != filter_is_crd(r))
                continue;
            if (!first_of_its_kind(d, i) || !filter_resource(&b->f, r, &related_only))
                continue;
            /* related-only cluster resources: only these three can be related */
            if (related_only && !filter_is_crd(r) && !is_core(r, "namespaces") &&
                !is_core(r, "persistentvolumes"))
                continue;
            list_resource(b, r, related_only);
        }
    }
}

/* ---- the resource list ---- */

static int by_key(const void *a, const void *b)
{
    return strcmp(((const struct restype *)a)->key, ((const struct restype *)b)->key);
}

static void json_str(struct buf *out, const char *s)
{
    json_t *v = json_string(s);
    json_emit_go(v, 0, out);
    json_decref(v);
}

/* {"apps/v1/Deployment":["ns/name",...],...}: keys and names sorted, as
 * Go marshals Velero's map[string][]string. Types with no object are left
 * out. */
static int resource_list(struct run *b, struct buf *out)
{
    qsort(b->types, b->ntypes, sizeof *b->types, by_key);
    buf_addc(out, '{');
    int first = 1;
    for (size_t i = 0; i < b->ntypes; i++) {
        struct restype *t = &b->types[i];
        if (!t->names.len)
            continue;
        size_t n = 0;
        for (size_t j = 0; j < t->names.len; j++)
            n += t->names.p[j] == '\n';
        char **v = malloc(n * sizeof *v);
        if (!v)
            return -1;
        size_t k = 0;
        for (char *p = t->names.p, *nl; (nl = strchr(p, '\n')); p = nl + 1) {
            *nl = '\0';
            v[k++] = p;
        }
        qsort(v, n, sizeof *v, strv_cmp);
        if (!first)
            buf_addc(out, ',');
        first = 0;
        json_str(out, t->key);
        buf_adds(out, ":[");
        for (k = 0; k < n; k++) {
            if (k)
                buf_addc(out, ',');
            json_str(out, v[k]);
        }
        buf_addc(out, ']');
        free(v);
    }
    return buf_addc(out, '}');
}

/* ---- the whole backup ---- */

/* Writes everything after the tarball: logs, resource list, record. The
 * record goes last so that nothing shows as done before all is there.
 * Returns 0, or -1 with <e> when the record could not be written. */
static int finish(struct run *b, time_t start, struct err *e)
{
    char key[KEY_MAX];
    struct err we;
    const char *phase = b->failed ? "Failed" : b->errors ? "PartiallyFailed" : "Completed";
    if (!b->failed) {
        struct buf list = BUF_INIT;
        backup_key(key, sizeof key, b->o->name, "-resource-list.json.gz");
        if (resource_list(b, &list) < 0 || tarball_put_gz(b->s, key, list.p, list.len, &we) < 0) {
            fail_with(b, we.msg);
            phase = "Failed";
        }
        buf_fini(&list);
    }
    char msg[ERR_MSG_MAX + 64];
    snprintf(msg, sizeof msg, "Backup finished with phase %s", phase);
    logline(b, b->failed ? "error" : "info", msg, NULL, NULL, NULL, b->failed ? b->reason : NULL);
    backup_key(key, sizeof key, b->o->name, "-logs.gz");
    if (tarball_put_gz(b->s, key, b->log.p, b->log.len, &we) < 0 && !b->failed) {
        fail_with(b, we.msg);
        phase = "Failed";
    }
    struct record_status st = {
        .phase = phase,
        .start = start,
        .completion = time(NULL),
        .total_items = b->total,
        .items_backed_up = b->failed ? 0 : b->done,
        .errors = b->errors,
        .warnings = b->warnings,
        .failure_reason = b->failed ? b->reason : NULL,
    };
    json_t *rec = record_new(b->o, b->loc->name, &st);
    struct buf out = BUF_INIT;
    backup_file_key(key, sizeof key, b->o->name, BACKUP_RECORD);
    int rc = -1;
    if (!rec || json_emit_go(rec, 4, &out) < 0 || buf_addc(&out, '\n') < 0)
        err_set(e, "out of memory");
    else
        rc = storage_put(b->s, key, out.p, out.len, "application/json", e);
    json_decref(rec);
    buf_fini(&out);
    return rc;
}

/* Everything after discovery: the tarball, then finish(). From here on a
 * failure is recorded as a Failed backup. */
static int run_backup(struct run *b, const struct kube_discovery *d, time_t start, struct err *e)
{
    char key[KEY_MAX];
    struct err te;
    backup_key(key, sizeof key, b->o->name, ".tar.gz");
    b->tar = tarball_begin(b->s, key, &te);
    if (!b->tar || tarball_add(b->tar, "metadata/version", TARBALL_FORMAT_VERSION "\n",
                               strlen(TARBALL_FORMAT_VERSION "\n"), &te) < 0)
        fail_with(b, te.msg);
    if (!b->failed)
        back_up_all(b, d);
    if (b->last_progress_ms)
        fputs("\r\033[K", stderr);
    if (b->tar) {
        if (b->failed)
            tarball_abort(b->tar);
        else if (tarball_commit(b->tar, &te) < 0)
            fail_with(b, te.msg);
        b->tar = NULL;
    }
    return finish(b, start, e);
}

/* Discovery and the resource names, before anything is written: a cluster
 * that cannot be reached leaves no trace in the location and does not
 * take the name. Unknown resource names become warnings in the logs. */
static const struct kube_discovery *prepare(struct run *b, struct err *e)
{
    const struct kube_discovery *d = kube_discover(b->k, e);
    struct buf warnings = BUF_INIT;
    if (!d || filter_init(&b->f, d, b->o, &warnings, e) < 0) {
        buf_fini(&warnings);
        return NULL;
    }
    for (char *p = warnings.p, *nl; p && (nl = strchr(p, '\n')); p = nl + 1) {
        *nl = '\0';
        b->warnings++;
        logline(b, "warning", "Skipping a resource the server does not serve", NULL, NULL, NULL, p);
    }
    buf_fini(&warnings);
    return d;
}

static void run_fini(struct run *b)
{
    filter_fini(&b->f);
    for (size_t i = 0; i < b->ntypes; i++)
        buf_fini(&b->types[i].names);
    free(b->types);
    buf_fini(&b->log);
    buf_fini(&b->item);
    buf_fini(&b->path);
    json_decref(b->pvs);
    json_decref(b->crds);
}

/* Prints the outcome of a backup that ran; returns the exit status. */
static int report(const struct run *b, int recorded, const struct err *e)
{
    const char *name = b->o->name;
    int status = 1;
    if (!recorded)
        fprintf(stderr, "error: backup \"%s\" could not be recorded: %s\n", name, e->msg);
    else if (b->failed)
        fprintf(stderr, "error: backup \"%s\" failed: %s\n", name, b->reason);
    else if (b->errors)
        fprintf(stderr,
                "error: backup \"%s\" partially failed: %lld error(s); see `ferry backup logs "
                "%s`\n",
                name, b->errors, name);
    else
        status = 0;
    if (recorded && b->o->wait)
        printf("Backup completed with status: %s. You may check for more information using the "
               "commands `ferry backup describe %s` and `ferry backup logs %s`.\n",
               b->failed   ? "Failed"
               : b->errors ? "PartiallyFailed"
                           : "Completed",
               name, name);
    else if (recorded)
        printf("Run `ferry backup describe %s` or `ferry backup logs %s` for more details.\n", name,
               name);
    return status;
}

int backup_cmd_create(struct kube_client *k, const char *location, const struct backup_opts *o)
{
    struct err e;
    if (backup_name_valid("backup", o->name, &e) < 0)
        return fprintf(stderr, "error: %s\n", e.msg), 1;
    if (o->scope.selector && *o->scope.selector) {
        json_t *sel = record_selector_parse(o->scope.selector, &e);
        if (!sel)
            return fprintf(stderr, "error: %s\n", e.msg), 1;
        json_decref(sel);
    }
    struct location loc;
    struct storage *s = backup_store_open(location, &loc, &e);
    if (!s)
        return fprintf(stderr, "error: %s\n", e.msg), 1;
    int status = 1;
    time_t seen;
    int found = record_any_object(s, o->name, &seen, &e);
    if (found < 0) {
        fprintf(stderr, "error: %s\n", e.msg);
        goto out;
    }
    if (found) {
        fprintf(stderr, "error: backup \"%s\" already exists in location \"%s\"\n", o->name,
                loc.name);
        goto out;
    }
    struct run b = {.o = o, .loc = &loc, .k = k, .s = s};
    b.pvs = json_object();
    b.crds = json_object();
    time_t start = time(NULL);
    const struct kube_discovery *d = prepare(&b, &e);
    if (!d) {
        fprintf(stderr, "error: %s\n", e.msg);
    } else if (cancelled(&b)) {
        /* stopped before anything was written: nothing to record */
        fprintf(stderr, "error: backup \"%s\" %s before it started; nothing was written\n", o->name,
                b.reason);
    } else {
        printf("Backup request \"%s\" submitted successfully.\n", o->name);
        if (o->wait)
            printf("Waiting for backup to complete. Press ctrl-c to stop it: the backup is then "
                   "recorded as Failed.\n");
        fflush(stdout);
        int rc = run_backup(&b, d, start, &e);
        status = report(&b, rc == 0, &e);
    }
    run_fini(&b);
out:
    backup_store_close(s, &loc);
    return status;
}
