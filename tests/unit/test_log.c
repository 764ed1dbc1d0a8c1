#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "core/log.h"

/* Standard error is pointed at one end of a SOCK_SEQPACKET pair: the socket
 * keeps write boundaries, so each recv returns exactly one write(2). */
struct capture {
    int fds[2];
    int saved;
};

static void capture_start(struct capture *c)
{
    assert_int_equal(socketpair(AF_UNIX, SOCK_SEQPACKET, 0, c->fds), 0);
    c->saved = dup(STDERR_FILENO);
    assert_true(c->saved >= 0);
    assert_true(dup2(c->fds[1], STDERR_FILENO) >= 0);
}

static void capture_stop(struct capture *c)
{
    dup2(c->saved, STDERR_FILENO);
    close(c->saved);
    close(c->fds[1]);
}

/* Returns the next write as a string (caller frees), or NULL if none. */
static char *next_write(struct capture *c)
{
    static char msg[1 << 16];
    ssize_t n = recv(c->fds[0], msg, sizeof msg - 1, MSG_DONTWAIT);
    if (n <= 0)
        return NULL;
    msg[n] = '\0';
    return strdup(msg);
}

static void capture_end(struct capture *c)
{
    close(c->fds[0]);
}

/* Logs through <fn> and returns the single write it made (caller frees). */
static char *one_line(void (*fn)(void))
{
    struct capture c;
    capture_start(&c);
    fn();
    capture_stop(&c);
    char *line = next_write(&c);
    char *extra = next_write(&c);
    capture_end(&c);
    assert_non_null(line);
    assert_null(extra);
    return line;
}

static int setup(void **state)
{
    (void)state;
    setenv("TZ", "UTC", 1);
    tzset();
    log_set_verbosity(0);
    return 0;
}

static void header_has_klog_layout(void **state)
{
    (void)state;
    /* 2024-11-25 13:25:20.123456789 UTC */
    struct timespec ts = {1732541120, 123456789};
    char h[128];
    size_t n = log_format_header(h, sizeof h, 'I', &ts, 12345, "src/core/file.c", 123);
    assert_string_equal(h, "I1125 13:25:20.123456   12345 file.c:123] ");
    assert_int_equal(n, strlen(h));
}

static void header_right_aligns_pid_in_seven_columns(void **state)
{
    (void)state;
    struct timespec ts = {1732541120, 0};
    char h[128];
    log_format_header(h, sizeof h, 'E', &ts, 7, "x.c", 1);
    assert_string_equal(h, "E1125 13:25:20.000000       7 x.c:1] ");
    log_format_header(h, sizeof h, 'W', &ts, 4194304, "x.c", 1);
    assert_string_equal(h, "W1125 13:25:20.000000 4194304 x.c:1] ");
}

static void header_is_truncated_to_buffer(void **state)
{
    (void)state;
    struct timespec ts = {1732541120, 0};
    char h[8];
    size_t n = log_format_header(h, sizeof h, 'I', &ts, 1, "x.c", 1);
    assert_int_equal(n, 7);
    assert_string_equal(h, "I1125 1");
}

/* Checks "<sev>MMDD hh:mm:ss.uuuuuu <pid> test_log.c:<n>] <msg>\n". */
static void assert_line(const char *line, char sev, const char *msg)
{
    char pid[16];
    snprintf(pid, sizeof pid, "%7ld", (long)getpid());
    assert_int_equal(line[0], sev);
    assert_memory_equal(line + 21, " ", 1);
    assert_memory_equal(line + 22, pid, 7);
    assert_memory_equal(line + 29, " test_log.c:", 12);
    const char *body = strstr(line, "] ");
    assert_non_null(body);
    assert_string_equal(body + 2, msg);
}

static void log_error_fn(void)
{
    LOG_ERROR("failed: %s", "boom");
}

static void error_line_has_e_severity(void **state)
{
    (void)state;
    char *line = one_line(log_error_fn);
    assert_line(line, 'E', "failed: boom\n");
    free(line);
}

static void log_warn_fn(void)
{
    LOG_WARN("careful");
}

static void warn_line_has_w_severity(void **state)
{
    (void)state;
    char *line = one_line(log_warn_fn);
    assert_line(line, 'W', "careful\n");
    free(line);
}

static void log_info_fn(void)
{
    LOG_INFO("hello %d", 42);
}

static void info_line_has_i_severity(void **state)
{
    (void)state;
    char *line = one_line(log_info_fn);
    assert_line(line, 'I', "hello 42\n");
    free(line);
}

static void log_newline_fn(void)
{
    LOG_INFO("already ends\n");
}

static void message_ending_in_newline_gets_no_second_one(void **state)
{
    (void)state;
    char *line = one_line(log_newline_fn);
    assert_line(line, 'I', "already ends\n");
    free(line);
}

static void log_v2_fn(void)
{
    LOG_V(2, "detail %s", "x");
}

static void v_line_printed_at_its_level(void **state)
{
    (void)state;
    log_set_verbosity(2);
    char *line = one_line(log_v2_fn);
    assert_line(line, 'I', "detail x\n");
    free(line);
}

static void v_line_suppressed_below_its_level(void **state)
{
    (void)state;
    log_set_verbosity(1);
    struct capture c;
    capture_start(&c);
    log_v2_fn();
    capture_stop(&c);
    char *line = next_write(&c);
    capture_end(&c);
    assert_null(line);
}

static int evaluated;

static const char *costly(void)
{
    evaluated++;
    return "x";
}

static void v_arguments_not_evaluated_when_suppressed(void **state)
{
    (void)state;
    evaluated = 0;
    log_set_verbosity(3);
    LOG_V(4, "%s", costly());
    assert_int_equal(evaluated, 0);
}

static void long_line_is_one_write(void **state)
{
    (void)state;
    char *msg = malloc(10001);
    assert_non_null(msg);
    memset(msg, 'a', 10000);
    msg[10000] = '\0';
    struct capture c;
    capture_start(&c);
    LOG_INFO("%s", msg);
    capture_stop(&c);
    char *line = next_write(&c);
    char *extra = next_write(&c);
    capture_end(&c);
    assert_non_null(line);
    assert_null(extra);
    size_t len = strlen(line);
    assert_true(len > 10001);
    assert_int_equal(line[len - 1], '\n');
    assert_memory_equal(line + len - 10001, msg, 10000);
    free(line);
    free(msg);
}

static void logging_preserves_errno(void **state)
{
    (void)state;
    struct capture c;
    capture_start(&c);
    errno = ENOENT;
    LOG_INFO("x");
    int saved = errno;
    capture_stop(&c);
    capture_end(&c);
    assert_int_equal(saved, ENOENT);
}

static void verbosity_is_what_was_set(void **state)
{
    (void)state;
    log_set_verbosity(6);
    assert_int_equal(log_verbosity(), 6);
}

#define T(name) cmocka_unit_test_setup(name, setup)

int main(void)
{
    const struct CMUnitTest tests[] = {
        T(header_has_klog_layout),
        T(header_right_aligns_pid_in_seven_columns),
        T(header_is_truncated_to_buffer),
        T(error_line_has_e_severity),
        T(warn_line_has_w_severity),
        T(info_line_has_i_severity),
        T(message_ending_in_newline_gets_no_second_one),
        T(v_line_printed_at_its_level),
        T(v_line_suppressed_below_its_level),
        T(v_arguments_not_evaluated_when_suppressed),
        T(long_line_is_one_write),
        T(logging_preserves_errno),
        T(verbosity_is_what_was_set),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
