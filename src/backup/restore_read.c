/* Reading a backup's tarball for a restore. The object is streamed from
 * storage into an unlinked temporary file (a tarball can be far larger
 * than memory, and libarchive wants to pull its input), then read entry by
 * entry; each object's JSON goes to the caller, one at a time. The whole
 * tarball is read before the restore creates anything, so a corrupt one
 * fails with nothing changed in the cluster. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "backup/backup.h"
#include "backup/restore_int.h"
#include "core/archive_load.h"
#include "core/file.h"
#include "storage/storage.h"

/* Largest object accepted from a tarball: the API server's own limit on a
 * request body is 3 MiB; etcd's on a value 1.5 MiB. */
#define RESTORE_MAX_OBJECT ((size_t)64 << 20)

struct sink {
    int fd;
    struct err werr;
    char block[65536]; /* what libarchive reads from */
};

static int to_file(void *arg, const char *p, size_t n)
{
    struct sink *s = arg;
    int rc = file_write_all(s->fd, p, n);
    if (rc < 0) {
        char m[128];
        return err_set(&s->werr, "write temporary file: %s", file_strerror(-rc, m, sizeof m));
    }
    return 0;
}

int restore_tmpfile(struct err *e)
{
    const char *env = getenv("TMPDIR");
    const char *dir = env && *env ? env : "/tmp";
    int fd = open(dir, O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
    if (fd < 0 && (errno == EOPNOTSUPP || errno == EISDIR)) {
        /* File systems without O_TMPFILE: a named file, unlinked at once. */
        char path[4096];
        snprintf(path, sizeof path, "%s/ferry-restore.XXXXXX", dir);
        if ((fd = mkostemp(path, O_CLOEXEC)) >= 0)
            unlink(path);
    }
    if (fd < 0) {
        char m[128];
        return err_set(e, "cannot create a temporary file in %s: %s", dir,
                       file_strerror(errno, m, sizeof m));
    }
    return fd;
}

static la_ssize_t from_file(struct archive *a, void *arg, const void **out)
{
    (void)a;
    struct sink *s = arg;
    ssize_t n;
    do
        n = read(s->fd, s->block, sizeof s->block);
    while (n < 0 && errno == EINTR);
    *out = s->block;
    return n;
}

/* "resources/<dir>/namespaces/<ns>/<name>.json" or
 * "resources/<dir>/cluster/<name>.json", each part non-empty. Writes into
 * <dir>, <ns> (empty for cluster-scoped) and <name>; 0, or -1 for any
 * other path. */
static int split_path(const char *path, char *dir, char *ns, char *name, size_t n)
{
    if (strncmp(path, "resources/", 10))
        return -1;
    const char *s = path + 10, *slash = strchr(s, '/');
    if (!slash || slash == s || (size_t)(slash - s) >= n)
        return -1;
    snprintf(dir, n, "%.*s", (int)(slash - s), s);
    s = slash + 1;
    ns[0] = '\0';
    if (!strncmp(s, "namespaces/", 11)) {
        s += 11;
        if (!(slash = strchr(s, '/')) || slash == s || (size_t)(slash - s) >= n)
            return -1;
        snprintf(ns, n, "%.*s", (int)(slash - s), s);
        s = slash + 1;
    } else if (!strncmp(s, "cluster/", 8)) {
        s += 8;
    } else {
        return -1;
    }
    size_t len = strlen(s);
    if (len <= 5 || len - 5 >= n || strcmp(s + len - 5, ".json") || strchr(s, '/'))
        return -1;
    snprintf(name, n, "%.*s", (int)(len - 5), s);
    return 0;
}

static int read_entries(struct archive *a, const char *backup, restore_entry_fn fn, void *arg,
                        struct err *e)
{
    struct archive_entry *ent;
    struct buf data = BUF_INIT;
    char dir[256], ns[256], name[256];
    int rc = 0, version = 0;
    for (;;) {
        int r = archive_fn.read_next_header(a, &ent);
        if (r == ARCHIVE_EOF)
            break;
        if (r != ARCHIVE_OK && r != ARCHIVE_WARN) {
            rc = err_set(e, "backup \"%s\": the tarball is corrupt: %s", backup,
                         archive_fn.error_string(a));
            break;
        }
        const char *path = archive_fn.entry_pathname(ent);
        if (path && !strcmp(path, "metadata/version"))
            version = 1;
        if (!path || split_path(path, dir, ns, name, sizeof dir)) {
            archive_fn.read_data_skip(a);
            continue;
        }
        buf_reset(&data);
        char chunk[65536];
        la_ssize_t n;
        while ((n = archive_fn.read_data(a, chunk, sizeof chunk)) > 0)
            if (data.len + (size_t)n > RESTORE_MAX_OBJECT || buf_add(&data, chunk, (size_t)n) < 0) {
                rc = err_set(e, "backup \"%s\": %s is larger than %zu bytes", backup, path,
                             RESTORE_MAX_OBJECT);
                goto out;
            }
        if (n < 0) {
            rc = err_set(e, "backup \"%s\": the tarball is corrupt: %s", backup,
                         archive_fn.error_string(a));
            goto out;
        }
        if ((rc = fn(arg, dir, ns[0] ? ns : NULL, name, buf_str(&data), data.len, e)) < 0)
            goto out;
    }
    if (!rc && !version)
        rc = err_set(e, "backup \"%s\": the tarball has no metadata/version: not a backup", backup);
out:
    buf_fini(&data);
    return rc;
}

int restore_read_backup(struct storage *s, const char *backup, restore_entry_fn fn, void *arg,
                        struct err *e)
{
    if (archive_load(e) < 0)
        return -1;
    struct sink sink;
    sink.werr.msg[0] = '\0';
    if ((sink.fd = restore_tmpfile(e)) < 0)
        return -1;
    char key[1024];
    backup_key(key, sizeof key, backup, ".tar.gz");
    int rc = storage_get(s, key, to_file, &sink, e);
    if (rc == STORAGE_ENOTFOUND) {
        err_set(e, "backup \"%s\" has no tarball (%s)", backup, key);
        goto out;
    }
    if (rc < 0) {
        if (sink.werr.msg[0])
            err_set(e, "%s", sink.werr.msg);
        goto out;
    }
    rc = -1;
    if (lseek(sink.fd, 0, SEEK_SET) < 0) {
        err_set(e, "cannot read the temporary file");
        goto out;
    }
    struct archive *a = archive_fn.read_new();
    if (!a) {
        err_set(e, "out of memory");
        goto out;
    }
    if (archive_fn.read_support_filter_gzip(a) != ARCHIVE_OK ||
        archive_fn.read_support_format_tar(a) != ARCHIVE_OK ||
        archive_fn.read_open(a, &sink, NULL, from_file, NULL) != ARCHIVE_OK)
        err_set(e, "backup \"%s\": the tarball is corrupt: %s", backup, archive_fn.error_string(a));
    else
        rc = read_entries(a, backup, fn, arg, e);
    archive_fn.read_free(a);
out:
    close(sink.fd);
    return rc;
}
