/* ferry backup get, describe, logs, download, delete: straight from the
 * storage location, so a backup made from one cluster is seen from every
 * other at once (no sync loop as in Velero's server). */
#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "backup/backup.h"
#include "backup/record.h"
#include "backup/restore.h"
#include "backup/tarball.h"
#include "core/buf.h"
#include "core/file.h"
#include "core/strv.h"
#include "core/table.h"
#include "core/text.h"
#include "storage/location.h"
#include "storage/storage.h"

#define KEY_MAX 1024
#define GZ_MAX ((size_t)256 << 20)

static int fail(const struct err *e)
{
    fprintf(stderr, "error: %s\n", e->msg);
    return 1;
}

/* The Backup object of <name>: its record, or a Failed stand-in when some
 * of its files exist without one. *out NULL (and 0) when there is no such
 * backup at all. */
static int load_record(struct storage *s, const struct location *loc, const char *name,
                       json_t **out, struct err *e)
{
    char key[KEY_MAX];
    backup_file_key(key, sizeof key, name, BACKUP_RECORD);
    int rc = record_load(s, key, out, e);
    if (rc != STORAGE_ENOTFOUND)
        return rc;
    time_t seen;
    rc = record_any_object(s, name, &seen, e);
    if (rc > 0)
        *out = record_incomplete(name, loc->name, seen);
    return rc < 0 ? -1 : 0;
}

static int not_found(const char *name, const struct location *loc)
{
    fprintf(stderr, "error: backup \"%s\" not found in location \"%s\"\n", name, loc->name);
    return 1;
}

/* ---- get ---- */

/* Each "backups/NAME/" prefix, as NAME, into the struct strv <arg>. */
static int on_prefix(void *arg, const struct storage_entry *ent)
{
    size_t l = strlen(ent->key);
    size_t pl = strlen(BACKUP_PREFIX);
    if (!ent->is_prefix || l <= pl + 1)
        return 0;
    return strv_add(arg, ent->key + pl, l - pl - 1);
}

/* Each key whole, into the struct strv <arg>. */
static int on_key(void *arg, const struct storage_entry *ent)
{
    return strv_add(arg, ent->key, strlen(ent->key));
}

/* duration.ShortHumanDuration, as `velero backup get` prints EXPIRES. */
static void short_duration(long long secs, char *dst, size_t n)
{
    if (secs < -1)
        snprintf(dst, n, "<invalid>");
    else if (secs < 0)
        snprintf(dst, n, "0s");
    else if (secs < 60)
        snprintf(dst, n, "%llds", secs);
    else if (secs < 3600)
        snprintf(dst, n, "%lldm", secs / 60);
    else if (secs < 86400)
        snprintf(dst, n, "%lldh", secs / 3600);
    else if (secs < 86400LL * 365)
        snprintf(dst, n, "%lldd", secs / 86400);
    else
        snprintf(dst, n, "%lldy", secs / (86400LL * 365));
}

static void expires(const json_t *rec, char *dst, size_t n)
{
    int64_t t;
    if (text_rfc3339_parse(record_sget(rec, "status", "expiration"), &t) < 0) {
        snprintf(dst, n, "n/a");
        return;
    }
    time_t now = time(NULL);
    char d[24];
    if (t >= now) {
        short_duration((long long)(t - now), dst, n);
    } else {
        short_duration((long long)(now - t), d, sizeof d);
        snprintf(dst, n, "%s ago", d);
    }
}

static void selector_text(const json_t *rec, char *dst, size_t n)
{
    const json_t *sel = json_object_get(json_object_get(rec, "spec"), "labelSelector");
    record_selector_format(sel, dst, n);
}

static int print_table(json_t *const *recs, size_t n)
{
    struct table *t = table_new();
    struct buf out = BUF_INIT;
    if (!t)
        return 1;
    static const char *const head[] = {"NAME",    "STATUS",  "ERRORS",           "WARNINGS",
                                       "CREATED", "EXPIRES", "STORAGE LOCATION", "SELECTOR",
                                       NULL};
    for (size_t i = 0; head[i]; i++)
        table_add(t, head[i]);
    table_end_row(t);
    for (size_t i = 0; i < n; i++) {
        const json_t *r = recs[i];
        char created[64], exp[40], sel[1024];
        record_go_time(record_sget(r, "status", "startTimestamp"), created, sizeof created);
        expires(r, exp, sizeof exp);
        selector_text(r, sel, sizeof sel);
        const char *loc = record_sget(r, "spec", "storageLocation");
        table_add(t, record_sget(r, "metadata", "name"));
        table_add(t, record_sget(r, "status", "phase") ? record_sget(r, "status", "phase") : "New");
        table_addf(t, "%lld", record_iget(r, "status", "errors"));
        table_addf(t, "%lld", record_iget(r, "status", "warnings"));
        table_add(t, created);
        table_add(t, exp);
        table_add(t, loc ? loc : "");
        table_add(t, sel);
        table_end_row(t);
    }
    int rc = table_render(t, &out) < 0;
    if (!rc)
        fwrite(out.p, 1, out.len, stdout);
    table_free(t);
    buf_fini(&out);
    return rc;
}

static int print_objects(json_t *const *recs, size_t n, int single, const char *format)
{
    json_t *obj;
    if (single) {
        obj = json_incref(recs[0]);
    } else {
        json_t *items = json_array();
        for (size_t i = 0; i < n; i++)
            json_array_append(items, recs[i]);
        obj = json_pack("{s:s, s:s, s:{}, s:o}", "kind", "BackupList", "apiVersion", "velero.io/v1",
                        "metadata", "items", items);
    }
    int rc = record_print(obj, format, stdout);
    json_decref(obj);
    return rc;
}

int backup_cmd_get(const char *location, const char *const *names, size_t n, const char *output)
{
    struct err e;
    if (record_output_check(output))
        return 1;
    for (size_t i = 0; i < n; i++)
        if (backup_name_valid("backup", names[i], &e) < 0)
            return fail(&e);
    struct location l, *loc = &l;
    struct storage *s = backup_store_open(location, loc, &e);
    if (!s)
        return fail(&e);
    struct strv listed = {0};
    int status = 1;
    json_t **recs = NULL;
    size_t nrecs = 0;
    if (!n) {
        if (storage_list(s, BACKUP_PREFIX, "/", on_prefix, &listed, &e) < 0) {
            fail(&e);
            goto out;
        }
        names = (const char *const *)listed.v;
        n = listed.n;
    }
    recs = calloc(n ? n : 1, sizeof *recs);
    if (!recs)
        goto out;
    for (size_t i = 0; i < n; i++) {
        json_t *r;
        if (load_record(s, loc, names[i], &r, &e) < 0) {
            fail(&e);
            goto out;
        }
        if (!r) {
            not_found(names[i], loc);
            goto out;
        }
        recs[nrecs++] = r;
    }
    if (!*output || !strcmp(output, "table")) {
        if (nrecs)
            status = print_table(recs, nrecs);
        else
            status = 0;
    } else {
        status = print_objects(recs, nrecs, n == 1 && !listed.n, output);
    }
out:
    for (size_t i = 0; i < nrecs; i++)
        json_decref(recs[i]);
    free(recs);
    strv_fini(&listed);
    backup_store_close(s, loc);
    return status;
}

/* ---- describe ---- */

static void print_resource_list(struct storage *s, const char *name)
{
    char key[KEY_MAX];
    struct buf b = BUF_INIT;
    struct err e;
    backup_key(key, sizeof key, name, "-resource-list.json.gz");
    json_t *list = NULL;
    if (tarball_get_gz(s, key, GZ_MAX, &b, &e) == 0)
        list = json_loadb(b.p, b.len, 0, NULL);
    buf_fini(&b);
    if (!json_is_object(list)) {
        printf("Resource List:  <backup resource list not found>\n");
        json_decref(list);
        return;
    }
    printf("Resource List:\n");
    const char *type;
    json_t *names;
    json_object_foreach(list, type, names)
    {
        printf("  %s:\n", type);
        size_t i;
        json_t *x;
        json_array_foreach(names, i, x)
        {
            printf("    - %s\n", json_string_value(x));
        }
    }
    json_decref(list);
}

int backup_cmd_describe(const char *location, const char *name, int details)
{
    struct err e;
    struct location l, *loc = &l;
    struct storage *s = backup_store_open_named("backup", name, location, loc);
    if (!s)
        return 1;
    json_t *r;
    int status = 1;
    if (load_record(s, loc, name, &r, &e) < 0) {
        fail(&e);
        goto out;
    }
    if (!r) {
        not_found(name, loc);
        goto out;
    }
    const json_t *spec = json_object_get(r, "spec");
    const char *phase = record_sget(r, "status", "phase");
    char sel[1024], start[64], done[64], exp[64];
    selector_text(r, sel, sizeof sel);
    record_go_time(record_sget(r, "status", "startTimestamp"), start, sizeof start);
    record_go_time(record_sget(r, "status", "completionTimestamp"), done, sizeof done);
    record_go_time(record_sget(r, "status", "expiration"), exp, sizeof exp);
    const char *loc_label = json_string_value(json_object_get(
        json_object_get(json_object_get(r, "metadata"), "labels"), "velero.io/storage-location"));
    printf("Name:         %s\n", name);
    printf("Namespace:    %s\n", RECORD_NAMESPACE);
    if (loc_label)
        printf("Labels:       velero.io/storage-location=%s\n", loc_label);
    else
        printf("Labels:       <none>\n");
    printf("Annotations:  <none>\n\n");
    if (phase && strcmp(phase, "Completed"))
        printf("Phase:  %s (run `ferry backup logs %s` for more information)\n\n", phase, name);
    else
        printf("Phase:  %s\n\n", phase ? phase : "New");
    const char *reason = record_sget(r, "status", "failureReason");
    if (reason)
        printf("Failure reason:  %s\n\n", reason);
    printf("Errors:    %lld\nWarnings:  %lld\n\n", record_iget(r, "status", "errors"),
           record_iget(r, "status", "warnings"));
    printf("Namespaces:\n  Included:  ");
    record_print_list(stdout, spec, "includedNamespaces", "*");
    printf("\n  Excluded:  ");
    record_print_list(stdout, spec, "excludedNamespaces", "<none>");
    printf("\n\nResources:\n  Included:        ");
    record_print_list(stdout, spec, "includedResources", "*");
    printf("\n  Excluded:        ");
    record_print_list(stdout, spec, "excludedResources", "<none>");
    const json_t *cl = json_object_get(spec, "includeClusterResources");
    printf("\n  Cluster-scoped:  %s\n\n", !cl                ? "auto"
                                          : json_is_true(cl) ? "included"
                                                             : "excluded");
    printf("Label selector:  %s\n\n", sel);
    const char *sl = json_string_value(json_object_get(spec, "storageLocation"));
    printf("Storage Location:  %s\n\n", sl ? sl : "");
    const char *ttl = json_string_value(json_object_get(spec, "ttl"));
    printf("TTL:  %s\n\n", ttl ? ttl : "");
    printf("Started:    %s\nCompleted:  %s\n\nExpiration:  %s\n\n", start, done, exp);
    const json_t *prog = json_object_get(json_object_get(r, "status"), "progress");
    printf("Total items to be backed up:  %lld\n",
           (long long)json_integer_value(json_object_get(prog, "totalItems")));
    printf("Items backed up:              %lld\n\n",
           (long long)json_integer_value(json_object_get(prog, "itemsBackedUp")));
    if (details)
        print_resource_list(s, name);
    else
        printf("Resource List:  <use --details to list the resources>\n");
    status = 0;
    json_decref(r);
out:
    backup_store_close(s, loc);
    return status;
}

/* ---- logs ---- */

int backup_cmd_logs(const char *location, const char *name)
{
    struct err e;
    struct location l, *loc = &l;
    struct storage *s = backup_store_open_named("backup", name, location, loc);
    if (!s)
        return 1;
    char key[KEY_MAX];
    struct buf b = BUF_INIT;
    backup_key(key, sizeof key, name, "-logs.gz");
    int rc = tarball_get_gz(s, key, GZ_MAX, &b, &e);
    int status = 1;
    if (rc == STORAGE_ENOTFOUND) {
        json_t *r = NULL;
        if (load_record(s, loc, name, &r, &e) < 0)
            fail(&e);
        else if (!r)
            not_found(name, loc);
        else
            fprintf(stderr, "error: backup \"%s\" has no logs in location \"%s\"\n", name,
                    loc->name);
        json_decref(r);
    } else if (rc < 0) {
        fail(&e);
    } else {
        fwrite(b.p, 1, b.len, stdout);
        status = 0;
    }
    buf_fini(&b);
    backup_store_close(s, loc);
    return status;
}

/* ---- download ---- */

struct sink {
    int fd;
    int err; /* errno of a failed write */
};

static int to_file(void *arg, const char *p, size_t n)
{
    struct sink *k = arg;
    int rc = file_write_all(k->fd, p, n);
    if (rc < 0) {
        k->err = -rc;
        return -1;
    }
    return 0;
}

int backup_cmd_download(const char *location, const char *name, const char *file, int force)
{
    struct err e;
    if (backup_name_valid("backup", name, &e) < 0)
        return fail(&e);
    char def[KEY_MAX], key[KEY_MAX], tmp[KEY_MAX + 16];
    if (!file || !*file) {
        snprintf(def, sizeof def, "%s-data.tar.gz", name);
        file = def;
    }
    if (!force && file_exists(file))
        return fprintf(stderr, "error: file '%s' already exists, remove it first or use --force\n",
                       file),
               1;
    struct location l, *loc = &l;
    struct storage *s = backup_store_open(location, loc, &e);
    if (!s)
        return fail(&e);
    int status = 1;
    /* a temporary file beside the target, renamed into place when whole */
    snprintf(tmp, sizeof tmp, "%s.XXXXXX", file);
    struct sink k = {mkstemp(tmp), 0};
    if (k.fd < 0) {
        char msg[128];
        fprintf(stderr, "error: cannot create %s: %s\n", file,
                file_strerror(errno, msg, sizeof msg));
        goto out;
    }
    backup_key(key, sizeof key, name, ".tar.gz");
    int rc = storage_get(s, key, to_file, &k, &e);
    if (rc == STORAGE_ENOTFOUND) {
        not_found(name, loc);
    } else if (rc < 0 && k.err) {
        char msg[128];
        fprintf(stderr, "error: cannot write %s: %s\n", file,
                file_strerror(k.err, msg, sizeof msg));
    } else if (rc < 0) {
        fail(&e);
    } else if (fchmod(k.fd, 0644) < 0 || fsync(k.fd) < 0 || rename(tmp, file) < 0) {
        char msg[128];
        fprintf(stderr, "error: cannot write %s: %s\n", file,
                file_strerror(errno, msg, sizeof msg));
    } else {
        char *abs = realpath(file, NULL);
        printf("Backup %s has been successfully downloaded to %s\n", name, abs ? abs : file);
        free(abs);
        status = 0;
    }
    close(k.fd);
    if (status)
        unlink(tmp);
out:
    backup_store_close(s, loc);
    return status;
}

/* ---- delete ---- */

static int ask(const char *what)
{
    printf("Are you sure you want to continue deleting %s (Y/N)? ", what);
    fflush(stdout);
    char line[64];
    if (!fgets(line, sizeof line, stdin))
        return 0;
    return line[0] == 'y' || line[0] == 'Y';
}

/* Deletes every object of backup <name>, the record first: a delete cut
 * short leaves an incomplete backup, never one that still looks whole.
 * Returns 0, or 1 with the error printed. */
static int delete_one(struct storage *s, const struct location *loc, const char *name)
{
    char prefix[KEY_MAX], rec[KEY_MAX];
    struct err e;
    snprintf(prefix, sizeof prefix, BACKUP_PREFIX "%s/", name);
    struct strv ks = {0};
    int status = 1;
    if (storage_list(s, prefix, NULL, on_key, &ks, &e) < 0) {
        fail(&e);
    } else if (!ks.n) {
        not_found(name, loc);
    } else {
        backup_file_key(rec, sizeof rec, name, BACKUP_RECORD);
        status = storage_delete(s, rec, &e) < 0;
        for (size_t i = 0; !status && i < ks.n; i++)
            if (strcmp(ks.v[i], rec))
                status = storage_delete(s, ks.v[i], &e) < 0;
        if (!status)
            status = restore_delete_for_backup(s, loc, name, &e) < 0;
        if (status)
            fail(&e);
        else
            printf("Backup \"%s\" deleted from location \"%s\".\n", name, loc->name);
    }
    strv_fini(&ks);
    return status;
}

int backup_cmd_delete(const char *location, const char *const *names, size_t n, int all,
                      int confirmed)
{
    struct err e;
    if (all == (n > 0))
        return fprintf(stderr, "error: you must specify exactly one of: specific backup name(s), "
                               "or the --all flag\n"),
               1;
    for (size_t i = 0; i < n; i++)
        if (backup_name_valid("backup", names[i], &e) < 0)
            return fail(&e);
    char what[300];
    if (all)
        snprintf(what, sizeof what, "every backup of the location");
    else if (n == 1)
        snprintf(what, sizeof what, "backup \"%s\"", names[0]);
    else
        snprintf(what, sizeof what, "%zu backups", n);
    if (!confirmed) {
        if (!isatty(STDIN_FILENO))
            return fprintf(stderr,
                           "error: refusing to delete %s without --confirm (standard input is "
                           "not a terminal)\n",
                           what),
                   1;
        if (!ask(what)) {
            printf("Cancelled.\n");
            return 1;
        }
    }
    struct location l, *loc = &l;
    struct storage *s = backup_store_open(location, loc, &e);
    if (!s)
        return fail(&e);
    struct strv listed = {0};
    int status = 0;
    if (all) {
        if (storage_list(s, BACKUP_PREFIX, "/", on_prefix, &listed, &e) < 0) {
            status = fail(&e);
            goto out;
        }
        names = (const char *const *)listed.v;
        n = listed.n;
        if (!n)
            printf("No backups found in location \"%s\".\n", loc->name);
    }
    /* one that fails does not stop the others, as velero goes on */
    for (size_t i = 0; i < n; i++)
        status |= delete_one(s, loc, names[i]);
out:
    strv_fini(&listed);
    backup_store_close(s, loc);
    return status;
}
