/* Provider "local": the bucket is a directory, the prefix a subdirectory
 * of it, a key a relative file path. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/file.h"
#include "storage/storage_int.h"

/* Temporary files are "<dir>/.<base>.tmp-XXXXXX", as file_write_atomic
 * names its own: listings skip them. */
#define TMP_MARK ".tmp-"
#define TMP_SUFFIX_LEN 6
/* Directory walks give up below this depth: keys are never that deep. */
#define MAX_DEPTH 64

struct local {
    struct storage s;
    char *root; /* <bucket>[/<prefix>], "~" expanded */
    char *bucket_dir;
};

struct local_writer {
    struct storage_writer w;
    int fd;
    char *tmp, *path, *dir;
};

static struct local *to_local(struct storage *s)
{
    return (struct local *)s;
}

static int is_tmp_name(const char *name)
{
    size_t n = strlen(name), m = strlen(TMP_MARK) + TMP_SUFFIX_LEN;
    return name[0] == '.' && n > m + 1 && !strncmp(name + n - m, TMP_MARK, strlen(TMP_MARK));
}

/* Keys become paths: refuse what would leave the root or name a
 * directory ("", "/a", "a//b", "a/../b", "a/"). */
static int check_key(struct storage *s, const char *key, struct err *e)
{
    const char *p = key;
    for (;;) {
        const char *slash = strchr(p, '/');
        size_t n = slash ? (size_t)(slash - p) : strlen(p);
        if (n == 0 || (n == 1 && p[0] == '.') || (n == 2 && p[0] == '.' && p[1] == '.'))
            return storage_fail(s, e, "invalid object key \"%s\"", key);
        if (!slash)
            return 0;
        p = slash + 1;
    }
}

static char *join(const char *a, const char *b)
{
    size_t n = strlen(a) + strlen(b) + 2;
    char *p = malloc(n);
    if (p)
        snprintf(p, n, "%s/%s", a, b);
    return p;
}

static char *key_path(struct storage *s, const char *key, struct err *e)
{
    if (check_key(s, key, e) < 0)
        return NULL;
    char *p = join(to_local(s)->root, key);
    if (!p)
        storage_fail(s, e, "out of memory");
    return p;
}

static int sys_fail(struct storage *s, struct err *e, const char *op, const char *path, int errnum)
{
    char msg[128];
    return storage_fail(s, e, "%s %s: %s", op, path, file_strerror(errnum, msg, sizeof msg));
}

/* ---- writing ---- */

static struct storage_writer *put_begin(struct storage *s, const char *key,
                                        const char *content_type, struct err *e)
{
    (void)content_type; /* a file has none */
    struct local_writer *w = calloc(1, sizeof *w);
    if (!w) {
        storage_fail(s, e, "out of memory");
        return NULL;
    }
    w->w.s = s;
    w->fd = -1;
    w->path = key_path(s, key, e);
    if (!w->path)
        goto fail;
    const char *slash = strrchr(w->path, '/');
    w->dir = strndup(w->path, (size_t)(slash - w->path));
    size_t n = strlen(w->path) + sizeof "/." TMP_MARK "XXXXXX";
    w->tmp = malloc(n);
    if (!w->dir || !w->tmp) {
        storage_fail(s, e, "out of memory");
        goto fail;
    }
    snprintf(w->tmp, n, "%s/.%s" TMP_MARK "XXXXXX", w->dir, slash + 1);
    if (file_mkdir_all(w->dir, e) < 0) {
        err_wrap(e, "backup location \"%s\"", s->loc.name);
        goto fail;
    }
    w->fd = mkostemp(w->tmp, O_CLOEXEC);
    if (w->fd < 0) {
        sys_fail(s, e, "open", w->path, errno);
        goto fail;
    }
    return &w->w;
fail:
    free(w->tmp);
    w->tmp = NULL; /* nothing to unlink */
    s->ops->put_abort(&w->w);
    return NULL;
}

static int put_write(struct storage_writer *sw, const void *p, size_t n, struct err *e)
{
    struct local_writer *w = (struct local_writer *)sw;
    int r = file_write_all(w->fd, p, n);
    return r < 0 ? sys_fail(sw->s, e, "write", w->path, -r) : 0;
}

static void put_abort(struct storage_writer *sw)
{
    struct local_writer *w = (struct local_writer *)sw;
    if (w->fd >= 0)
        close(w->fd);
    if (w->tmp)
        unlink(w->tmp);
    free(w->tmp);
    free(w->path);
    free(w->dir);
    free(w);
}

static int put_commit(struct storage_writer *sw, struct err *e)
{
    struct local_writer *w = (struct local_writer *)sw;
    struct storage *s = sw->s;
    int r = -1;
    if (fsync(w->fd) < 0) {
        sys_fail(s, e, "sync", w->path, errno);
        goto out;
    }
    int fd = w->fd;
    w->fd = -1;
    if (close(fd) < 0 && errno != EINTR) {
        sys_fail(s, e, "close", w->path, errno);
        goto out;
    }
    if (rename(w->tmp, w->path) < 0) {
        sys_fail(s, e, "rename", w->path, errno);
        goto out;
    }
    free(w->tmp);
    w->tmp = NULL;
    /* The rename is durable only once the directory is synced. */
    r = file_sync_dir(w->dir, e) < 0 ? err_wrap(e, "backup location \"%s\"", s->loc.name) : 0;
out:
    put_abort(sw);
    return r;
}

/* ---- reading ---- */

static int get(struct storage *s, const char *key, storage_data_fn fn, void *arg, struct err *e)
{
    char *path = key_path(s, key, e);
    if (!path)
        return -1;
    int r = -1;
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    int errnum = fd < 0 ? errno : 0;
    struct stat st;
    if (fd >= 0 && fstat(fd, &st) < 0)
        errnum = errno;
    else if (fd >= 0 && S_ISDIR(st.st_mode))
        errnum = ENOENT; /* a "directory" is a prefix, not an object */
    if (errnum) {
        if (errnum == ENOENT || errnum == ENOTDIR) {
            storage_fail(s, e, "object \"%s\" not found", key);
            r = STORAGE_ENOTFOUND;
        } else {
            sys_fail(s, e, "open", path, errnum);
        }
        goto out;
    }
    char chunk[65536];
    for (;;) {
        ssize_t n = read(fd, chunk, sizeof chunk);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            sys_fail(s, e, "read", path, errno);
            goto out;
        }
        if (n == 0)
            break;
        if (fn(arg, chunk, (size_t)n) < 0)
            goto out; /* the consumer's error stays in <e> */
    }
    r = 0;
out:
    if (fd >= 0)
        close(fd);
    free(path);
    return r;
}

static int stat_key(struct storage *s, const char *key, struct storage_entry *ent, struct err *e)
{
    char *path = key_path(s, key, e);
    if (!path)
        return -1;
    struct stat st;
    int r = 0;
    int errnum = stat(path, &st) < 0 ? errno : S_ISDIR(st.st_mode) ? ENOENT : 0;
    if (errnum == ENOENT || errnum == ENOTDIR) {
        storage_fail(s, e, "object \"%s\" not found", key);
        r = STORAGE_ENOTFOUND;
    } else if (errnum) {
        r = sys_fail(s, e, "stat", path, errnum);
    } else {
        ent->key = key;
        ent->is_prefix = 0;
        ent->size = (long long)st.st_size;
        ent->mtime = st.st_mtime;
    }
    free(path);
    return r;
}

static int del(struct storage *s, const char *key, struct err *e)
{
    char *path = key_path(s, key, e);
    if (!path)
        return -1;
    int r = 0;
    if (unlink(path) < 0 && errno != ENOENT && errno != ENOTDIR)
        r = sys_fail(s, e, "remove", path, errno);
    /* S3 has no empty "directories": remove the ones this delete emptied,
     * up to the root, so listings with a delimiter agree. */
    char *slash;
    size_t rootlen = strlen(to_local(s)->root);
    while (r == 0 && (slash = strrchr(path, '/')) && (size_t)(slash - path) > rootlen) {
        *slash = '\0';
        if (rmdir(path) < 0)
            break;
    }
    free(path);
    return r;
}

/* ---- listing ---- */

/* The objects a walk found, with what their stat said. */
struct found {
    struct storage_entry *v; /* keys allocated */
    size_t n, cap;
};

static int found_add(struct found *f, char *key, const struct stat *st)
{
    if (f->n == f->cap) {
        size_t cap = f->cap ? f->cap * 2 : 64;
        struct storage_entry *v = realloc(f->v, cap * sizeof *v);
        if (!v)
            return -1;
        f->v = v;
        f->cap = cap;
    }
    f->v[f->n++] = (struct storage_entry){key, 0, (long long)st->st_size, st->st_mtime};
    return 0;
}

static void found_fini(struct found *f)
{
    for (size_t i = 0; i < f->n; i++)
        free((char *)f->v[i].key);
    free(f->v);
}

static int by_key(const void *a, const void *b)
{
    return strcmp(((const struct storage_entry *)a)->key, ((const struct storage_entry *)b)->key);
}

/* Collects the objects under <dir> (the key prefix <rel>, "" or ending in
 * '/') whose keys start with <prefix>. */
static int walk(struct storage *s, const char *dir, const char *rel, const char *prefix,
                struct found *f, int depth, struct err *e)
{
    DIR *d = opendir(dir);
    if (!d) {
        if (errno == ENOENT || errno == ENOTDIR)
            return 0;
        return sys_fail(s, e, "open", dir, errno);
    }
    int r = 0;
    struct dirent *de;
    while (r == 0 && (de = readdir(d))) {
        const char *name = de->d_name;
        if (!strcmp(name, ".") || !strcmp(name, "..") || is_tmp_name(name))
            continue;
        size_t n = strlen(rel) + strlen(name) + 2;
        char *key = malloc(n), *path = join(dir, name);
        if (!key || !path) {
            free(key);
            free(path);
            r = storage_fail(s, e, "out of memory");
            break;
        }
        snprintf(key, n, "%s%s", rel, name);
        struct stat st;
        size_t kl = strlen(key), pl = strlen(prefix);
        /* Descend only where keys can still match the prefix. */
        int could = !strncmp(key, prefix, kl < pl ? kl : pl);
        if (could && stat(path, &st) == 0) {
            if (S_ISDIR(st.st_mode) && depth < MAX_DEPTH) {
                key[kl] = '/'; /* <n> left room for it */
                key[kl + 1] = '\0';
                r = walk(s, path, key, prefix, f, depth + 1, e);
            } else if (S_ISREG(st.st_mode) && kl >= pl) {
                if (found_add(f, key, &st) < 0)
                    r = storage_fail(s, e, "out of memory");
                else
                    key = NULL; /* <f> has it */
            }
        }
        free(key);
        free(path);
    }
    closedir(d);
    return r;
}

static int list(struct storage *s, const char *prefix, const char *delimiter, storage_list_fn fn,
                void *arg, struct err *e)
{
    struct found f = {0};
    int r = walk(s, to_local(s)->root, "", prefix, &f, 0, e);
    if (r == 0 && f.n)
        qsort(f.v, f.n, sizeof *f.v, by_key);
    size_t pl = strlen(prefix);
    const char *last = NULL; /* the last common prefix given */
    for (size_t i = 0; r == 0 && i < f.n; i++) {
        struct storage_entry ent = f.v[i];
        char *key = (char *)ent.key;
        char *d = delimiter ? strstr(key + pl, delimiter) : NULL;
        if (d) {
            d[strlen(delimiter)] = '\0';
            if (last && !strcmp(last, key))
                continue;
            last = key;
            ent = (struct storage_entry){key, 1, 0, 0};
        }
        if (fn(arg, &ent))
            break;
    }
    found_fini(&f);
    return r;
}

static int check(struct storage *s, struct err *e)
{
    struct stat st;
    const char *dir = to_local(s)->bucket_dir;
    if (stat(dir, &st) < 0)
        return errno == ENOENT ? 0 : sys_fail(s, e, "stat", dir, errno);
    if (!S_ISDIR(st.st_mode))
        return storage_fail(s, e, "%s is not a directory", dir);
    if (access(dir, W_OK | X_OK) < 0)
        return sys_fail(s, e, "open", dir, errno);
    return 0;
}

static void local_free(struct storage *s)
{
    free(to_local(s)->root);
    free(to_local(s)->bucket_dir);
    free(s);
}

static const struct storage_ops local_ops = {
    check, put_begin, put_write, put_commit, put_abort, get, list, stat_key, del, local_free,
};

struct storage *storage_local_open(const struct location *loc, struct err *e)
{
    struct local *l = calloc(1, sizeof *l);
    if (!l || !(l->bucket_dir = location_path(loc->bucket)))
        goto fail;
    l->s.ops = &local_ops;
    l->root =
        loc->prefix && *loc->prefix ? join(l->bucket_dir, loc->prefix) : strdup(l->bucket_dir);
    if (!l->root)
        goto fail;
    return &l->s;
fail:
    if (l)
        free(l->bucket_dir);
    free(l);
    err_set(e, "out of memory");
    return NULL;
}
