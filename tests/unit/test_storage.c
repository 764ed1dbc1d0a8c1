/* src/storage without a network: the local backend, the SigV4 signer
 * against AWS's published test vectors, and the locations file. The S3
 * backend against a real endpoint is tests/unit/test_storage_s3.c. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <dirent.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/buf.h"
#include "core/file.h"
#include "storage/location.h"
#include "storage/sigv4.h"
#include "storage/storage.h"

struct fx {
    char dir[64];
    struct location loc;
    struct storage *s;
};

static int setup(void **state)
{
    struct fx *f = calloc(1, sizeof *f);
    snprintf(f->dir, sizeof f->dir, "/tmp/ferry-test-storage-XXXXXX");
    if (!mkdtemp(f->dir))
        return -1;
    char bucket[128];
    snprintf(bucket, sizeof bucket, "%s/bucket", f->dir);
    f->loc.name = strdup("t");
    f->loc.provider = strdup("local");
    f->loc.bucket = strdup(bucket);
    f->loc.prefix = strdup("pre");
    struct err e;
    f->s = storage_open(&f->loc, &e);
    if (!f->s)
        return -1;
    *state = f;
    return 0;
}

static int rm_entry(const char *p, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st;
    (void)flag;
    (void)ftw;
    return remove(p);
}

static int teardown(void **state)
{
    struct fx *f = *state;
    storage_free(f->s);
    location_fini(&f->loc);
    nftw(f->dir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
    free(f);
    return 0;
}

static void put_str(struct storage *s, const char *key, const char *data)
{
    struct err e;
    if (storage_put(s, key, data, strlen(data), NULL, &e) != 0)
        fail_msg("put %s: %s", key, e.msg);
}

/* Every key listed, "K" for an object and "P" for a prefix, joined. */
static int collect(void *arg, const struct storage_entry *ent)
{
    struct buf *b = arg;
    buf_addf(b, "%s%s:%s", b->len ? " " : "", ent->is_prefix ? "P" : "K", ent->key);
    return 0;
}

static char *listing(struct storage *s, const char *prefix, const char *delim)
{
    struct buf b = BUF_INIT;
    struct err e;
    if (storage_list(s, prefix, delim, collect, &b, &e) != 0)
        fail_msg("list: %s", e.msg);
    return buf_take(&b);
}

static int count_files(const char *dir)
{
    DIR *d = opendir(dir);
    if (!d)
        return 0;
    int n = 0;
    struct dirent *de;
    while ((de = readdir(d)))
        n += strcmp(de->d_name, ".") && strcmp(de->d_name, "..");
    closedir(d);
    return n;
}

/* ---- local backend ---- */

static void local_put_then_get_returns_the_bytes(void **state)
{
    struct fx *f = *state;
    struct err e;
    put_str(f->s, "backups/b1/velero-backup.json", "{\"a\":1}");
    struct buf b = BUF_INIT;
    assert_int_equal(storage_get_buf(f->s, "backups/b1/velero-backup.json", &b, 100, &e), 0);
    assert_string_equal(buf_str(&b), "{\"a\":1}");
    buf_fini(&b);
    /* the prefix is a subdirectory of the bucket directory */
    char path[256];
    snprintf(path, sizeof path, "%s/bucket/pre/backups/b1/velero-backup.json", f->dir);
    assert_true(file_exists(path));
}

static void local_streamed_writer_is_invisible_until_commit(void **state)
{
    struct fx *f = *state;
    struct err e;
    struct storage_writer *w = storage_put_begin(f->s, "a/big", NULL, &e);
    assert_non_null(w);
    char chunk[4096];
    memset(chunk, 'x', sizeof chunk);
    for (int i = 0; i < 100; i++)
        assert_int_equal(storage_put_write(w, chunk, sizeof chunk, &e), 0);
    struct storage_entry ent;
    assert_int_equal(storage_stat(f->s, "a/big", &ent, &e), STORAGE_ENOTFOUND);
    char *l = listing(f->s, "", NULL);
    assert_string_equal(l, ""); /* the temporary file is not listed */
    free(l);
    assert_int_equal(storage_put_commit(w, &e), 0);
    assert_int_equal(storage_stat(f->s, "a/big", &ent, &e), 0);
    assert_int_equal(ent.size, 100 * 4096);
    assert_true(ent.mtime > 0);
    assert_string_equal(ent.key, "a/big");
}

/* Each object with its size and whether it has a time, "P" prefixes with 0. */
static int collect_sizes(void *arg, const struct storage_entry *ent)
{
    struct buf *b = arg;
    buf_addf(b, "%s%s:%s:%lld:%d", b->len ? " " : "", ent->is_prefix ? "P" : "K", ent->key,
             ent->size, ent->mtime > 0);
    return 0;
}

static void local_list_gives_sizes_and_times(void **state)
{
    struct fx *f = *state;
    struct err e;
    put_str(f->s, "a/one", "1");
    put_str(f->s, "a/three", "333");
    put_str(f->s, "b/d/x", "xxxxx");
    struct buf b = BUF_INIT;
    assert_int_equal(storage_list(f->s, "", NULL, collect_sizes, &b, &e), 0);
    assert_string_equal(buf_str(&b), "K:a/one:1:1 K:a/three:3:1 K:b/d/x:5:1");
    buf_fini(&b);
    assert_int_equal(storage_list(f->s, "", "/", collect_sizes, &b, &e), 0);
    assert_string_equal(buf_str(&b), "P:a/:0:0 P:b/:0:0");
    buf_fini(&b);
    assert_int_equal(storage_list(f->s, "a/t", "/", collect_sizes, &b, &e), 0);
    assert_string_equal(buf_str(&b), "K:a/three:3:1");
    buf_fini(&b);
}

static void local_abort_leaves_nothing(void **state)
{
    struct fx *f = *state;
    struct err e;
    struct storage_writer *w = storage_put_begin(f->s, "x/y", "text/plain", &e);
    assert_non_null(w);
    assert_int_equal(storage_put_write(w, "abc", 3, &e), 0);
    storage_put_abort(w);
    storage_put_abort(NULL);
    char dir[256];
    snprintf(dir, sizeof dir, "%s/bucket/pre/x", f->dir);
    assert_int_equal(count_files(dir), 0);
    struct buf b = BUF_INIT;
    assert_int_equal(storage_get_buf(f->s, "x/y", &b, 10, &e), STORAGE_ENOTFOUND);
    buf_fini(&b);
}

static void local_overwrite_replaces_whole_object(void **state)
{
    struct fx *f = *state;
    struct err e;
    put_str(f->s, "k", "a long first version");
    put_str(f->s, "k", "short");
    struct buf b = BUF_INIT;
    assert_int_equal(storage_get_buf(f->s, "k", &b, 100, &e), 0);
    assert_string_equal(buf_str(&b), "short");
    buf_fini(&b);
}

static void local_list_is_sorted_and_recursive(void **state)
{
    struct fx *f = *state;
    put_str(f->s, "backups/b2/b2.tar.gz", "2");
    put_str(f->s, "backups/b1/b1.tar.gz", "1");
    put_str(f->s, "backups/b1/velero-backup.json", "1");
    put_str(f->s, "backups/b10/x", "10");
    put_str(f->s, "restores/r1/r", "r");
    put_str(f->s, "top", "t");
    char *l = listing(f->s, "", NULL);
    assert_string_equal(l, "K:backups/b1/b1.tar.gz K:backups/b1/velero-backup.json "
                           "K:backups/b10/x K:backups/b2/b2.tar.gz K:restores/r1/r K:top");
    free(l);
    /* a prefix need not end at a '/' */
    l = listing(f->s, "backups/b1", NULL);
    assert_string_equal(l, "K:backups/b1/b1.tar.gz K:backups/b1/velero-backup.json "
                           "K:backups/b10/x");
    free(l);
}

static void local_list_with_delimiter_rolls_up_like_s3(void **state)
{
    struct fx *f = *state;
    put_str(f->s, "backups/b2/b2.tar.gz", "2");
    put_str(f->s, "backups/b1/b1.tar.gz", "1");
    put_str(f->s, "backups/b1/sub/deep", "1");
    put_str(f->s, "backups/file", "f");
    put_str(f->s, "restores/r1/r", "r");
    char *l = listing(f->s, "", "/");
    assert_string_equal(l, "P:backups/ P:restores/");
    free(l);
    l = listing(f->s, "backups/", "/");
    assert_string_equal(l, "P:backups/b1/ P:backups/b2/ K:backups/file");
    free(l);
    l = listing(f->s, "backups/b", "/");
    assert_string_equal(l, "P:backups/b1/ P:backups/b2/");
    free(l);
    l = listing(f->s, "nothing/", "/");
    assert_string_equal(l, "");
    free(l);
}

static int stop_after_one(void *arg, const struct storage_entry *ent)
{
    (void)ent;
    (*(int *)arg)++;
    return 1;
}

static void local_list_stops_when_asked(void **state)
{
    struct fx *f = *state;
    struct err e;
    put_str(f->s, "a", "1");
    put_str(f->s, "b", "2");
    int n = 0;
    assert_int_equal(storage_list(f->s, "", NULL, stop_after_one, &n, &e), 0);
    assert_int_equal(n, 1);
}

static void local_delete_removes_emptied_directories(void **state)
{
    struct fx *f = *state;
    struct err e;
    put_str(f->s, "backups/b1/x", "1");
    put_str(f->s, "backups/b2/y", "2");
    assert_int_equal(storage_delete(f->s, "backups/b1/x", &e), 0);
    assert_int_equal(storage_delete(f->s, "backups/b1/x", &e), 0); /* missing: fine */
    char *l = listing(f->s, "backups/", "/");
    assert_string_equal(l, "P:backups/b2/");
    free(l);
    char dir[256];
    snprintf(dir, sizeof dir, "%s/bucket/pre/backups/b1", f->dir);
    assert_false(file_exists(dir));
    snprintf(dir, sizeof dir, "%s/bucket/pre", f->dir);
    assert_true(file_is_dir(dir)); /* the root stays */
}

static void local_get_buf_refuses_larger_than_max(void **state)
{
    struct fx *f = *state;
    struct err e;
    put_str(f->s, "k", "0123456789");
    struct buf b = BUF_INIT;
    buf_adds(&b, "keep");
    assert_int_equal(storage_get_buf(f->s, "k", &b, 5, &e), -1);
    assert_string_equal(e.msg, "backup location \"t\": object \"k\" is larger than 5 bytes");
    assert_string_equal(buf_str(&b), "keep");
    buf_fini(&b);
}

static void local_keys_cannot_escape_the_root(void **state)
{
    struct fx *f = *state;
    struct err e;
    const char *bad[] = {"../x", "a/../../x", "/abs", "a//b", "a/", "", "."};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        struct storage_writer *w = storage_put_begin(f->s, bad[i], NULL, &e);
        assert_null(w);
        assert_non_null(strstr(e.msg, "invalid object key"));
    }
    struct buf b = BUF_INIT;
    assert_int_equal(storage_get_buf(f->s, "../bucket", &b, 10, &e), -1);
    buf_fini(&b);
}

static void local_get_missing_is_not_found(void **state)
{
    struct fx *f = *state;
    struct err e;
    struct buf b = BUF_INIT;
    assert_int_equal(storage_get_buf(f->s, "nope", &b, 10, &e), STORAGE_ENOTFOUND);
    assert_string_equal(e.msg, "backup location \"t\": object \"nope\" not found");
    put_str(f->s, "dir/x", "1");
    assert_int_equal(storage_get_buf(f->s, "dir", &b, 10, &e), STORAGE_ENOTFOUND);
    buf_fini(&b);
}

static void local_bucket_with_tilde_is_under_home(void **state)
{
    struct fx *f = *state;
    struct err e;
    char *old = getenv("HOME") ? strdup(getenv("HOME")) : NULL;
    setenv("HOME", f->dir, 1);
    struct location l = {.name = "h", .provider = "local", .bucket = "~/bk", .prefix = ""};
    struct storage *s = storage_open(&l, &e);
    assert_non_null(s);
    assert_int_equal(storage_check(s, &e), 0); /* missing but creatable */
    put_str(s, "k", "v");
    storage_free(s);
    char path[256];
    snprintf(path, sizeof path, "%s/bk/k", f->dir);
    assert_true(file_exists(path));
    if (old)
        setenv("HOME", old, 1);
    free(old);
}

static void local_check_refuses_a_file_as_bucket(void **state)
{
    struct fx *f = *state;
    struct err e;
    char path[256];
    snprintf(path, sizeof path, "%s/file", f->dir);
    assert_int_equal(file_write_atomic(path, "x", 1, 0600, &e), 0);
    struct location l = {.name = "f", .provider = "local", .bucket = path, .prefix = ""};
    struct storage *s = storage_open(&l, &e);
    assert_non_null(s);
    assert_int_equal(storage_check(s, &e), -1);
    assert_non_null(strstr(e.msg, "is not a directory"));
    storage_free(s);
}

static void unknown_provider_is_refused(void **state)
{
    (void)state;
    struct err e;
    struct location l = {.name = "x", .provider = "ftp", .bucket = "b", .prefix = ""};
    assert_null(storage_open(&l, &e));
    assert_string_equal(e.msg,
                        "backup location \"x\": unknown provider \"ftp\" (local, s3 or gcs)");
}

/* ---- SigV4: AWS's test suite (aws-sig-v4-test-suite, key AKIDEXAMPLE,
 * service "service", 20150830T123600Z) and the S3 documentation's GET
 * example. ---- */

static const struct sigv4_key suite_key = {
    "AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", "us-east-1", "service"};
#define EMPTY_HASH "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"

static void check_sig(const struct sigv4_request *r, const struct sigv4_key *k, const char *date,
                      const char *want)
{
    struct buf out = BUF_INIT;
    assert_int_equal(sigv4_authorization(r, k, date, &out), 0);
    assert_string_equal(buf_str(&out), want);
    buf_fini(&out);
}

static void sigv4_get_vanilla(void **state)
{
    (void)state;
    struct sigv4_header h[] = {{"Host", "example.amazonaws.com"},
                               {"X-Amz-Date", "20150830T123600Z"}};
    struct sigv4_request r = {"GET", "/", NULL, 0, h, 2, EMPTY_HASH};
    check_sig(&r, &suite_key, "20150830T123600Z",
              "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, "
              "SignedHeaders=host;x-amz-date, "
              "Signature=5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31");
}

static void sigv4_post_vanilla(void **state)
{
    (void)state;
    struct sigv4_header h[] = {{"Host", "example.amazonaws.com"},
                               {"X-Amz-Date", "20150830T123600Z"}};
    struct sigv4_request r = {"POST", "/", NULL, 0, h, 2, EMPTY_HASH};
    check_sig(&r, &suite_key, "20150830T123600Z",
              "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, "
              "SignedHeaders=host;x-amz-date, "
              "Signature=5da7c1a2acd57cee7505fc6676e4e544621c30862966e37dddb68e92efbe5d6b");
}

static void sigv4_get_vanilla_empty_query_key(void **state)
{
    (void)state;
    struct sigv4_header h[] = {{"Host", "example.amazonaws.com"},
                               {"X-Amz-Date", "20150830T123600Z"}};
    struct sigv4_param q[] = {{"Param1", "value1"}};
    struct sigv4_request r = {"GET", "/", q, 1, h, 2, EMPTY_HASH};
    check_sig(&r, &suite_key, "20150830T123600Z",
              "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, "
              "SignedHeaders=host;x-amz-date, "
              "Signature=a67d582fa61cc504c4bae71f336f98b97f1ea3c7a6bfe1b6e45aec72011b9aeb");
}

static void sigv4_get_utf8_path_is_percent_encoded(void **state)
{
    (void)state;
    struct sigv4_header h[] = {{"Host", "example.amazonaws.com"},
                               {"X-Amz-Date", "20150830T123600Z"}};
    struct sigv4_request r = {"GET", "/\xe1\x88\xb4", NULL, 0, h, 2, EMPTY_HASH};
    struct buf c = BUF_INIT;
    assert_int_equal(sigv4_canonical_request(&r, &c), 0);
    assert_string_equal(buf_str(&c), "GET\n/%E1%88%B4\n\nhost:example.amazonaws.com\n"
                                     "x-amz-date:20150830T123600Z\n\nhost;x-amz-date\n" EMPTY_HASH);
    buf_fini(&c);
}

static void sigv4_query_is_sorted_and_encoded(void **state)
{
    (void)state;
    struct sigv4_header h[] = {{"host", "h"}};
    struct sigv4_param q[] = {{"prefix", "a b/c"}, {"list-type", "2"}, {"delimiter", "/"}};
    struct sigv4_request r = {"GET", "/bucket", q, 3, h, 1, EMPTY_HASH};
    struct buf c = BUF_INIT;
    assert_int_equal(sigv4_canonical_request(&r, &c), 0);
    assert_string_equal(buf_str(&c), "GET\n/bucket\ndelimiter=%2F&list-type=2&prefix=a%20b%2Fc\n"
                                     "host:h\n\nhost\n" EMPTY_HASH);
    buf_fini(&c);
}

static void sigv4_s3_documentation_get_object(void **state)
{
    (void)state;
    struct sigv4_key k = {"AKIAIOSFODNN7EXAMPLE", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
                          "us-east-1", "s3"};
    struct sigv4_header h[] = {{"Host", "examplebucket.s3.amazonaws.com"},
                               {"Range", "bytes=0-9"},
                               {"x-amz-content-sha256", EMPTY_HASH},
                               {"x-amz-date", "20130524T000000Z"}};
    struct sigv4_request r = {"GET", "/test.txt", NULL, 0, h, 4, EMPTY_HASH};
    check_sig(&r, &k, "20130524T000000Z",
              "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/"
              "aws4_request, SignedHeaders=host;range;x-amz-content-sha256;x-amz-date, "
              "Signature=f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41");
}

/* ---- locations file ---- */

static void write_file(const char *path, const char *text)
{
    struct err e;
    if (file_write_atomic(path, text, strlen(text), 0600, &e) < 0)
        fail_msg("%s", e.msg);
}

static char *read_all(const char *path)
{
    struct buf b = BUF_INIT;
    struct err e;
    if (file_read(path, 0, &b, &e) < 0)
        fail_msg("%s", e.msg);
    return buf_take(&b);
}

static void location_file_round_trip_keeps_other_settings(void **state)
{
    struct fx *f = *state;
    struct err e;
    char path[256];
    snprintf(path, sizeof path, "%s/cfg/config.yaml", f->dir);
    write_file(path, "apiVersion: ferry.dev/v1\nkind: Config\nother: {keep: me}\n"
                     "backupStorageLocations:\n"
                     "- name: default\n  provider: s3\n  bucket: b\n  prefix: /p/\n"
                     "  config: {region: us-east-1, s3ForcePathStyle: true, multipartPartSize: "
                     "5242880}\n  credential: /c\n  default: true\n"
                     "- name: two\n  provider: local\n  bucket: /tmp/x\n");
    struct location_set ls;
    assert_int_equal(location_set_load(&ls, path, &e), 0);
    assert_int_equal(ls.n, 2);
    assert_string_equal(ls.v[0].prefix, "p");
    assert_string_equal(location_config(&ls.v[0], "s3ForcePathStyle"), "true");
    assert_string_equal(location_config(&ls.v[0], "multipartPartSize"), "5242880");
    assert_null(location_config(&ls.v[0], "s3Url"));
    assert_string_equal(ls.v[0].credential, "/c");
    assert_true(ls.v[0].is_default);
    assert_false(ls.v[1].is_default);
    assert_string_equal(ls.v[1].prefix, "");
    location_set_remove(&ls, "two");
    assert_int_equal(location_set_save(&ls, &e), 0);
    location_set_fini(&ls);
    char *text = read_all(path);
    assert_string_equal(text, "apiVersion: ferry.dev/v1\n"
                              "backupStorageLocations:\n"
                              "- bucket: b\n"
                              "  config:\n"
                              "    multipartPartSize: \"5242880\"\n"
                              "    region: us-east-1\n"
                              "    s3ForcePathStyle: \"true\"\n"
                              "  credential: /c\n"
                              "  default: true\n"
                              "  name: default\n"
                              "  prefix: p\n"
                              "  provider: s3\n"
                              "kind: Config\n"
                              "other:\n"
                              "  keep: me\n");
    free(text);
    struct stat st;
    assert_int_equal(stat(path, &st), 0);
    assert_int_equal(st.st_mode & 0777, 0600);
    assert_int_equal(location_set_load(&ls, path, &e), 0);
    assert_int_equal(ls.n, 1);
    location_set_fini(&ls);
}

static void location_new_file_is_0600_with_header(void **state)
{
    struct fx *f = *state;
    struct err e;
    char path[256];
    snprintf(path, sizeof path, "%s/new/dir/config.yaml", f->dir);
    struct location_set ls;
    assert_int_equal(location_set_load(&ls, path, &e), 0);
    assert_int_equal(ls.n, 0);
    struct location l = {0};
    l.name = strdup("a");
    l.provider = strdup("local");
    l.bucket = strdup("/b");
    l.prefix = strdup("");
    assert_int_equal(location_set_add(&ls, &l), 0);
    assert_null(l.name);
    assert_int_equal(location_set_save(&ls, &e), 0);
    location_set_fini(&ls);
    char *text = read_all(path);
    assert_string_equal(text, "apiVersion: ferry.dev/v1\nbackupStorageLocations:\n- bucket: /b\n"
                              "  name: a\n  provider: local\nkind: Config\n");
    free(text);
    struct stat st;
    assert_int_equal(stat(path, &st), 0);
    assert_int_equal(st.st_mode & 0777, 0600);
}

static void location_parse_error_names_file_and_line(void **state)
{
    struct fx *f = *state;
    struct err e;
    char path[256];
    snprintf(path, sizeof path, "%s/bad.yaml", f->dir);
    write_file(path, "kind: Config\nbackupStorageLocations:\n- name: a\n  bucket: [\n");
    struct location_set ls;
    assert_int_equal(location_set_load(&ls, path, &e), -1);
    assert_non_null(strstr(e.msg, path));
    assert_non_null(strstr(e.msg, "line "));
    location_set_fini(&ls);
    write_file(path, "backupStorageLocations:\n- name: a\n  provider: ftp\n  bucket: b\n");
    assert_int_equal(location_set_load(&ls, path, &e), -1);
    assert_non_null(strstr(e.msg, "backupStorageLocations[0]"));
    assert_non_null(strstr(e.msg, "unknown provider \"ftp\""));
    location_set_fini(&ls);
    write_file(path, "backupStorageLocations:\n- {name: a, provider: s3, bucket: b}\n"
                     "- {name: a, provider: s3, bucket: c}\n");
    assert_int_equal(location_set_load(&ls, path, &e), -1);
    assert_non_null(strstr(e.msg, "\"a\" is defined twice"));
    location_set_fini(&ls);
}

static void location_config_env_names_the_file(void **state)
{
    struct fx *f = *state;
    struct err e;
    char path[256];
    snprintf(path, sizeof path, "%s/env.yaml", f->dir);
    setenv("FERRY_CONFIG", path, 1);
    struct location_set ls;
    assert_int_equal(location_set_load(&ls, NULL, &e), 0);
    assert_string_equal(ls.path, path);
    location_set_fini(&ls);
    unsetenv("FERRY_CONFIG");
}

static void add(struct location_set *ls, const char *name, int is_default)
{
    struct location l = {0};
    l.name = strdup(name);
    l.provider = strdup("s3");
    l.bucket = strdup("b");
    l.prefix = strdup("");
    l.is_default = is_default;
    assert_int_equal(location_set_add(ls, &l), 0);
}

static void resolve_default_rules(void **state)
{
    (void)state;
    struct err e;
    struct location_set ls = {0};
    struct location out;
    /* nothing configured: the built-in local directory */
    assert_int_equal(location_resolve(&ls, NULL, &out, &e), 0);
    assert_string_equal(out.name, "default");
    assert_string_equal(out.provider, "local");
    assert_string_equal(out.bucket, LOCATION_BUILTIN_DIR);
    location_fini(&out);
    assert_int_equal(location_resolve(&ls, "default", &out, &e), 0);
    location_fini(&out);
    assert_int_equal(location_resolve(&ls, "x", &out, &e), -1);
    assert_non_null(strstr(e.msg, "backup storage location \"x\" not found"));
    /* one: it is the default even unmarked */
    add(&ls, "only", 0);
    assert_int_equal(location_resolve(&ls, "", &out, &e), 0);
    assert_string_equal(out.name, "only");
    location_fini(&out);
    /* two, none marked: ambiguous */
    add(&ls, "second", 0);
    assert_int_equal(location_resolve(&ls, NULL, &out, &e), -1);
    assert_non_null(strstr(e.msg, "none is the default"));
    /* the marked one wins */
    ls.v[1].is_default = 1;
    assert_int_equal(location_resolve(&ls, NULL, &out, &e), 0);
    assert_string_equal(out.name, "second");
    location_fini(&out);
    /* by name; unknown names list the known ones */
    assert_int_equal(location_resolve(&ls, "only", &out, &e), 0);
    assert_string_equal(out.name, "only");
    location_fini(&out);
    assert_int_equal(location_resolve(&ls, "default", &out, &e), -1);
    assert_string_equal(e.msg, "backup storage location \"default\" not found (locations: "
                               "\"only\", \"second\")");
    location_set_fini(&ls);
}

static void validate_checks_name_provider_bucket(void **state)
{
    (void)state;
    struct err e;
    struct location l = {0};
    l.name = strdup("Bad_Name");
    l.provider = strdup("s3");
    l.bucket = strdup("b");
    assert_int_equal(location_validate(&l, &e), -1);
    assert_non_null(strstr(e.msg, "invalid backup storage location name"));
    free(l.name);
    l.name = strdup("ok");
    free(l.bucket);
    l.bucket = strdup("b/c");
    assert_int_equal(location_validate(&l, &e), -1);
    assert_non_null(strstr(e.msg, "must not contain '/'"));
    free(l.bucket);
    l.bucket = strdup("");
    assert_int_equal(location_validate(&l, &e), -1);
    assert_string_equal(e.msg, "backup storage location \"ok\": a bucket is required");
    location_fini(&l);
}

#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)

int main(void)
{
    const struct CMUnitTest tests[] = {
        T(local_put_then_get_returns_the_bytes),
        T(local_streamed_writer_is_invisible_until_commit),
        T(local_abort_leaves_nothing),
        T(local_overwrite_replaces_whole_object),
        T(local_list_is_sorted_and_recursive),
        T(local_list_with_delimiter_rolls_up_like_s3),
        T(local_list_stops_when_asked),
        T(local_list_gives_sizes_and_times),
        T(local_delete_removes_emptied_directories),
        T(local_get_buf_refuses_larger_than_max),
        T(local_keys_cannot_escape_the_root),
        T(local_get_missing_is_not_found),
        T(local_bucket_with_tilde_is_under_home),
        T(local_check_refuses_a_file_as_bucket),
        cmocka_unit_test(unknown_provider_is_refused),
        cmocka_unit_test(sigv4_get_vanilla),
        cmocka_unit_test(sigv4_post_vanilla),
        cmocka_unit_test(sigv4_get_vanilla_empty_query_key),
        cmocka_unit_test(sigv4_get_utf8_path_is_percent_encoded),
        cmocka_unit_test(sigv4_query_is_sorted_and_encoded),
        cmocka_unit_test(sigv4_s3_documentation_get_object),
        T(location_file_round_trip_keeps_other_settings),
        T(location_new_file_is_0600_with_header),
        T(location_parse_error_names_file_and_line),
        T(location_config_env_names_the_file),
        cmocka_unit_test(resolve_default_rules),
        cmocka_unit_test(validate_checks_name_provider_bucket),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
