/* libFuzzer target for the restore's tarball reader
 * (src/backup/restore_read.c): a backup's .tar.gz read back through a
 * local location, each "resources/<dir>/namespaces/<ns>/<name>.json" or
 * "resources/<dir>/cluster/<name>.json" entry mapped to its resource and
 * its JSON parsed, as the restore does before it creates anything.
 *
 * Input: the bytes of the tarball (libarchive, loaded at run time, reads
 * it: gzip, then tar). It is stored through the location's own put in a
 * directory made for the run and removed at exit. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "backup/backup.h"
#include "backup/restore_int.h"
#include "storage/location.h"
#include "storage/storage.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerInitialize(int *argc, char ***argv);

#define BACKUP "fuzz"

static char dir[64], key[128];
static struct storage *store;

static void cleanup(void)
{
    struct err e;
    storage_delete(store, key, &e); /* and the directories it emptied */
    storage_free(store);
    rmdir(dir);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc, (void)argv;
    struct err e;
    snprintf(dir, sizeof dir, "/tmp/ferry-fuzz.XXXXXX");
    if (!mkdtemp(dir))
        abort();
    backup_key(key, sizeof key, BACKUP, ".tar.gz");
    struct location loc = {.name = "fuzz", .provider = "local", .bucket = dir, .prefix = ""};
    if (!(store = storage_open(&loc, &e)))
        abort();
    atexit(cleanup);
    return 0;
}

/* What the restore's on_entry relies on: one path element each, a name,
 * and JSON it parses itself. */
static int on_entry(void *arg, const char *rdir, const char *ns, const char *name, const char *json,
                    size_t len, struct err *e)
{
    (void)arg, (void)e;
    if (!*rdir || strchr(rdir, '/') || strchr(name, '/') || !*name ||
        (ns && (!*ns || strchr(ns, '/'))))
        abort();
    if (json[len] != '\0')
        abort(); /* handed over NUL-terminated */
    json_decref(json_loadb(json, len, 0, NULL));
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct err e;
    if (storage_put(store, key, data, size, "application/gzip", &e) < 0)
        abort();
    restore_read_backup(store, BACKUP, on_entry, NULL, &e);
    return 0;
}
