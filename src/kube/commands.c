#include "kube/commands.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/buf.h"
#include "core/cli.h"
#include "core/json.h"
#include "core/strv.h"
#include "core/table.h"
#include "core/yaml.h"
#include "kube/api.h"
#include "kube/discovery.h"
#include "kube/print.h"

struct kube_client *kube_connect(const struct kube_overrides *o, const char *qps, const char *burst,
                                 struct err *e)
{
    struct kube_client_opts opts;
    kube_client_opts_default(&opts);
    if (qps && *qps) {
        char *end;
        double v = strtod(qps, &end);
        if (*end || end == qps) {
            err_set(e,
                    "invalid argument \"%s\" for \"--kube-api-qps\" flag: strconv.ParseFloat: "
                    "parsing \"%s\": invalid syntax",
                    qps, qps);
            return NULL;
        }
        opts.qps = v;
    }
    if (burst && *burst)
        opts.burst = atoi(burst);
    struct kube_restcfg cfg;
    if (kube_restcfg_load(&cfg, o, e) < 0)
        return NULL;
    return kube_client_new(&cfg, &opts, e);
}

static int fail_buf(const struct buf *msg)
{
    fprintf(stderr, "error: %s%s", buf_str(msg),
            msg->len && msg->p[msg->len - 1] == '\n' ? "" : "\n");
    return 1;
}

/* ---- get ---- */

struct target {
    const struct kube_resource *r;
    const char **names;
    size_t nnames;
};

struct getter {
    struct kube_client *c;
    const struct kube_get_opts *o;
    struct kube_printer p;
    const struct kube_resource *r;
    struct buf msg;
    int failed;
};

static int list_item(void *arg, json_t *item, const struct kube_list_info *info)
{
    struct getter *g = arg;
    if (kube_printer_item(&g->p, item, info->columns, g->r, &g->msg) < 0) {
        g->failed = 1;
        return -1;
    }
    return 0;
}

/* Items of a single GET: a Table's rows, or the object. */
static int print_got(struct getter *g, json_t *obj, int single)
{
    const char *kind = json_string_value(json_object_get(obj, "kind"));
    if (kind && !strcmp(kind, "Table") && kube_printer_wants_table(&g->p)) {
        json_t *cols = json_object_get(obj, "columnDefinitions");
        size_t i;
        json_t *row;
        json_array_foreach(json_object_get(obj, "rows"), i, row)
        {
            if (kube_printer_item(&g->p, row, cols, g->r, &g->msg) < 0)
                return -1;
        }
        return 0;
    }
    if (single)
        return kube_printer_single(&g->p, obj, g->r, &g->msg);
    return kube_printer_item(&g->p, obj, NULL, g->r, &g->msg);
}

static int add_target(struct target **t, size_t *n, const struct kube_resource *r)
{
    for (size_t i = 0; i < *n; i++)
        if ((*t)[i].r == r)
            return (int)i;
    struct target *nt = realloc(*t, (*n + 1) * sizeof *nt);
    if (!nt)
        return -1;
    *t = nt;
    memset(&nt[*n], 0, sizeof nt[*n]);
    nt[*n].r = r;
    return (int)(*n)++;
}

static int add_name(struct target *t, const char *name)
{
    const char **nn = realloc(t->names, (t->nnames + 1) * sizeof *nn);
    if (!nn)
        return -1;
    t->names = nn;
    t->names[t->nnames++] = name;
    return 0;
}

/* Resolves one comma-separated list of types (categories expanded) into
 * targets. Returns 0 or -1 with <e>. */
static int resolve_types(const struct kube_discovery *d, const char *types, struct target **t,
                         size_t *n, struct err *e)
{
    char *copy = strdup(types);
    if (!copy)
        return err_set(e, "out of memory");
    int rc = 0;
    char *save = NULL;
    for (char *tok = strtok_r(copy, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
        size_t nc = 0;
        const struct kube_resource **cat = kube_category(d, tok, &nc);
        int is_resource = 0;
        if (nc) {
            struct err tmp;
            is_resource = kube_resolve(d, tok, &tmp) != NULL &&
                          strchr(tok, '.') != NULL; /* "all" is a category, not a type */
        }
        if (nc && !is_resource) {
            for (size_t i = 0; i < nc; i++)
                if (add_target(t, n, cat[i]) < 0)
                    rc = err_set(e, "out of memory");
            free(cat);
            continue;
        }
        free(cat);
        const struct kube_resource *r = kube_resolve(d, tok, e);
        if (!r) {
            rc = -1;
            break;
        }
        if (add_target(t, n, r) < 0) {
            rc = err_set(e, "out of memory");
            break;
        }
    }
    free(copy);
    return rc;
}

/* ---- watch output ---- */

struct watch_out {
    struct getter *g;
    int header_done;
    size_t widths[64];
    size_t ncols;
    json_t *columns;
    long yaml_docs;
};

static size_t runes(const char *s)
{
    size_t n = 0;
    for (; *s; s++)
        n += ((unsigned char)*s & 0xC0) != 0x80;
    return n;
}

/* One aligned line, widths remembered across lines as kubectl's tabwriter
 * (RememberWidths) keeps them: a column never shrinks. */
static void watch_line(struct watch_out *w, char **cells, size_t n)
{
    struct buf line = BUF_INIT;
    for (size_t i = 0; i < n && i < 64; i++) {
        if (!cells[i])
            cells[i] = strdup("");
        if (!cells[i])
            break; /* out of memory: the line is cut short */
        size_t len = runes(cells[i]);
        if (i + 1 < n) {
            size_t want = len + 3 < 6 ? 6 : len + 3;
            if (want > w->widths[i])
                w->widths[i] = want;
            buf_adds(&line, cells[i]);
            for (size_t k = len; k < w->widths[i]; k++)
                buf_addc(&line, ' ');
        } else {
            buf_adds(&line, cells[i]);
        }
    }
    buf_addc(&line, '\n');
    fwrite(line.p, 1, line.len, stdout);
    buf_fini(&line);
}

static int watch_table_event(struct watch_out *w, const char *type, json_t *obj)
{
    struct getter *g = w->g;
    json_t *cols = NULL, *row = NULL;
    const char *kind = json_string_value(json_object_get(obj, "kind"));
    if (kind && !strcmp(kind, "Table")) {
        cols = json_object_get(obj, "columnDefinitions");
        if (json_array_size(cols) && !w->columns)
            w->columns = json_incref(cols);
        cols = w->columns;
        row = json_array_get(json_object_get(obj, "rows"), 0);
        if (!row)
            return 0;
    }
    char *cells[66];
    size_t nc = 0;
    /* Header once. */
    if (!w->header_done && !g->o->no_headers) {
        char *hdr[66];
        size_t nh = 0;
        if (g->o->output_watch_events)
            hdr[nh++] = strdup("EVENT");
        if (g->o->all_namespaces && g->r->namespaced)
            hdr[nh++] = strdup("NAMESPACE");
        if (cols) {
            size_t i;
            json_t *col;
            json_array_foreach(cols, i, col)
            {
                if (nh >= 64)
                    break;
                if (g->p.kind != KUBE_OUT_WIDE &&
                    json_integer_value(json_object_get(col, "priority")) != 0)
                    continue;
                const char *name = json_string_value(json_object_get(col, "name"));
                char *u = strdup(name ? name : "");
                for (char *s = u; s && *s; s++)
                    *s = (char)(*s >= 'a' && *s <= 'z' ? *s - 32 : *s);
                hdr[nh++] = u;
            }
        } else {
            hdr[nh++] = strdup("NAME");
            hdr[nh++] = strdup("AGE");
        }
        watch_line(w, hdr, nh);
        for (size_t i = 0; i < nh; i++)
            free(hdr[i]);
    }
    w->header_done = 1;
    if (g->o->output_watch_events)
        cells[nc++] = strdup(type);
    json_t *meta_src = row ? json_object_get(row, "object") : obj;
    if (g->o->all_namespaces && g->r->namespaced) {
        const char *ns =
            json_string_value(json_object_get(json_object_get(meta_src, "metadata"), "namespace"));
        cells[nc++] = strdup(ns ? ns : "");
    }
    if (cols) {
        json_t *cv = json_object_get(row, "cells");
        size_t i;
        json_t *col;
        json_array_foreach(cols, i, col)
        {
            if (nc >= 64)
                break;
            if (g->p.kind != KUBE_OUT_WIDE &&
                json_integer_value(json_object_get(col, "priority")) != 0)
                continue;
            json_t *cell = json_array_get(cv, i);
            struct buf cb = BUF_INIT;
            if (json_is_string(cell)) {
                const char *s = json_string_value(cell);
                size_t k = strcspn(s, "\f\n\r");
                buf_add(&cb, s, k);
                if (s[k])
                    buf_adds(&cb, "...");
            } else if (json_is_integer(cell)) {
                buf_addf(&cb, "%lld", (long long)json_integer_value(cell));
            } else if (json_is_real(cell)) {
                char f[JSON_FLOAT_MAX];
                json_float_g(json_real_value(cell), 64, f);
                buf_adds(&cb, f);
            } else if (json_is_boolean(cell)) {
                buf_adds(&cb, json_is_true(cell) ? "true" : "false");
            }
            cells[nc++] = buf_take(&cb);
        }
    } else {
        const char *name =
            json_string_value(json_object_get(json_object_get(obj, "metadata"), "name"));
        cells[nc++] = strdup(name ? name : "");
        char age[64];
        kube_age(json_string_value(
                     json_object_get(json_object_get(obj, "metadata"), "creationTimestamp")),
                 time(NULL), age, sizeof age);
        cells[nc++] = strdup(age);
    }
    watch_line(w, cells, nc);
    for (size_t i = 0; i < nc; i++)
        free(cells[i]);
    return 0;
}

static int watch_print(struct watch_out *w, const char *type, json_t *obj)
{
    struct getter *g = w->g;
    const struct kube_get_opts *o = g->o;
    struct buf out = BUF_INIT;
    int rc = 0;
    switch (g->p.kind) {
    case KUBE_OUT_TABLE:
    case KUBE_OUT_WIDE:
        rc = watch_table_event(w, type, obj);
        break;
    case KUBE_OUT_NAME: {
        const char *kind = json_string_value(json_object_get(obj, "kind"));
        const char *av = json_string_value(json_object_get(obj, "apiVersion"));
        const char *slash = av ? strchr(av, '/') : NULL;
        buf_reset(&out);
        for (const char *s = kind ? kind : g->r->kind; *s; s++)
            buf_addc(&out, (char)(*s >= 'A' && *s <= 'Z' ? *s + 32 : *s));
        if (slash)
            buf_addf(&out, ".%.*s", (int)(slash - av), av);
        buf_addf(&out, "/%s\n",
                 json_string_value(json_object_get(json_object_get(obj, "metadata"), "name")));
        break;
    }
    case KUBE_OUT_JSON:
    case KUBE_OUT_YAML: {
        json_t *doc = o->output_watch_events ? json_pack("{s:s,s:O}", "type", type, "object", obj)
                                             : json_incref(obj);
        if (!doc)
            return -1;
        if (g->p.kind == KUBE_OUT_JSON) {
            json_sort_keys(doc);
            rc = json_emit_go(doc, 4, &out) < 0 || buf_addc(&out, '\n') < 0 ? -1 : 0;
        } else {
            if (w->yaml_docs++)
                buf_adds(&out, "---\n");
            rc = yaml_emit(doc, &out) < 0 ? -1 : 0;
        }
        json_decref(doc);
        break;
    }
    case KUBE_OUT_JSONPATH: {
        struct buf msg = BUF_INIT;
        struct kube_printer p;
        kube_printer_init(&p, KUBE_OUT_JSONPATH, g->p.tmpl, stdout);
        rc = kube_printer_single(&p, obj, g->r, &msg);
        if (rc == 0)
            rc = kube_printer_end(&p, &msg);
        if (rc < 0)
            fail_buf(&msg);
        kube_printer_fini(&p);
        buf_fini(&msg);
        break;
    }
    }
    if (out.len)
        fwrite(out.p, 1, out.len, stdout);
    fflush(stdout);
    buf_fini(&out);
    return rc;
}

static int watch_event_cb(void *arg, const char *type, json_t *obj)
{
    struct watch_out *w = arg;
    if (!obj)
        return 0; /* RESYNC: the differences follow as ordinary events */
    return watch_print(w, type, obj) < 0 ? -1 : 0;
}

/* get -w: the list (unless --watch-only) printed object by object, then the
 * changes from the list's resourceVersion, until --request-timeout. */
static int run_watch(struct getter *g, const char *ns, const char *name)
{
    struct watch_out w = {.g = g};
    struct buf fs = BUF_INIT;
    struct err e = {{0}};
    /* kubectl's EVENT column starts as wide as its longest value,
     * "BOOKMARK", and the padding. */
    if (g->o->output_watch_events && !g->o->no_headers)
        w.widths[0] = strlen("BOOKMARK") + 3;
    int rc = 0;
    if (g->o->field_selector && *g->o->field_selector)
        buf_adds(&fs, g->o->field_selector);
    if (name)
        buf_addf(&fs, "%smetadata.name=%s", fs.len ? "," : "", name);
    const char *accept = kube_printer_wants_table(&g->p) ? KUBE_ACCEPT_TABLE : NULL;
    long timeout = kube_client_cfg(g->c)->timeout_ms;
    struct kube_watch_opts wo = {.label_selector = g->o->selector,
                                 .field_selector = buf_str(&fs),
                                 .start =
                                     g->o->watch_only ? KUBE_WATCH_LIST_SILENT : KUBE_WATCH_LIST,
                                 .page_size = g->o->chunk_size > 0 ? g->o->chunk_size : -1,
                                 .accept = accept,
                                 .deadline_ms = timeout};
    if (kube_watch(g->c, g->r, ns, &wo, watch_event_cb, &w, NULL, &e) < 0)
        rc = kube_fail(&e);
    json_decref(w.columns);
    buf_fini(&fs);
    return rc;
}

/* kubectl's EnhanceListError: a list's BadRequest or NotFound names what
 * was listed ("Unable to find \"/v1, Resource=configmaps\" that match label
 * selector ..."). */
static void enhance_list_error(struct err *e, const struct kube_resource *r, const char *ls,
                               const char *fs)
{
    static const char *const heads[] = {"Error from server (BadRequest): ",
                                        "Error from server (NotFound): "};
    for (size_t i = 0; i < 2; i++) {
        size_t hl = strlen(heads[i]);
        if (strncmp(e->msg, heads[i], hl))
            continue;
        char rest[ERR_MSG_MAX];
        snprintf(rest, sizeof rest, "%s", e->msg + hl);
        char subj[600];
        snprintf(subj, sizeof subj, "%s/%s, Resource=%s", r->group, r->version, r->name);
        if ((!ls || !*ls) && (!fs || !*fs))
            err_set(e,
                    "%s"
                    "Unable to list \"%s\": %s",
                    heads[i], subj, rest);
        else
            err_set(e,
                    "%s"
                    "Unable to find \"%s\" that match label selector \"%s\", field selector "
                    "\"%s\": %s",
                    heads[i], subj, ls ? ls : "", fs ? fs : "", rest);
        return;
    }
}

int kube_cmd_get(struct kube_client *c, const struct kube_get_opts *o)
{
    struct getter g = {.c = c, .o = o};
    enum kube_out kind;
    const char *tmpl;
    struct target *t = NULL;
    size_t nt = 0;
    struct err e;
    int rc = 1;
    buf_init(&g.msg, 0);
    if (kube_printer_parse(o->output, &kind, &tmpl, &g.msg) < 0) {
        fail_buf(&g.msg);
        buf_fini(&g.msg);
        return 1;
    }
    if (o->nargs == 0) {
        fprintf(stderr, "You must specify the type of resource to get. Use \"ferry "
                        "api-resources\" for a complete list of supported resources.\n\n"
                        "error: Required resource not specified.\n"
                        "See 'ferry get -h' for help and examples\n");
        return 1;
    }
    int slash_form = strchr(o->args[0], '/') != NULL;
    for (size_t i = 1; i < o->nargs; i++) {
        if ((strchr(o->args[i], '/') != NULL) != slash_form) {
            fprintf(stderr, "error: there is no need to specify a resource type as a separate "
                            "argument when passing arguments in resource/name form (e.g. 'ferry "
                            "get resource/<resource_name>' instead of 'ferry get resource "
                            "resource/<resource_name>'\n");
            return 1;
        }
    }
    int has_names = slash_form || o->nargs > 1;
    if (has_names && o->all_namespaces)
        return cli_fail("a resource cannot be retrieved by name across all namespaces");
    if (has_names && o->selector && *o->selector)
        return cli_fail("name cannot be provided when a selector is specified");
    if ((o->watch || o->watch_only) &&
        (slash_form ? o->nargs > 1 : strchr(o->args[0], ',') != NULL))
        return cli_fail("you may only specify a single resource type");

    const struct kube_discovery *d = kube_discover(c, &e);
    if (!d)
        return kube_fail(&e);
    if (slash_form) {
        for (size_t i = 0; i < o->nargs; i++) {
            char type[256];
            const char *sl = strchr(o->args[i], '/');
            snprintf(type, sizeof type, "%.*s", (int)(sl - o->args[i]), o->args[i]);
            const struct kube_resource *r = kube_resolve(d, type, &e);
            if (!r) {
                rc = kube_fail(&e);
                goto out;
            }
            int k = add_target(&t, &nt, r);
            if (k < 0 || add_name(&t[k], sl + 1) < 0) {
                rc = cli_fail("out of memory");
                goto out;
            }
        }
    } else {
        if (resolve_types(d, o->args[0], &t, &nt, &e) < 0) {
            rc = kube_fail(&e);
            goto out;
        }
        for (size_t k = 0; k < nt; k++)
            for (size_t i = 1; i < o->nargs; i++)
                if (add_name(&t[k], o->args[i]) < 0) {
                    rc = cli_fail("out of memory");
                    goto out;
                }
    }
    const struct kube_restcfg *cfg = kube_client_cfg(c);
    const char *ns = o->all_namespaces ? NULL : cfg->namespace_;
    size_t total_names = 0;
    for (size_t k = 0; k < nt; k++)
        total_names += t[k].nnames;
    int single = total_names == 1 && nt == 1;

    kube_printer_init(&g.p, kind, tmpl, stdout);
    if (o->watch || o->watch_only) {
        if (total_names > 1) {
            rc = cli_fail("watch is only supported on individual resources and resource "
                          "collections, but %zu resources were found",
                          total_names);
            goto out_p;
        }
        g.r = t[0].r;
        g.p.all_namespaces = o->all_namespaces;
        rc = run_watch(&g, ns, t[0].nnames ? t[0].names[0] : NULL);
        goto out_p;
    }
    g.p.no_headers = o->no_headers;
    g.p.all_namespaces = o->all_namespaces;
    g.p.show_kind = o->show_kind || nt > 1 || (slash_form && nt > 1);
    g.p.allow_missing = o->allow_missing;
    const char *accept = kube_printer_wants_table(&g.p) ? KUBE_ACCEPT_TABLE : NULL;
    int errors = 0;
    for (size_t k = 0; k < nt && !g.failed; k++) {
        g.r = t[k].r;
        {
            for (size_t i = 0; i < t[k].nnames; i++) {
                json_t *obj = NULL;
                int gr = kube_get(c, g.r, ns, t[k].names[i], accept, &obj, &e);
                if (gr < 0) {
                    if (gr == KUBE_ESTATUS && o->ignore_not_found && strstr(e.msg, "(NotFound)"))
                        continue;
                    /* Print what came so far, then the error, as kubectl does. */
                    kube_fail(&e);
                    errors++;
                    if (gr == KUBE_ECONN)
                        break;
                    continue;
                }
                if (print_got(&g, obj, single) < 0)
                    g.failed = 1;
                json_decref(obj);
            }
            if (t[k].nnames == 0) {
                struct kube_list_opts lo = {.label_selector = o->selector,
                                            .field_selector = o->field_selector,
                                            .limit = o->chunk_size > 0 ? o->chunk_size : -1,
                                            .accept = accept};
                struct kube_list_info info;
                int lr = kube_list(c, g.r, ns, &lo, list_item, &g, &info, &e);
                kube_list_info_fini(&info);
                if (lr < 0 && !g.failed) {
                    kube_printer_flush_table(&g.p, &g.msg);
                    enhance_list_error(&e, g.r, o->selector, o->field_selector);
                    kube_fail(&e);
                    errors++;
                    break;
                }
            }
        }
        if (!g.failed && kube_printer_wants_table(&g.p) && nt > 1)
            kube_printer_flush_table(&g.p, &g.msg);
    }
    if (g.failed) {
        rc = fail_buf(&g.msg);
        goto out_p;
    }
    int human = kind == KUBE_OUT_TABLE || kind == KUBE_OUT_WIDE;
    /* A single object asked for by name was printed as itself. */
    if (!(single && (kind == KUBE_OUT_JSON || kind == KUBE_OUT_YAML)) &&
        kube_printer_end(&g.p, &g.msg) < 0) {
        rc = fail_buf(&g.msg);
        goto out_p;
    }
    if (human && g.p.items == 0 && !errors) {
        if (o->all_namespaces || (nt == 1 && !t[0].r->namespaced) || total_names)
            fprintf(stderr, "No resources found\n");
        else
            fprintf(stderr, "No resources found in %s namespace.\n", ns);
    }
    fflush(stdout);
    rc = errors ? 1 : 0;
out_p:
    kube_printer_fini(&g.p);
out:
    for (size_t k = 0; k < nt; k++)
        free(t[k].names);
    free(t);
    buf_fini(&g.msg);
    return rc;
}

/* ---- api-resources ---- */

static int cmp_res(const void *a, const void *b, const char *by)
{
    const struct kube_resource *x = *(const struct kube_resource *const *)a;
    const struct kube_resource *y = *(const struct kube_resource *const *)b;
    int c;
    if (by && !strcmp(by, "name"))
        c = strcmp(x->name, y->name);
    else if (by && !strcmp(by, "kind"))
        c = strcmp(x->kind, y->kind);
    else
        c = strcmp(x->group, y->group);
    if (c)
        return c;
    return strcmp(x->name, y->name);
}

static int cmp_default(const void *a, const void *b)
{
    return cmp_res(a, b, NULL);
}
static int cmp_name(const void *a, const void *b)
{
    return cmp_res(a, b, "name");
}
static int cmp_kind(const void *a, const void *b)
{
    return cmp_res(a, b, "kind");
}

static int in_list(const char *csv, const char *const *cats)
{
    /* Any of the comma-separated categories. */
    char *copy = strdup(csv), *save = NULL;
    int found = 0;
    for (char *tok = strtok_r(copy, ",", &save); tok && !found; tok = strtok_r(NULL, ",", &save))
        for (size_t i = 0; cats && cats[i]; i++)
            if (!strcmp(cats[i], tok))
                found = 1;
    free(copy);
    return found;
}

static void join(struct buf *b, char **v, int sort)
{
    size_t n = 0;
    while (v && v[n])
        n++;
    char **copy = calloc(n + 1, sizeof *copy);
    if (!copy)
        return;
    memcpy(copy, v, n * sizeof *copy);
    if (sort)
        qsort(copy, n, sizeof *copy, strv_cmp);
    for (size_t i = 0; i < n; i++)
        buf_addf(b, "%s%s", i ? "," : "", copy[i]);
    free(copy);
}

int kube_cmd_api_resources(struct kube_client *c, const struct kube_api_resources_opts *o)
{
    const char *out = o->output ? o->output : "";
    if (*out && strcmp(out, "wide") && strcmp(out, "name"))
        return cli_fail("--output %s is not available", out);
    if (o->sort_by && *o->sort_by && strcmp(o->sort_by, "name") && strcmp(o->sort_by, "kind"))
        return cli_fail("--sort-by accepts only name or kind");
    struct err e;
    const struct kube_discovery *d = kube_discover(c, &e);
    if (!d) {
        /* kubectl prints what it discovered, here nothing, then the error. */
        if (strcmp(out, "name") && !o->no_headers)
            printf("NAME   SHORTNAMES   APIVERSION   NAMESPACED   KIND%s\n",
                   !strcmp(out, "wide") ? "   VERBS   CATEGORIES" : "");
        fflush(stdout);
        return kube_fail(&e);
    }
    const struct kube_resource **sel = calloc(d->n + 1, sizeof *sel);
    if (!sel)
        return cli_fail("out of memory");
    size_t n = 0;
    for (size_t i = 0; i < d->n; i++) {
        const struct kube_resource *r = &d->res[i];
        /* ServerPreferredResources: per group, each resource once, from
         * the first version (in preference order) that serves it. */
        int shadowed = 0;
        for (size_t k = 0; k < d->n && !shadowed; k++) {
            const struct kube_resource *q = &d->res[k];
            shadowed = q != r && !strcmp(q->group, r->group) && !strcmp(q->name, r->name) &&
                       q->version_index < r->version_index;
        }
        if (shadowed)
            continue;
        if (o->api_group_set && strcmp(r->group, o->api_group ? o->api_group : ""))
            continue;
        if (o->namespaced >= 0 && r->namespaced != o->namespaced)
            continue;
        int ok = 1;
        for (size_t v = 0; v < o->nverbs && ok; v++)
            ok = kube_resource_has_verb(r, o->verbs[v]);
        if (!ok)
            continue;
        if (o->categories && *o->categories &&
            !in_list(o->categories, (const char *const *)r->categories))
            continue;
        sel[n++] = r;
    }
    qsort(sel, n, sizeof *sel,
          o->sort_by && !strcmp(o->sort_by, "name")   ? cmp_name
          : o->sort_by && !strcmp(o->sort_by, "kind") ? cmp_kind
                                                      : cmp_default);
    struct buf b = BUF_INIT;
    if (!strcmp(out, "name")) {
        for (size_t i = 0; i < n; i++)
            buf_addf(&b, "%s%s%s\n", sel[i]->name, *sel[i]->group ? "." : "", sel[i]->group);
    } else {
        int wide = !strcmp(out, "wide");
        struct table *t = table_new();
        if (!t) {
            free(sel);
            return cli_fail("out of memory");
        }
        if (!o->no_headers) {
            table_add(t, "NAME");
            table_add(t, "SHORTNAMES");
            table_add(t, "APIVERSION");
            table_add(t, "NAMESPACED");
            table_add(t, "KIND");
            if (wide) {
                table_add(t, "VERBS");
                table_add(t, "CATEGORIES");
            }
            table_end_row(t);
        }
        for (size_t i = 0; i < n; i++) {
            const struct kube_resource *r = sel[i];
            struct buf x = BUF_INIT;
            char gv[300];
            kube_resource_gv(r, gv, sizeof gv);
            table_add(t, r->name);
            join(&x, r->short_names, 0);
            table_add(t, buf_str(&x));
            table_add(t, gv);
            table_add(t, r->namespaced ? "true" : "false");
            table_add(t, r->kind);
            if (wide) {
                buf_reset(&x);
                join(&x, r->verbs, 1);
                table_add(t, buf_str(&x));
                buf_reset(&x);
                join(&x, r->categories, 0);
                table_add(t, buf_str(&x));
            }
            buf_fini(&x);
            table_end_row(t);
        }
        table_render(t, &b);
        table_free(t);
    }
    free(sel);
    if (b.len)
        fwrite(b.p, 1, b.len, stdout);
    buf_fini(&b);
    return fflush(stdout) == 0 ? 0 : cli_fail("write error on standard output");
}

/* ---- namespaces ---- */

/* Each namespace's name, into the struct strv <arg>. */
static int ns_item(void *arg, json_t *item, const struct kube_list_info *info)
{
    (void)info;
    const char *name =
        json_string_value(json_object_get(json_object_get(item, "metadata"), "name"));
    if (!name)
        return 0;
    return strv_add(arg, name, strlen(name));
}

static void ns_line(const char *name, int current, int tty)
{
    if (!current)
        printf("  %s\n", name);
    else if (tty)
        printf("\033[1;32m* %s\033[0m\n", name);
    else
        printf("* %s\n", name);
}

int kube_cmd_namespaces(const struct kube_overrides *o, int tty)
{
    struct err e;
    struct kube_client *c = kube_connect(o, NULL, NULL, &e);
    if (!c)
        return kube_fail(&e);
    const char *cur = kube_client_cfg(c)->namespace_;
    struct strv l = {0};
    struct kube_list_info info;
    int rc = 0;
    const struct kube_discovery *d = kube_discover(c, &e);
    const struct kube_resource *r = d ? kube_resolve(d, "namespaces", &e) : NULL;
    if (!r || kube_list(c, r, NULL, NULL, ns_item, &l, &info, &e) < 0) {
        if (r)
            kube_list_info_fini(&info);
        ns_line(cur, 1, tty);
        fflush(stdout);
        const char *m = e.msg;
        fprintf(stderr,
                "warning: showing the current namespace only; cannot list the cluster's: %s\n", m);
        rc = 1;
        goto out;
    }
    kube_list_info_fini(&info);
    strv_sort(&l);
    int seen = 0;
    for (size_t i = 0; i < l.n; i++)
        seen |= !strcmp(l.v[i], cur);
    for (size_t i = 0; i < l.n; i++) {
        if (!seen && strcmp(cur, l.v[i]) < 0) {
            ns_line(cur, 1, tty); /* the current one, even if the cluster lacks it */
            seen = 1;
        }
        ns_line(l.v[i], !strcmp(l.v[i], cur), tty);
    }
    if (!seen)
        ns_line(cur, 1, tty);
    fflush(stdout);
out:
    strv_fini(&l);
    kube_client_free(c);
    return rc;
}
