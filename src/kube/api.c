#include "kube/api.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/json.h"
#include "core/log.h"
#include "kube/jstream.h"

/* ---- paths and queries ---- */

static int path_escape(struct buf *b, const char *s)
{
    static const char hex[] = "0123456789ABCDEF";
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
            strchr("-._~:@!$&'()*+,;=", c)) {
            if (buf_addc(b, (char)c) < 0)
                return -ENOMEM;
        } else {
            char e3[3] = {'%', hex[c >> 4], hex[c & 15]};
            if (buf_add(b, e3, 3) < 0)
                return -ENOMEM;
        }
    }
    return 0;
}

int kube_path(const struct kube_resource *r, const char *ns, const char *name, const char *sub,
              struct buf *out)
{
    int rc = 0;
    if (*r->group)
        rc |= buf_addf(out, "/apis/%s/%s", r->group, r->version);
    else
        rc |= buf_addf(out, "/api/%s", r->version);
    if (r->namespaced && ns && *ns) {
        rc |= buf_adds(out, "/namespaces/");
        rc |= path_escape(out, ns);
    }
    rc |= buf_addf(out, "/%s", r->name);
    if (name) {
        rc |= buf_addc(out, '/');
        rc |= path_escape(out, name);
        if (sub)
            rc |= buf_addf(out, "/%s", sub);
    }
    return rc ? -ENOMEM : 0;
}

int kube_query_add(struct buf *q, const char *key, const char *value)
{
    static const char hex[] = "0123456789ABCDEF";
    int rc = 0;
    if (q->len)
        rc |= buf_addc(q, '&');
    rc |= buf_adds(q, key);
    rc |= buf_addc(q, '=');
    for (const char *s = value; *s; s++) {
        unsigned char c = (unsigned char)*s;
        if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
            c == '-' || c == '_' || c == '.' || c == '~') {
            rc |= buf_addc(q, (char)c);
        } else if (c == ' ') {
            rc |= buf_addc(q, '+');
        } else {
            char e3[3] = {'%', hex[c >> 4], hex[c & 15]};
            rc |= buf_add(q, e3, 3);
        }
    }
    return rc ? -ENOMEM : 0;
}

static json_t *parse_body(const struct kube_resp *resp, struct err *e)
{
    json_error_t je;
    json_t *v = json_loadb(buf_str(&resp->body), resp->body.len, 0, &je);
    if (!v)
        err_set(e, "unable to decode the server's answer: %s", je.text);
    return v;
}

int kube_get(struct kube_client *c, const struct kube_resource *r, const char *ns, const char *name,
             const char *accept, json_t **out, struct err *e)
{
    struct buf path = BUF_INIT;
    char qual[512];
    kube_resource_qualified(r, qual, sizeof qual);
    *out = NULL;
    if (kube_path(r, ns, name, NULL, &path) < 0)
        return err_set(e, "out of memory");
    struct kube_req req = {
        .path = buf_str(&path), .accept = accept, .resource = qual, .name = name};
    struct kube_resp resp;
    kube_resp_init(&resp);
    int rc = kube_do(c, &req, &resp, e);
    if (rc == 0 && !(*out = parse_body(&resp, e)))
        rc = -1;
    kube_resp_fini(&resp);
    buf_fini(&path);
    return rc;
}

/* ---- list ---- */

struct lister {
    const struct kube_resource *r;
    kube_item_fn fn;
    void *arg;
    struct kube_list_info *info;
    struct jstream js;
    char cont[4096]; /* this page's continue token */
    int cont_too_long;
    size_t page_items; /* items of this page seen in this attempt */
    size_t skip;       /* items of this page already delivered by an earlier attempt */
    int first_page;
    int stopped;
    struct err *e;
};

static void item_kind(struct lister *l, json_t *item)
{
    if (json_object_get(item, "kind") || json_object_get(item, "apiVersion"))
        return;
    /* unstructuredJSONScheme.decodeToList: the list's kind without "List"
     * and its apiVersion. */
    char kind[128], gv[300];
    const char *lk = l->info->kind;
    size_t n = strlen(lk);
    if (n > 4 && !strcmp(lk + n - 4, "List")) {
        snprintf(kind, sizeof kind, "%.*s", (int)(n - 4), lk);
    } else {
        snprintf(kind, sizeof kind, "%s", l->r->kind);
    }
    if (*l->info->api_version)
        snprintf(gv, sizeof gv, "%s", l->info->api_version);
    else
        kube_resource_gv(l->r, gv, sizeof gv);
    json_object_set_new(item, "kind", json_string(kind));
    json_object_set_new(item, "apiVersion", json_string(gv));
}

static int on_list_value(void *arg, const char *key, int elem, const char *p, size_t n)
{
    struct lister *l = arg;
    if (elem == 2)
        return 0;
    if (elem == 1) {
        size_t idx = l->page_items++;
        if (idx < l->skip)
            return 0;
        json_error_t je;
        json_t *item = json_loadb(p, n, 0, &je);
        if (!item) {
            err_set(l->e, "unable to decode an item of the list: %s", je.text);
            l->stopped = 1;
            return -1;
        }
        if (!strcmp(key, "items"))
            item_kind(l, item);
        l->info->items++;
        int rc = l->fn ? l->fn(l->arg, item, l->info) : 0;
        json_decref(item);
        if (rc < 0) {
            l->stopped = 1;
            return -1;
        }
        return 0;
    }
    if (!strcmp(key, "kind") || !strcmp(key, "apiVersion")) {
        json_t *v = json_loadb(p, n, JSON_DECODE_ANY, NULL);
        const char *s = json_string_value(v);
        if (s && l->first_page) {
            if (!strcmp(key, "kind"))
                snprintf(l->info->kind, sizeof l->info->kind, "%s", s);
            else
                snprintf(l->info->api_version, sizeof l->info->api_version, "%s", s);
        }
        json_decref(v);
    } else if (!strcmp(key, "metadata")) {
        json_t *v = json_loadb(p, n, 0, NULL);
        const char *cont = json_string_value(json_object_get(v, "continue"));
        const char *rv = json_string_value(json_object_get(v, "resourceVersion"));
        if (cont) {
            if (strlen(cont) >= sizeof l->cont)
                l->cont_too_long = 1;
            snprintf(l->cont, sizeof l->cont, "%s", cont);
        }
        if (rv && l->first_page)
            snprintf(l->info->resource_version, sizeof l->info->resource_version, "%s", rv);
        json_t *remaining = json_object_get(v, "remainingItemCount");
        l->info->remaining = json_is_integer(remaining) ? json_integer_value(remaining) : -1;
        json_decref(v);
    } else if (!strcmp(key, "columnDefinitions") && !l->info->columns) {
        l->info->columns = json_loadb(p, n, 0, NULL);
    }
    return 0;
}

static int list_data(void *arg, const char *p, size_t n)
{
    struct lister *l = arg;
    return jstream_feed(&l->js, p, n) < 0 ? -1 : 0;
}

static int list_retry(void *arg)
{
    struct lister *l = arg;
    /* The retried page starts over: skip what was already handed out. */
    if (l->page_items > l->skip)
        l->skip = l->page_items;
    l->page_items = 0;
    l->cont[0] = '\0';
    jstream_reset(&l->js);
    return 0;
}

void kube_list_info_fini(struct kube_list_info *info)
{
    json_decref(info->columns);
    info->columns = NULL;
}

int kube_list(struct kube_client *c, const struct kube_resource *r, const char *ns,
              const struct kube_list_opts *o, kube_item_fn fn, void *arg,
              struct kube_list_info *info, struct err *e)
{
    static const char *const split[] = {"items", "rows", NULL};
    static const struct kube_list_opts none = {0};
    if (!o)
        o = &none;
    memset(info, 0, sizeof *info);
    info->remaining = -1;
    struct lister l = {.r = r, .fn = fn, .arg = arg, .info = info, .first_page = 1, .e = e};
    jstream_init(&l.js, JSTREAM_OBJECT, split, 0, on_list_value, &l);
    struct buf path = BUF_INIT, q = BUF_INIT;
    char qual[512];
    kube_resource_qualified(r, qual, sizeof qual);
    long limit = o->limit == 0 ? KUBE_DEFAULT_PAGE : o->limit;
    char cont[4096] = "";
    int rc = -1;
    if (kube_path(r, ns, NULL, NULL, &path) < 0) {
        err_set(e, "out of memory");
        goto out;
    }
    for (;;) {
        buf_reset(&q);
        if (o->label_selector && *o->label_selector)
            kube_query_add(&q, "labelSelector", o->label_selector);
        if (o->field_selector && *o->field_selector)
            kube_query_add(&q, "fieldSelector", o->field_selector);
        if (limit > 0) {
            char lim[32];
            snprintf(lim, sizeof lim, "%ld", limit);
            kube_query_add(&q, "limit", lim);
        }
        if (*cont)
            kube_query_add(&q, "continue", cont);
        else if (o->resource_version && *o->resource_version)
            kube_query_add(&q, "resourceVersion", o->resource_version);
        l.cont[0] = '\0';
        l.cont_too_long = 0;
        l.page_items = l.skip = 0;
        jstream_reset(&l.js);
        struct kube_req req = {.path = buf_str(&path),
                               .query = buf_str(&q),
                               .accept = o->accept,
                               .on_data = list_data,
                               .on_retry = list_retry,
                               .arg = &l,
                               .resource = qual};
        struct kube_resp resp;
        kube_resp_init(&resp);
        int dr = kube_do(c, &req, &resp, e);
        kube_resp_fini(&resp);
        if (dr == KUBE_EABORTED) {
            if (!l.stopped)
                err_set(e, "unable to decode the list: %s", l.js.err);
            goto out;
        }
        if (dr < 0) {
            rc = dr;
            goto out;
        }
        if (jstream_finish(&l.js) < 0) {
            err_set(e, "unable to decode the list: %s", l.js.err);
            goto out;
        }
        info->pages++;
        l.first_page = 0;
        if (l.cont_too_long) {
            err_set(e, "the server's continue token is too long");
            goto out;
        }
        if (!*l.cont || limit <= 0)
            break;
        snprintf(cont, sizeof cont, "%s", l.cont);
    }
    rc = 0;
out:
    jstream_fini(&l.js);
    buf_fini(&path);
    buf_fini(&q);
    return rc;
}

/* ---- writes ---- */

static int write_op(struct kube_client *c, const char *method, const struct kube_resource *r,
                    const char *ns, const char *name, const char *sub, const char *query,
                    const char *ctype, const char *body, size_t len, json_t **out, struct err *e)
{
    struct buf path = BUF_INIT;
    char qual[512];
    kube_resource_qualified(r, qual, sizeof qual);
    if (out)
        *out = NULL;
    if (kube_path(r, ns, name, sub, &path) < 0)
        return err_set(e, "out of memory");
    struct kube_req req = {.method = method,
                           .path = buf_str(&path),
                           .query = query,
                           .content_type = ctype,
                           .body = body,
                           .body_len = len,
                           .resource = qual,
                           .name = name};
    struct kube_resp resp;
    kube_resp_init(&resp);
    int rc = kube_do(c, &req, &resp, e);
    if (rc == 0 && out && !(*out = parse_body(&resp, e)))
        rc = -1;
    kube_resp_fini(&resp);
    buf_fini(&path);
    return rc;
}

static int obj_op(struct kube_client *c, const char *method, const struct kube_resource *r,
                  const char *ns, const char *name, const json_t *obj, json_t **out, struct err *e)
{
    struct buf body = BUF_INIT;
    if (json_emit_go(obj, 0, &body) < 0) {
        buf_fini(&body);
        return err_set(e, "out of memory");
    }
    int rc = write_op(c, method, r, ns, name, NULL, NULL, "application/json", buf_str(&body),
                      body.len, out, e);
    buf_fini(&body);
    return rc;
}

static const char *obj_ns(const struct kube_resource *r, const char *ns, const json_t *obj)
{
    if (!r->namespaced)
        return NULL;
    if (ns && *ns)
        return ns;
    const char *m =
        json_string_value(json_object_get(json_object_get(obj, "metadata"), "namespace"));
    return m && *m ? m : "default";
}

int kube_create(struct kube_client *c, const struct kube_resource *r, const char *ns,
                const json_t *obj, json_t **out, struct err *e)
{
    return obj_op(c, "POST", r, obj_ns(r, ns, obj), NULL, obj, out, e);
}

int kube_update(struct kube_client *c, const struct kube_resource *r, const char *ns,
                const char *name, const json_t *obj, json_t **out, struct err *e)
{
    return obj_op(c, "PUT", r, obj_ns(r, ns, obj), name, obj, out, e);
}

int kube_patch(struct kube_client *c, const struct kube_resource *r, const char *ns,
               const char *name, enum kube_patch_type type, const char *patch, size_t len,
               const char *field_manager, int force, json_t **out, struct err *e)
{
    return kube_patch_sub(c, r, ns, name, NULL, type, patch, len, field_manager, force, out, e);
}

int kube_patch_sub(struct kube_client *c, const struct kube_resource *r, const char *ns,
                   const char *name, const char *sub, enum kube_patch_type type, const char *patch,
                   size_t len, const char *field_manager, int force, json_t **out, struct err *e)
{
    static const char *const ctypes[] = {
        "application/merge-patch+json", "application/json-patch+json",
        "application/strategic-merge-patch+json", "application/apply-patch+yaml"};
    struct buf q = BUF_INIT;
    if (field_manager && *field_manager)
        kube_query_add(&q, "fieldManager", field_manager);
    if (type == KUBE_PATCH_APPLY && force)
        kube_query_add(&q, "force", "true");
    int rc = write_op(c, "PATCH", r, r->namespaced ? (ns && *ns ? ns : "default") : NULL, name, sub,
                      buf_str(&q), ctypes[type], patch, len, out, e);
    buf_fini(&q);
    return rc;
}

int kube_delete(struct kube_client *c, const struct kube_resource *r, const char *ns,
                const char *name, const char *propagation, json_t **out, struct err *e)
{
    struct buf body = BUF_INIT;
    if (propagation && *propagation)
        buf_addf(&body,
                 "{\"kind\":\"DeleteOptions\",\"apiVersion\":\"v1\",\"propagationPolicy\":\"%s\"}",
                 propagation);
    int rc = write_op(c, "DELETE", r, r->namespaced ? (ns && *ns ? ns : "default") : NULL, name,
                      NULL, NULL, body.len ? "application/json" : NULL, body.len ? body.p : NULL,
                      body.len, out, e);
    buf_fini(&body);
    return rc;
}

/* ---- watch decoder ---- */

struct kube_watch_decoder {
    struct jstream js;
    kube_event_fn fn;
    void *arg;
    int cb_rc;
    char err[200];
};

static int on_event(void *arg, const char *key, int elem, const char *p, size_t n)
{
    (void)key;
    (void)elem;
    struct kube_watch_decoder *d = arg;
    json_error_t je;
    json_t *ev = json_loadb(p, n, 0, &je);
    if (!ev) {
        snprintf(d->err, sizeof d->err, "unable to decode a watch event: %s", je.text);
        return -1;
    }
    const char *type = json_string_value(json_object_get(ev, "type"));
    json_t *obj = json_object_get(ev, "object");
    if (!type || !json_is_object(obj)) {
        json_decref(ev);
        snprintf(d->err, sizeof d->err, "unable to decode a watch event: %s",
                 !type ? "no type" : "no object");
        return -1;
    }
    int rc = d->fn ? d->fn(d->arg, type, obj) : 0;
    json_decref(ev);
    if (rc != 0) {
        d->cb_rc = rc;
        return -1;
    }
    return 0;
}

struct kube_watch_decoder *kube_watch_decoder_new(kube_event_fn fn, void *arg)
{
    struct kube_watch_decoder *d = calloc(1, sizeof *d);
    if (!d)
        return NULL;
    d->fn = fn;
    d->arg = arg;
    jstream_init(&d->js, JSTREAM_VALUES, NULL, 0, on_event, d);
    return d;
}

void kube_watch_decoder_free(struct kube_watch_decoder *d)
{
    if (!d)
        return;
    jstream_fini(&d->js);
    free(d);
}

void kube_watch_decoder_reset(struct kube_watch_decoder *d)
{
    jstream_reset(&d->js);
    d->cb_rc = 0;
    d->err[0] = '\0';
}

int kube_watch_decoder_feed(struct kube_watch_decoder *d, const char *p, size_t n, int *cb_rc,
                            struct err *e)
{
    int rc = jstream_feed(&d->js, p, n);
    if (cb_rc)
        *cb_rc = d->cb_rc;
    if (rc == 0)
        return 0;
    if (d->cb_rc)
        return err_set(e, "stopped by the event handler");
    return err_set(e, "%s", *d->err ? d->err : d->js.err);
}

int kube_watch_decoder_finish(struct kube_watch_decoder *d, struct err *e)
{
    if (jstream_finish(&d->js) < 0)
        return err_set(e, "%s", d->js.err);
    return 0;
}

/* ---- watch ---- */

struct watcher {
    const struct kube_resource *r;
    const struct kube_watch_opts *o;
    kube_event_fn fn;
    void *arg;
    struct kube_watch_decoder *dec;
    char rv[64];
    json_t *seen; /* "ns/name" -> resourceVersion */
    int gone;
    int user_rc;
    int failed;
    long stream_events;
    struct kube_watch_stats *stats;
    struct err *e;
};

/* metadata of an event's object; a Table event's is its row's object's. */
static json_t *event_meta(json_t *obj)
{
    const char *kind = json_string_value(json_object_get(obj, "kind"));
    if (kind && !strcmp(kind, "Table")) {
        json_t *row = json_array_get(json_object_get(obj, "rows"), 0);
        return json_object_get(json_object_get(row, "object"), "metadata");
    }
    return json_object_get(obj, "metadata");
}

static void seen_key(json_t *meta, char *dst, size_t n)
{
    const char *ns = json_string_value(json_object_get(meta, "namespace"));
    const char *name = json_string_value(json_object_get(meta, "name"));
    snprintf(dst, n, "%s/%s", ns ? ns : "", name ? name : "");
}

static int watch_event(void *arg, const char *type, json_t *obj)
{
    struct watcher *w = arg;
    if (!strcmp(type, "ERROR")) {
        long code = (long)json_integer_value(json_object_get(obj, "code"));
        if (code == 410) {
            w->gone = 1;
            return 1;
        }
        char *body = json_dumps(obj, JSON_COMPACT);
        kube_status_error(code ? code : 500, "application/json", body ? body : "",
                          body ? strlen(body) : 0, "GET", NULL, NULL, NULL, 0, w->e);
        free(body);
        w->failed = 1;
        return -1;
    }
    json_t *meta = event_meta(obj);
    const char *rv = json_string_value(json_object_get(meta, "resourceVersion"));
    if (rv && *rv)
        snprintf(w->rv, sizeof w->rv, "%s", rv);
    w->stream_events++;
    if (!strcmp(type, "BOOKMARK"))
        return w->o->bookmarks ? w->fn(w->arg, type, obj) : 0;
    char key[600];
    seen_key(meta, key, sizeof key);
    if (!strcmp(type, "DELETED"))
        json_object_del(w->seen, key);
    else
        json_object_set_new(w->seen, key, json_string(rv ? rv : ""));
    if (w->stats)
        w->stats->events++;
    int rc = w->fn(w->arg, type, obj);
    if (rc)
        w->user_rc = rc;
    return rc;
}

static int watch_data(void *arg, const char *p, size_t n)
{
    struct watcher *w = arg;
    struct err e;
    int cb = 0;
    if (kube_watch_decoder_feed(w->dec, p, n, &cb, &e) < 0) {
        if (!cb && !w->failed) {
            /* A malformed stream: treat it as a dropped connection. */
            LOG_V(2, "watch stream: %s", e.msg);
        }
        return -1;
    }
    return 0;
}

struct relister {
    struct watcher *w;
    json_t *fresh;
    int rc;
    int silent;
};

static json_t *wrap_row(json_t *row, const struct kube_list_info *info)
{
    json_t *t =
        json_pack("{s:s,s:s,s:o,s:[O]}", "kind", "Table", "apiVersion",
                  *info->api_version ? info->api_version : "meta.k8s.io/v1", "columnDefinitions",
                  info->columns ? json_incref(info->columns) : json_array(), "rows", row);
    return t;
}

static int relist_item(void *arg, json_t *item, const struct kube_list_info *info)
{
    struct relister *rl = arg;
    struct watcher *w = rl->w;
    json_t *obj = item;
    json_t *wrapped = NULL;
    if (info->columns) {
        wrapped = wrap_row(item, info);
        if (!wrapped)
            return -1;
        obj = wrapped;
    }
    json_t *meta = event_meta(obj);
    const char *rv = json_string_value(json_object_get(meta, "resourceVersion"));
    char key[600];
    seen_key(meta, key, sizeof key);
    const char *old = json_string_value(json_object_get(w->seen, key));
    json_object_set_new(rl->fresh, key, json_string(rv ? rv : ""));
    int rc = 0;
    if (rl->silent)
        rc = 0;
    else if (!old)
        rc = w->fn(w->arg, "ADDED", obj);
    else if (!rv || strcmp(old, rv))
        rc = w->fn(w->arg, "MODIFIED", obj);
    json_decref(wrapped);
    if (rc) {
        rl->rc = rc;
        w->user_rc = rc;
        return -1;
    }
    return 0;
}

/* Lists the objects, delivers the differences from what was seen (all of
 * them, as ADDED, the first time; nothing when <silent>), and sets the
 * resourceVersion to resume from. <resync>: after a 410, announced by a
 * RESYNC event. Returns 0, 1 when the callback asked to stop, -1 on error. */
static int relist(struct kube_client *c, struct watcher *w, const char *ns, int resync, int silent,
                  struct err *e)
{
    struct relister rl = {.w = w, .fresh = json_object(), .silent = silent};
    if (!rl.fresh)
        return err_set(e, "out of memory");
    int rc;
    if (resync) {
        if (w->stats)
            w->stats->relists++;
        rc = w->fn(w->arg, "RESYNC", NULL);
        if (rc) {
            json_decref(rl.fresh);
            return rc > 0 ? 1 : -1;
        }
    }
    struct kube_list_opts lo = {.label_selector = w->o->label_selector,
                                .field_selector = w->o->field_selector,
                                .limit = w->o->page_size,
                                .accept = w->o->accept};
    struct kube_list_info info;
    int lr = kube_list(c, w->r, ns, &lo, relist_item, &rl, &info, e);
    if (lr < 0) {
        kube_list_info_fini(&info);
        json_decref(rl.fresh);
        if (rl.rc)
            return rl.rc > 0 ? 1 : -1;
        return -1;
    }
    /* What is gone: a DELETED event with what is known of it. */
    const char *key;
    json_t *val;
    char gv[300];
    kube_resource_gv(w->r, gv, sizeof gv);
    json_object_foreach(w->seen, key, val)
    {
        if (json_object_get(rl.fresh, key))
            continue;
        const char *slash = strchr(key, '/');
        json_t *meta = json_pack("{s:s%}", "name", slash + 1, strlen(slash + 1));
        if (slash != key)
            json_object_set_new(meta, "namespace", json_stringn(key, (size_t)(slash - key)));
        json_object_set(meta, "resourceVersion", val);
        json_t *stub =
            json_pack("{s:s,s:s,s:o}", "kind", w->r->kind, "apiVersion", gv, "metadata", meta);
        rc = stub ? w->fn(w->arg, "DELETED", stub) : -1;
        json_decref(stub);
        if (rc) {
            kube_list_info_fini(&info);
            json_decref(rl.fresh);
            return rc > 0 ? 1 : -1;
        }
    }
    json_decref(w->seen);
    w->seen = rl.fresh;
    snprintf(w->rv, sizeof w->rv, "%s", info.resource_version);
    kube_list_info_fini(&info);
    return 0;
}

static double mono_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void nap(long ms, const atomic_int *cancel)
{
    while (ms > 0 && !kube_cancelled(cancel)) {
        long step = ms > 50 ? 50 : ms;
        struct timespec ts = {0, step * 1000000L};
        nanosleep(&ts, NULL);
        ms -= step;
    }
}

int kube_watch(struct kube_client *c, const struct kube_resource *r, const char *ns,
               const struct kube_watch_opts *o, kube_event_fn fn, void *arg,
               struct kube_watch_stats *stats, struct err *e)
{
    struct watcher w = {.r = r, .o = o, .fn = fn, .arg = arg, .stats = stats, .e = e};
    w.seen = json_object();
    w.dec = kube_watch_decoder_new(watch_event, &w);
    struct buf path = BUF_INIT, q = BUF_INIT;
    char qual[512];
    kube_resource_qualified(r, qual, sizeof qual);
    int rc = -1;
    if (!w.seen || !w.dec || kube_path(r, ns, NULL, NULL, &path) < 0) {
        err_set(e, "out of memory");
        goto out;
    }
    if (o->start == KUBE_WATCH_FROM_RV && o->resource_version)
        snprintf(w.rv, sizeof w.rv, "%s", o->resource_version);
    if (o->start != KUBE_WATCH_FROM_RV) {
        int rr = relist(c, &w, ns, 0, o->start == KUBE_WATCH_LIST_SILENT, e);
        if (!rr && o->synced_event && o->start == KUBE_WATCH_LIST) {
            rr = fn(arg, "SYNCED", NULL);
            if (rr < 0 && !*e->msg)
                err_set(e, "stopped by the event handler");
        }
        if (rr) {
            rc = rr > 0 ? 0 : -1;
            goto out;
        }
    }
    long max_failures = o->max_failures > 0 ? o->max_failures : o->max_failures < 0 ? LONG_MAX : 10;
    long backoff = o->backoff_ms > 0 ? o->backoff_ms : 100;
    long backoff_max = o->backoff_max_ms > 0 ? o->backoff_max_ms : 5000;
    long stream_timeout = o->stream_timeout_s > 0 ? o->stream_timeout_s : 300;
    double deadline = o->deadline_ms > 0 ? mono_s() + (double)o->deadline_ms / 1000.0 : 0;
    long failures = 0;
    unsigned rnd = (unsigned)time(NULL) ^ (unsigned)(uintptr_t)&w;
    for (;;) {
        if (kube_cancelled(o->cancel))
            break;
        long left_ms = 0;
        if (deadline) {
            left_ms = (long)((deadline - mono_s()) * 1000);
            if (left_ms <= 0)
                break;
        }
        buf_reset(&q);
        kube_query_add(&q, "allowWatchBookmarks", "true");
        if (o->field_selector && *o->field_selector)
            kube_query_add(&q, "fieldSelector", o->field_selector);
        if (o->label_selector && *o->label_selector)
            kube_query_add(&q, "labelSelector", o->label_selector);
        if (*w.rv)
            kube_query_add(&q, "resourceVersion", w.rv);
        char ts[32];
        snprintf(ts, sizeof ts, "%ld", stream_timeout);
        kube_query_add(&q, "timeoutSeconds", ts);
        kube_query_add(&q, "watch", "true");
        long curl_timeout = (stream_timeout + 30) * 1000;
        if (deadline && left_ms < curl_timeout)
            curl_timeout = left_ms;
        kube_watch_decoder_reset(w.dec);
        w.gone = 0;
        w.stream_events = 0;
        if (stats)
            stats->streams++;
        struct kube_req req = {.path = buf_str(&path),
                               .query = buf_str(&q),
                               .accept = o->accept,
                               .on_data = watch_data,
                               .arg = &w,
                               .resource = qual,
                               .timeout_ms = curl_timeout,
                               .no_retry = 1,
                               .watch = 1,
                               .cancel = o->cancel};
        struct kube_resp resp;
        kube_resp_init(&resp);
        struct err de;
        double t0 = mono_s();
        int dr = kube_do(c, &req, &resp, &de);
        long code = resp.code;
        kube_resp_fini(&resp);
        if (w.user_rc) {
            rc = w.user_rc > 0 ? 0 : -1;
            if (rc < 0 && !*e->msg)
                err_set(e, "stopped by the event handler");
            goto out;
        }
        if (w.failed)
            goto out;
        if (dr == KUBE_ESTATUS && code == 410)
            w.gone = 1;
        if (w.gone) {
            LOG_V(2, "watch of %s: resourceVersion %s is gone, listing again", qual, w.rv);
            int rr = relist(c, &w, ns, 1, 0, e);
            if (rr) {
                rc = rr > 0 ? 0 : -1;
                goto out;
            }
            failures = 0;
            continue;
        }
        if (kube_cancelled(o->cancel))
            break;
        if (deadline && mono_s() >= deadline)
            break;
        if (dr == KUBE_ESTATUS && code != 429 && code < 500) {
            snprintf(e->msg, sizeof e->msg, "%s", de.msg);
            goto out;
        }
        int clean = dr == 0 && kube_watch_decoder_finish(w.dec, &de) == 0;
        if (clean && (w.stream_events > 0 || mono_s() - t0 >= 1.0)) {
            failures = 0;
            continue; /* the server ended the stream: resume at once */
        }
        if (w.stream_events > 0)
            failures = 0;
        if (++failures > max_failures) {
            if (dr == 0)
                err_set(e, "watch of %s: the stream keeps ending: %s", qual, de.msg);
            else
                snprintf(e->msg, sizeof e->msg, "%s", de.msg);
            goto out;
        }
        long d = backoff;
        for (long i = 1; i < failures && d < backoff_max; i++)
            d *= 2;
        if (d > backoff_max)
            d = backoff_max;
        d = d / 2 + (long)((unsigned long)rand_r(&rnd) % (unsigned long)(d / 2 + 1));
        LOG_V(2, "watch of %s ended (%s); resuming from %s in %ld ms", qual,
              dr == 0 ? "stream ended" : de.msg, *w.rv ? w.rv : "the start", d);
        nap(d, o->cancel);
    }
    rc = 0;
out:
    kube_watch_decoder_free(w.dec);
    json_decref(w.seen);
    buf_fini(&path);
    buf_fini(&q);
    return rc;
}
