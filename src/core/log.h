/* klog-style diagnostics on standard error, with kubectl's -v levels.
 *
 * Each line has klog's header, so ferry's -v output reads like kubectl's:
 *   I1125 13:25:20.123456   12345 file.c:123] message
 * (severity E/W/I, month and day, local time with microseconds, the process
 * id right-aligned in 7 columns, the source file's base name and line).
 * A line is emitted with a single write(2), so lines from several threads
 * never interleave. A newline is added unless the message ends with one.
 *
 * The verbosity is the only process-wide state ferry has outside main: main
 * sets it once, before starting threads, from -v/--v.
 *
 * Callers' rule: never pass a secret (bearer tokens, passwords, private keys,
 * Secret data, Authorization headers) to these macros; redact at the source,
 * as kubectl does ("Authorization: Bearer <masked>"). Logging cannot tell a
 * secret from other text. */
#ifndef FERRY_CORE_LOG_H
#define FERRY_CORE_LOG_H

#include <stddef.h>
#include <time.h>

void log_set_verbosity(int v);
int log_verbosity(void);

/* Writes one line with severity 'E', 'W' or 'I'. Use the macros, which fill
 * in <file> and <line>. Never fails visibly; preserves errno. */
void log_write(char severity, const char *file, int line, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/* Formats klog's header for the given moment and pid into <dst> (NUL
 * terminated, truncated to <n>) and returns its length. Exposed so tests can
 * check the format without a clock. <file> may be a path: only its base name
 * is printed. */
size_t log_format_header(char *dst, size_t n, char severity, const struct timespec *ts, long pid,
                         const char *file, int line);

/* Info line printed when the verbosity is at least <level>. The level is
 * tested first: the arguments are not evaluated when the line is not
 * printed, so costly arguments are free at lower verbosities. */
#define LOG_V(level, ...)                                                                          \
    do {                                                                                           \
        if (log_verbosity() >= (level))                                                            \
            log_write('I', __FILE__, __LINE__, __VA_ARGS__);                                       \
    } while (0)

#define LOG_ERROR(...) log_write('E', __FILE__, __LINE__, __VA_ARGS__)
#define LOG_WARN(...) log_write('W', __FILE__, __LINE__, __VA_ARGS__)
#define LOG_INFO(...) log_write('I', __FILE__, __LINE__, __VA_ARGS__)

#endif
