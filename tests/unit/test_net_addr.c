/* Numeric address parsing and formatting (src/net/net.c). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <arpa/inet.h>
#include <errno.h>
#include <net/if.h>
#include <netinet/in.h>
#include <string.h>

#include "net/net.h"

/* Parses <in> and formats it back. */
static const char *round_trip(const char *in)
{
    static char out[NET_ADDR_STRLEN];
    struct sockaddr_storage ss;
    socklen_t len;
    struct err e = {{0}};
    if (net_addr_parse(in, &ss, &len, &e) != 0)
        fail_msg("%s: %s", in, e.msg);
    net_addr_format((struct sockaddr *)&ss, out, sizeof out);
    return out;
}

static void ipv4_host_and_port(void **state)
{
    (void)state;
    struct sockaddr_storage ss;
    socklen_t len;
    assert_int_equal(net_addr_parse("127.0.0.1:8080", &ss, &len, NULL), 0);
    assert_int_equal(ss.ss_family, AF_INET);
    assert_int_equal(len, sizeof(struct sockaddr_in));
    struct sockaddr_in *s4 = (struct sockaddr_in *)&ss;
    assert_int_equal(ntohs(s4->sin_port), 8080);
    assert_int_equal(ntohl(s4->sin_addr.s_addr), 0x7f000001);
    assert_string_equal(round_trip("10.1.2.3:65535"), "10.1.2.3:65535");
    assert_string_equal(round_trip("0.0.0.0:0"), "0.0.0.0:0");
}

static void ipv6_in_brackets(void **state)
{
    (void)state;
    struct sockaddr_storage ss;
    socklen_t len;
    assert_int_equal(net_addr_parse("[::1]:443", &ss, &len, NULL), 0);
    assert_int_equal(ss.ss_family, AF_INET6);
    assert_int_equal(len, sizeof(struct sockaddr_in6));
    struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&ss;
    assert_int_equal(ntohs(s6->sin6_port), 443);
    assert_true(IN6_IS_ADDR_LOOPBACK(&s6->sin6_addr));
    assert_string_equal(round_trip("[::1]:443"), "[::1]:443");
    /* Formatting is canonical (RFC 5952 through inet_ntop). */
    assert_string_equal(round_trip("[2001:DB8:0:0:0:0:0:1]:80"), "[2001:db8::1]:80");
}

static void empty_host_and_star_mean_every_address(void **state)
{
    (void)state;
    struct sockaddr_storage ss;
    socklen_t len;
    for (int i = 0; i < 2; i++) {
        assert_int_equal(net_addr_parse(i ? "*:80" : ":8080", &ss, &len, NULL), 0);
        assert_int_equal(ss.ss_family, AF_INET6);
        struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&ss;
        assert_true(IN6_IS_ADDR_UNSPECIFIED(&s6->sin6_addr));
        assert_int_equal(ntohs(s6->sin6_port), i ? 80 : 8080);
    }
}

static void ipv6_zone_by_number_and_by_name(void **state)
{
    (void)state;
    struct sockaddr_storage ss;
    socklen_t len;
    assert_int_equal(net_addr_parse("[fe80::1%7]:80", &ss, &len, NULL), 0);
    assert_int_equal(((struct sockaddr_in6 *)&ss)->sin6_scope_id, 7);
    unsigned lo = if_nametoindex("lo");
    if (lo) {
        assert_int_equal(net_addr_parse("[fe80::1%lo]:80", &ss, &len, NULL), 0);
        assert_int_equal(((struct sockaddr_in6 *)&ss)->sin6_scope_id, lo);
        assert_string_equal(round_trip("[fe80::1%lo]:80"), "[fe80::1%lo]:80");
    }
}

static void invalid_addresses_are_refused_with_a_reason(void **state)
{
    (void)state;
    static const struct {
        const char *in, *why;
    } bad[] = {
        {"", "missing port"},
        {"127.0.0.1", "missing port"},
        {"127.0.0.1:", "port must be"},
        {"127.0.0.1:65536", "port must be"},
        {"127.0.0.1:-1", "port must be"},
        {"127.0.0.1:+80", "port must be"},
        {"127.0.0.1:80 ", "port must be"},
        {"127.0.0.1:0x50", "port must be"},
        {"127.0.0.1:99999999999999999999", "port must be"},
        {"1.2.3:80", "not a numeric"},
        {"1.2.3.256:80", "not a numeric"},
        {"01.2.3.4:80", "not a numeric"},
        {"localhost:80", "not a numeric"},
        {"example.com:443", "not a numeric"},
        {"::1:80", "must be in brackets"},
        {"[::1]", "missing port after"},
        {"[::1]80", "missing port after"},
        {"[::1:80", "missing ']'"},
        {"[]:80", "not a numeric IPv6"},
        {"[127.0.0.1]:80", "not a numeric IPv6"},
        {"[::g]:80", "not a numeric IPv6"},
        {"[fe80::1%]:80", "empty IPv6 zone"},
        {"[fe80::1%no-such-if0]:80", "unknown network interface"},
        {"[fe80::1%99999999999]:80", "invalid IPv6 zone"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        struct sockaddr_storage ss;
        socklen_t len;
        struct err e = {{0}};
        int r = net_addr_parse(bad[i].in, &ss, &len, &e);
        if (r != -EINVAL)
            fail_msg("\"%s\" gave %d", bad[i].in, r);
        if (!strstr(e.msg, bad[i].why) || !strstr(e.msg, bad[i].in))
            fail_msg("\"%s\": message \"%s\" lacks \"%s\"", bad[i].in, e.msg, bad[i].why);
    }
}

static void mapped_ipv4_is_formatted_as_ipv4(void **state)
{
    (void)state;
    struct sockaddr_in6 s6;
    memset(&s6, 0, sizeof s6);
    s6.sin6_family = AF_INET6;
    s6.sin6_port = htons(5555);
    assert_int_equal(inet_pton(AF_INET6, "::ffff:192.0.2.7", &s6.sin6_addr), 1);
    char out[NET_ADDR_STRLEN];
    assert_int_equal(net_addr_format((struct sockaddr *)&s6, out, sizeof out), 14);
    assert_string_equal(out, "192.0.2.7:5555");
    net_addr_format_ip((struct sockaddr *)&s6, out, sizeof out);
    assert_string_equal(out, "192.0.2.7");
}

static void ip_only_format_has_no_port_or_brackets(void **state)
{
    (void)state;
    struct sockaddr_storage ss;
    socklen_t len;
    char out[NET_ADDR_STRLEN];
    assert_int_equal(net_addr_parse("[2001:db8::5]:80", &ss, &len, NULL), 0);
    assert_int_equal(net_addr_format_ip((struct sockaddr *)&ss, out, sizeof out), 11);
    assert_string_equal(out, "2001:db8::5");
    assert_int_equal(net_addr_parse("203.0.113.9:1", &ss, &len, NULL), 0);
    net_addr_format_ip((struct sockaddr *)&ss, out, sizeof out);
    assert_string_equal(out, "203.0.113.9");
}

static void format_truncates_and_handles_unknown_families(void **state)
{
    (void)state;
    struct sockaddr_storage ss;
    socklen_t len;
    char out[8];
    assert_int_equal(net_addr_parse("192.168.100.200:65535", &ss, &len, NULL), 0);
    assert_int_equal(net_addr_format((struct sockaddr *)&ss, out, sizeof out), 7);
    assert_string_equal(out, "192.168");
    struct sockaddr un = {.sa_family = AF_UNIX};
    net_addr_format(&un, out, sizeof out);
    assert_string_equal(out, "?");
    /* The longest IPv6 text fits NET_ADDR_STRLEN with port and zone. */
    char big[NET_ADDR_STRLEN];
    assert_int_equal(
        net_addr_parse("[ffff:ffff:ffff:ffff:ffff:ffff:255.255.255.255%4294967295]:65535", &ss,
                       &len, NULL),
        0);
    size_t n = net_addr_format((struct sockaddr *)&ss, big, sizeof big);
    assert_true(n < sizeof big);
    assert_string_equal(big, "[ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff%4294967295]:65535");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(ipv4_host_and_port),
        cmocka_unit_test(ipv6_in_brackets),
        cmocka_unit_test(empty_host_and_star_mean_every_address),
        cmocka_unit_test(ipv6_zone_by_number_and_by_name),
        cmocka_unit_test(invalid_addresses_are_refused_with_a_reason),
        cmocka_unit_test(mapped_ipv4_is_formatted_as_ipv4),
        cmocka_unit_test(ip_only_format_has_no_port_or_brackets),
        cmocka_unit_test(format_truncates_and_handles_unknown_families),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
