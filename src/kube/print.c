#include "kube/print.h"

#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "core/json.h"
#include "core/jsonpath.h"
#include "core/table.h"
#include "core/text.h"
#include "core/yaml.h"

#define GET_FORMATS                                                                                \
    "custom-columns,custom-columns-file,go-template,go-template-file,json,jsonpath,jsonpath-as-"   \
    "json,jsonpath-file,name,template,templatefile,wide,yaml"

int kube_printer_parse(const char *o, enum kube_out *kind, const char **tmpl, struct buf *msg)
{
    *tmpl = NULL;
    if (!o || !*o)
        *kind = KUBE_OUT_TABLE;
    else if (!strcmp(o, "wide"))
        *kind = KUBE_OUT_WIDE;
    else if (!strcmp(o, "json"))
        *kind = KUBE_OUT_JSON;
    else if (!strcmp(o, "yaml"))
        *kind = KUBE_OUT_YAML;
    else if (!strcmp(o, "name"))
        *kind = KUBE_OUT_NAME;
    else if (!strncmp(o, "jsonpath=", 9)) {
        *kind = KUBE_OUT_JSONPATH;
        *tmpl = o + 9;
    } else if (!strcmp(o, "jsonpath")) {
        buf_adds(msg, "template format specified but no template given");
        return -1;
    } else {
        buf_addf(msg,
                 "unable to match a printer suitable for the output format \"%s\", allowed "
                 "formats are: " GET_FORMATS,
                 o);
        return -1;
    }
    return 0;
}

void kube_printer_init(struct kube_printer *p, enum kube_out kind, const char *tmpl, FILE *out)
{
    memset(p, 0, sizeof *p);
    p->kind = kind;
    p->tmpl = tmpl;
    p->allow_missing = 1;
    p->out = out;
    p->now = time(NULL);
    buf_init(&p->a, 0);
    buf_init(&p->b, 0);
}

void kube_printer_fini(struct kube_printer *p)
{
    json_decref(p->collected);
    json_decref(p->columns);
    table_free(p->table);
    buf_fini(&p->a);
    buf_fini(&p->b);
    p->collected = p->columns = NULL;
    p->table = NULL;
}

int kube_printer_wants_table(const struct kube_printer *p)
{
    return p->kind == KUBE_OUT_TABLE || p->kind == KUBE_OUT_WIDE;
}

/* ---- ages ---- */

void kube_human_duration(double secs, char *dst, size_t n)
{
    long long s = (long long)secs;
    if (s < -1) {
        snprintf(dst, n, "<invalid>");
        return;
    }
    if (s < 0) {
        snprintf(dst, n, "0s");
        return;
    }
    if (s < 120) {
        snprintf(dst, n, "%llds", s);
        return;
    }
    long long m = s / 60;
    if (m < 10) {
        if (s % 60 == 0)
            snprintf(dst, n, "%lldm", m);
        else
            snprintf(dst, n, "%lldm%llds", m, s % 60);
        return;
    }
    if (m < 180) {
        snprintf(dst, n, "%lldm", m);
        return;
    }
    long long h = s / 3600;
    if (h < 8) {
        if (m % 60 == 0)
            snprintf(dst, n, "%lldh", h);
        else
            snprintf(dst, n, "%lldh%lldm", h, m % 60);
        return;
    }
    if (h < 48) {
        snprintf(dst, n, "%lldh", h);
        return;
    }
    if (h < 24 * 8) {
        if (h % 24 == 0)
            snprintf(dst, n, "%lldd", h / 24);
        else
            snprintf(dst, n, "%lldd%lldh", h / 24, h % 24);
        return;
    }
    if (h < 24 * 365 * 2) {
        snprintf(dst, n, "%lldd", h / 24);
        return;
    }
    if (h < 24 * 365 * 8) {
        long long dy = (h / 24) % 365;
        if (dy == 0)
            snprintf(dst, n, "%lldy", h / 24 / 365);
        else
            snprintf(dst, n, "%lldy%lldd", h / 24 / 365, dy);
        return;
    }
    snprintf(dst, n, "%lldy", h / 24 / 365);
}

void kube_age(const char *ts, time_t now, char *dst, size_t n)
{
    int64_t t;
    if (text_rfc3339_parse(ts, &t) < 0) {
        snprintf(dst, n, "<unknown>");
        return;
    }
    kube_human_duration((double)(now - (time_t)t), dst, n);
}

/* ---- helpers ---- */

static int put(struct kube_printer *p, const char *s, size_t n)
{
    return n && fwrite(s, 1, n, p->out) != n ? -1 : 0;
}

static int oom(struct buf *msg)
{
    buf_adds(msg, "out of memory");
    return -1;
}

/* Appends <text> with every line indented by <ind> spaces. */
static int indent(struct buf *out, const char *text, size_t len, int ind)
{
    static const char sp[] = "                ";
    const char *p = text, *end = text + len;
    while (p < end) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        size_t l = nl ? (size_t)(nl - p + 1) : (size_t)(end - p);
        if (buf_add(out, sp, (size_t)ind) < 0 || buf_add(out, p, l) < 0)
            return -ENOMEM;
        p += l;
    }
    return 0;
}

static void kind_group(const json_t *obj, const struct kube_resource *r, char *dst, size_t n)
{
    const char *kind = json_string_value(json_object_get(obj, "kind"));
    const char *av = json_string_value(json_object_get(obj, "apiVersion"));
    char group[256] = "";
    if (kind && *kind) {
        const char *slash = av ? strchr(av, '/') : NULL;
        if (slash)
            snprintf(group, sizeof group, "%.*s", (int)(slash - av), av);
    } else {
        kind = r ? r->kind : "";
        snprintf(group, sizeof group, "%s", r ? r->group : "");
    }
    size_t k = 0;
    for (; kind[k] && k + 1 < n; k++)
        dst[k] = (char)tolower((unsigned char)kind[k]);
    dst[k] = '\0';
    if (*group)
        snprintf(dst + k, n - k, ".%s", group);
}

static const char *obj_name(const json_t *obj)
{
    const char *s = json_string_value(json_object_get(json_object_get(obj, "metadata"), "name"));
    return s ? s : "";
}

/* ---- json / yaml lists ---- */

static const char JSON_HEAD[] = "{\n    \"apiVersion\": \"v1\",\n    \"items\": [";
static const char JSON_TAIL[] = ",\n    \"kind\": \"List\",\n    \"metadata\": {\n"
                                "        \"resourceVersion\": \"\"\n    }\n}\n";
static const char YAML_HEAD[] = "apiVersion: v1\nitems:\n";
static const char YAML_TAIL[] = "kind: List\nmetadata:\n  resourceVersion: \"\"\n";

static int json_item(struct kube_printer *p, json_t *obj, struct buf *msg)
{
    buf_reset(&p->a);
    buf_reset(&p->b);
    if (json_sort_keys(obj) < 0 || json_emit_go(obj, 4, &p->a) < 0)
        return oom(msg);
    if (buf_adds(&p->b, p->list_started ? ",\n" : JSON_HEAD) < 0 ||
        (!p->list_started && buf_addc(&p->b, '\n') < 0) || indent(&p->b, p->a.p, p->a.len, 8) < 0)
        return oom(msg);
    p->list_started = 1;
    return put(p, p->b.p, p->b.len);
}

static int yaml_item(struct kube_printer *p, json_t *obj, struct buf *msg)
{
    buf_reset(&p->a);
    /* go-yaml folds long strings at a column that depends on the
     * indentation: print the item where it will stand, under "items:". */
    json_t *wrap = json_pack("{s:[O]}", "items", obj);
    struct err e;
    if (!wrap)
        return oom(msg);
    int rc = yaml_emit_err(wrap, &p->a, &e);
    json_decref(wrap);
    if (rc < 0) {
        buf_adds(msg, e.msg);
        return -1;
    }
    size_t skip = strlen("items:\n");
    if (!p->list_started && put(p, YAML_HEAD, strlen(YAML_HEAD)) < 0)
        return -1;
    p->list_started = 1;
    return put(p, p->a.p + skip, p->a.len - skip);
}

/* ---- tables ---- */

static void cell_text(const json_t *v, struct buf *out)
{
    if (json_is_string(v)) {
        const char *s = json_string_value(v);
        size_t n = strcspn(s, "\f\n\r");
        buf_add(out, s, n);
        if (s[n])
            buf_adds(out, "...");
    } else if (json_is_integer(v)) {
        buf_addf(out, "%lld", (long long)json_integer_value(v));
    } else if (json_is_real(v)) {
        char f[JSON_FLOAT_MAX];
        json_float_g(json_real_value(v), 64, f);
        buf_adds(out, f);
    } else if (json_is_true(v)) {
        buf_adds(out, "true");
    } else if (json_is_false(v)) {
        buf_adds(out, "false");
    } else if (json_is_object(v) || json_is_array(v)) {
        char *d = json_dumps(v, JSON_COMPACT);
        buf_adds(out, d ? d : "");
        free(d);
    }
}

static int shown(const struct kube_printer *p, const json_t *col)
{
    return p->kind == KUBE_OUT_WIDE || json_integer_value(json_object_get(col, "priority")) == 0;
}

static int start_table(struct kube_printer *p, json_t *columns, const struct kube_resource *r,
                       struct buf *msg)
{
    if (p->table && p->res != r && kube_printer_flush_table(p, msg) < 0)
        return -1;
    if (p->table)
        return 0;
    p->table = table_new();
    if (!p->table)
        return oom(msg);
    p->res = r;
    json_decref(p->columns);
    p->columns = columns ? json_incref(columns) : NULL;
    p->generic = columns == NULL;
    p->table_rows = 0;
    if (p->no_headers)
        return 0;
    if (p->all_namespaces && (!r || r->namespaced))
        table_add(p->table, "NAMESPACE");
    if (p->generic) {
        table_add(p->table, "NAME");
        table_add(p->table, "AGE");
    } else {
        size_t i;
        json_t *col;
        json_array_foreach(columns, i, col)
        {
            if (!shown(p, col))
                continue;
            const char *name = json_string_value(json_object_get(col, "name"));
            buf_reset(&p->a);
            for (const char *s = name ? name : ""; *s; s++)
                buf_addc(&p->a, (char)toupper((unsigned char)*s));
            table_add(p->table, buf_str(&p->a));
        }
    }
    return table_end_row(p->table) < 0 ? oom(msg) : 0;
}

static int table_row(struct kube_printer *p, json_t *obj, json_t *columns,
                     const struct kube_resource *r, struct buf *msg)
{
    if (start_table(p, columns, r, msg) < 0)
        return -1;
    char kg[300] = "";
    json_t *meta_obj = columns ? json_object_get(obj, "object") : obj;
    if (p->show_kind)
        kind_group(columns ? NULL : obj, r, kg, sizeof kg); /* a row's object is metadata only */
    if (p->all_namespaces && (!r || r->namespaced)) {
        const char *ns =
            json_string_value(json_object_get(json_object_get(meta_obj, "metadata"), "namespace"));
        table_add(p->table, ns ? ns : "");
    }
    if (!columns) {
        char age[64];
        buf_reset(&p->a);
        if (*kg)
            buf_addf(&p->a, "%s/", kg);
        buf_adds(&p->a, obj_name(obj));
        table_add(p->table, buf_str(&p->a));
        kube_age(json_string_value(
                     json_object_get(json_object_get(obj, "metadata"), "creationTimestamp")),
                 p->now, age, sizeof age);
        table_add(p->table, age);
    } else {
        json_t *cells = json_object_get(obj, "cells");
        size_t i;
        json_t *col;
        json_array_foreach(columns, i, col)
        {
            if (!shown(p, col))
                continue;
            buf_reset(&p->a);
            const char *fmt = json_string_value(json_object_get(col, "format"));
            if (*kg && fmt && !strcmp(fmt, "name"))
                buf_addf(&p->a, "%s/", kg);
            json_t *cell = json_array_get(cells, i);
            if (cell)
                cell_text(cell, &p->a);
            table_add(p->table, buf_str(&p->a));
        }
    }
    p->table_rows++;
    return table_end_row(p->table) < 0 ? oom(msg) : 0;
}

int kube_printer_flush_table(struct kube_printer *p, struct buf *msg)
{
    if (!p->table)
        return 0;
    int rc = 0;
    if (p->table_rows) {
        buf_reset(&p->b);
        if (p->tables_done)
            buf_addc(&p->b, '\n');
        if (table_render(p->table, &p->b) < 0)
            rc = oom(msg);
        else if (put(p, p->b.p, p->b.len) < 0)
            rc = -1;
        p->tables_done++;
    }
    table_free(p->table);
    p->table = NULL;
    p->res = NULL;
    return rc;
}

/* ---- the printer ---- */

int kube_printer_single(struct kube_printer *p, json_t *obj, const struct kube_resource *r,
                        struct buf *msg)
{
    p->items++;
    switch (p->kind) {
    case KUBE_OUT_JSON:
        buf_reset(&p->a);
        if (json_sort_keys(obj) < 0 || json_emit_go(obj, 4, &p->a) < 0 || buf_addc(&p->a, '\n') < 0)
            return oom(msg);
        return put(p, p->a.p, p->a.len);
    case KUBE_OUT_YAML: {
        struct err e;
        buf_reset(&p->a);
        if (yaml_emit_err(obj, &p->a, &e) < 0) {
            buf_adds(msg, e.msg);
            return -1;
        }
        return put(p, p->a.p, p->a.len);
    }
    case KUBE_OUT_JSONPATH:
        p->collected = json_incref(obj);
        return 0;
    default:
        p->items--;
        return kube_printer_item(p, obj, NULL, r, msg);
    }
}

int kube_printer_item(struct kube_printer *p, json_t *obj, json_t *columns,
                      const struct kube_resource *r, struct buf *msg)
{
    p->items++;
    switch (p->kind) {
    case KUBE_OUT_JSON:
        return json_item(p, obj, msg);
    case KUBE_OUT_YAML:
        return yaml_item(p, obj, msg);
    case KUBE_OUT_NAME: {
        char kg[300];
        kind_group(obj, r, kg, sizeof kg);
        buf_reset(&p->a);
        buf_addf(&p->a, "%s/%s\n", kg, obj_name(obj));
        return put(p, p->a.p, p->a.len);
    }
    case KUBE_OUT_JSONPATH:
        if (!p->collected || !json_is_array(p->collected)) {
            json_decref(p->collected);
            p->collected = json_array();
        }
        if (!p->collected || json_array_append(p->collected, obj) < 0)
            return oom(msg);
        return 0;
    default:
        return table_row(p, obj, columns, r, msg);
    }
}

int kube_printer_end(struct kube_printer *p, struct buf *msg)
{
    int rc = 0;
    switch (p->kind) {
    case KUBE_OUT_JSON:
        if (!p->list_started)
            rc = put(p, JSON_HEAD, strlen(JSON_HEAD)) < 0 || put(p, "]", 1) < 0 ? -1 : 0;
        else
            rc = put(p, "\n    ]", 6);
        if (rc == 0)
            rc = put(p, JSON_TAIL, strlen(JSON_TAIL));
        break;
    case KUBE_OUT_YAML:
        if (!p->list_started)
            rc = put(p, "apiVersion: v1\nitems: []\n", 25);
        if (rc == 0)
            rc = put(p, YAML_TAIL, strlen(YAML_TAIL));
        break;
    case KUBE_OUT_JSONPATH: {
        json_t *doc = p->collected;
        json_t *list = NULL;
        if (!doc || json_is_array(doc)) {
            json_t *items = doc ? json_incref(doc) : json_array();
            list = json_pack("{s:s,s:o,s:s,s:{s:s}}", "apiVersion", "v1", "items", items, "kind",
                             "List", "metadata", "resourceVersion", "");
            doc = list;
        }
        if (!doc)
            return oom(msg);
        struct err e;
        buf_reset(&p->a);
        struct jsonpath *jp = jsonpath_parse(p->tmpl, &e);
        if (!jp) {
            jsonpath_parse_error_text(p->tmpl, e.msg, msg);
            rc = -1;
        } else if (jsonpath_exec(jp, doc, p->allow_missing, &p->a, &e) < 0) {
            jsonpath_exec_error_text(p->tmpl, e.msg, doc, msg);
            rc = -1;
        } else {
            rc = put(p, p->a.p, p->a.len);
        }
        jsonpath_free(jp);
        json_decref(list);
        break;
    }
    case KUBE_OUT_NAME:
        break;
    default:
        rc = kube_printer_flush_table(p, msg);
        break;
    }
    if (rc == 0 && fflush(p->out) != 0)
        rc = -1;
    if (rc < 0 && !msg->len)
        buf_adds(msg, "write error on standard output");
    return rc;
}
