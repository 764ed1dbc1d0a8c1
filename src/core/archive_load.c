#include "core/archive_load.h"

#include <pthread.h>

#include "core/dl.h"

#define ARCHIVE_SONAME "libarchive.so.13"

struct archive_fns archive_fn;

static pthread_once_t once = PTHREAD_ONCE_INIT;
static char failure[256];

static void load(void)
{
    const struct dl_sym syms[] = {
        DL_SYM(archive_fn.write_new, "archive_write_new"),
        DL_SYM(archive_fn.write_add_filter_gzip, "archive_write_add_filter_gzip"),
        DL_SYM(archive_fn.write_set_format_pax_restricted,
               "archive_write_set_format_pax_restricted"),
        DL_SYM(archive_fn.write_set_format_raw, "archive_write_set_format_raw"),
        DL_SYM(archive_fn.write_set_bytes_in_last_block, "archive_write_set_bytes_in_last_block"),
        DL_SYM(archive_fn.write_open, "archive_write_open"),
        DL_SYM(archive_fn.write_header, "archive_write_header"),
        DL_SYM(archive_fn.write_data, "archive_write_data"),
        DL_SYM(archive_fn.write_close, "archive_write_close"),
        DL_SYM(archive_fn.write_free, "archive_write_free"),
        DL_SYM(archive_fn.read_new, "archive_read_new"),
        DL_SYM(archive_fn.read_support_filter_gzip, "archive_read_support_filter_gzip"),
        DL_SYM(archive_fn.read_support_format_tar, "archive_read_support_format_tar"),
        DL_SYM(archive_fn.read_support_format_raw, "archive_read_support_format_raw"),
        DL_SYM(archive_fn.read_open, "archive_read_open"),
        DL_SYM(archive_fn.read_next_header, "archive_read_next_header"),
        DL_SYM(archive_fn.read_data, "archive_read_data"),
        DL_SYM(archive_fn.read_data_skip, "archive_read_data_skip"),
        DL_SYM(archive_fn.read_free, "archive_read_free"),
        DL_SYM(archive_fn.entry_new, "archive_entry_new"),
        DL_SYM(archive_fn.entry_free, "archive_entry_free"),
        DL_SYM(archive_fn.entry_clear, "archive_entry_clear"),
        DL_SYM(archive_fn.entry_set_pathname, "archive_entry_set_pathname"),
        DL_SYM(archive_fn.entry_set_size, "archive_entry_set_size"),
        DL_SYM(archive_fn.entry_set_filetype, "archive_entry_set_filetype"),
        DL_SYM(archive_fn.entry_set_perm, "archive_entry_set_perm"),
        DL_SYM(archive_fn.entry_set_mtime, "archive_entry_set_mtime"),
        DL_SYM(archive_fn.entry_pathname, "archive_entry_pathname"),
        DL_SYM(archive_fn.entry_size, "archive_entry_size"),
        DL_SYM(archive_fn.error_string, "archive_error_string"),
        DL_SYM(archive_fn.errno_, "archive_errno"),
    };
    dl_load(ARCHIVE_SONAME, syms, sizeof syms / sizeof syms[0], failure, sizeof failure);
}

int archive_load(struct err *e)
{
    pthread_once(&once, load);
    if (*failure)
        return err_set(e, "cannot load libarchive: %s (install the libarchive13 package)", failure);
    return 0;
}
