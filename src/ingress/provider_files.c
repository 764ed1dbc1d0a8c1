/* The manifests provider. See provider_files.h. */
#include "ingress/provider_files.h"

#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/buf.h"
#include "core/file.h"
#include "core/log.h"
#include "core/strv.h"
#include "core/yaml.h"

struct provider_files {
    char *path;
    char *dir;  /* the directory watched */
    char *base; /* for a file: its name in <dir>, else NULL */
    struct objstore *store;
    unsigned long long hash;
    int have_hash;
    unsigned generation;
    struct loop *loop;
    struct io io; /* inotify */
    struct timer debounce;
    uint64_t burst_start;
};

/* ---- reading ------------------------------------------------------------ */

static int wanted_name(const char *name)
{
    size_t n = strlen(name);
    if (!n || name[0] == '.')
        return 0;
    return (n > 5 && !strcmp(name + n - 5, ".yaml")) || (n > 4 && !strcmp(name + n - 4, ".yml")) ||
           (n > 5 && !strcmp(name + n - 5, ".json"));
}

/* A document marker line: "---" at column 0, then nothing or blanks. */
static int doc_marker(const char *p, size_t n)
{
    return n >= 3 && p[0] == '-' && p[1] == '-' && p[2] == '-' &&
           (n == 3 || p[3] == ' ' || p[3] == '\t' || p[3] == '\r' || p[3] == '\n');
}

/* Rewrites go-yaml's "yaml: line N: what" as "<file>: line <N+off>: what". */
static int yaml_error(struct err *e, const char *file, const char *msg, size_t first_line)
{
    unsigned long line;
    int pos = 0;
    if (sscanf(msg, "yaml: line %lu: %n", &line, &pos) == 1 && pos > 0)
        return err_set(e, "%s: line %lu: %s", file, line + first_line - 1, msg + pos);
    if (!strncmp(msg, "yaml: ", 6))
        msg += 6;
    return err_set(e, "%s: line %zu: %s", file, first_line, msg);
}

static int check_object(const json_t *doc, const char *file, size_t line, struct err *e)
{
    if (!json_is_object(doc))
        return err_set(e, "%s: line %zu: a document is not a Kubernetes object (a mapping)", file,
                       line);
    const json_t *kind = json_object_get(doc, "kind");
    const json_t *api = json_object_get(doc, "apiVersion");
    if (!json_is_string(kind) || !*json_string_value(kind))
        return err_set(e, "%s: line %zu: object has no kind", file, line);
    if (!json_is_string(api) || !*json_string_value(api))
        return err_set(e, "%s: line %zu: %s has no apiVersion", file, line,
                       json_string_value(kind));
    return 0;
}

/* Loads the documents of one file's <data> into <out>, one document at a
 * time so that errors carry the line of the file. */
static int load_file(const char *file, const char *data, size_t len, json_t *out, struct err *e)
{
    size_t start = 0, line = 1, start_line = 1;
    for (size_t pos = 0; pos <= len;) {
        const char *nl = pos < len ? memchr(data + pos, '\n', len - pos) : NULL;
        size_t end = nl ? (size_t)(nl - data) + 1 : len;
        int last = pos >= len;
        if (last || (pos > start && doc_marker(data + pos, end - pos))) {
            json_t *docs = NULL;
            struct err ye;
            if (yaml_load(data + start, pos - start, &docs, &ye) < 0)
                return yaml_error(e, file, ye.msg, start_line);
            /* a document is on the line after its marker line */
            size_t doc_line = start_line;
            if (doc_marker(data + start, pos - start)) {
                const char *eol = memchr(data + start, '\n', pos - start);
                size_t k = 3;
                while (
                    data + start + k < (eol ? eol : data + pos) &&
                    (data[start + k] == ' ' || data[start + k] == '\t' || data[start + k] == '\r'))
                    k++;
                if (eol && data + start + k == eol)
                    doc_line++;
            }
            size_t i;
            json_t *d;
            json_array_foreach(docs, i, d)
            {
                if (check_object(d, file, doc_line, e) < 0 || json_array_append(out, d) < 0) {
                    json_decref(docs);
                    return e && e->msg[0] ? -1 : err_set(e, "out of memory");
                }
            }
            json_decref(docs);
            start = pos;
            start_line = line;
            if (last)
                break;
        }
        pos = end;
        line++;
    }
    return 0;
}

static unsigned long long fnv(unsigned long long h, const void *p, size_t n)
{
    const unsigned char *b = p;
    for (size_t i = 0; i < n; i++)
        h = (h ^ b[i]) * 1099511628211ULL;
    return h;
}

static int read_one(const char *file, json_t *out, unsigned long long *h, struct err *e)
{
    struct buf b = BUF_INIT;
    if (file_read(file, YAML_MAX_INPUT, &b, e) < 0)
        return -1;
    *h = fnv(*h, file, strlen(file) + 1);
    *h = fnv(*h, b.p, b.len);
    *h = fnv(*h, "", 1);
    int r = load_file(file, b.p, b.len, out, e);
    buf_fini(&b);
    return r;
}

int manifests_read(const char *path, json_t **objects, unsigned long long *hash, struct err *e)
{
    *objects = NULL;
    if (e)
        e->msg[0] = '\0';
    json_t *out = json_array();
    if (!out)
        return err_set(e, "out of memory");
    unsigned long long h = 1469598103934665603ULL;
    struct stat st;
    if (stat(path, &st) < 0) {
        char why[128];
        err_set(e, "%s: %s", path, file_strerror(errno, why, sizeof why));
        goto fail;
    }
    if (!S_ISDIR(st.st_mode)) {
        if (read_one(path, out, &h, e) < 0)
            goto fail;
    } else {
        DIR *d = opendir(path);
        if (!d) {
            char why[128];
            err_set(e, "%s: %s", path, file_strerror(errno, why, sizeof why));
            goto fail;
        }
        struct strv names = {0};
        int bad = 0;
        struct dirent *de;
        while ((de = readdir(d)))
            if (wanted_name(de->d_name) && strv_add(&names, de->d_name, strlen(de->d_name)) < 0) {
                bad = 1;
                break;
            }
        closedir(d);
        if (bad)
            err_set(e, "out of memory");
        strv_sort(&names);
        for (size_t i = 0; i < names.n && !bad; i++) {
            char full[PATH_MAX];
            int k = snprintf(full, sizeof full, "%s%s%s", path,
                             path[strlen(path) - 1] == '/' ? "" : "/", names.v[i]);
            if (k < 0 || (size_t)k >= sizeof full) {
                err_set(e, "%s/%s: path too long", path, names.v[i]);
                bad = 1;
                break;
            }
            struct stat fst;
            if (stat(full, &fst) < 0 || !S_ISREG(fst.st_mode))
                continue; /* a dangling link, a directory named x.yaml */
            if (read_one(full, out, &h, e) < 0)
                bad = 1;
        }
        strv_fini(&names);
        if (bad)
            goto fail;
    }
    *objects = out;
    if (hash)
        *hash = h;
    return 0;
fail:
    json_decref(out);
    return -1;
}

/* ---- the provider ------------------------------------------------------- */

struct provider_files *provider_files_new(const char *path, struct objstore *store)
{
    struct provider_files *pf = calloc(1, sizeof *pf);
    if (!pf)
        return NULL;
    if (!(pf->path = strdup(path))) {
        free(pf);
        return NULL;
    }
    pf->store = store;
    pf->io.fd = -1;
    timer_init(&pf->debounce);
    return pf;
}

unsigned provider_files_generation(const struct provider_files *pf)
{
    return pf->generation;
}

int provider_files_reload(struct provider_files *pf, struct err *e)
{
    json_t *objects;
    unsigned long long hash = 0;
    if (manifests_read(pf->path, &objects, &hash, e) < 0)
        return -1;
    if (pf->have_hash && hash == pf->hash) {
        json_decref(objects);
        return 0;
    }
    objstore_replace(pf->store, objects);
    if (objstore_rebuild(pf->store, e) < 0)
        return -1;
    pf->hash = hash;
    pf->have_hash = 1;
    pf->generation++;
    return 1;
}

static void do_reload(struct loop *loop, struct timer *t)
{
    (void)loop;
    struct provider_files *pf = NET_CONTAINER_OF(t, struct provider_files, debounce);
    struct err e;
    if (provider_files_reload(pf, &e) < 0)
        LOG_ERROR("manifests: %s; still serving the previous configuration", e.msg);
}

static void on_inotify(struct loop *loop, struct io *io, unsigned events)
{
    (void)events;
    struct provider_files *pf = NET_CONTAINER_OF(io, struct provider_files, io);
    char ev[4096] __attribute__((aligned(__alignof__(struct inotify_event))));
    int relevant = 0;
    for (;;) {
        ssize_t n = read(io->fd, ev, sizeof ev);
        if (n <= 0)
            break;
        for (char *p = ev; p < ev + n;) {
            const struct inotify_event *ie = (const struct inotify_event *)(void *)p;
            p += sizeof *ie + ie->len;
            if (ie->mask & IN_Q_OVERFLOW) {
                relevant = 1;
                continue;
            }
            if (ie->mask & (IN_DELETE_SELF | IN_MOVE_SELF)) {
                LOG_WARN("manifests: %s was removed or moved; changes are no longer seen", pf->dir);
                continue;
            }
            const char *name = ie->len ? ie->name : "";
            if (pf->base ? (!strcmp(name, pf->base) || !strncmp(name, "..", 2))
                         : (wanted_name(name) || !strncmp(name, "..", 2)))
                relevant = 1;
        }
    }
    if (!relevant)
        return;
    uint64_t now = loop_now_ms(loop);
    if (!timer_active(&pf->debounce))
        pf->burst_start = now;
    uint64_t due = now + PROVIDER_FILES_DEBOUNCE_MS;
    if (due > pf->burst_start + PROVIDER_FILES_MAX_DELAY_MS)
        due = pf->burst_start + PROVIDER_FILES_MAX_DELAY_MS;
    timer_start(loop, &pf->debounce, (uint32_t)(due > now ? due - now : 0), do_reload);
}

int provider_files_watch(struct provider_files *pf, struct loop *loop, struct err *e)
{
    struct stat st;
    char why[128];
    if (stat(pf->path, &st) < 0)
        return err_set(e, "%s: %s", pf->path, file_strerror(errno, why, sizeof why));
    if (S_ISDIR(st.st_mode)) {
        pf->dir = strdup(pf->path);
    } else {
        const char *slash = strrchr(pf->path, '/');
        pf->dir = slash ? strndup(pf->path, slash == pf->path ? 1 : (size_t)(slash - pf->path))
                        : strdup(".");
        pf->base = strdup(slash ? slash + 1 : pf->path);
        if (!pf->base)
            return err_set(e, "out of memory");
    }
    if (!pf->dir)
        return err_set(e, "out of memory");
    int fd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
    if (fd < 0)
        return err_set(e, "inotify: %s", file_strerror(errno, why, sizeof why));
    if (inotify_add_watch(fd, pf->dir,
                          IN_CLOSE_WRITE | IN_MOVED_TO | IN_MOVED_FROM | IN_DELETE |
                              IN_DELETE_SELF | IN_MOVE_SELF) < 0) {
        int err = errno;
        close(fd);
        return err_set(e, "watch %s: %s", pf->dir, file_strerror(err, why, sizeof why));
    }
    pf->loop = loop;
    io_init(&pf->io, fd, on_inotify);
    int r = io_start(loop, &pf->io, IO_READ);
    if (r < 0) {
        close(fd);
        pf->io.fd = -1;
        return err_set(e, "inotify: %s", file_strerror(-r, why, sizeof why));
    }
    return 0;
}

void provider_files_free(struct provider_files *pf)
{
    if (!pf)
        return;
    if (pf->loop) {
        timer_stop(pf->loop, &pf->debounce);
        if (pf->io.fd >= 0)
            io_close(pf->loop, &pf->io);
    }
    free(pf->path);
    free(pf->dir);
    free(pf->base);
    free(pf);
}
