/* Whole-file reads, atomic writes and kubectl's lock-file convention.
 *
 * Every function that can fail returns 0 or a negative errno and fills <e>
 * (which may be NULL) with the message Go's os package would produce for the
 * same failure, because ferry prints the messages kubectl prints:
 *   open /p/x: no such file or directory
 *   open /p/x: permission denied
 *   read /p/x: is a directory
 *   mkdir /p: not a directory
 * The path in a message is the one the caller passed, unresolved, as in Go.
 * All functions may block on the file system. */
#ifndef FERRY_CORE_FILE_H
#define FERRY_CORE_FILE_H

#include <stddef.h>
#include <sys/types.h>

#include "core/buf.h"
#include "core/err.h"

/* Suffix kubectl (client-go's lockFile) appends to a kubeconfig path. */
#define FILE_LOCK_SUFFIX ".lock"

/* Appends the whole content of <path> to <out>; "-" reads standard input
 * (named /dev/stdin in messages, as Go's os.Stdin is). Pipes and other
 * non-regular files are read to end of file, so `--kubeconfig <(...)` works.
 * <max> bounds the bytes read (0: only <out>'s own cap applies).
 * Returns 0, or -ENOENT (missing: callers may treat it as "empty"), -EISDIR,
 * -EACCES, -EFBIG (more than <max> bytes), -ENOMEM, other -errno. On failure
 * <out> holds what it held before. On success <out>->p is never NULL. */
int file_read(const char *path, size_t max, struct buf *out, struct err *e);

/* Replaces the content of <path> with <data> so that a reader sees either the
 * old or the new content, never a mix, even across a crash: the data goes to
 * an unpredictably named temporary file (O_EXCL) in the target's directory,
 * is fsync'ed, then renamed over the target, and the directory is fsync'ed.
 *
 * - An existing file keeps its permission bits (and, where the process may,
 *   its owner); a new one gets exactly <new_mode>, whatever the umask.
 * - A symlink is written through: the final target is replaced and the link
 *   stays a link, as with kubectl's in-place os.WriteFile.
 * - Missing parent directories of <path> are created with mode 0755 (minus
 *   umask), as client-go's WriteToFile does with os.MkdirAll.
 * - An existing target we may not write to is refused ("open <path>:
 *   permission denied") even though the rename would succeed, since kubectl
 *   would refuse it too.
 * - An existing target that is not a regular file (a FIFO, /dev/stdout) is
 *   written in place, since renaming over it would replace the node.
 *
 * Returns 0 or -errno. On failure the target is untouched and no temporary
 * file is left, with one exception: if only the final directory fsync fails,
 * the new content is in place but may not survive a crash (-errno, "sync
 * <dir>: ..."). */
int file_write_atomic(const char *path, const void *data, size_t len, mode_t new_mode,
                      struct err *e);

/* The pieces of file_write_atomic, for writers that stream (the local
 * object store): Go's os.MkdirAll(path, 0755) with its messages ("mkdir
 * <path>: not a directory"); fsync of a directory (file systems that cannot
 * sync one are no failure); write(2) of all of <data>, retrying on EINTR
 * and short writes. 0 or -errno; only the first two fill <e>. */
int file_mkdir_all(const char *path, struct err *e);
int file_sync_dir(const char *dir, struct err *e);
int file_write_all(int fd, const void *data, size_t len);

/* kubectl's advisory lock for kubeconfig writes: creates "<path>.lock" with
 * O_CREAT|O_EXCL (mode 0600; kubectl uses 0000, only existence matters) after
 * creating missing parent directories. The lock is named after <path> as
 * given, not after a symlink's target, so ferry and kubectl exclude each
 * other. Returns 0, or -EEXIST with kubectl's message "open <path>.lock: file
 * exists" when another writer holds it (or a crashed one left it), or another
 * -errno. */
int file_lock(const char *path, struct err *e);
/* Removes "<path>.lock". Errors are ignored: there is nothing a caller could
 * do about them once its write is done. */
void file_unlock(const char *path);

/* 1 if <path> exists (following symlinks, like Go's os.Stat), else 0. */
int file_exists(const char *path);
/* 1 if <path> is a directory (following symlinks), else 0. */
int file_is_dir(const char *path);

/* Writes Go's text for <errnum> (syscall.Errno.Error(): the C library's
 * message with its first letter lowered, "no such file or directory") into
 * <dst> and returns <dst>. */
const char *file_strerror(int errnum, char *dst, size_t n);

#endif
