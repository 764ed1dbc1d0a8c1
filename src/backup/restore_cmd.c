/* ferry restore get, describe, logs: the records a restore leaves in the
 * storage location (restores/<name>/), printed as Velero prints them. */
#include <stdio.h>
#include <string.h>

#include <jansson.h>

#include "backup/backup.h"
#include "backup/record.h"
#include "backup/restore_int.h"
#include "backup/tarball.h"
#include "core/table.h"
#include "storage/location.h"
#include "storage/storage.h"

#define RESTORES_PREFIX "restores/"
#define LOGS_MAX ((size_t)256 << 20)

void restore_key(char *dst, size_t n, const char *name, const char *file)
{
    snprintf(dst, n, RESTORES_PREFIX "%s/%s", name, file);
}

static int fail(const struct err *e)
{
    fprintf(stderr, "error: %s\n", e->msg);
    return 1;
}

/* The Restore object of <name>; NULL with <e> set ("restore \"x\" not
 * found ...") when there is none. */
static json_t *load(struct storage *s, const struct location *loc, const char *name, struct err *e)
{
    char key[1024];
    json_t *obj;
    restore_key(key, sizeof key, name, RESTORE_RECORD);
    if (record_load(s, key, &obj, e) == STORAGE_ENOTFOUND)
        err_set(e, "restore \"%s\" not found in location \"%s\"", name, loc->name);
    return obj;
}

/* ---- get ---- */

struct listing {
    struct storage *s;
    const struct location *loc;
    json_t *items;
};

static int on_prefix(void *arg, const struct storage_entry *ent)
{
    struct listing *l = arg;
    size_t pl = strlen(RESTORES_PREFIX), len = strlen(ent->key);
    if (!ent->is_prefix || len <= pl + 1)
        return 0;
    char name[512];
    snprintf(name, sizeof name, "%.*s", (int)(len - pl - 1), ent->key + pl);
    struct err e;
    json_t *obj = load(l->s, l->loc, name, &e);
    /* A restore still being written has no object yet: not listed. */
    if (obj)
        json_array_append_new(l->items, obj);
    return 0;
}

/* ---- when their backup is deleted ---- */

static int collect_key(void *arg, const struct storage_entry *ent)
{
    return json_array_append_new(arg, json_string(ent->key));
}

int restore_delete_for_backup(struct storage *s, const struct location *loc, const char *backup,
                              struct err *e)
{
    struct listing l = {s, loc, json_array()};
    int rc = storage_list(s, RESTORES_PREFIX, "/", on_prefix, &l, e);
    size_t i;
    json_t *r;
    json_array_foreach(l.items, i, r)
    {
        if (rc < 0)
            break;
        if (strcmp(record_sget(r, "spec", "backupName"), backup))
            continue;
        const char *name = record_sget(r, "metadata", "name");
        char prefix[1024], rec[1024];
        snprintf(prefix, sizeof prefix, RESTORES_PREFIX "%s/", name);
        restore_key(rec, sizeof rec, name, RESTORE_RECORD);
        json_t *keys = json_array();
        /* The record first, as for a backup: a delete cut short leaves no
         * restore that still looks whole. */
        rc = storage_list(s, prefix, NULL, collect_key, keys, e);
        if (rc >= 0)
            rc = storage_delete(s, rec, e);
        size_t j;
        json_t *k;
        json_array_foreach(keys, j, k)
        {
            if (rc >= 0 && strcmp(json_string_value(k), rec))
                rc = storage_delete(s, json_string_value(k), e);
        }
        json_decref(keys);
        if (rc >= 0)
            printf("Restore \"%s\" of backup \"%s\" deleted.\n", name, backup);
    }
    json_decref(l.items);
    return rc < 0 ? -1 : 0;
}

int restore_cmd_get(const char *location, const char *name, const char *output, FILE *out)
{
    struct err e;
    if (record_output_check(output))
        return 1;
    if (name && backup_name_valid("restore", name, &e) < 0)
        return fail(&e);
    struct location loc;
    struct storage *s = backup_store_open(location, &loc, &e);
    if (!s)
        return fail(&e);
    struct listing l = {s, &loc, json_array()};
    int status = 1;
    if (name) {
        json_t *obj = load(s, &loc, name, &e);
        if (!obj) {
            fail(&e);
            goto out;
        }
        json_array_append_new(l.items, obj);
    } else if (storage_list(s, RESTORES_PREFIX, "/", on_prefix, &l, &e) < 0) {
        fail(&e);
        goto out;
    }
    if (*output && strcmp(output, "table")) {
        json_t *doc = name ? json_incref(json_array_get(l.items, 0))
                           : json_pack("{s:s, s:s, s:{}, s:O}", "apiVersion", "velero.io/v1",
                                       "kind", "RestoreList", "metadata", "items", l.items);
        status = record_print(doc, output, out);
        json_decref(doc);
        goto out;
    }
    status = 0;
    if (!json_array_size(l.items))
        goto out;
    struct table *t = table_new();
    static const char *const head[] = {"NAME",   "BACKUP",   "STATUS",  "STARTED",  "COMPLETED",
                                       "ERRORS", "WARNINGS", "CREATED", "SELECTOR", NULL};
    for (size_t i = 0; head[i]; i++)
        table_add(t, head[i]);
    table_end_row(t);
    size_t i;
    json_t *r;
    json_array_foreach(l.items, i, r)
    {
        char started[64], done[64], created[64], sel[1024];
        record_go_time(record_sget(r, "status", "startTimestamp"), started, sizeof started);
        record_go_time(record_sget(r, "status", "completionTimestamp"), done, sizeof done);
        record_go_time(record_sget(r, "metadata", "creationTimestamp"), created, sizeof created);
        record_selector_format(json_object_get(json_object_get(r, "spec"), "labelSelector"), sel,
                               sizeof sel);
        table_add(t, record_sget(r, "metadata", "name"));
        table_add(t, record_sget(r, "spec", "backupName"));
        table_add(t, record_sget(r, "status", "phase") ? record_sget(r, "status", "phase") : "New");
        table_add(t, started);
        table_add(t, done);
        table_addf(t, "%lld", record_iget(r, "status", "errors"));
        table_addf(t, "%lld", record_iget(r, "status", "warnings"));
        table_add(t, created);
        table_add(t, sel);
        table_end_row(t);
    }
    struct buf b = BUF_INIT;
    table_render(t, &b);
    fwrite(b.p ? b.p : "", 1, b.len, out);
    buf_fini(&b);
    table_free(t);
out:
    json_decref(l.items);
    backup_store_close(s, &loc);
    return status;
}

/* ---- describe ---- */

static void map_or(FILE *out, const char *title, const json_t *m)
{
    fprintf(out, "%s:  ", title);
    if (!json_object_size(m)) {
        fputs("<none>\n\n", out);
        return;
    }
    const char *k;
    json_t *v;
    int first = 1;
    json_object_foreach((json_t *)m, k, v)
    {
        fprintf(out, "%s%s=%s", first ? "" : ", ", k, json_string_value(v));
        first = 0;
    }
    fputs("\n\n", out);
}

/* Velero's layout of a Result: Velero, Cluster, then one block per
 * namespace with its messages aligned. */
static void print_result(FILE *out, const char *title, const json_t *res)
{
    fprintf(out, "%s:\n", title);
    static const char *const keys[] = {"velero", "cluster"};
    static const char *const names[] = {"Velero:     ", "Cluster:    "};
    for (size_t k = 0; k < 2; k++) {
        const json_t *list = json_object_get(res, keys[k]);
        fputs("  ", out);
        fputs(names[k], out);
        if (!json_array_size(list))
            fputs("<none>\n", out);
        size_t i;
        json_t *m;
        json_array_foreach(list, i, m)
        {
            fprintf(out, "%s%s\n", i ? "              " : "", json_string_value(m));
        }
    }
    const json_t *nss = json_object_get(res, "namespaces");
    if (!json_object_size(nss)) {
        fputs("  Namespaces: <none>\n\n", out);
        return;
    }
    fputs("  Namespaces:\n", out);
    const char *ns;
    json_t *list;
    json_object_foreach((json_t *)nss, ns, list)
    {
        size_t i;
        json_t *m;
        int w = (int)strlen(ns) + 7;
        json_array_foreach(list, i, m)
        {
            if (i)
                fprintf(out, "%*s%s\n", w, "", json_string_value(m));
            else
                fprintf(out, "    %s:  %s\n", ns, json_string_value(m));
        }
    }
    fputc('\n', out);
}

int restore_cmd_describe(const char *location, const char *name, FILE *out)
{
    struct err e;
    struct location loc;
    struct storage *s = backup_store_open_named("restore", name, location, &loc);
    if (!s)
        return 1;
    json_t *r = load(s, &loc, name, &e), *results = NULL;
    int status = 1;
    if (!r) {
        fail(&e);
        goto out;
    }
    char key[1024], file[600];
    struct buf b = BUF_INIT;
    snprintf(file, sizeof file, "restore-%s-results.gz", name);
    restore_key(key, sizeof key, name, file);
    if (tarball_get_gz(s, key, RECORD_MAX_BYTES, &b, &e) == 0)
        results = json_loadb(b.p ? b.p : "", b.len, 0, NULL);
    buf_fini(&b);
    const json_t *spec = json_object_get(r, "spec");
    const char *phase = record_sget(r, "status", "phase");
    char started[64], done[64], sel[1024];
    record_go_time(record_sget(r, "status", "startTimestamp"), started, sizeof started);
    record_go_time(record_sget(r, "status", "completionTimestamp"), done, sizeof done);
    record_selector_format(json_object_get(spec, "labelSelector"), sel, sizeof sel);
    fprintf(out, "Name:         %s\nNamespace:    %s\n", name, RECORD_NAMESPACE);
    fprintf(out, "Labels:       velero.io/backup-name=%s\nAnnotations:  <none>\n\n",
            record_sget(r, "spec", "backupName"));
    if (phase && strcmp(phase, "Completed"))
        fprintf(out,
                "Phase:                       %s (run 'ferry restore logs %s' for more "
                "information)\n",
                phase, name);
    else
        fprintf(out, "Phase:                       %s\n", phase ? phase : "New");
    fprintf(out, "Total items to be restored:  %lld\nItems restored:              %lld\n\n",
            record_iget(json_object_get(r, "status"), "progress", "totalItems"),
            record_iget(json_object_get(r, "status"), "progress", "itemsRestored"));
    fprintf(out, "Started:    %s\nCompleted:  %s\n\n", started, done);
    const char *reason = record_sget(r, "status", "failureReason");
    if (reason)
        fprintf(out, "Failure reason:  %s\n\n", reason);
    print_result(out, "Warnings", json_object_get(results, "warnings"));
    print_result(out, "Errors", json_object_get(results, "errors"));
    fprintf(out, "Backup:  %s\n\nNamespaces:\n  Included:  ", record_sget(r, "spec", "backupName"));
    record_print_list(out, spec, "includedNamespaces", "all namespaces found in the backup");
    fputs("\n  Excluded:  ", out);
    record_print_list(out, spec, "excludedNamespaces", "<none>");
    fputs("\n\nResources:\n  Included:        ", out);
    record_print_list(out, spec, "includedResources", "*");
    fputs("\n  Excluded:        ", out);
    record_print_list(out, spec, "excludedResources", "<none>");
    const json_t *cl = json_object_get(spec, "includeClusterResources");
    fprintf(out, "\n  Cluster-scoped:  %s\n\n",
            !cl                ? "auto"
            : json_is_true(cl) ? "included"
                               : "excluded");
    map_or(out, "Namespace mappings", json_object_get(spec, "namespaceMapping"));
    map_or(out, "Zone mappings", json_object_get(spec, "zoneMapping"));
    map_or(out, "Region mappings", json_object_get(spec, "regionMapping"));
    map_or(out, "Storage class mappings", json_object_get(spec, "storageClassMapping"));
    fprintf(out, "Label selector:  %s\n\n", sel);
    fprintf(out, "Restore PVs:  %s\n\n",
            json_is_true(json_object_get(spec, "restorePVs")) ? "true" : "auto");
    fprintf(out, "Existing Resource Policy:   %s\n\n",
            record_sget(r, "spec", "existingResourcePolicy") ?: "<none>");
    fprintf(out, "Preserve Service NodePorts:  %s\n",
            json_is_true(json_object_get(spec, "preserveNodePorts")) ? "true" : "auto");
    status = 0;
out:
    json_decref(r);
    json_decref(results);
    backup_store_close(s, &loc);
    return status;
}

/* ---- logs ---- */

int restore_cmd_logs(const char *location, const char *name, FILE *out)
{
    struct err e;
    struct location loc;
    struct storage *s = backup_store_open_named("restore", name, location, &loc);
    if (!s)
        return 1;
    char key[1024], file[600];
    snprintf(file, sizeof file, "restore-%s-logs.gz", name);
    restore_key(key, sizeof key, name, file);
    struct buf b = BUF_INIT;
    int rc = tarball_get_gz(s, key, LOGS_MAX, &b, &e);
    if (rc == STORAGE_ENOTFOUND)
        err_set(&e, "restore \"%s\" not found in location \"%s\"", name, loc.name);
    if (rc)
        fail(&e);
    else
        fwrite(b.p ? b.p : "", 1, b.len, out);
    buf_fini(&b);
    backup_store_close(s, &loc);
    return rc ? 1 : 0;
}
