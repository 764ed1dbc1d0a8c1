/* Messages expected here are the ones kubectl 1.32 printed for the same
 * situations (after its "error: " prefix), e.g. "open cfg.lock: file exists". */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/buf.h"
#include "core/err.h"
#include "core/file.h"

struct fixture {
    char dir[64];
    char path[256];
};

static int setup(void **state)
{
    struct fixture *f = calloc(1, sizeof *f);
    if (!f)
        return -1;
    snprintf(f->dir, sizeof f->dir, "/tmp/ferry-test-file-XXXXXX");
    if (!mkdtemp(f->dir)) {
        free(f);
        return -1;
    }
    *state = f;
    return 0;
}

static int rm_entry(const char *p, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st;
    (void)flag;
    (void)ftw;
    chmod(p, 0700); /* directories made read-only by a test */
    return remove(p);
}

static int teardown(void **state)
{
    struct fixture *f = *state;
    chmod(f->dir, 0700);
    nftw(f->dir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
    free(f);
    return 0;
}

/* Returns "<dir>/<name>" in the fixture's scratch space. */
static const char *at(struct fixture *f, const char *name)
{
    snprintf(f->path, sizeof f->path, "%s/%s", f->dir, name);
    return f->path;
}

static void put(const char *path, const char *text, mode_t mode)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, mode);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
    close(fd);
    assert_int_equal(chmod(path, mode), 0);
}

static void assert_content(const char *path, const char *want)
{
    struct buf b = BUF_INIT;
    struct err e = {{0}};
    assert_int_equal(file_read(path, 0, &b, &e), 0);
    assert_string_equal(buf_str(&b), want);
    buf_fini(&b);
}

static mode_t mode_of(const char *path)
{
    struct stat st;
    assert_int_equal(stat(path, &st), 0);
    return st.st_mode & 07777;
}

static int entries_in(const char *dir)
{
    DIR *d = opendir(dir);
    assert_non_null(d);
    int n = 0;
    struct dirent *de;
    while ((de = readdir(d)))
        if (strcmp(de->d_name, ".") && strcmp(de->d_name, ".."))
            n++;
    closedir(d);
    return n;
}

static void expect_msg(const struct err *e, const char *fmt, const char *path)
{
    char want[ERR_MSG_MAX];
    snprintf(want, sizeof want, fmt, path);
    assert_string_equal(e->msg, want);
}

/* ---- file_read -------------------------------------------------------- */

static void read_returns_whole_content(void **state)
{
    struct fixture *f = *state;
    put(at(f, "cfg"), "apiVersion: v1\nkind: Config\n", 0600);
    assert_content(at(f, "cfg"), "apiVersion: v1\nkind: Config\n");
}

static void read_large_file_reads_every_byte(void **state)
{
    struct fixture *f = *state;
    size_t n = 3 << 20;
    char *big = malloc(n + 1);
    assert_non_null(big);
    for (size_t i = 0; i < n; i++)
        big[i] = (char)('a' + i % 26);
    big[n] = '\0';
    put(at(f, "big"), big, 0600);
    struct buf b = BUF_INIT;
    struct err e = {{0}};
    assert_int_equal(file_read(at(f, "big"), 0, &b, &e), 0);
    assert_int_equal(b.len, n);
    assert_memory_equal(b.p, big, n);
    buf_fini(&b);
    free(big);
}

static void read_appends_to_buffer(void **state)
{
    struct fixture *f = *state;
    put(at(f, "cfg"), "b", 0600);
    struct buf b = BUF_INIT;
    struct err e = {{0}};
    assert_int_equal(buf_adds(&b, "a"), 0);
    assert_int_equal(file_read(at(f, "cfg"), 0, &b, &e), 0);
    assert_string_equal(buf_str(&b), "ab");
    buf_fini(&b);
}

static void read_empty_file_gives_empty_string(void **state)
{
    struct fixture *f = *state;
    put(at(f, "cfg"), "", 0600);
    struct buf b = BUF_INIT;
    struct err e = {{0}};
    assert_int_equal(file_read(at(f, "cfg"), 0, &b, &e), 0);
    assert_non_null(b.p);
    assert_int_equal(b.len, 0);
    assert_string_equal(b.p, "");
    buf_fini(&b);
}

static void read_missing_file_reports_no_such_file(void **state)
{
    struct fixture *f = *state;
    struct buf b = BUF_INIT;
    struct err e = {{0}};
    assert_int_equal(file_read(at(f, "nope"), 0, &b, &e), -ENOENT);
    expect_msg(&e, "open %s: no such file or directory", at(f, "nope"));
    assert_int_equal(b.len, 0);
    buf_fini(&b);
}

static void read_directory_reports_is_a_directory(void **state)
{
    struct fixture *f = *state;
    struct buf b = BUF_INIT;
    struct err e = {{0}};
    assert_int_equal(file_read(f->dir, 0, &b, &e), -EISDIR);
    expect_msg(&e, "read %s: is a directory", f->dir);
    buf_fini(&b);
}

static void read_unreadable_file_reports_permission_denied(void **state)
{
    struct fixture *f = *state;
    if (geteuid() == 0)
        skip(); /* root reads anything */
    put(at(f, "cfg"), "x", 0000);
    struct buf b = BUF_INIT;
    struct err e = {{0}};
    assert_int_equal(file_read(at(f, "cfg"), 0, &b, &e), -EACCES);
    expect_msg(&e, "open %s: permission denied", at(f, "cfg"));
    buf_fini(&b);
}

static void read_larger_than_max_reports_file_too_large(void **state)
{
    struct fixture *f = *state;
    put(at(f, "cfg"), "0123456789", 0600);
    struct buf b = BUF_INIT;
    struct err e = {{0}};
    assert_int_equal(buf_adds(&b, "keep"), 0);
    assert_int_equal(file_read(at(f, "cfg"), 9, &b, &e), -EFBIG);
    expect_msg(&e, "read %s: file too large", at(f, "cfg"));
    assert_string_equal(buf_str(&b), "keep");
    buf_fini(&b);
}

static void read_of_exactly_max_bytes_succeeds(void **state)
{
    struct fixture *f = *state;
    put(at(f, "cfg"), "0123456789", 0600);
    struct buf b = BUF_INIT;
    struct err e = {{0}};
    assert_int_equal(file_read(at(f, "cfg"), 10, &b, &e), 0);
    assert_int_equal(b.len, 10);
    buf_fini(&b);
}

static void read_stops_at_buffer_cap(void **state)
{
    struct fixture *f = *state;
    put(at(f, "cfg"), "0123456789", 0600);
    struct buf b;
    struct err e = {{0}};
    buf_init(&b, 10);
    assert_int_equal(file_read(at(f, "cfg"), 0, &b, &e), 0);
    assert_string_equal(buf_str(&b), "0123456789");
    buf_fini(&b);
    buf_init(&b, 9);
    assert_int_equal(file_read(at(f, "cfg"), 0, &b, &e), -EFBIG);
    assert_int_equal(b.len, 0);
    buf_fini(&b);
}

static void read_pipe_larger_than_max_reports_file_too_large(void **state)
{
    (void)state;
    int p[2];
    assert_int_equal(pipe(p), 0);
    assert_int_equal(write(p[1], "0123456789", 10), 10);
    close(p[1]);
    char path[64];
    snprintf(path, sizeof path, "/dev/fd/%d", p[0]);
    struct buf b = BUF_INIT;
    struct err e = {{0}};
    assert_int_equal(file_read(path, 9, &b, &e), -EFBIG);
    close(p[0]);
    assert_int_equal(b.len, 0);
    buf_fini(&b);
}

static void read_dash_reads_stdin(void **state)
{
    struct fixture *f = *state;
    put(at(f, "in"), "from stdin", 0600);
    int saved = dup(STDIN_FILENO);
    int fd = open(at(f, "in"), O_RDONLY);
    assert_true(saved >= 0 && fd >= 0);
    dup2(fd, STDIN_FILENO);
    close(fd);
    struct buf b = BUF_INIT;
    struct err e = {{0}};
    int r = file_read("-", 0, &b, &e);
    dup2(saved, STDIN_FILENO);
    close(saved);
    assert_int_equal(r, 0);
    assert_string_equal(buf_str(&b), "from stdin");
    buf_fini(&b);
}

static void read_pipe_reads_to_end(void **state)
{
    (void)state;
    int p[2];
    assert_int_equal(pipe(p), 0);
    assert_int_equal(write(p[1], "piped", 5), 5);
    close(p[1]);
    char path[64];
    snprintf(path, sizeof path, "/dev/fd/%d", p[0]);
    struct buf b = BUF_INIT;
    struct err e = {{0}};
    assert_int_equal(file_read(path, 0, &b, &e), 0);
    close(p[0]);
    assert_string_equal(buf_str(&b), "piped");
    buf_fini(&b);
}

/* ---- file_write_atomic ------------------------------------------------ */

static void atomic_write_creates_file_with_exact_new_mode(void **state)
{
    struct fixture *f = *state;
    struct err e = {{0}};
    mode_t old = umask(077);
    int r = file_write_atomic(at(f, "cfg"), "abc", 3, 0644, &e);
    umask(old);
    assert_int_equal(r, 0);
    assert_int_equal(mode_of(at(f, "cfg")), 0644);
    assert_content(at(f, "cfg"), "abc");
}

static void atomic_write_replaces_content(void **state)
{
    struct fixture *f = *state;
    struct err e = {{0}};
    put(at(f, "cfg"), "a much longer old content\n", 0600);
    assert_int_equal(file_write_atomic(at(f, "cfg"), "new\n", 4, 0600, &e), 0);
    assert_content(at(f, "cfg"), "new\n");
}

static void atomic_write_keeps_existing_mode(void **state)
{
    struct fixture *f = *state;
    struct err e = {{0}};
    put(at(f, "cfg"), "old", 0640);
    assert_int_equal(file_write_atomic(at(f, "cfg"), "new", 3, 0600, &e), 0);
    assert_int_equal(mode_of(at(f, "cfg")), 0640);
}

static void atomic_write_leaves_no_temporary_file(void **state)
{
    struct fixture *f = *state;
    struct err e = {{0}};
    put(at(f, "cfg"), "old", 0600);
    assert_int_equal(file_write_atomic(at(f, "cfg"), "new", 3, 0600, &e), 0);
    assert_int_equal(entries_in(f->dir), 1);
}

static void atomic_write_of_empty_data_truncates(void **state)
{
    struct fixture *f = *state;
    struct err e = {{0}};
    put(at(f, "cfg"), "old", 0600);
    assert_int_equal(file_write_atomic(at(f, "cfg"), "", 0, 0600, &e), 0);
    assert_content(at(f, "cfg"), "");
}

static void write_into_missing_directory_creates_it(void **state)
{
    struct fixture *f = *state;
    struct err e = {{0}};
    char dir[256], file[320];
    snprintf(dir, sizeof dir, "%s/a/b", f->dir);
    snprintf(file, sizeof file, "%s/config", dir);
    mode_t old = umask(022);
    int r = file_write_atomic(file, "x", 1, 0600, &e);
    umask(old);
    assert_int_equal(r, 0);
    assert_true(file_is_dir(dir));
    assert_int_equal(mode_of(dir), 0755);
    assert_content(file, "x");
}

static void write_through_symlink_keeps_link(void **state)
{
    struct fixture *f = *state;
    struct err e = {{0}};
    put(at(f, "real"), "old", 0640);
    assert_int_equal(symlink("real", at(f, "link")), 0);
    assert_int_equal(file_write_atomic(at(f, "link"), "new", 3, 0600, &e), 0);
    struct stat st;
    assert_int_equal(lstat(at(f, "link"), &st), 0);
    assert_true(S_ISLNK(st.st_mode));
    assert_content(at(f, "real"), "new");
    assert_int_equal(mode_of(at(f, "real")), 0640);
}

static void write_follows_relative_symlink_chain(void **state)
{
    struct fixture *f = *state;
    struct err e = {{0}};
    /* link1 -> sub/link2 -> ../real: each target is relative to its link. */
    assert_int_equal(mkdir(at(f, "sub"), 0755), 0);
    put(at(f, "real"), "old", 0600);
    assert_int_equal(symlink("../real", at(f, "sub/link2")), 0);
    assert_int_equal(symlink("sub/link2", at(f, "link1")), 0);
    assert_int_equal(file_write_atomic(at(f, "link1"), "new", 3, 0600, &e), 0);
    assert_content(at(f, "real"), "new");
    struct stat st;
    assert_int_equal(lstat(at(f, "sub/link2"), &st), 0);
    assert_true(S_ISLNK(st.st_mode));
}

static void write_through_dangling_symlink_creates_target(void **state)
{
    struct fixture *f = *state;
    struct err e = {{0}};
    assert_int_equal(symlink("real", at(f, "link")), 0);
    assert_int_equal(file_write_atomic(at(f, "link"), "new", 3, 0600, &e), 0);
    assert_content(at(f, "real"), "new");
    assert_int_equal(mode_of(at(f, "real")), 0600);
}

static void symlink_loop_reports_too_many_levels(void **state)
{
    struct fixture *f = *state;
    struct err e = {{0}};
    assert_int_equal(symlink("b", at(f, "a")), 0);
    assert_int_equal(symlink("a", at(f, "b")), 0);
    assert_int_equal(file_write_atomic(at(f, "a"), "x", 1, 0600, &e), -ELOOP);
    expect_msg(&e, "open %s: too many levels of symbolic links", at(f, "a"));
}

static void failed_write_leaves_target_untouched(void **state)
{
    struct fixture *f = *state;
    struct err e = {{0}};
    put(at(f, "cfg"), "old", 0600);
    /* A file size limit makes write(2) fail with EFBIG after the temporary
     * file exists, and applies to root too. */
    struct rlimit saved, small;
    assert_int_equal(getrlimit(RLIMIT_FSIZE, &saved), 0);
    small = saved;
    small.rlim_cur = 4;
    void (*old_handler)(int) = signal(SIGXFSZ, SIG_IGN);
    assert_int_equal(setrlimit(RLIMIT_FSIZE, &small), 0);
    int r = file_write_atomic(at(f, "cfg"), "0123456789", 10, 0600, &e);
    setrlimit(RLIMIT_FSIZE, &saved);
    signal(SIGXFSZ, old_handler);
    assert_int_equal(r, -EFBIG);
    expect_msg(&e, "write %s: file too large", at(f, "cfg"));
    assert_content(at(f, "cfg"), "old");
    assert_int_equal(entries_in(f->dir), 1);
}

static void write_under_regular_file_reports_not_a_directory(void **state)
{
    struct fixture *f = *state;
    struct err e = {{0}};
    put(at(f, "file"), "x", 0600);
    assert_int_equal(file_write_atomic(at(f, "file/cfg"), "y", 1, 0600, &e), -ENOTDIR);
    expect_msg(&e, "open %s: not a directory", at(f, "file/cfg"));
    assert_content(at(f, "file"), "x");
    assert_int_equal(entries_in(f->dir), 1);
}

static void write_to_directory_reports_is_a_directory(void **state)
{
    struct fixture *f = *state;
    struct err e = {{0}};
    assert_int_equal(mkdir(at(f, "d"), 0755), 0);
    assert_int_equal(file_write_atomic(at(f, "d"), "y", 1, 0600, &e), -EISDIR);
    expect_msg(&e, "open %s: is a directory", at(f, "d"));
    assert_true(file_is_dir(at(f, "d")));
}

static void write_to_read_only_file_is_refused(void **state)
{
    struct fixture *f = *state;
    struct err e = {{0}};
    if (geteuid() == 0)
        skip(); /* root may write anything, as with kubectl */
    put(at(f, "cfg"), "old", 0444);
    assert_int_equal(file_write_atomic(at(f, "cfg"), "new", 3, 0600, &e), -EACCES);
    expect_msg(&e, "open %s: permission denied", at(f, "cfg"));
    assert_content(at(f, "cfg"), "old");
}

static void write_in_read_only_directory_reports_permission_denied(void **state)
{
    struct fixture *f = *state;
    struct err e = {{0}};
    if (geteuid() == 0)
        skip();
    assert_int_equal(mkdir(at(f, "ro"), 0555), 0);
    assert_int_equal(file_write_atomic(at(f, "ro/cfg"), "x", 1, 0600, &e), -EACCES);
    expect_msg(&e, "open %s: permission denied", at(f, "ro/cfg"));
}

static void write_to_empty_path_reports_no_such_file(void **state)
{
    (void)state;
    struct err e = {{0}};
    assert_int_equal(file_write_atomic("", "x", 1, 0600, &e), -ENOENT);
    assert_string_equal(e.msg, "open : no such file or directory");
}

static void write_to_fifo_writes_in_place(void **state)
{
    struct fixture *f = *state;
    struct err e = {{0}};
    assert_int_equal(mkfifo(at(f, "fifo"), 0600), 0);
    int rd = open(at(f, "fifo"), O_RDONLY | O_NONBLOCK);
    assert_true(rd >= 0);
    assert_int_equal(file_write_atomic(at(f, "fifo"), "hello", 5, 0600, &e), 0);
    char got[8] = {0};
    assert_int_equal(read(rd, got, sizeof got), 5);
    close(rd);
    assert_string_equal(got, "hello");
    struct stat st;
    assert_int_equal(lstat(at(f, "fifo"), &st), 0);
    assert_true(S_ISFIFO(st.st_mode));
}

/* ---- lock ------------------------------------------------------------- */

static void lock_creates_lock_file(void **state)
{
    struct fixture *f = *state;
    struct err e = {{0}};
    assert_int_equal(file_lock(at(f, "cfg"), &e), 0);
    assert_true(file_exists(at(f, "cfg.lock")));
    assert_false(file_exists(at(f, "cfg")));
}

static void lock_refused_when_lock_exists(void **state)
{
    struct fixture *f = *state;
    struct err e = {{0}};
    /* kubectl --kubeconfig cfg config set-context x --cluster=y, with a
     * cfg.lock present, prints exactly this (the path as given). */
    char cwd[4096];
    assert_non_null(getcwd(cwd, sizeof cwd));
    assert_int_equal(chdir(f->dir), 0);
    put("cfg.lock", "", 0600);
    int r = file_lock("cfg", &e);
    assert_int_equal(chdir(cwd), 0);
    assert_int_equal(r, -EEXIST);
    assert_string_equal(e.msg, "open cfg.lock: file exists");
}

static void unlock_removes_lock_file(void **state)
{
    struct fixture *f = *state;
    struct err e = {{0}};
    assert_int_equal(file_lock(at(f, "cfg"), &e), 0);
    file_unlock(at(f, "cfg"));
    assert_false(file_exists(at(f, "cfg.lock")));
    assert_int_equal(file_lock(at(f, "cfg"), &e), 0);
}

static void lock_creates_missing_directory(void **state)
{
    struct fixture *f = *state;
    struct err e = {{0}};
    assert_int_equal(file_lock(at(f, "new/dir/cfg"), &e), 0);
    assert_true(file_exists(at(f, "new/dir/cfg.lock")));
}

static void lock_is_named_after_link_not_target(void **state)
{
    struct fixture *f = *state;
    struct err e = {{0}};
    put(at(f, "real"), "x", 0600);
    assert_int_equal(symlink("real", at(f, "link")), 0);
    assert_int_equal(file_lock(at(f, "link"), &e), 0);
    assert_true(file_exists(at(f, "link.lock")));
    assert_false(file_exists(at(f, "real.lock")));
}

/* ---- small helpers ---------------------------------------------------- */

static void exists_follows_symlinks(void **state)
{
    struct fixture *f = *state;
    put(at(f, "real"), "x", 0600);
    assert_int_equal(symlink("real", at(f, "good")), 0);
    assert_int_equal(symlink("missing", at(f, "dangling")), 0);
    assert_int_equal(file_exists(at(f, "good")), 1);
    assert_int_equal(file_exists(at(f, "dangling")), 0);
    assert_int_equal(file_exists(at(f, "nothing")), 0);
}

static void is_dir_is_true_only_for_directories(void **state)
{
    struct fixture *f = *state;
    put(at(f, "file"), "x", 0600);
    assert_int_equal(file_is_dir(f->dir), 1);
    assert_int_equal(file_is_dir(at(f, "file")), 0);
    assert_int_equal(file_is_dir(at(f, "nothing")), 0);
}

static void strerror_uses_go_wording(void **state)
{
    (void)state;
    char s[128];
    assert_string_equal(file_strerror(ENOENT, s, sizeof s), "no such file or directory");
    assert_string_equal(file_strerror(EIO, s, sizeof s), "input/output error");
    /* Not in the table: the C library's text, first letter lowered. */
    assert_string_equal(file_strerror(ECONNREFUSED, s, sizeof s), "connection refused");
}

#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)

int main(void)
{
    const struct CMUnitTest tests[] = {
        T(read_returns_whole_content),
        T(read_large_file_reads_every_byte),
        T(read_appends_to_buffer),
        T(read_empty_file_gives_empty_string),
        T(read_missing_file_reports_no_such_file),
        T(read_directory_reports_is_a_directory),
        T(read_unreadable_file_reports_permission_denied),
        T(read_larger_than_max_reports_file_too_large),
        T(read_of_exactly_max_bytes_succeeds),
        T(read_stops_at_buffer_cap),
        T(read_pipe_larger_than_max_reports_file_too_large),
        T(read_dash_reads_stdin),
        T(read_pipe_reads_to_end),
        T(atomic_write_creates_file_with_exact_new_mode),
        T(atomic_write_replaces_content),
        T(atomic_write_keeps_existing_mode),
        T(atomic_write_leaves_no_temporary_file),
        T(atomic_write_of_empty_data_truncates),
        T(write_into_missing_directory_creates_it),
        T(write_through_symlink_keeps_link),
        T(write_follows_relative_symlink_chain),
        T(write_through_dangling_symlink_creates_target),
        T(symlink_loop_reports_too_many_levels),
        T(failed_write_leaves_target_untouched),
        T(write_under_regular_file_reports_not_a_directory),
        T(write_to_directory_reports_is_a_directory),
        T(write_to_read_only_file_is_refused),
        T(write_in_read_only_directory_reports_permission_denied),
        T(write_to_empty_path_reports_no_such_file),
        T(write_to_fifo_writes_in_place),
        T(lock_creates_lock_file),
        T(lock_refused_when_lock_exists),
        T(unlock_removes_lock_file),
        T(lock_creates_missing_directory),
        T(lock_is_named_after_link_not_target),
        T(exists_follows_symlinks),
        T(is_dir_is_true_only_for_directories),
        T(strerror_uses_go_wording),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
