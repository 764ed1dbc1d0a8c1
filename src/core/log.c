#include "core/log.h"

#include <errno.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Atomic so that a late log_set_verbosity (tests, a future signal handler)
 * is still well defined while workers log; relaxed is enough, nothing else
 * is ordered by it. */
static atomic_int verbosity;

void log_set_verbosity(int v)
{
    atomic_store_explicit(&verbosity, v, memory_order_relaxed);
}

int log_verbosity(void)
{
    return atomic_load_explicit(&verbosity, memory_order_relaxed);
}

size_t log_format_header(char *dst, size_t n, char severity, const struct timespec *ts, long pid,
                         const char *file, int line)
{
    struct tm tm;
    time_t secs = ts->tv_sec;
    if (!localtime_r(&secs, &tm))
        memset(&tm, 0, sizeof tm);
    const char *base = strrchr(file, '/');
    base = base ? base + 1 : file;
    /* klog keeps the low 7 digits of the pid; pids never have more on Linux. */
    int r = snprintf(dst, n, "%c%02d%02d %02d:%02d:%02d.%06ld %7ld %s:%d] ", severity,
                     tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
                     ts->tv_nsec / 1000, pid % 10000000, base, line);
    if (r < 0)
        return 0;
    return (size_t)r < n ? (size_t)r : (n ? n - 1 : 0);
}

static void write_all(int fd, const char *p, size_t len)
{
    while (len > 0) {
        ssize_t w = write(fd, p, len);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            return; /* nowhere left to report it */
        p += w;
        len -= (size_t)w;
    }
}

void log_write(char severity, const char *file, int line, const char *fmt, ...)
{
    int saved_errno = errno;
    /* Most lines fit here; longer ones are formatted on the heap so that
     * the whole line still goes out in one write. */
    char stack[2048];
    char *p = stack;
    size_t cap = sizeof stack;

    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    size_t hlen = log_format_header(stack, cap, severity, &ts, (long)getpid(), file, line);

    va_list ap, again;
    va_start(ap, fmt);
    va_copy(again, ap);
    int m = vsnprintf(stack + hlen, cap - hlen, fmt, ap);
    if (m < 0)
        m = 0;
    size_t len = hlen + (size_t)m;
    if (len + 2 > cap) { /* room for the newline and the NUL */
        char *heap = malloc(len + 2);
        if (heap) {
            memcpy(heap, stack, hlen);
            vsnprintf(heap + hlen, len + 2 - hlen, fmt, again);
            p = heap;
        } else {
            len = cap - 2; /* out of memory: print what fits */
        }
    }
    va_end(again);
    va_end(ap);
    if (len == hlen || p[len - 1] != '\n')
        p[len++] = '\n';
    write_all(STDERR_FILENO, p, len);
    if (p != stack)
        free(p);
    errno = saved_errno;
}
