#include "backup/tarball.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/archive_load.h"
#include "storage/storage.h"

struct tarball {
    struct archive *a;
    struct archive_entry *entry;
    struct storage_writer *w;
    time_t mtime;
    struct err werr; /* why the storage refused a write, kept for the caller's message */
    int failed;
};

/* libarchive's output callback: every compressed block goes to storage. */
static la_ssize_t out_write(struct archive *a, void *arg, const void *p, size_t n)
{
    (void)a;
    struct tarball *t = arg;
    if (storage_put_write(t->w, p, n, &t->werr) < 0) {
        t->failed = 1;
        return -1;
    }
    return (la_ssize_t)n;
}

static int archive_fail(struct tarball *t, const char *what, struct err *e)
{
    if (t->failed)
        return err_set(e, "%s", t->werr.msg);
    const char *msg = t->a ? archive_fn.error_string(t->a) : NULL;
    return err_set(e, "%s: %s", what, msg ? msg : "out of memory");
}

/* Opens an archive of <format> writing to <key>: the pieces shared by the
 * tarball and the one-entry gzip files. */
static struct tarball *open_gz(struct storage *s, const char *key, int raw, struct err *e)
{
    if (archive_load(e) < 0)
        return NULL;
    struct tarball *t = calloc(1, sizeof *t);
    if (!t) {
        err_set(e, "out of memory");
        return NULL;
    }
    t->mtime = time(NULL);
    t->w = storage_put_begin(s, key, "application/gzip", e);
    if (!t->w)
        goto fail;
    t->a = archive_fn.write_new();
    t->entry = archive_fn.entry_new();
    if (!t->a || !t->entry) {
        err_set(e, "out of memory");
        goto fail;
    }
    int rc = raw ? archive_fn.write_set_format_raw(t->a)
                 : archive_fn.write_set_format_pax_restricted(t->a);
    /* Without this the last block is padded with zeros after the gzip
     * stream, which Go's gzip reader (Velero) takes for a second member. */
    if (rc != ARCHIVE_OK || archive_fn.write_add_filter_gzip(t->a) != ARCHIVE_OK ||
        archive_fn.write_set_bytes_in_last_block(t->a, 1) != ARCHIVE_OK ||
        archive_fn.write_open(t->a, t, NULL, out_write, NULL) != ARCHIVE_OK) {
        archive_fail(t, "cannot start the archive", e);
        goto fail;
    }
    return t;
fail:
    tarball_abort(t);
    return NULL;
}

struct tarball *tarball_begin(struct storage *s, const char *key, struct err *e)
{
    return open_gz(s, key, 0, e);
}

int tarball_add(struct tarball *t, const char *path, const void *data, size_t n, struct err *e)
{
    archive_fn.entry_clear(t->entry);
    archive_fn.entry_set_pathname(t->entry, path);
    archive_fn.entry_set_size(t->entry, (la_int64_t)n);
    archive_fn.entry_set_filetype(t->entry, AE_IFREG);
    archive_fn.entry_set_perm(t->entry, 0755); /* what Velero writes */
    archive_fn.entry_set_mtime(t->entry, t->mtime, 0);
    if (archive_fn.write_header(t->a, t->entry) != ARCHIVE_OK)
        return archive_fail(t, "cannot add to the archive", e);
    if (n && archive_fn.write_data(t->a, data, n) != (la_ssize_t)n)
        return archive_fail(t, "cannot add to the archive", e);
    return 0;
}

int tarball_commit(struct tarball *t, struct err *e)
{
    if (archive_fn.write_close(t->a) != ARCHIVE_OK) {
        archive_fail(t, "cannot finish the archive", e);
        tarball_abort(t);
        return -1;
    }
    archive_fn.write_free(t->a);
    archive_fn.entry_free(t->entry);
    int rc = storage_put_commit(t->w, e);
    free(t);
    return rc;
}

void tarball_abort(struct tarball *t)
{
    if (!t)
        return;
    if (t->a)
        archive_fn.write_free(t->a); /* closes too: its last writes may fail, ignored */
    if (t->entry)
        archive_fn.entry_free(t->entry);
    storage_put_abort(t->w);
    free(t);
}

int tarball_put_gz(struct storage *s, const char *key, const void *data, size_t n, struct err *e)
{
    struct tarball *t = open_gz(s, key, 1, e);
    if (!t)
        return -1;
    const char *slash = strrchr(key, '/');
    if (tarball_add(t, slash ? slash + 1 : key, data, n, e) < 0) {
        tarball_abort(t);
        return -1;
    }
    return tarball_commit(t, e);
}

struct mem_src {
    const struct buf *b;
    int done;
};

static la_ssize_t mem_read(struct archive *a, void *arg, const void **p)
{
    (void)a;
    struct mem_src *m = arg;
    if (m->done)
        return 0;
    m->done = 1;
    *p = m->b->p;
    return (la_ssize_t)m->b->len;
}

int tarball_get_gz(struct storage *s, const char *key, size_t max, struct buf *out, struct err *e)
{
    struct buf gz = BUF_INIT;
    int rc = storage_get_buf(s, key, &gz, max, e);
    if (rc < 0)
        goto out;
    rc = -1;
    if (archive_load(e) < 0)
        goto out;
    struct archive *a = archive_fn.read_new();
    if (!a) {
        err_set(e, "out of memory");
        goto out;
    }
    struct mem_src src = {&gz, 0};
    struct archive_entry *ent;
    if (archive_fn.read_support_filter_gzip(a) != ARCHIVE_OK ||
        archive_fn.read_support_format_raw(a) != ARCHIVE_OK ||
        archive_fn.read_open(a, &src, NULL, mem_read, NULL) != ARCHIVE_OK ||
        archive_fn.read_next_header(a, &ent) != ARCHIVE_OK) {
        err_set(e, "%s: %s", key, archive_fn.error_string(a));
        goto out_free;
    }
    char chunk[16384];
    for (;;) {
        la_ssize_t n = archive_fn.read_data(a, chunk, sizeof chunk);
        if (n < 0) {
            err_set(e, "%s: %s", key, archive_fn.error_string(a));
            goto out_free;
        }
        if (n == 0)
            break;
        if (out->len + (size_t)n > max || buf_add(out, chunk, (size_t)n) < 0) {
            err_set(e, "%s: more than %zu bytes uncompressed", key, max);
            goto out_free;
        }
    }
    rc = 0;
out_free:
    archive_fn.read_free(a);
out:
    buf_fini(&gz);
    return rc;
}
