#include "storage/storage.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "storage/storage_int.h"

int storage_fail(const struct storage *s, struct err *e, const char *fmt, ...)
{
    if (!e)
        return -1;
    int n = snprintf(e->msg, sizeof e->msg, "backup location \"%s\": ", s->loc.name);
    if (n < 0 || (size_t)n >= sizeof e->msg)
        return -1;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(e->msg + n, sizeof e->msg - (size_t)n, fmt, ap);
    va_end(ap);
    return -1;
}

struct storage *storage_open(const struct location *loc, struct err *e)
{
    struct storage *s;
    const char *p = loc->provider ? loc->provider : "";
    if (!strcmp(p, "local"))
        s = storage_local_open(loc, e);
    else if (!strcmp(p, "s3") || !strcmp(p, "gcs"))
        s = storage_s3_open(loc, e);
    else {
        err_set(e, "backup location \"%s\": unknown provider \"%s\" (local, s3 or gcs)", loc->name,
                p);
        return NULL;
    }
    if (!s)
        return NULL;
    if (location_copy(&s->loc, loc) < 0) {
        err_set(e, "out of memory");
        s->ops->free(s);
        return NULL;
    }
    return s;
}

void storage_free(struct storage *s)
{
    if (!s)
        return;
    location_fini(&s->loc);
    s->ops->free(s);
}

int storage_check(struct storage *s, struct err *e)
{
    return s->ops->check(s, e);
}

struct storage_writer *storage_put_begin(struct storage *s, const char *key,
                                         const char *content_type, struct err *e)
{
    if (!*key || key[strlen(key) - 1] == '/') {
        storage_fail(s, e, "invalid object key \"%s\"", key);
        return NULL;
    }
    return s->ops->put_begin(s, key, content_type, e);
}

int storage_put_write(struct storage_writer *w, const void *p, size_t n, struct err *e)
{
    return n ? w->s->ops->put_write(w, p, n, e) : 0;
}

int storage_put_commit(struct storage_writer *w, struct err *e)
{
    return w->s->ops->put_commit(w, e);
}

void storage_put_abort(struct storage_writer *w)
{
    if (w)
        w->s->ops->put_abort(w);
}

int storage_put(struct storage *s, const char *key, const void *p, size_t n,
                const char *content_type, struct err *e)
{
    struct storage_writer *w = storage_put_begin(s, key, content_type, e);
    if (!w)
        return -1;
    if (storage_put_write(w, p, n, e) < 0) {
        storage_put_abort(w);
        return -1;
    }
    return storage_put_commit(w, e);
}

int storage_get(struct storage *s, const char *key, storage_data_fn fn, void *arg, struct err *e)
{
    return s->ops->get(s, key, fn, arg, e);
}

struct get_buf {
    struct storage *s;
    const char *key;
    struct buf *out;
    size_t max, got;
    struct err *e;
};

static int append(void *arg, const char *p, size_t n)
{
    struct get_buf *g = arg;
    if (n > g->max - g->got)
        return storage_fail(g->s, g->e, "object \"%s\" is larger than %zu bytes", g->key, g->max);
    if (buf_add(g->out, p, n) < 0)
        return storage_fail(g->s, g->e, "object \"%s\": out of memory", g->key);
    g->got += n;
    return 0;
}

int storage_get_buf(struct storage *s, const char *key, struct buf *out, size_t max, struct err *e)
{
    /* <e> is an output: cppcheck's whole-program pass takes it for a read */
    // cppcheck-suppress ctuuninitvar
    struct get_buf g = {s, key, out, max, 0, e};
    size_t len0 = out->len;
    int r = s->ops->get(s, key, append, &g, e);
    if (r < 0) /* callers see <out> as it was */
        out->len = len0;
    if (r < 0 && out->p)
        out->p[len0] = '\0';
    return r;
}

int storage_list(struct storage *s, const char *prefix, const char *delimiter, storage_list_fn fn,
                 void *arg, struct err *e)
{
    return s->ops->list(s, prefix ? prefix : "", delimiter && *delimiter ? delimiter : NULL, fn,
                        arg, e);
}

int storage_stat(struct storage *s, const char *key, struct storage_entry *ent, struct err *e)
{
    return s->ops->stat(s, key, ent, e);
}

int storage_delete(struct storage *s, const char *key, struct err *e)
{
    return s->ops->del(s, key, e);
}
