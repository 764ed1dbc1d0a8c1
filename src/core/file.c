#include "core/file.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* Go's strings for the errnos file operations meet, so messages do not depend
 * on the C library's wording or on LC_MESSAGES. Others come from strerror_r. */
static const struct {
    int num;
    const char *text;
} go_errnos[] = {
    {EPERM, "operation not permitted"},
    {ENOENT, "no such file or directory"},
    {EIO, "input/output error"},
    {EBADF, "bad file descriptor"},
    {ENOMEM, "cannot allocate memory"},
    {EACCES, "permission denied"},
    {EBUSY, "device or resource busy"},
    {EEXIST, "file exists"},
    {EXDEV, "invalid cross-device link"},
    {ENOTDIR, "not a directory"},
    {EISDIR, "is a directory"},
    {EINVAL, "invalid argument"},
    {ENFILE, "too many open files in system"},
    {EMFILE, "too many open files"},
    {ETXTBSY, "text file busy"},
    {EFBIG, "file too large"},
    {ENOSPC, "no space left on device"},
    {EROFS, "read-only file system"},
    {EMLINK, "too many links"},
    {ENAMETOOLONG, "file name too long"},
    {ELOOP, "too many levels of symbolic links"},
    {EDQUOT, "disk quota exceeded"},
    {ENXIO, "no such device or address"},
    {ENODEV, "no such device"},
};

const char *file_strerror(int errnum, char *dst, size_t n)
{
    if (n == 0)
        return dst;
    for (size_t i = 0; i < sizeof go_errnos / sizeof go_errnos[0]; i++) {
        if (go_errnos[i].num == errnum) {
            snprintf(dst, n, "%s", go_errnos[i].text);
            return dst;
        }
    }
    /* GNU strerror_r may return a static string instead of filling dst. */
    const char *s = strerror_r(errnum, dst, n);
    if (s != dst)
        snprintf(dst, n, "%s", s);
    /* Go's mkerrors lowers "Bad" to "bad" but keeps "STREAMS" as it is. */
    if (dst[0] >= 'A' && dst[0] <= 'Z' && dst[1] >= 'a' && dst[1] <= 'z')
        dst[0] = (char)(dst[0] - 'A' + 'a');
    return dst;
}

/* Sets "<op> <path>: <errno text>" and returns -errnum. */
static int path_error(struct err *e, const char *op, const char *path, int errnum)
{
    char text[128];
    err_set(e, "%s %s: %s", op, path, file_strerror(errnum, text, sizeof text));
    return -errnum;
}

int file_exists(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0;
}

int file_is_dir(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

/* ---- reading ---------------------------------------------------------- */

int file_read(const char *path, size_t max, struct buf *out, struct err *e)
{
    int is_stdin = strcmp(path, "-") == 0;
    const char *name = is_stdin ? "/dev/stdin" : path;
    size_t old_len = out->len;
    int fd = STDIN_FILENO;
    int r;

    if (!is_stdin) {
        fd = open(path, O_RDONLY | O_CLOEXEC);
        if (fd < 0)
            return path_error(e, "open", name, errno);
    }

    /* <out>'s own cap bounds the read too; hitting it is "too large" rather
     * than "out of memory", since no allocation failed. */
    size_t limit = out->max ? out->max : BUF_DEFAULT_MAX;
    limit = out->len < limit ? limit - out->len : 0;
    if (max && max < limit)
        limit = max;

    /* Reserve the whole size up front for regular files: one allocation,
     * and an early -EFBIG without reading. The read loop below still stops
     * at end of file, so a file that grows or shrinks meanwhile is fine. */
    struct stat st;
    if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && st.st_size > 0) {
        if ((unsigned long long)st.st_size > limit) {
            r = path_error(e, "read", name, EFBIG);
            goto fail;
        }
        if (buf_reserve(out, (size_t)st.st_size) < 0) {
            r = path_error(e, "read", name, ENOMEM);
            goto fail;
        }
    }

    for (;;) {
        size_t got = out->len - old_len;
        if (out->cap - out->len <= 1 && got < limit) {
            size_t want = limit - got < 4096 ? limit - got : 4096;
            if (buf_reserve(out, want) < 0) {
                r = path_error(e, "read", name, ENOMEM);
                goto fail;
            }
        }
        /* Spare room, never the NUL slot, never past the limit. At the
         * limit, one more byte is read aside to tell "exactly full" from
         * "too large". */
        size_t room = out->cap > out->len ? out->cap - out->len - 1 : 0;
        if (room > limit - got)
            room = limit - got;
        char probe;
        ssize_t n = read(fd, room ? out->p + out->len : &probe, room ? room : 1);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            r = path_error(e, "read", name, errno);
            goto fail;
        }
        if (n == 0)
            break;
        if (!room) {
            r = path_error(e, "read", name, EFBIG);
            goto fail;
        }
        out->len += (size_t)n;
    }
    if (!out->p && buf_reserve(out, 0) < 0) {
        r = path_error(e, "read", name, ENOMEM);
        goto fail;
    }
    out->p[out->len] = '\0';
    if (!is_stdin)
        close(fd);
    return 0;

fail:
    out->len = old_len;
    if (out->p)
        out->p[old_len] = '\0';
    if (!is_stdin)
        close(fd);
    return r;
}

/* ---- paths ------------------------------------------------------------ */

static char *str_dup_n(const char *s, size_t n)
{
    char *p = malloc(n + 1);
    if (!p)
        return NULL;
    memcpy(p, s, n);
    p[n] = '\0';
    return p;
}

static char *str_cat(const char *a, const char *b)
{
    size_t la = strlen(a), lb = strlen(b);
    char *p = malloc(la + lb + 1);
    if (!p)
        return NULL;
    memcpy(p, a, la);
    memcpy(p + la, b, lb + 1);
    return p;
}

/* Go's filepath.Dir without the Clean step: "a/b" -> "a", "b" -> ".",
 * "/b" -> "/", "a//b/" -> "a//b" ... close enough for stat and mkdir, and
 * the same for every path a user types. Returns a new string or NULL. */
static char *dir_of(const char *path)
{
    size_t i = strlen(path);
    while (i > 0 && path[i - 1] != '/')
        i--;
    if (i == 0)
        return str_dup_n(".", 1);
    while (i > 1 && path[i - 1] == '/')
        i--;
    return str_dup_n(path, i);
}

static const char *base_of(const char *path)
{
    const char *s = strrchr(path, '/');
    return s ? s + 1 : path;
}

/* Go's os.MkdirAll(path, 0755), with its error messages. */
int file_mkdir_all(const char *path, struct err *e)
{
    struct stat st;
    if (stat(path, &st) == 0) {
        if (S_ISDIR(st.st_mode))
            return 0;
        return path_error(e, "mkdir", path, ENOTDIR);
    }

    size_t i = strlen(path);
    while (i > 0 && path[i - 1] == '/')
        i--;
    while (i > 0 && path[i - 1] != '/')
        i--;
    /* <i> is just past the separator; the parent excludes it, as in Go. */
    if (i > 1) {
        char *parent = str_dup_n(path, i - 1);
        if (!parent)
            return path_error(e, "mkdir", path, ENOMEM);
        int r = file_mkdir_all(parent, e);
        free(parent);
        if (r < 0)
            return r;
    }

    if (mkdir(path, 0755) < 0) {
        int saved = errno;
        /* "foo/." and a concurrent mkdir both land here with a directory. */
        if (lstat(path, &st) == 0 && S_ISDIR(st.st_mode))
            return 0;
        return path_error(e, "mkdir", path, saved);
    }
    return 0;
}

/* client-go creates the directory only when stat says it does not exist; any
 * other problem (a parent that is a regular file) surfaces from open, so the
 * message is kubectl's "open <path>: not a directory". */
static int ensure_parent(const char *path, struct err *e)
{
    char *dir = dir_of(path);
    if (!dir)
        return path_error(e, "open", path, ENOMEM);
    struct stat st;
    int r = 0;
    if (stat(dir, &st) < 0 && errno == ENOENT)
        r = file_mkdir_all(dir, e);
    free(dir);
    return r;
}

/* Follows <path> through symlinks to the file a write should replace, which
 * may not exist yet (a dangling link creates its target, as open(O_CREAT)
 * would). Relative link targets are relative to the link's directory.
 * Returns a new string, or NULL with *errnum set. */
static char *resolve_links(const char *path, int *errnum)
{
    char *cur = str_dup_n(path, strlen(path));
    if (!cur)
        goto fail_nomem;
    for (int hops = 0;; hops++) {
        struct stat st;
        if (lstat(cur, &st) < 0 || !S_ISLNK(st.st_mode))
            return cur; /* missing or not a link: this is the file to write */
        if (hops == 40) {
            *errnum = ELOOP;
            goto fail;
        }
        size_t cap = st.st_size > 0 ? (size_t)st.st_size + 1 : PATH_MAX;
        char *target = malloc(cap);
        if (!target)
            goto fail_nomem;
        ssize_t n = readlink(cur, target, cap);
        if (n < 0 || (size_t)n >= cap) {
            /* Changed under us; report what open would have said. */
            *errnum = n < 0 ? errno : ENAMETOOLONG;
            free(target);
            goto fail;
        }
        target[n] = '\0';
        char *next;
        if (target[0] == '/') {
            next = target;
        } else {
            size_t dlen = (size_t)(base_of(cur) - cur);
            next = malloc(dlen + (size_t)n + 1);
            if (next) {
                memcpy(next, cur, dlen);
                memcpy(next + dlen, target, (size_t)n + 1);
            }
            free(target);
            if (!next)
                goto fail_nomem;
        }
        free(cur);
        cur = next;
    }

fail_nomem:
    *errnum = ENOMEM;
fail:
    free(cur);
    return NULL;
}

/* ---- writing ---------------------------------------------------------- */

/* Writes all of <data>, retrying on EINTR and short writes. Returns 0 or
 * -errno. */
int file_write_all(int fd, const void *data, size_t len)
{
    const char *p = data;
    while (len > 0) {
        ssize_t n = write(fd, p, len);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            return -errno;
        }
        if (n == 0)
            return -EIO;
        p += n;
        len -= (size_t)n;
    }
    return 0;
}

/* What os.WriteFile does: used for targets that are not regular files. */
static int write_in_place(const char *path, const char *target, const void *data, size_t len,
                          struct err *e)
{
    int fd = open(target, O_WRONLY | O_TRUNC | O_CLOEXEC);
    if (fd < 0)
        return path_error(e, "open", path, errno);
    int r = file_write_all(fd, data, len);
    if (r < 0) {
        close(fd);
        return path_error(e, "write", path, -r);
    }
    if (close(fd) < 0 && errno != EINTR)
        return path_error(e, "close", path, errno);
    return 0;
}

int file_sync_dir(const char *dir, struct err *e)
{
    int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0)
        return path_error(e, "open", dir, errno);
    int r = 0;
    /* Some file systems cannot sync a directory; that is no failure of ours. */
    if (fsync(fd) < 0 && errno != EINVAL && errno != EROFS)
        r = path_error(e, "sync", dir, errno);
    close(fd);
    return r;
}

int file_write_atomic(const char *path, const void *data, size_t len, mode_t new_mode,
                      struct err *e)
{
    char *target = NULL, *dir = NULL, *tmp = NULL;
    int fd = -1;
    int r;

    if (!path[0]) /* open("") fails so in Go; rename would say it oddly */
        return path_error(e, "open", path, ENOENT);
    r = ensure_parent(path, e);
    if (r < 0)
        return r;

    int errnum;
    target = resolve_links(path, &errnum);
    if (!target)
        return path_error(e, "open", path, errnum);

    struct stat st;
    int exists = stat(target, &st) == 0;
    if (!exists && errno != ENOENT) {
        r = path_error(e, "open", path, errno);
        goto out;
    }
    if (exists && S_ISDIR(st.st_mode)) {
        r = path_error(e, "open", path, EISDIR);
        goto out;
    }
    if (exists && !S_ISREG(st.st_mode)) {
        r = write_in_place(path, target, data, len, e);
        goto out;
    }
    /* A rename only needs the directory to be writable; kubectl writes the
     * file itself, so a read-only kubeconfig must stay read-only for us too. */
    if (exists && faccessat(AT_FDCWD, target, W_OK, AT_EACCESS) < 0) {
        r = path_error(e, "open", path, errno);
        goto out;
    }

    dir = dir_of(target);
    if (!dir) {
        r = path_error(e, "open", path, ENOMEM);
        goto out;
    }
    size_t tlen = strlen(dir) + strlen(base_of(target)) + 32;
    tmp = malloc(tlen);
    if (!tmp) {
        r = path_error(e, "open", path, ENOMEM);
        goto out;
    }
    /* Dot-prefixed so that directory watchers and globs skip it; mkostemp
     * opens with O_EXCL and a random suffix. */
    snprintf(tmp, tlen, "%s/.%s.tmp-XXXXXX", dir, base_of(target));
    fd = mkostemp(tmp, O_CLOEXEC);
    if (fd < 0) {
        r = path_error(e, "open", path, errno);
        free(tmp);
        tmp = NULL;
        goto out;
    }

    r = file_write_all(fd, data, len);
    if (r < 0) {
        r = path_error(e, "write", path, -r);
        goto fail_tmp;
    }
    /* fchmod, not the mode argument of open: the umask must not apply. */
    mode_t mode = exists ? st.st_mode & 07777 : new_mode & 07777;
    if (fchmod(fd, mode) < 0) {
        r = path_error(e, "chmod", path, errno);
        goto fail_tmp;
    }
    /* Keep the owner when root edits another user's file; an unprivileged
     * process cannot and need not (it owns what it may rewrite). */
    if (exists && (st.st_uid != geteuid() || st.st_gid != getegid()))
        (void)!fchown(fd, st.st_uid, st.st_gid);
    if (fsync(fd) < 0) {
        r = path_error(e, "sync", path, errno);
        goto fail_tmp;
    }
    int closing = fd;
    fd = -1;
    if (close(closing) < 0 && errno != EINTR) {
        r = path_error(e, "close", path, errno);
        goto fail_tmp;
    }
    if (rename(tmp, target) < 0) {
        r = path_error(e, "rename", path, errno);
        goto fail_tmp;
    }
    r = file_sync_dir(dir, e);
    goto out;

fail_tmp:
    if (fd >= 0)
        close(fd);
    unlink(tmp);
out:
    free(tmp);
    free(dir);
    free(target);
    return r;
}

/* ---- lock ------------------------------------------------------------- */

int file_lock(const char *path, struct err *e)
{
    int r = ensure_parent(path, e);
    if (r < 0)
        return r;
    char *lock = str_cat(path, FILE_LOCK_SUFFIX);
    if (!lock)
        return path_error(e, "open", path, ENOMEM);
    int fd = open(lock, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (fd < 0)
        r = path_error(e, "open", lock, errno);
    else
        close(fd);
    free(lock);
    return r;
}

void file_unlock(const char *path)
{
    char *lock = str_cat(path, FILE_LOCK_SUFFIX);
    if (!lock)
        return;
    unlink(lock);
    free(lock);
}
