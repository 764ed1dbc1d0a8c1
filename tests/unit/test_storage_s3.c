/* The S3 backend (providers s3 and gcs) against moto_server, an S3
 * implementation: started here on a free 127.0.0.1 port unless MOTO_URL
 * names a running one; the tests that need it skip when there is none. Objects
 * ferry writes are read back with an independent client too (the curl
 * command, which signs with its own --aws-sigv4). Retries are checked
 * against a scripted server in this file. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "core/buf.h"
#include "core/curl_load.h"
#include "core/file.h"
#include "storage/location.h"
#include "storage/s3_xml.h"
#include "storage/sigv4.h"
#include "storage/storage.h"

#define KEY_ID "AKIDFERRYTEST"
#define SECRET "ferry/secret+key"
#define BIG (12 << 20)

static char moto_url[64];
static pid_t moto_pid, auth_pid; /* ours to stop; 0 when MOTO_URL was given */
static char auth_url[64];        /* a second moto that checks access keys */
static char tmpdir[64], creds[128];

static int free_port(void)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t len = sizeof a;
    int port = -1;
    if (fd >= 0 && bind(fd, (struct sockaddr *)&a, sizeof a) == 0 &&
        getsockname(fd, (struct sockaddr *)&a, &len) == 0)
        port = ntohs(a.sin_port);
    if (fd >= 0)
        close(fd);
    return port;
}

/* A plain, unsigned request; returns the status (0: no answer). */
static long http(const char *method, const char *url, struct buf *body)
{
    CURL *h = curl_fn.easy_init();
    long status = 0;
    curl_fn.easy_setopt(h, CURLOPT_URL, url);
    curl_fn.easy_setopt(h, CURLOPT_CUSTOMREQUEST, method);
    curl_fn.easy_setopt(h, CURLOPT_TIMEOUT, 10L);
    FILE *sink = body ? NULL : fopen("/dev/null", "w");
    if (body) {
        curl_fn.easy_setopt(h, CURLOPT_WRITEFUNCTION, NULL);
        FILE *f = open_memstream(&body->p, &body->len);
        curl_fn.easy_setopt(h, CURLOPT_WRITEDATA, f);
        if (curl_fn.easy_perform(h) == CURLE_OK)
            curl_fn.easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status);
        fclose(f);
        body->cap = body->len + 1;
    } else {
        curl_fn.easy_setopt(h, CURLOPT_WRITEDATA, sink);
        if (curl_fn.easy_perform(h) == CURLE_OK)
            curl_fn.easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status);
        fclose(sink);
    }
    curl_fn.easy_cleanup(h);
    return status;
}

/* Starts moto_server on a free port; the URL goes to <url>. */
static pid_t start_moto(char *url, size_t n, int check_keys)
{
    int port = free_port();
    if (port < 0)
        return -1;
    snprintf(url, n, "http://127.0.0.1:%d", port);
    pid_t pid = fork();
    if (pid == 0) {
        /* a test that crashes must not leave the server behind */
        prctl(PR_SET_PDEATHSIG, SIGTERM);
        char p[16];
        snprintf(p, sizeof p, "%d", port);
        /* moto checks access keys once this many requests went unchecked */
        if (check_keys)
            setenv("INITIAL_NO_AUTH_ACTION_COUNT", "0", 1);
        if (!freopen("/dev/null", "w", stdout) || !freopen("/dev/null", "w", stderr))
            _exit(127);
        execlp("moto_server", "moto_server", "-H", "127.0.0.1", "-p", p, (char *)NULL);
        _exit(127);
    }
    /* up to 30 s: moto imports every AWS service at start */
    char probe[128];
    snprintf(probe, sizeof probe, "%s/moto-api/", url);
    for (int i = 0; i < 300; i++) {
        if (http("GET", probe, NULL) != 0)
            return pid;
        if (waitpid(pid, NULL, WNOHANG) == pid)
            return -1;
        usleep(100000);
    }
    kill(pid, SIGTERM);
    waitpid(pid, NULL, 0);
    return -1;
}

static int have_moto(void)
{
    return moto_url[0] != '\0';
}

static int group_setup(void **state)
{
    (void)state;
    struct err e;
    if (curl_load(&e) < 0)
        return 0;
    snprintf(tmpdir, sizeof tmpdir, "/tmp/ferry-s3-test-XXXXXX");
    if (!mkdtemp(tmpdir))
        return -1;
    snprintf(creds, sizeof creds, "%s/creds", tmpdir);
    const char *text = "[other]\naws_access_key_id = nope\naws_secret_access_key = nope\n"
                       "[default]\naws_access_key_id = " KEY_ID "\n"
                       "aws_secret_access_key = " SECRET "\n";
    if (file_write_atomic(creds, text, strlen(text), 0600, &e) < 0)
        return -1;
    const char *env = getenv("MOTO_URL");
    if (env && *env) {
        snprintf(moto_url, sizeof moto_url, "%s", env);
    } else {
        moto_pid = start_moto(moto_url, sizeof moto_url, 0);
        if (moto_pid < 0) {
            moto_pid = 0;
            moto_url[0] = '\0';
            return 0;
        }
    }
    char url[128];
    snprintf(url, sizeof url, "%s/ferry-test", moto_url);
    http("PUT", url, NULL);
    snprintf(url, sizeof url, "%s/ferry-gcs", moto_url);
    http("PUT", url, NULL);
    return 0;
}

static int group_teardown(void **state)
{
    (void)state;
    pid_t pids[] = {moto_pid, auth_pid};
    for (size_t i = 0; i < 2; i++) {
        if (pids[i] > 0) {
            kill(pids[i], SIGTERM);
            waitpid(pids[i], NULL, 0);
        }
    }
    if (*tmpdir) {
        unlink(creds);
        rmdir(tmpdir);
    }
    return 0;
}

#define NEED_MOTO()                                                                                \
    do {                                                                                           \
        if (!have_moto())                                                                          \
            skip();                                                                                \
    } while (0)

static struct storage *open_at(const char *provider, const char *url, const char *bucket,
                               const char *prefix, const char *extra_key, const char *extra)
{
    struct location l = {0};
    l.name = strdup("moto");
    l.provider = strdup(provider);
    l.bucket = strdup(bucket);
    l.prefix = strdup(prefix);
    l.credential = strdup(creds);
    location_config_set(&l, "s3Url", url);
    if (extra_key)
        location_config_set(&l, extra_key, extra);
    struct err e;
    struct storage *s = storage_open(&l, &e);
    location_fini(&l);
    if (!s)
        fail_msg("open: %s", e.msg);
    return s;
}

static struct storage *open_s3(const char *prefix)
{
    return open_at("s3", moto_url, "ferry-test", prefix, NULL, NULL);
}

static int collect(void *arg, const struct storage_entry *ent)
{
    struct buf *b = arg;
    buf_addf(b, "%s%s:%s", b->len ? " " : "", ent->is_prefix ? "P" : "K", ent->key);
    if (!ent->is_prefix && ent->mtime == 0)
        buf_adds(b, "(no mtime)");
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

static void put_str(struct storage *s, const char *key, const char *data)
{
    struct err e;
    if (storage_put(s, key, data, strlen(data), "application/json", &e) != 0)
        fail_msg("put %s: %s", key, e.msg);
}

/* The object as the curl command reads it, signing by itself. */
static char *curl_cli_get(const char *key_path, const char *what)
{
    char cmd[512], out[128];
    snprintf(out, sizeof out, "%s/cli.out", tmpdir);
    snprintf(cmd, sizeof cmd,
             "curl -s -f --aws-sigv4 'aws:amz:us-east-1:s3' --user '" KEY_ID ":" SECRET "' "
             "%s '%s/ferry-test/%s' -o '%s'",
             what, moto_url, key_path, out);
    if (system(cmd) != 0)
        return NULL;
    struct buf b = BUF_INIT;
    struct err e;
    if (file_read(out, 0, &b, &e) < 0)
        return NULL;
    unlink(out);
    return buf_take(&b);
}

static void put_get_stat_delete(void **state)
{
    (void)state;
    NEED_MOTO();
    struct storage *s = open_s3("cluster-a");
    struct err e;
    assert_int_equal(storage_check(s, &e), 0);
    put_str(s, "backups/b1/velero-backup.json", "{\"kind\":\"Backup\"}");
    struct buf b = BUF_INIT;
    assert_int_equal(storage_get_buf(s, "backups/b1/velero-backup.json", &b, 1000, &e), 0);
    assert_string_equal(buf_str(&b), "{\"kind\":\"Backup\"}");
    buf_fini(&b);
    /* the prefix is part of the key in the bucket */
    char *cli = curl_cli_get("cluster-a/backups/b1/velero-backup.json", "");
    assert_non_null(cli);
    assert_string_equal(cli, "{\"kind\":\"Backup\"}");
    free(cli);
    struct storage_entry ent;
    assert_int_equal(storage_stat(s, "backups/b1/velero-backup.json", &ent, &e), 0);
    assert_int_equal(ent.size, 17);
    assert_true(ent.mtime > time(NULL) - 3600 && ent.mtime < time(NULL) + 3600);
    assert_int_equal(storage_delete(s, "backups/b1/velero-backup.json", &e), 0);
    assert_int_equal(storage_stat(s, "backups/b1/velero-backup.json", &ent, &e), STORAGE_ENOTFOUND);
    assert_int_equal(storage_get_buf(s, "backups/b1/velero-backup.json", &b, 1000, &e),
                     STORAGE_ENOTFOUND);
    assert_string_equal(e.msg, "backup location \"moto\": object "
                               "\"backups/b1/velero-backup.json\" not found");
    buf_fini(&b);
    /* deleting what is not there succeeds */
    assert_int_equal(storage_delete(s, "backups/b1/velero-backup.json", &e), 0);
    storage_free(s);
}

static void list_with_and_without_delimiter(void **state)
{
    (void)state;
    NEED_MOTO();
    struct storage *s = open_s3("lst");
    put_str(s, "backups/b2/b2.tar.gz", "2");
    put_str(s, "backups/b1/b1.tar.gz", "1");
    put_str(s, "backups/b1/velero-backup.json", "1");
    put_str(s, "backups/file", "f");
    put_str(s, "restores/r1/x", "r");
    char *l = listing(s, "", NULL);
    assert_string_equal(l, "K:backups/b1/b1.tar.gz K:backups/b1/velero-backup.json "
                           "K:backups/b2/b2.tar.gz K:backups/file K:restores/r1/x");
    free(l);
    l = listing(s, "", "/");
    assert_string_equal(l, "P:backups/ P:restores/");
    free(l);
    l = listing(s, "backups/", "/");
    assert_string_equal(l, "P:backups/b1/ P:backups/b2/ K:backups/file");
    free(l);
    l = listing(s, "none/", "/");
    assert_string_equal(l, "");
    free(l);
    storage_free(s);
}

static void keys_with_special_characters_round_trip(void **state)
{
    (void)state;
    NEED_MOTO();
    struct storage *s = open_s3("spécial");
    const char *key = "dir/a b&c+d=e%f<g>'h\"~\xc3\xa9.json";
    put_str(s, key, "x");
    struct buf b = BUF_INIT;
    struct err e;
    assert_int_equal(storage_get_buf(s, key, &b, 10, &e), 0);
    assert_string_equal(buf_str(&b), "x");
    buf_fini(&b);
    char *l = listing(s, "dir/", "/");
    char want[256];
    snprintf(want, sizeof want, "K:%s", key);
    assert_string_equal(l, want);
    free(l);
    assert_int_equal(storage_delete(s, key, &e), 0);
    storage_free(s);
}

static void list_follows_pages(void **state)
{
    (void)state;
    NEED_MOTO();
    struct storage *s = open_s3("pages");
    struct err e;
    /* S3 pages at 1000 keys */
    for (int i = 0; i < 1003; i++) {
        char key[32];
        snprintf(key, sizeof key, "k%04d", i);
        assert_int_equal(storage_put(s, key, "", 0, NULL, &e), 0);
    }
    char *l = listing(s, "", NULL);
    int n = 0;
    for (char *p = l; (p = strstr(p, "K:")); p++)
        n++;
    assert_int_equal(n, 1003);
    assert_non_null(strstr(l, "K:k0999 K:k1000 K:k1001 K:k1002"));
    free(l);
    storage_free(s);
}

/* Pseudo-random bytes, the same for the same <seed>. */
static void fill(unsigned char *p, size_t n, unsigned seed)
{
    for (size_t i = 0; i < n; i++) {
        seed = seed * 1103515245u + 12345u;
        p[i] = (unsigned char)(seed >> 16);
    }
}

static void large_object_goes_multipart_and_reads_back_identical(void **state)
{
    (void)state;
    NEED_MOTO();
    struct storage *s = open_s3("mp");
    struct err e;
    unsigned char *data = malloc(BIG);
    fill(data, BIG, 7);
    struct storage_writer *w = storage_put_begin(s, "big.tar.gz", "application/gzip", &e);
    assert_non_null(w);
    for (size_t off = 0; off < BIG; off += 65536)
        assert_int_equal(storage_put_write(w, data + off, 65536, &e), 0);
    assert_int_equal(storage_put_commit(w, &e), 0);

    struct storage_entry ent;
    assert_int_equal(storage_stat(s, "big.tar.gz", &ent, &e), 0);
    assert_int_equal(ent.size, BIG);
    struct buf b = BUF_INIT;
    buf_init(&b, BIG + 1);
    assert_int_equal(storage_get_buf(s, "big.tar.gz", &b, BIG, &e), 0);
    assert_int_equal(b.len, BIG);
    assert_memory_equal(b.p, data, BIG);
    buf_fini(&b);
    /* the other client sees the same bytes, and a multipart ETag ("...-2":
     * two parts of 8 MiB and 4 MiB) */
    char *cli = curl_cli_get("mp/big.tar.gz", "");
    assert_non_null(cli);
    assert_memory_equal(cli, data, BIG);
    free(cli);
    char *head = curl_cli_get("mp/big.tar.gz", "-I");
    assert_non_null(head);
    assert_non_null(strstr(head, "-2\""));
    free(head);
    free(data);
    storage_free(s);
}

static void aborted_multipart_leaves_no_object_and_no_upload(void **state)
{
    (void)state;
    NEED_MOTO();
    struct storage *s = open_s3("ab");
    struct err e;
    size_t n = 11 << 20; /* more than a part: an upload is under way */
    unsigned char *data = malloc(n);
    fill(data, n, 3);
    struct storage_writer *w = storage_put_begin(s, "gone", NULL, &e);
    assert_non_null(w);
    assert_int_equal(storage_put_write(w, data, n, &e), 0);
    char url[128];
    snprintf(url, sizeof url, "%s/ferry-test?uploads", moto_url);
    struct buf b = BUF_INIT;
    assert_int_equal(http("GET", url, &b), 200);
    assert_non_null(strstr(buf_str(&b), "<Key>ab/gone</Key>"));
    free(b.p);
    storage_put_abort(w);
    free(data);
    struct storage_entry ent;
    assert_int_equal(storage_stat(s, "gone", &ent, &e), STORAGE_ENOTFOUND);
    b = (struct buf)BUF_INIT;
    assert_int_equal(http("GET", url, &b), 200);
    assert_null(strstr(buf_str(&b), "<UploadId>"));
    free(b.p);
    storage_free(s);
}

static void small_part_size_is_refused(void **state)
{
    (void)state;
    struct location l = {.name = "p", .provider = "s3", .bucket = "b", .prefix = ""};
    struct location_kv kv[] = {{"multipartPartSize", "1000"}};
    l.config = kv;
    l.nconfig = 1;
    l.credential = creds;
    struct err e;
    assert_null(storage_open(&l, &e));
    assert_non_null(strstr(e.msg, "multipartPartSize \"1000\" must be a number of bytes from"));
}

static void gcs_provider_speaks_the_same_api(void **state)
{
    (void)state;
    NEED_MOTO();
    struct storage *s = open_at("gcs", moto_url, "ferry-gcs", "g", NULL, NULL);
    struct err e;
    assert_int_equal(storage_check(s, &e), 0);
    put_str(s, "backups/x/x.json", "gcs");
    struct buf b = BUF_INIT;
    assert_int_equal(storage_get_buf(s, "backups/x/x.json", &b, 10, &e), 0);
    assert_string_equal(buf_str(&b), "gcs");
    buf_fini(&b);
    char *l = listing(s, "backups/", "/");
    assert_string_equal(l, "P:backups/x/");
    free(l);
    storage_free(s);
}

static void missing_bucket_is_named(void **state)
{
    (void)state;
    NEED_MOTO();
    struct storage *s = open_at("s3", moto_url, "no-such-bucket", "", NULL, NULL);
    struct err e;
    assert_int_equal(storage_check(s, &e), -1);
    char want[256];
    snprintf(want, sizeof want,
             "backup location \"moto\": bucket \"no-such-bucket\" does not exist at %s", moto_url);
    assert_string_equal(e.msg, want);
    assert_int_equal(storage_put(s, "k", "v", 1, NULL, &e), -1);
    assert_string_equal(e.msg, want);
    storage_free(s);
}

static void unreachable_endpoint_fails_fast_and_clearly(void **state)
{
    (void)state;
    struct err e;
    char url[64];
    snprintf(url, sizeof url, "http://127.0.0.1:%d", free_port()); /* nobody listens */
    struct storage *s = open_at("s3", url, "b", "", NULL, NULL);
    time_t t0 = time(NULL);
    assert_int_equal(storage_check(s, &e), -1);
    assert_true(time(NULL) - t0 <= 6);
    char want[128];
    snprintf(want, sizeof want, "backup location \"moto\": cannot reach %s: ", url);
    assert_true(!strncmp(e.msg, want, strlen(want)));
    storage_free(s);
}

static void wrong_credentials_are_reported(void **state)
{
    (void)state;
    NEED_MOTO();
    if (!auth_pid) {
        auth_pid = start_moto(auth_url, sizeof auth_url, 1);
        if (auth_pid < 0) {
            auth_pid = 0;
            fail_msg("cannot start a second moto_server");
        }
    }
    struct storage *s = open_at("s3", auth_url, "b", "", NULL, NULL);
    struct err e;
    assert_int_equal(storage_check(s, &e), -1);
    char want[128];
    snprintf(want, sizeof want, "backup location \"moto\": access denied by %s: ", auth_url);
    assert_true(!strncmp(e.msg, want, strlen(want)));
    assert_non_null(strstr(e.msg, "InvalidAccessKeyId"));
    /* the secret is never in a message */
    assert_null(strstr(e.msg, SECRET));
    storage_free(s);
}

static void credentials_profile_and_environment(void **state)
{
    (void)state;
    struct err e;
    struct location l = {.name = "c", .provider = "s3", .bucket = "b", .prefix = ""};
    struct location_kv kv[] = {{"profile", "missing"}};
    l.credential = creds;
    l.config = kv;
    l.nconfig = 1;
    assert_null(storage_open(&l, &e));
    assert_non_null(strstr(e.msg, "has no profile \"missing\""));
    l.credential = "/nonexistent/creds";
    assert_null(storage_open(&l, &e));
    assert_string_equal(e.msg, "backup location \"c\": cannot read credential file: open "
                               "/nonexistent/creds: no such file or directory");
    /* no file: the environment, else the shared file */
    l.credential = NULL;
    l.nconfig = 0;
    char *home = getenv("HOME") ? strdup(getenv("HOME")) : NULL;
    setenv("HOME", tmpdir, 1);
    unsetenv("AWS_SHARED_CREDENTIALS_FILE");
    unsetenv("AWS_ACCESS_KEY_ID");
    assert_null(storage_open(&l, &e));
    assert_non_null(strstr(e.msg, "no credentials"));
    setenv("AWS_SHARED_CREDENTIALS_FILE", creds, 1);
    struct storage *s = storage_open(&l, &e);
    assert_non_null(s);
    storage_free(s);
    unsetenv("AWS_SHARED_CREDENTIALS_FILE");
    setenv("AWS_ACCESS_KEY_ID", "a", 1);
    setenv("AWS_SECRET_ACCESS_KEY", "b", 1);
    s = storage_open(&l, &e);
    assert_non_null(s);
    storage_free(s);
    unsetenv("AWS_ACCESS_KEY_ID");
    unsetenv("AWS_SECRET_ACCESS_KEY");
    if (home)
        setenv("HOME", home, 1);
    free(home);
}

/* ---- a scripted server, for what moto cannot be made to do ---- */

/* One character per connection: 'R' closes it unanswered, '5' answers 503
 * SlowDown, 'O' answers 200 with an empty listing. */
struct scripted {
    int fd;
    const char *script;
    int served;
};

static void *scripted_run(void *arg)
{
    struct scripted *sv = arg;
    static const char slow_body[] = "<Error><Code>SlowDown</Code><Message>Reduce your request "
                                    "rate.</Message></Error>";
    static const char okay_body[] = "<ListBucketResult></ListBucketResult>";
    char slow[512], okay[512];
    snprintf(slow, sizeof slow,
             "HTTP/1.1 503 Service Unavailable\r\nConnection: close\r\n"
             "Content-Length: %zu\r\n\r\n%s",
             strlen(slow_body), slow_body);
    snprintf(okay, sizeof okay,
             "HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: %zu\r\n\r\n%s",
             strlen(okay_body), okay_body);
    for (const char *c = sv->script; *c; c++) {
        struct pollfd p = {sv->fd, POLLIN, 0};
        if (poll(&p, 1, 10000) != 1)
            break;
        int conn = accept(sv->fd, NULL, NULL);
        if (conn < 0)
            break;
        char req[8192];
        size_t got = 0;
        ssize_t n;
        while (got < sizeof req - 1 && (n = read(conn, req + got, sizeof req - 1 - got)) > 0) {
            got += (size_t)n;
            req[got] = '\0';
            if (strstr(req, "\r\n\r\n"))
                break;
        }
        sv->served++;
        const char *answer = *c == '5' ? slow : *c == 'O' ? okay : NULL;
        if (answer && write(conn, answer, strlen(answer)) < 0)
            break;
        close(conn);
    }
    return NULL;
}

/* storage_check against a server that follows <script>. */
static int check_scripted(const char *script, int *served, struct err *e)
{
    struct scripted sv = {socket(AF_INET, SOCK_STREAM, 0), script, 0};
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t len = sizeof a;
    assert_int_equal(bind(sv.fd, (struct sockaddr *)&a, sizeof a), 0);
    assert_int_equal(listen(sv.fd, 8), 0);
    assert_int_equal(getsockname(sv.fd, (struct sockaddr *)&a, &len), 0);
    char url[64];
    snprintf(url, sizeof url, "http://127.0.0.1:%d", ntohs(a.sin_port));
    pthread_t t;
    assert_int_equal(pthread_create(&t, NULL, scripted_run, &sv), 0);
    struct storage *s = open_at("s3", url, "b", "", NULL, NULL);
    int r = storage_check(s, e);
    storage_free(s);
    shutdown(sv.fd, SHUT_RDWR);
    pthread_join(t, NULL);
    close(sv.fd);
    *served = sv.served;
    return r;
}

static void dropped_connections_and_5xx_are_retried(void **state)
{
    (void)state;
    struct err e;
    int served;
    if (check_scripted("R5O", &served, &e) != 0)
        fail_msg("%s", e.msg);
    assert_int_equal(served, 3);
}

static void retries_give_up_after_three_attempts(void **state)
{
    (void)state;
    struct err e;
    int served;
    assert_int_equal(check_scripted("5555", &served, &e), -1);
    assert_int_equal(served, 3);
    assert_string_equal(e.msg, "backup location \"moto\": GET bucket \"b\": SlowDown: Reduce your "
                               "request rate. (HTTP 503)");
}

/* Found by tests/fuzz/fuzz_s3_xml.c: "&#xD800;" was written out as the
 * three bytes of a lone surrogate, which is not UTF-8. */
static void character_references_decode_to_utf8_but_surrogates_stay_text(void **state)
{
    (void)state;
    const char *xml = "<R><Key>a&#xD800;b&#xdfff;&#x1F600;&#233;&amp;&lt;&#0;</Key></R>";
    struct buf out = BUF_INIT;
    assert_int_equal(s3_xml_get(xml, xml + strlen(xml), "Key", &out), 1);
    assert_string_equal(buf_str(&out), "a&#xD800;b&#xdfff;\xF0\x9F\x98\x80\xC3\xA9&<&#0;");
    buf_fini(&out);
}

/* Found by tests/fuzz/fuzz_s3_xml.c: a key outside the location's prefix
 * lost as many bytes as the prefix has, cutting into a UTF-8 sequence. */
static void listed_keys_outside_the_prefix_are_left_out(void **state)
{
    (void)state;
    const char *xml = "<ListBucketResult><Contents><Key>p/b</Key><Size>3</Size></Contents>"
                      "<Contents><Key>q/\xC3\xA9t\xC3\xA9</Key></Contents>"
                      "<Contents><Key>p</Key></Contents>"
                      "<CommonPrefixes><Prefix>p/a/</Prefix></CommonPrefixes></ListBucketResult>";
    struct s3_entry *v;
    long n = s3_xml_list_page("p/", xml, xml + strlen(xml), &v);
    assert_int_equal(n, 2);
    assert_string_equal(v[0].key, "a/");
    assert_int_equal(v[0].is_prefix, 1);
    assert_string_equal(v[1].key, "b");
    assert_int_equal(v[1].size, 3);
    s3_entries_free(v, n);
}

int main(void)
{
    /* the tests that need no S3 endpoint run anyway */
    if (!getenv("MOTO_URL") && system("command -v moto_server >/dev/null 2>&1") != 0)
        printf("# SKIP moto_server not installed: the tests that need it are skipped\n");
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(put_get_stat_delete),
        cmocka_unit_test(list_with_and_without_delimiter),
        cmocka_unit_test(keys_with_special_characters_round_trip),
        cmocka_unit_test(list_follows_pages),
        cmocka_unit_test(large_object_goes_multipart_and_reads_back_identical),
        cmocka_unit_test(aborted_multipart_leaves_no_object_and_no_upload),
        cmocka_unit_test(small_part_size_is_refused),
        cmocka_unit_test(gcs_provider_speaks_the_same_api),
        cmocka_unit_test(missing_bucket_is_named),
        cmocka_unit_test(unreachable_endpoint_fails_fast_and_clearly),
        cmocka_unit_test(wrong_credentials_are_reported),
        cmocka_unit_test(credentials_profile_and_environment),
        cmocka_unit_test(dropped_connections_and_5xx_are_retried),
        cmocka_unit_test(retries_give_up_after_three_attempts),
        cmocka_unit_test(character_references_decode_to_utf8_but_surrogates_stay_text),
        cmocka_unit_test(listed_keys_outside_the_prefix_are_left_out),
    };
    return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
