/* libarchive, loaded the first time a backup or restore reads or writes a
 * tarball rather than when ferry starts: linking it costs about 1.5 ms at
 * every start, which `ferry config` must not pay. Callers use this table;
 * the types and constants come from <archive.h> and <archive_entry.h> as
 * usual. */
#ifndef FERRY_CORE_ARCHIVE_LOAD_H
#define FERRY_CORE_ARCHIVE_LOAD_H

#include <archive.h>
#include <archive_entry.h>

#include "core/err.h"

struct archive_fns {
    /* writing */
    struct archive *(*write_new)(void);
    int (*write_add_filter_gzip)(struct archive *a);
    int (*write_set_format_pax_restricted)(struct archive *a);
    int (*write_set_format_raw)(struct archive *a);
    int (*write_set_bytes_in_last_block)(struct archive *a, int bytes);
    int (*write_open)(struct archive *a, void *client, archive_open_callback *open,
                      archive_write_callback *write, archive_close_callback *close);
    int (*write_header)(struct archive *a, struct archive_entry *entry);
    la_ssize_t (*write_data)(struct archive *a, const void *p, size_t n);
    int (*write_close)(struct archive *a);
    int (*write_free)(struct archive *a);
    /* reading */
    struct archive *(*read_new)(void);
    int (*read_support_filter_gzip)(struct archive *a);
    int (*read_support_format_tar)(struct archive *a);
    int (*read_support_format_raw)(struct archive *a);
    int (*read_open)(struct archive *a, void *client, archive_open_callback *open,
                     archive_read_callback *read, archive_close_callback *close);
    int (*read_next_header)(struct archive *a, struct archive_entry **entry);
    la_ssize_t (*read_data)(struct archive *a, void *p, size_t n);
    int (*read_data_skip)(struct archive *a);
    int (*read_free)(struct archive *a);
    /* entries */
    struct archive_entry *(*entry_new)(void);
    void (*entry_free)(struct archive_entry *entry);
    struct archive_entry *(*entry_clear)(struct archive_entry *entry);
    void (*entry_set_pathname)(struct archive_entry *entry, const char *path);
    void (*entry_set_size)(struct archive_entry *entry, la_int64_t size);
    void (*entry_set_filetype)(struct archive_entry *entry, unsigned int type);
    void (*entry_set_perm)(struct archive_entry *entry, mode_t perm);
    void (*entry_set_mtime)(struct archive_entry *entry, time_t sec, long nsec);
    const char *(*entry_pathname)(struct archive_entry *entry);
    la_int64_t (*entry_size)(struct archive_entry *entry);
    /* errors */
    const char *(*error_string)(struct archive *a);
    int (*errno_)(struct archive *a);
};

/* Filled by archive_load(). */
extern struct archive_fns archive_fn;

/* Loads libarchive, once per process (thread-safe). Returns 0, or -1 with
 * a message naming the library and what to install. */
int archive_load(struct err *e);

#endif
