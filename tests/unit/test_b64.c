/* Base64 as Go's StdEncoding writes and reads it (kubeconfig data fields,
 * Secrets, YAML's !!binary, Basic auth). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "core/b64.h"

static void b64_encode_pads_like_go(void **state)
{
    (void)state;
    static const char *const want[] = {"", "QQ==", "QUI=", "QUJD", "QUJDRA=="};
    for (size_t n = 0; n < 5; n++) {
        char *s = b64_encode((const unsigned char *)"ABCD", n);
        assert_non_null(s);
        assert_string_equal(s, want[n]);
        assert_true(b64_canonical(s, strlen(s)));
        free(s);
    }
}

static void b64_canonical_forms(void **state)
{
    (void)state;
    assert_true(b64_canonical("", 0));
    assert_true(b64_canonical("QUJD", 4));
    assert_true(b64_canonical("QQ==", 4));
    assert_true(b64_canonical("QUI=", 4));
    /* leftover bits set: Go decodes it, but would write QQ== */
    assert_false(b64_canonical("QR==", 4));
    assert_false(b64_canonical("QUJ=", 4));
    assert_false(b64_canonical("QUJD\n", 5));
    assert_false(b64_canonical("QUJ", 3));
    assert_false(b64_canonical("====", 4));
    assert_false(b64_canonical("Q-==", 4));
}

static void b64_decode_like_go(void **state)
{
    (void)state;
    struct err e;
    unsigned char *raw;
    size_t n;
    assert_int_equal(b64_decode("QU\nJD\r\n", &raw, &n, &e), 0);
    assert_int_equal(n, 3);
    assert_memory_equal(raw, "ABC", 3);
    free(raw);
    assert_int_equal(b64_decode("QR==", &raw, &n, &e), 0);
    assert_int_equal(n, 1);
    assert_int_equal(raw[0], 'A');
    free(raw);
    assert_int_equal(b64_decode("not-base64!!", &raw, &n, &e), -1);
    assert_string_equal(e.msg, "illegal base64 data at input byte 3");
    assert_int_equal(b64_decode("QQ=", &raw, &n, &e), -1);
    assert_string_equal(e.msg, "illegal base64 data at input byte 3");
}

static void b64_decode_n_reads_only_its_length(void **state)
{
    (void)state;
    struct err e;
    unsigned char *raw;
    size_t n;
    assert_int_equal(b64_decode_n("QUJD!!!", 4, &raw, &n, &e), 0);
    assert_int_equal(n, 3);
    assert_memory_equal(raw, "ABC", 3);
    free(raw);
    assert_int_equal(b64_decode_n("QUJDQQ==", 6, &raw, &n, &e), -1); /* cut inside a quad */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(b64_encode_pads_like_go),
        cmocka_unit_test(b64_canonical_forms),
        cmocka_unit_test(b64_decode_like_go),
        cmocka_unit_test(b64_decode_n_reads_only_its_length),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
