/* Object storage: one interface over a local directory, S3 and GCS.
 *
 * A store is opened from a location (src/storage/location.h). Keys are
 * relative to the location's prefix ("backups/b1/b1.tar.gz") and use '/'
 * as separator; the backend adds the prefix. Every call blocks. Calls on
 * one store come from one thread at a time; open one store per thread to
 * work in parallel.
 *
 * Writes are streamed and atomic: an object becomes visible only when its
 * writer is committed (local: temporary file, fsync, rename; S3: a single
 * PUT for a small object, a completed multipart upload for a large one).
 * An aborted writer leaves nothing behind. Memory used by a writer is
 * bounded (one multipart part at most) whatever the object's size.
 *
 * Errors fill <e> with a message that names the location and the key
 * ("backup location \"default\": cannot reach s3 endpoint http://...: ...").
 * Return values: 0 on success, STORAGE_ENOTFOUND when the object does not
 * exist, -1 on any other failure. */
#ifndef FERRY_STORAGE_STORAGE_H
#define FERRY_STORAGE_STORAGE_H

#include <stddef.h>
#include <time.h>

#include "core/buf.h"
#include "core/err.h"

#define STORAGE_ENOTFOUND (-2)

struct location;
struct storage;

/* Opens the store of <loc> (copied; <loc> may be freed afterwards). Does
 * not contact the backend; storage_check does. NULL with <e> set when the
 * location is unusable (unknown provider, unreadable credential file). */
struct storage *storage_open(const struct location *loc, struct err *e);
void storage_free(struct storage *s);

/* Checks that the store can be reached and its bucket (or directory)
 * exists, quickly (a few seconds at most): commands call it first so that
 * a wrong endpoint fails fast with a clear error. */
int storage_check(struct storage *s, struct err *e);

/* ---- writing ---- */

struct storage_writer;

/* Starts writing <key>. <content_type> may be NULL. */
struct storage_writer *storage_put_begin(struct storage *s, const char *key,
                                         const char *content_type, struct err *e);
/* Appends <n> bytes. On failure the writer is still to be aborted. */
int storage_put_write(struct storage_writer *w, const void *p, size_t n, struct err *e);
/* Makes the object visible and frees <w>, whether it succeeds or not. */
int storage_put_commit(struct storage_writer *w, struct err *e);
/* Discards what was written and frees <w>. NULL is allowed. */
void storage_put_abort(struct storage_writer *w);

/* Writes a whole object from memory. */
int storage_put(struct storage *s, const char *key, const void *p, size_t n,
                const char *content_type, struct err *e);

/* ---- reading ---- */

/* Receives an object's bytes as they arrive; return -1 to stop (the get
 * then fails with the consumer's error left in <e> untouched). */
typedef int (*storage_data_fn)(void *arg, const char *p, size_t n);

/* Streams <key> to <fn>. STORAGE_ENOTFOUND when it does not exist. */
int storage_get(struct storage *s, const char *key, storage_data_fn fn, void *arg, struct err *e);
/* Reads <key> into <out> (appended), failing when it is larger than <max>. */
int storage_get_buf(struct storage *s, const char *key, struct buf *out, size_t max, struct err *e);

/* ---- listing, stat, delete ---- */

struct storage_entry {
    const char *key; /* relative to the location's prefix */
    int is_prefix;   /* a common prefix ("backups/b1/") when listing with a delimiter */
    long long size;  /* bytes; 0 for a prefix */
    time_t mtime;    /* last modified; 0 for a prefix */
};

/* Called for each entry, in key order; return non-zero to stop. */
typedef int (*storage_list_fn)(void *arg, const struct storage_entry *ent);

/* Lists the keys that start with <prefix> (may be ""). With <delimiter>
 * ("/"), keys that have it after the prefix are rolled up into one
 * is_prefix entry each, as S3's ListObjectsV2 does. Pages are followed. */
int storage_list(struct storage *s, const char *prefix, const char *delimiter, storage_list_fn fn,
                 void *arg, struct err *e);

/* STORAGE_ENOTFOUND when <key> does not exist; fills <ent> (its key points
 * to <key>). */
int storage_stat(struct storage *s, const char *key, struct storage_entry *ent, struct err *e);

/* Deletes <key>; deleting a key that does not exist succeeds. */
int storage_delete(struct storage *s, const char *key, struct err *e);

#endif
