#include "backup/record.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "backup/backup.h"
#include "backup/tarball.h"
#include "storage/storage.h"

static int on_any(void *arg, const struct storage_entry *ent)
{
    time_t *seen = arg;
    *seen = ent->mtime ? ent->mtime : time(NULL);
    return 1;
}

int record_any_object(struct storage *s, const char *name, time_t *seen, struct err *e)
{
    char prefix[1024];
    snprintf(prefix, sizeof prefix, BACKUP_PREFIX "%s/", name);
    *seen = 0;
    if (storage_list(s, prefix, NULL, on_any, seen, e) < 0)
        return -1;
    return *seen != 0;
}

void record_time(time_t t, char *dst, size_t n)
{
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(dst, n, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

time_t record_time_parse(const char *s)
{
    struct tm tm = {0};
    if (!s)
        return 0;
    const char *end = strptime(s, "%Y-%m-%dT%H:%M:%SZ", &tm);
    if (!end || *end)
        return 0;
    return timegm(&tm);
}

void record_duration(long long ms, char *dst, size_t n)
{
    if (ms == 0) {
        snprintf(dst, n, "0s");
        return;
    }
    const char *sign = ms < 0 ? "-" : "";
    unsigned long long u = ms < 0 ? (unsigned long long)-ms : (unsigned long long)ms;
    if (u < 1000) {
        snprintf(dst, n, "%s%llums", sign, u);
        return;
    }
    unsigned long long h = u / 3600000, m = u / 60000 % 60, s = u / 1000 % 60, frac = u % 1000;
    char secs[32];
    if (frac) {
        /* Go prints the fraction without trailing zeros */
        snprintf(secs, sizeof secs, "%llu.%03llu", s, frac);
        size_t l = strlen(secs);
        while (secs[l - 1] == '0')
            secs[--l] = '\0';
    } else {
        snprintf(secs, sizeof secs, "%llu", s);
    }
    if (h)
        snprintf(dst, n, "%s%lluh%llum%ss", sign, h, m, secs);
    else if (m)
        snprintf(dst, n, "%s%llum%ss", sign, m, secs);
    else
        snprintf(dst, n, "%s%ss", sign, secs);
}

static json_t *str_array(const char *const *v, size_t n)
{
    json_t *a = json_array();
    for (size_t i = 0; i < n; i++)
        json_array_append_new(a, json_string(v[i]));
    return a;
}

json_t *record_new(const struct backup_opts *o, const char *loc_name,
                   const struct record_status *st)
{
    char start[32], done[32], expires[32], ttl[64];
    record_time(st->start, start, sizeof start);
    record_time(st->completion, done, sizeof done);
    record_time(st->start + (time_t)(o->ttl_ms / 1000), expires, sizeof expires);
    record_duration(o->ttl_ms, ttl, sizeof ttl);

    json_t *meta =
        json_pack("{s:s, s:s, s:s, s:{s:s}}", "name", o->name, "namespace", RECORD_NAMESPACE,
                  "creationTimestamp", start, "labels", "velero.io/storage-location", loc_name);
    json_t *spec = json_object();
    /* as `velero backup create` fills them: "*" when no namespace is named */
    static const char *const star[] = {"*"};
    if (o->n_include_ns)
        json_object_set_new(spec, "includedNamespaces", str_array(o->include_ns, o->n_include_ns));
    else
        json_object_set_new(spec, "includedNamespaces", str_array(star, 1));
    if (o->n_exclude_ns)
        json_object_set_new(spec, "excludedNamespaces", str_array(o->exclude_ns, o->n_exclude_ns));
    if (o->n_include_res)
        json_object_set_new(spec, "includedResources", str_array(o->include_res, o->n_include_res));
    if (o->n_exclude_res)
        json_object_set_new(spec, "excludedResources", str_array(o->exclude_res, o->n_exclude_res));
    if (o->selector && *o->selector) {
        json_t *sel = record_selector_parse(o->selector, NULL);
        if (sel)
            json_object_set_new(spec, "labelSelector", sel);
    }
    json_object_set_new(spec, "ttl", json_string(ttl));
    if (o->include_cluster >= 0)
        json_object_set_new(spec, "includeClusterResources", json_boolean(o->include_cluster));
    json_object_set_new(spec, "storageLocation", json_string(loc_name));

    json_t *status = json_pack("{s:i, s:s, s:s, s:s, s:s, s:s}", "version", 1, "formatVersion",
                               TARBALL_FORMAT_VERSION, "expiration", expires, "phase", st->phase,
                               "startTimestamp", start, "completionTimestamp", done);
    if (st->warnings)
        json_object_set_new(status, "warnings", json_integer(st->warnings));
    if (st->errors)
        json_object_set_new(status, "errors", json_integer(st->errors));
    if (st->failure_reason && *st->failure_reason)
        json_object_set_new(status, "failureReason", json_string(st->failure_reason));
    json_object_set_new(status, "progress",
                        json_pack("{s:I, s:I}", "totalItems", (json_int_t)st->total_items,
                                  "itemsBackedUp", (json_int_t)st->items_backed_up));
    return json_pack("{s:s, s:s, s:o, s:o, s:o}", "kind", "Backup", "apiVersion", "velero.io/v1",
                     "metadata", meta, "spec", spec, "status", status);
}

json_t *record_incomplete(const char *name, const char *loc_name, time_t seen)
{
    char when[32];
    record_time(seen, when, sizeof when);
    return json_pack("{s:s, s:s, s:{s:s, s:s, s:{s:s}}, s:{s:s}, s:{s:s, s:s, s:s}}", "kind",
                     "Backup", "apiVersion", "velero.io/v1", "metadata", "name", name, "namespace",
                     RECORD_NAMESPACE, "labels", "velero.io/storage-location", loc_name, "spec",
                     "storageLocation", loc_name, "status", "phase", "Failed", "startTimestamp",
                     when, "failureReason",
                     "incomplete: no " BACKUP_RECORD " (the backup was interrupted, or is "
                     "being written right now)");
}

/* ---- label selectors ---- */

static json_t *expr(const char *key, const char *op)
{
    return json_pack("{s:s, s:s}", "key", key, "operator", op);
}

/* One requirement of a selector, <s> without surrounding blanks. */
static int requirement(char *s, json_t *labels, json_t *exprs, struct err *e)
{
    if (*s == '!') {
        char *k = s + 1;
        while (isspace((unsigned char)*k))
            k++;
        if (!*k)
            return err_set(e, "couldn't parse the selector string \"%s\"", s);
        json_array_append_new(exprs, expr(k, "DoesNotExist"));
        return 0;
    }
    char *op = strpbrk(s, "=! ");
    if (!op) {
        json_array_append_new(exprs, expr(s, "Exists"));
        return 0;
    }
    char *key = s;
    char *rest = op;
    if (*op == ' ') {
        *op = '\0';
        rest = op + 1;
        while (*rest == ' ')
            rest++;
        const char *kind = NULL;
        if (!strncmp(rest, "notin", 5)) {
            kind = "NotIn";
            rest += 5;
        } else if (!strncmp(rest, "in", 2)) {
            kind = "In";
            rest += 2;
        }
        while (*rest == ' ')
            rest++;
        size_t l = strlen(rest);
        if (!kind || *rest != '(' || !l || rest[l - 1] != ')')
            return err_set(e, "couldn't parse the selector string \"%s\"", key);
        rest[l - 1] = '\0';
        json_t *x = expr(key, kind), *vals = json_array();
        for (char *save, *v = strtok_r(rest + 1, ",", &save); v; v = strtok_r(NULL, ",", &save)) {
            while (*v == ' ')
                v++;
            char *end = v + strlen(v);
            while (end > v && end[-1] == ' ')
                *--end = '\0';
            json_array_append_new(vals, json_string(v));
        }
        json_object_set_new(x, "values", vals);
        json_array_append_new(exprs, x);
        return 0;
    }
    int neq = *op == '!';
    if (neq && op[1] != '=')
        return err_set(e, "couldn't parse the selector string \"%s\"", s);
    *op = '\0';
    char *val = op + 1 + (neq || op[1] == '=');
    char *end = op;
    while (end > key && end[-1] == ' ')
        *--end = '\0';
    while (*val == ' ')
        val++;
    if (neq)
        json_array_append_new(
            exprs, json_pack("{s:s, s:s, s:[s]}", "key", key, "operator", "NotIn", "values", val));
    else
        json_object_set_new(labels, key, json_string(val));
    return 0;
}

json_t *record_selector_parse(const char *text, struct err *e)
{
    char *s = strdup(text);
    json_t *labels = json_object(), *exprs = json_array(), *out = NULL;
    if (!s)
        goto out;
    int depth = 0;
    char *start = s;
    for (char *p = s;; p++) {
        if (*p == '(')
            depth++;
        else if (*p == ')')
            depth--;
        else if ((*p == ',' && !depth) || !*p) {
            int last = !*p;
            *p = '\0';
            while (*start == ' ')
                start++;
            char *end = start + strlen(start);
            while (end > start && end[-1] == ' ')
                *--end = '\0';
            if (*start && requirement(start, labels, exprs, e) < 0)
                goto out;
            if (last)
                break;
            start = p + 1;
        }
    }
    out = json_object();
    if (json_object_size(labels))
        json_object_set(out, "matchLabels", labels);
    if (json_array_size(exprs))
        json_object_set(out, "matchExpressions", exprs);
out:
    free(s);
    json_decref(labels);
    json_decref(exprs);
    return out;
}

struct req_text {
    const char *key;
    char text[512];
};

static int by_key(const void *a, const void *b)
{
    return strcmp(((const struct req_text *)a)->key, ((const struct req_text *)b)->key);
}

static int by_str(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

void record_selector_format(const json_t *sel, char *dst, size_t n)
{
    const json_t *labels = json_object_get(sel, "matchLabels");
    const json_t *exprs = json_object_get(sel, "matchExpressions");
    size_t count = json_object_size(labels) + json_array_size(exprs);
    struct req_text *r = calloc(count ? count : 1, sizeof *r);
    size_t nr = 0;
    if (!r) {
        snprintf(dst, n, "<none>");
        return;
    }
    const char *key;
    json_t *v;
    json_object_foreach((json_t *)labels, key, v)
    {
        r[nr].key = key;
        snprintf(r[nr++].text, sizeof r->text, "%s=%s", key, json_string_value(v));
    }
    size_t i;
    json_array_foreach(exprs, i, v)
    {
        const char *k = json_string_value(json_object_get(v, "key"));
        const char *op = json_string_value(json_object_get(v, "operator"));
        if (!k || !op)
            continue;
        r[nr].key = k;
        char *t = r[nr++].text;
        if (!strcmp(op, "Exists")) {
            snprintf(t, sizeof r->text, "%s", k);
        } else if (!strcmp(op, "DoesNotExist")) {
            snprintf(t, sizeof r->text, "!%s", k);
        } else {
            /* the values print as a sorted set */
            const json_t *vals = json_object_get(v, "values");
            size_t nv = json_array_size(vals);
            const char **sv = calloc(nv ? nv : 1, sizeof *sv);
            for (size_t j = 0; sv && j < nv; j++)
                sv[j] = json_string_value(json_array_get(vals, j));
            if (sv)
                qsort(sv, nv, sizeof *sv, by_str);
            size_t off = (size_t)snprintf(t, sizeof r->text, "%s %s (", k,
                                          !strcmp(op, "In") ? "in" : "notin");
            for (size_t j = 0; sv && j < nv && off < sizeof r->text; j++)
                off += (size_t)snprintf(t + off, sizeof r->text - off, "%s%s", j ? "," : "",
                                        sv[j] ? sv[j] : "");
            if (off < sizeof r->text)
                snprintf(t + off, sizeof r->text - off, ")");
            free(sv);
        }
    }
    qsort(r, nr, sizeof *r, by_key);
    size_t off = 0;
    dst[0] = '\0';
    for (i = 0; i < nr && off < n; i++)
        off += (size_t)snprintf(dst + off, n - off, "%s%s", i ? "," : "", r[i].text);
    if (!nr)
        snprintf(dst, n, "<none>");
    free(r);
}
