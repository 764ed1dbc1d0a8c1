#include "storage/location_cmd.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/buf.h"
#include "core/cli.h"
#include "core/output.h"
#include "core/table.h"
#include "storage/location.h"

static int load(const struct location_cmd_opts *o, struct location_set *ls)
{
    struct err e;
    if (location_set_load(ls, o->config_path, &e) < 0) {
        location_set_fini(ls);
        return cli_fail("%s", e.msg);
    }
    return 0;
}

static int save(struct location_set *ls, const char *fmt, const char *name)
{
    struct err e;
    int rc = location_set_save(ls, &e);
    location_set_fini(ls);
    if (rc < 0)
        return cli_fail("%s", e.msg);
    printf(fmt, name);
    return 0;
}

/* "key=value" items into <l>'s config; an empty value removes the key. */
static int apply_config(struct location *l, const struct location_cmd_opts *o)
{
    for (size_t i = 0; i < o->nconfig; i++) {
        const char *kv = o->config[i];
        const char *eq = strchr(kv, '=');
        if (!eq || eq == kv)
            return cli_fail("invalid --config item \"%s\": want key=value", kv);
        char key[256];
        snprintf(key, sizeof key, "%.*s", (int)(eq - kv), kv);
        if (!eq[1]) {
            for (size_t j = 0; j < l->nconfig; j++) {
                if (strcmp(l->config[j].key, key))
                    continue;
                free(l->config[j].key);
                free(l->config[j].value);
                memmove(&l->config[j], &l->config[j + 1], (l->nconfig - j - 1) * sizeof *l->config);
                l->nconfig--;
                break;
            }
        } else if (location_config_set(l, key, eq + 1) < 0) {
            return cli_fail("out of memory");
        }
    }
    return 0;
}

/* The credential path as an absolute path, since commands run from any
 * directory; the file must exist now. */
static int apply_credential(struct location *l, const char *path)
{
    char *p = location_path(path), *abs = p ? realpath(p, NULL) : NULL;
    if (!abs) {
        free(p);
        return cli_fail("credential file %s: cannot be read", path);
    }
    free(p);
    if (access(abs, R_OK) < 0) {
        free(abs);
        return cli_fail("credential file %s: cannot be read", path);
    }
    free(l->credential);
    l->credential = abs;
    return 0;
}

/* Only one location is the default. */
static void make_default(struct location_set *ls, const char *name, int on)
{
    for (size_t i = 0; i < ls->n; i++) {
        if (!strcmp(ls->v[i].name, name))
            ls->v[i].is_default = on;
        else if (on)
            ls->v[i].is_default = 0;
    }
}

/* The error for a name that is not in the file: resolve's "not found"
 * (with the names that exist), or, for the built-in location, that it
 * lives in no file. */
static int not_found(struct location_set *ls, const char *name)
{
    struct location l;
    struct err e;
    int r = location_resolve(ls, name, &l, &e);
    location_set_fini(ls);
    if (r < 0)
        return cli_fail("%s", e.msg);
    location_fini(&l);
    return cli_fail("backup storage location \"%s\" is the built-in one and cannot be changed: "
                    "create one with `ferry backup-location create`",
                    name);
}

int location_cmd_create(const struct location_cmd_opts *o)
{
    struct location_set ls;
    struct location l;
    struct err e;
    if (load(o, &ls))
        return 1;
    memset(&l, 0, sizeof l);
    if (location_set_find(&ls, o->name)) {
        location_set_fini(&ls);
        return cli_fail("backup storage location \"%s\" already exists", o->name);
    }
    l.name = strdup(o->name);
    l.provider = strdup(o->provider ? o->provider : "");
    l.bucket = strdup(o->bucket ? o->bucket : "");
    l.prefix = strdup(o->prefix ? o->prefix : "");
    l.is_default = o->is_default > 0;
    int rc = 1;
    if (!l.name || !l.provider || !l.bucket || !l.prefix) {
        cli_fail("out of memory");
        goto out;
    }
    if (apply_config(&l, o) || (o->credential && apply_credential(&l, o->credential)))
        goto out;
    if (location_validate(&l, &e) < 0) {
        cli_fail("%s", e.msg);
        goto out;
    }
    if (location_set_add(&ls, &l) < 0) {
        cli_fail("out of memory");
        goto out;
    }
    if (o->is_default > 0)
        make_default(&ls, o->name, 1);
    return save(&ls, "Backup storage location \"%s\" configured successfully.\n", o->name);
out:
    location_fini(&l);
    location_set_fini(&ls);
    return rc;
}

int location_cmd_set(const struct location_cmd_opts *o)
{
    struct location_set ls;
    if (load(o, &ls))
        return 1;
    struct location *l = location_set_find(&ls, o->name);
    if (!l)
        return not_found(&ls, o->name);
    if (apply_config(l, o) || (o->credential && apply_credential(l, o->credential))) {
        location_set_fini(&ls);
        return 1;
    }
    if (o->is_default >= 0)
        make_default(&ls, o->name, o->is_default);
    return save(&ls, "Backup storage location \"%s\" configured successfully.\n", o->name);
}

int location_cmd_delete(const struct location_cmd_opts *o)
{
    struct location_set ls;
    if (load(o, &ls))
        return 1;
    if (!location_set_find(&ls, o->name))
        return not_found(&ls, o->name);
    if (!o->confirm) {
        if (!isatty(STDIN_FILENO)) {
            location_set_fini(&ls);
            return cli_fail("not deleting backup storage location \"%s\" without confirmation: "
                            "pass --confirm",
                            o->name);
        }
        printf("Are you sure you want to continue (Y/N)? ");
        fflush(stdout);
        char answer[16] = "";
        if (!fgets(answer, sizeof answer, stdin) || (answer[0] != 'y' && answer[0] != 'Y')) {
            location_set_fini(&ls);
            printf("Cancelled.\n");
            return 0;
        }
    }
    location_set_remove(&ls, o->name);
    return save(&ls, "Backup storage location \"%s\" deleted successfully.\n", o->name);
}

static void add_row(struct table *t, const struct location *l, const char *def)
{
    table_add(t, l->name);
    table_add(t, l->provider);
    if (l->prefix && *l->prefix)
        table_addf(t, "%s/%s", l->bucket, l->prefix);
    else
        table_add(t, l->bucket);
    table_add(t, def);
    table_end_row(t);
}

int location_cmd_get(const struct location_cmd_opts *o)
{
    struct location_set ls;
    struct err e;
    const char *fmt = o->output ? o->output : "";
    if (load(o, &ls))
        return 1;
    struct location one;
    memset(&one, 0, sizeof one);
    int single = o->name && *o->name;
    if (single && location_resolve(&ls, o->name, &one, &e) < 0) {
        location_set_fini(&ls);
        return cli_fail("%s", e.msg);
    }
    /* with nothing configured, show where backups go: the built-in one */
    if (!single && ls.n == 0 && location_resolve(&ls, NULL, &one, &e) == 0)
        single = 2;
    struct buf out = BUF_INIT, msg = BUF_INIT;
    int rc = 0;
    if (*fmt) {
        json_t *v;
        if (single == 1) {
            v = location_to_json(&one);
        } else {
            json_t *arr = json_array();
            for (size_t i = 0; i < ls.n; i++)
                json_array_append_new(arr, location_to_json(&ls.v[i]));
            if (single == 2)
                json_array_append_new(arr, location_to_json(&one));
            v = json_pack("{s:o}", "backupStorageLocations", arr);
        }
        rc = output_print(fmt, v, 1, &out, &msg) < 0 ? output_fail(&msg) : 0;
        json_decref(v);
    } else {
        struct table *t = table_new();
        table_add(t, "NAME");
        table_add(t, "PROVIDER");
        table_add(t, "BUCKET/PREFIX");
        table_add(t, "DEFAULT");
        table_end_row(t);
        if (single)
            add_row(t, &one, single == 2 ? "true (built-in)" : one.is_default ? "true" : "");
        else
            for (size_t i = 0; i < ls.n; i++)
                add_row(t, &ls.v[i], ls.v[i].is_default ? "true" : "");
        table_render(t, &out);
        table_free(t);
    }
    if (rc == 0)
        fwrite(out.p ? out.p : "", 1, out.len, stdout);
    buf_fini(&out);
    buf_fini(&msg);
    location_fini(&one);
    location_set_fini(&ls);
    return rc;
}
