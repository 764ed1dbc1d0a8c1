/* The velero.io/v1 Backup object kept as velero-backup.json: built at the
 * end of a backup, read back by get/describe (and restores). Private to
 * src/backup. */
#ifndef FERRY_BACKUP_RECORD_H
#define FERRY_BACKUP_RECORD_H

#include <stddef.h>
#include <stdio.h>
#include <time.h>

#include <jansson.h>

#include "core/err.h"

struct backup_opts;
struct storage;

#define RECORD_NAMESPACE "velero" /* where Velero keeps its Backup objects */

struct record_status {
    const char *phase; /* "Completed", "PartiallyFailed", "Failed" */
    time_t start, completion;
    long long total_items, items_backed_up, errors, warnings;
    const char *failure_reason; /* NULL or "" when none */
};

struct backup_scope;
/* The scope's namespace and resource lists into a Backup's or Restore's
 * spec, under Velero's names; with <star>, includedNamespaces is ["*"]
 * when none is named, as `velero backup create` fills it. */
void record_scope_lists(json_t *spec, const struct backup_scope *s, int star);

/* A new Backup object for <o> stored in location <loc_name>. */
json_t *record_new(const struct backup_opts *o, const char *loc_name,
                   const struct record_status *st);

/* What `velero backup get` shows for a backup whose record is missing
 * (interrupted, or being written at this moment): a Failed Backup saying so. */
json_t *record_incomplete(const char *name, const char *loc_name, time_t seen);

/* Whether any object exists under backups/<name>/ (a record or not): 1
 * with *seen its modification time (now when the store does not say), 0,
 * or -1 with <e> set. */
int record_any_object(struct storage *s, const char *name, time_t *seen, struct err *e);

/* Go's time.Time.String() in local time of an RFC 3339 stamp, as
 * Velero's tables print times: "2026-11-28 10:00:00 +0000 UTC"; "<nil>"
 * when absent or malformed. */
void record_go_time(const char *stamp, char *dst, size_t n);

/* The string (NULL when absent) and the integer (0) at <o>.<a>.<b>, as in
 * status.phase; record_sget with <b> NULL: the string at <o>.<a>. */
const char *record_sget(const json_t *o, const char *a, const char *b);
long long record_iget(const json_t *o, const char *a, const char *b);

/* Reads the JSON object at <key> of <s> (a record: at most
 * RECORD_MAX_BYTES) into *out. Returns 0, STORAGE_ENOTFOUND (*out NULL, <e>
 * set), or -1 with <e> set (read failed, or not JSON). */
#define RECORD_MAX_BYTES ((size_t)4 << 20)
int record_load(struct storage *s, const char *key, json_t **out, struct err *e);

/* The -o values of `get` commands: "" or "table" (the table), "json",
 * "yaml". Returns 0, or prints kubectl's message and returns 1. */
int record_output_check(const char *output);
/* Prints the strings of the array <obj>.<key> to <out>, separated by ", ",
 * or <none> when there is none (describe's "Included:  a, b"). */
void record_print_list(FILE *out, const json_t *obj, const char *key, const char *none);
/* Prints <obj> as -o <format> ("json" or "yaml") to <out>. Returns the
 * exit status. */
int record_print(const json_t *obj, const char *format, FILE *out);

/* Go's time.Duration.String() for a whole number of milliseconds: "720h0m0s",
 * "1.5s", "500ms", "0s". */
void record_duration(long long ms, char *dst, size_t n);

/* A label selector in kubectl's text ("app=web,tier in (a,b),!x") as a
 * metav1.LabelSelector (matchLabels, matchExpressions). NULL with <e> set
 * when it cannot be parsed. */
json_t *record_selector_parse(const char *s, struct err *e);
/* metav1.FormatLabelSelector: the text back, "<none>" when empty. Writes
 * into <dst>. */
void record_selector_format(const json_t *sel, char *dst, size_t n);

#endif
