/* libFuzzer target for the backup location config (src/storage/location.c)
 * and the AWS shared-credentials file the S3 backend reads
 * (src/storage/storage_s3.c).
 *
 * Input: ferry's config file (YAML), optionally followed by a NUL byte and
 * a credentials file (INI). Both are handed over as files (memfds, since
 * the API takes paths). Every location that loads is resolved by name and
 * turned back into JSON; s3 and gcs ones are opened with the credentials
 * file in place of the one they name, so the target reads no other file
 * and contacts nothing (storage_open does not). */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "core/file.h"
#include "storage/location.h"
#include "storage/storage.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerInitialize(int *argc, char ***argv);

static int config_fd = -1, cred_fd = -1;
static char config_path[64], cred_path[64];

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc, (void)argv;
    /* credentials come from the file only */
    unsetenv("AWS_ACCESS_KEY_ID");
    unsetenv("AWS_SECRET_ACCESS_KEY");
    unsetenv("AWS_SESSION_TOKEN");
    unsetenv("AWS_SHARED_CREDENTIALS_FILE");
    config_fd = memfd_create("ferry-config", MFD_CLOEXEC);
    cred_fd = memfd_create("aws-credentials", MFD_CLOEXEC);
    if (config_fd < 0 || cred_fd < 0)
        abort();
    snprintf(config_path, sizeof config_path, "/proc/self/fd/%d", config_fd);
    snprintf(cred_path, sizeof cred_path, "/proc/self/fd/%d", cred_fd);
    return 0;
}

static void fill(int fd, const char *p, size_t n)
{
    if (ftruncate(fd, 0) < 0 || lseek(fd, 0, SEEK_SET) < 0 || file_write_all(fd, p, n) < 0)
        abort();
}

static void try_location(const struct location_set *ls, const char *name)
{
    struct location l;
    struct err e;
    if (location_resolve(ls, name, &l, &e) < 0)
        abort(); /* every loaded location resolves */
    if (strcmp(l.name, name))
        abort();
    json_decref(location_to_json(&l));
    if (strcmp(l.provider, "local")) {
        free(l.credential);
        l.credential = strdup(cred_path);
        storage_free(storage_open(&l, &e));
    }
    location_fini(&l);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *in = (const char *)data;
    const char *nul = memchr(in, '\0', size);
    size_t ylen = nul ? (size_t)(nul - in) : size;
    fill(config_fd, in, ylen);
    fill(cred_fd, nul ? nul + 1 : "", nul ? size - ylen - 1 : 0);
    struct location_set ls;
    struct err e;
    if (location_set_load(&ls, config_path, &e) == 0) {
        for (size_t i = 0; i < ls.n; i++)
            try_location(&ls, ls.v[i].name);
    }
    location_set_fini(&ls);
    return 0;
}
