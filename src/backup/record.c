#include "backup/record.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "backup/backup.h"
#include "backup/tarball.h"
#include "core/buf.h"
#include "core/output.h"
#include "core/strv.h"
#include "core/text.h"
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

/* Sets <obj>.<key> to the array of the <n> strings of <v>; nothing when
 * <n> is 0 (Go's omitempty). */
static void set_list(json_t *obj, const char *key, const char *const *v, size_t n)
{
    if (!n)
        return;
    json_t *a = json_array();
    for (size_t i = 0; i < n; i++)
        json_array_append_new(a, json_string(v[i]));
    json_object_set_new(obj, key, a);
}

void record_scope_lists(json_t *spec, const struct backup_scope *s, int star)
{
    static const char *const all[] = {"*"};
    if (s->n_include_ns || !star)
        set_list(spec, "includedNamespaces", s->include_ns, s->n_include_ns);
    else
        set_list(spec, "includedNamespaces", all, 1);
    set_list(spec, "excludedNamespaces", s->exclude_ns, s->n_exclude_ns);
    set_list(spec, "includedResources", s->include_res, s->n_include_res);
    set_list(spec, "excludedResources", s->exclude_res, s->n_exclude_res);
}

json_t *record_new(const struct backup_opts *o, const char *loc_name,
                   const struct record_status *st)
{
    char start[32], done[32], expires[32], ttl[64];
    text_rfc3339(st->start, start, sizeof start);
    text_rfc3339(st->completion, done, sizeof done);
    text_rfc3339(st->start + (time_t)(o->ttl_ms / 1000), expires, sizeof expires);
    record_duration(o->ttl_ms, ttl, sizeof ttl);

    json_t *meta =
        json_pack("{s:s, s:s, s:s, s:{s:s}}", "name", o->name, "namespace", RECORD_NAMESPACE,
                  "creationTimestamp", start, "labels", "velero.io/storage-location", loc_name);
    json_t *spec = json_object();
    record_scope_lists(spec, &o->scope, 1);
    if (o->scope.selector && *o->scope.selector) {
        json_t *sel = record_selector_parse(o->scope.selector, NULL);
        if (sel)
            json_object_set_new(spec, "labelSelector", sel);
    }
    json_object_set_new(spec, "ttl", json_string(ttl));
    if (o->scope.include_cluster >= 0)
        json_object_set_new(spec, "includeClusterResources",
                            json_boolean(o->scope.include_cluster));
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
    text_rfc3339(seen, when, sizeof when);
    return json_pack("{s:s, s:s, s:{s:s, s:s, s:{s:s}}, s:{s:s}, s:{s:s, s:s, s:s}}", "kind",
                     "Backup", "apiVersion", "velero.io/v1", "metadata", "name", name, "namespace",
                     RECORD_NAMESPACE, "labels", "velero.io/storage-location", loc_name, "spec",
                     "storageLocation", loc_name, "status", "phase", "Failed", "startTimestamp",
                     when, "failureReason",
                     "incomplete: no " BACKUP_RECORD " (the backup was interrupted, or is "
                     "being written right now)");
}

const char *record_sget(const json_t *o, const char *a, const char *b)
{
    const json_t *v = json_object_get(o, a);
    return json_string_value(b ? json_object_get(v, b) : v);
}

long long record_iget(const json_t *o, const char *a, const char *b)
{
    return json_integer_value(json_object_get(json_object_get(o, a), b));
}

int record_load(struct storage *s, const char *key, json_t **out, struct err *e)
{
    struct buf b = BUF_INIT;
    *out = NULL;
    int rc = storage_get_buf(s, key, &b, RECORD_MAX_BYTES, e);
    if (!rc) {
        json_error_t je;
        *out = json_loadb(b.p ? b.p : "", b.len, 0, &je);
        if (!*out) {
            rc = err_set(e, "%s: %s", key, je.text);
        } else if (!json_is_object(*out)) {
            json_decref(*out);
            *out = NULL;
            rc = err_set(e, "%s: not a JSON object", key);
        }
    }
    buf_fini(&b);
    return rc;
}

int record_output_check(const char *output)
{
    if (!*output || !strcmp(output, "table") || !strcmp(output, "json") || !strcmp(output, "yaml"))
        return 0;
    fprintf(stderr, "error: invalid output format '%s'. valid values are 'table', 'json', 'yaml'\n",
            output);
    return 1;
}

void record_print_list(FILE *out, const json_t *obj, const char *key, const char *none)
{
    const json_t *v = json_object_get(obj, key);
    if (!json_array_size(v)) {
        fputs(none, out);
        return;
    }
    size_t i;
    const json_t *x;
    json_array_foreach(v, i, x)
    {
        fprintf(out, "%s%s", i ? ", " : "", json_string_value(x));
    }
}

int record_print(const json_t *obj, const char *format, FILE *out)
{
    struct buf b = BUF_INIT, msg = BUF_INIT;
    int rc = output_print(format, obj, 1, &b, &msg) < 0 ? output_fail(&msg) : 0;
    if (!rc)
        fwrite(b.p ? b.p : "", 1, b.len, out);
    buf_fini(&b);
    buf_fini(&msg);
    return rc;
}

void record_go_time(const char *stamp, char *dst, size_t n)
{
    int64_t parsed;
    if (text_rfc3339_parse(stamp, &parsed) < 0) {
        snprintf(dst, n, "<nil>");
        return;
    }
    time_t t = (time_t)parsed;
    struct tm tm;
    localtime_r(&t, &tm);
    strftime(dst, n, "%Y-%m-%d %H:%M:%S %z %Z", &tm);
}

/* ---- label selectors ---- */

/* The selector text is parsed as k8s.io/apimachinery's labels parser does
 * (the server parses it again when it lists): a lexer that skips blanks,
 * so "app = web" and "app in (web, db)" are what "app=web" and
 * "app in (web,db)" are, and the parser's messages word for word. */

enum tok {
    T_END,
    T_ID,
    T_IN,
    T_NOTIN,
    T_NOT,
    T_NEQ,
    T_EQ,
    T_EQEQ,
    T_GT,
    T_LT,
    T_OPEN,
    T_CLOSE,
    T_COMMA
};

struct lexer {
    const char *p;
    enum tok t;     /* the token looked at */
    char lit[1024]; /* its text (a key is at most 317 bytes) */
};

static int special(char c)
{
    return c && strchr("=!(),<>", c);
}

/* Reads the next token into l->t and l->lit. Keywords are identifiers
 * where a value may stand, as apimachinery's lookahead(Values) makes them. */
static void next(struct lexer *l, int values)
{
    while (*l->p == ' ' || *l->p == '\t' || *l->p == '\n' || *l->p == '\r')
        l->p++;
    static const struct {
        const char *s;
        enum tok t;
    } syms[] = {{"!=", T_NEQ}, {"==", T_EQEQ}, {"!", T_NOT},   {"=", T_EQ},   {">", T_GT},
                {"<", T_LT},   {"(", T_OPEN},  {")", T_CLOSE}, {",", T_COMMA}};
    if (!*l->p) {
        l->t = T_END;
        l->lit[0] = '\0';
        return;
    }
    for (size_t i = 0; i < sizeof syms / sizeof syms[0]; i++) {
        size_t n = strlen(syms[i].s);
        if (!strncmp(l->p, syms[i].s, n)) {
            l->t = syms[i].t;
            snprintf(l->lit, sizeof l->lit, "%s", syms[i].s);
            l->p += n;
            return;
        }
    }
    size_t n = 0;
    while (l->p[n] && !special(l->p[n]) && !isspace((unsigned char)l->p[n]))
        n++;
    snprintf(l->lit, sizeof l->lit, "%.*s", (int)n, l->p);
    l->p += n;
    l->t = T_ID;
    if (!values && !strcmp(l->lit, "in"))
        l->t = T_IN;
    else if (!values && !strcmp(l->lit, "notin"))
        l->t = T_NOTIN;
}

/* The token after the current one, without moving. */
static enum tok peek(const struct lexer *l)
{
    struct lexer c = *l;
    next(&c, 1);
    return c.t;
}

static int dns_label(const char *s, size_t n)
{
    if (!n || n > 63 || !isalnum((unsigned char)s[0]) || !isalnum((unsigned char)s[n - 1]))
        return 0;
    for (size_t i = 0; i < n; i++)
        if (!(islower((unsigned char)s[i]) || isdigit((unsigned char)s[i]) || s[i] == '-'))
            return 0;
    return 1;
}

/* A label value: empty, or up to 63 of [A-Za-z0-9-_.] starting and
 * ending alphanumeric. A key: the same, with an optional DNS prefix "p/". */
static int label_value_ok(const char *v)
{
    size_t n = strlen(v);
    if (!n)
        return 1;
    if (n > 63 || !isalnum((unsigned char)v[0]) || !isalnum((unsigned char)v[n - 1]))
        return 0;
    for (size_t i = 0; i < n; i++)
        if (!isalnum((unsigned char)v[i]) && !strchr("-_.", v[i]))
            return 0;
    return 1;
}

static int label_key_ok(const char *k)
{
    const char *slash = strchr(k, '/');
    if (slash) {
        if (slash - k > 253)
            return 0;
        for (const char *p = k, *dot; p < slash; p = dot + 1) {
            dot = memchr(p, '.', (size_t)(slash - p));
            if (!dot)
                dot = slash;
            if (!dns_label(p, (size_t)(dot - p)))
                return 0;
        }
        k = slash + 1;
    }
    return *k && label_value_ok(k);
}

static json_t *expr(const char *key, const char *op)
{
    return json_pack("{s:s, s:s}", "key", key, "operator", op);
}

/* Inserts <v> into the sorted set <vals> (a sets.String, listed sorted). */
static void set_insert(json_t *vals, const char *v)
{
    size_t i = 0, n = json_array_size(vals);
    while (i < n && strcmp(json_string_value(json_array_get(vals, i)), v) < 0)
        i++;
    if (i < n && !strcmp(json_string_value(json_array_get(vals, i)), v))
        return;
    json_array_insert_new(vals, i, json_string(v));
}

/* "(a, b)" after in/notin: apimachinery's parseValues. */
static int values_list(struct lexer *l, json_t *vals, struct err *e)
{
    next(l, 1);
    if (l->t != T_OPEN)
        return err_set(e, "unable to parse requirement: found '%s' expected: '('", l->lit);
    enum tok t = peek(l);
    if (t == T_CLOSE) {
        next(l, 1);
        set_insert(vals, "");
        return 0;
    }
    if (t != T_ID && t != T_COMMA) {
        next(l, 1);
        return err_set(
            e, "unable to parse requirement: found '%s', expected: ',', ')' or identifier", l->lit);
    }
    for (;;) {
        next(l, 1);
        if (l->t == T_ID) {
            set_insert(vals, l->lit);
            struct lexer c = *l;
            next(&c, 1);
            if (c.t == T_CLOSE)
                break;
            if (c.t != T_COMMA)
                return err_set(e, "unable to parse requirement: found '%s', expected: ',' or ')'",
                               c.lit);
        } else if (l->t == T_COMMA) {
            if (!json_array_size(vals))
                set_insert(vals, "");
            t = peek(l);
            if (t == T_CLOSE) {
                set_insert(vals, "");
                break;
            }
            if (t == T_COMMA) {
                next(l, 1);
                set_insert(vals, "");
            }
        } else {
            return err_set(
                e, "unable to parse requirement: found '%s', expected: ',', or identifier", l->lit);
        }
    }
    next(l, 1);
    if (l->t != T_CLOSE)
        return err_set(e, "unable to parse requirement: found '%s', expected: ')'", l->lit);
    return 0;
}

/* One requirement, into <labels> (key=value) or <exprs>. */
static int requirement(struct lexer *l, json_t *labels, json_t *exprs, struct err *e)
{
    int absent = 0;
    next(l, 1);
    if (l->t == T_NOT) {
        absent = 1;
        next(l, 1);
    }
    if (l->t != T_ID)
        return err_set(e, "unable to parse requirement: found '%s', expected: identifier", l->lit);
    char key[sizeof l->lit];
    snprintf(key, sizeof key, "%s", l->lit);
    if (!label_key_ok(key))
        return err_set(e,
                       "unable to parse requirement: <nil>: Invalid value: \"%s\": name part must "
                       "consist of alphanumeric "
                       "characters, '-', '_' or '.', and must start and end with an "
                       "alphanumeric character",
                       key);
    enum tok t = peek(l);
    if (absent || t == T_END || t == T_COMMA) {
        json_array_append_new(exprs, expr(key, absent ? "DoesNotExist" : "Exists"));
        return 0;
    }
    next(l, 0);
    json_t *vals = json_array();
    const char *op = NULL;
    int rc = 0;
    switch (l->t) {
    case T_IN:
    case T_NOTIN:
        op = l->t == T_IN ? "In" : "NotIn";
        rc = values_list(l, vals, e);
        break;
    case T_EQ:
    case T_EQEQ:
    case T_NEQ:
    case T_GT:
    case T_LT:
        op = l->t == T_NEQ ? "NotIn" : l->t == T_GT ? "gt" : l->t == T_LT ? "lt" : "=";
        t = peek(l);
        if (t == T_END || t == T_COMMA) {
            set_insert(vals, "");
        } else {
            next(l, 1);
            if (l->t != T_ID)
                rc = err_set(e, "unable to parse requirement: found '%s', expected: identifier",
                             l->lit);
            else
                set_insert(vals, l->lit);
        }
        break;
    default:
        rc = err_set(
            e, "unable to parse requirement: found '%s', expected: in, notin, =, ==, !=, gt, lt",
            l->lit);
    }
    int ordered = op && (!strcmp(op, "gt") || !strcmp(op, "lt"));
    for (size_t i = 0; rc == 0 && !ordered && i < json_array_size(vals); i++) {
        const char *v = json_string_value(json_array_get(vals, i));
        if (!label_value_ok(v))
            rc = err_set(e,
                         "unable to parse requirement: values[%zu][%s]: Invalid value: \"%s\": a "
                         "valid label must be an empty "
                         "string or consist of alphanumeric characters, '-', '_' or '.', and "
                         "must start and end with an alphanumeric character",
                         i, key, v);
    }
    if (rc == 0 && ordered) {
        /* the server takes them; a metav1.LabelSelector cannot hold them */
        rc = err_set(e, "\"%s\" isn't a valid label selector operator", op);
    } else if (rc == 0 && !strcmp(op, "=")) {
        json_object_set(labels, key, json_array_get(vals, 0));
    } else if (rc == 0) {
        json_t *x = expr(key, op);
        json_object_set(x, "values", vals);
        json_array_append_new(exprs, x);
    }
    json_decref(vals);
    return rc;
}

/* apimachinery's Parser.parse: requirements separated by commas. */
static int requirements(struct lexer *l, json_t *labels, json_t *exprs, struct err *e)
{
    for (;;) {
        enum tok t = peek(l);
        if (t == T_END)
            return 0;
        if (t != T_ID && t != T_NOT) {
            next(l, 1);
            return err_set(e, "found '%s', expected: !, identifier, or 'end of string'", l->lit);
        }
        if (requirement(l, labels, exprs, e) < 0)
            return -1;
        next(l, 1);
        if (l->t == T_END)
            return 0;
        if (l->t != T_COMMA)
            return err_set(e, "found '%s', expected: ',' or 'end of string'", l->lit);
        t = peek(l);
        if (t != T_ID && t != T_NOT) {
            next(l, 1);
            return err_set(e, "found '%s', expected: identifier after ','", l->lit);
        }
    }
}

json_t *record_selector_parse(const char *text, struct err *e)
{
    json_t *labels = json_object(), *exprs = json_array(), *out = NULL;
    struct lexer l = {.p = text};
    struct err re;
    if (requirements(&l, labels, exprs, &re) < 0) {
        err_set(e, "couldn't parse the selector string \"%s\": %s", text, re.msg);
        goto out;
    }
    out = json_object();
    if (json_object_size(labels))
        json_object_set(out, "matchLabels", labels);
    if (json_array_size(exprs))
        json_object_set(out, "matchExpressions", exprs);
out:
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
                qsort(sv, nv, sizeof *sv, strv_cmp);
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
