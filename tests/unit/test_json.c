/* Expected texts marked "kubectl" are what kubectl 1.32 printed for the same
 * data, given as the .data of a ConfigMap to
 *   kubectl label --local --overwrite -f cm.json x=y -o ...
 * Compact cases: -o jsonpath='{.data}', which prints json.Marshal's text.
 * Indented cases: -o json, json.MarshalIndent(obj, "", "    ") plus a
 * newline. The input objects here have their keys sorted, as Go's maps
 * print, since json_emit_go keeps the stored order. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "core/buf.h"
#include "core/json.h"

static json_t *parse_json(const char *text)
{
    json_error_t je;
    json_t *v = json_loads(text, JSON_DECODE_ANY | JSON_ALLOW_NUL, &je);
    if (!v)
        fail_msg("bad JSON in test: %s", je.text);
    return v;
}

static void assert_emits(const char *json_text, int indent, const char *want, size_t want_len)
{
    json_t *v = parse_json(json_text);
    struct buf out = BUF_INIT;
    assert_int_equal(json_emit_go(v, indent, &out), 0);
    assert_int_equal(out.len, want_len);
    assert_memory_equal(buf_str(&out), want, want_len);
    buf_fini(&out);
    json_decref(v);
}

static void assert_compact(const char *json_text, const char *want)
{
    assert_emits(json_text, 0, want, strlen(want));
}

/* kubectl ends -o json with a newline that json_emit_go leaves out. */
static void assert_indented(const char *json_text, const char *want)
{
    size_t n = strlen(want);
    assert_true(n > 0 && want[n - 1] == '\n');
    assert_emits(json_text, 4, want, n - 1);
}

static void html_characters_are_escaped(void **state)
{
    (void)state;
    assert_compact("{\"<k>\": \"x\", \"a\": \"<b>&amp;</b>\"}",
                   "{\"\\u003ck\\u003e\":\"x\","
                   "\"a\":\"\\u003cb\\u003e\\u0026amp;\\u003c/b\\u003e\"}"); /* kubectl */
}

static void line_and_paragraph_separators_are_escaped(void **state)
{
    (void)state;
    assert_compact("{\"a\": \"x\xe2\x80\xa8y\xe2\x80\xa9z\"}",
                   "{\"a\":\"x\\u2028y\\u2029z\"}"); /* kubectl */
}

static void control_characters_are_escaped(void **state)
{
    (void)state;
    /* Go 1.22 and later write \b and \f short */
    assert_compact(
        "{\"a\": \"\\u0000\\u0001\\b\\t\\n\\f\\r\\u001f\", \"b\": \"q\\\"\\\\/\"}",
        "{\"a\":\"\\u0000\\u0001\\b\\t\\n\\f\\r\\u001f\",\"b\":\"q\\\"\\\\/\"}"); /* kubectl */
}

static void delete_and_c1_controls_are_raw(void **state)
{
    (void)state;
    assert_compact("{\"a\": \"\x7f\xc2\x85\xc2\x9f\"}",
                   "{\"a\":\"\x7f\xc2\x85\xc2\x9f\"}"); /* kubectl */
}

static void unicode_is_raw(void **state)
{
    (void)state;
    assert_compact("{\"a\": \"é日本\xf0\x9f\x98\x80\", \"é\": 1}",
                   "{\"a\":\"é日本\xf0\x9f\x98\x80\",\"é\":1}"); /* kubectl */
}

static void floats_as_go_formats_them(void **state)
{
    (void)state;
    /* %f between 1e-6 and 1e21, else %e with a short exponent */
    assert_compact(
        "{\"a\": 1e+21, \"b\": 1e+20, \"c\": 1.5, \"d\": 100.0, \"e\": -0.0, "
        "\"f\": 1e-07, \"g\": 1e-06, \"h\": 5e-324, \"i\": "
        "1.7976931348623157e+308, \"j\": 0.30000000000000004, \"k\": "
        "123456789.125, \"l\": 2.5e-05, \"m\": -1e-300, \"n\": "
        "1.2345678901234567e+19, \"o\": 7.120236347223045e-307}",
        "{\"a\":1e+21,\"b\":100000000000000000000,\"c\":1.5,\"d\":100,\"e\":-0,"
        "\"f\":1e-7,\"g\":0.000001,\"h\":5e-324,\"i\":1.7976931348623157e+308,"
        "\"j\":0.30000000000000004,\"k\":123456789.125,\"l\":0.000025,"
        "\"m\":-1e-300,\"n\":12345678901234567000,\"o\":7.120236347223045e-307}"); /* kubectl */
}

static void integers_are_exact(void **state)
{
    (void)state;
    assert_compact(
        "{\"a\": 0, \"b\": -1, \"c\": 9223372036854775807, \"d\": "
        "-9223372036854775808}",
        "{\"a\":0,\"b\":-1,\"c\":9223372036854775807,\"d\":-9223372036854775808}"); /* kubectl */
}

static void bools_and_null(void **state)
{
    (void)state;
    assert_compact("{\"a\": true, \"b\": false, \"c\": null}",
                   "{\"a\":true,\"b\":false,\"c\":null}"); /* kubectl */
}

static void empty_containers_compact(void **state)
{
    (void)state;
    assert_compact("{\"a\": {}, \"b\": [], \"c\": [{}, []]}",
                   "{\"a\":{},\"b\":[],\"c\":[{},[]]}"); /* kubectl */
}

static void indent_mode_lays_out_like_marshal_indent(void **state)
{
    (void)state;
    assert_indented("{\"apiVersion\": \"v1\", \"data\": {\"l\": [1, \"two\", null, {\"k\": "
                    "[true]}], \"m\": {\"y\": \"<>\", \"z\": 1.5}, \"n\": 1, \"s\": \"x\"}, "
                    "\"kind\": \"ConfigMap\", \"metadata\": {\"labels\": {\"x\": \"y\"}, "
                    "\"name\": \"cm\"}}",
                    "{\n"
                    "    \"apiVersion\": \"v1\",\n"
                    "    \"data\": {\n"
                    "        \"l\": [\n"
                    "            1,\n"
                    "            \"two\",\n"
                    "            null,\n"
                    "            {\n"
                    "                \"k\": [\n"
                    "                    true\n"
                    "                ]\n"
                    "            }\n"
                    "        ],\n"
                    "        \"m\": {\n"
                    "            \"y\": \"\\u003c\\u003e\",\n"
                    "            \"z\": 1.5\n"
                    "        },\n"
                    "        \"n\": 1,\n"
                    "        \"s\": \"x\"\n"
                    "    },\n"
                    "    \"kind\": \"ConfigMap\",\n"
                    "    \"metadata\": {\n"
                    "        \"labels\": {\n"
                    "            \"x\": \"y\"\n"
                    "        },\n"
                    "        \"name\": \"cm\"\n"
                    "    }\n"
                    "}\n"); /* kubectl */
}

static void indent_mode_writes_empty_containers_on_one_line(void **state)
{
    (void)state;
    assert_indented("{\"apiVersion\": \"v1\", \"data\": {\"a\": {}, \"b\": [], \"c\": [{}, "
                    "[]], \"d\": {\"e\": {}}}, \"kind\": \"ConfigMap\", \"metadata\": "
                    "{\"labels\": {\"x\": \"y\"}, \"name\": \"cm\"}}",
                    "{\n"
                    "    \"apiVersion\": \"v1\",\n"
                    "    \"data\": {\n"
                    "        \"a\": {},\n"
                    "        \"b\": [],\n"
                    "        \"c\": [\n"
                    "            {},\n"
                    "            []\n"
                    "        ],\n"
                    "        \"d\": {\n"
                    "            \"e\": {}\n"
                    "        }\n"
                    "    },\n"
                    "    \"kind\": \"ConfigMap\",\n"
                    "    \"metadata\": {\n"
                    "        \"labels\": {\n"
                    "            \"x\": \"y\"\n"
                    "        },\n"
                    "        \"name\": \"cm\"\n"
                    "    }\n"
                    "}\n"); /* kubectl */
}

/* ---- beyond what kubectl shows ---- */

static void invalid_utf8_becomes_escaped_replacement(void **state)
{
    (void)state;
    /* Go's encodeState.string writes each invalid byte as \ufffd; kubectl
     * cannot show it, its JSON reader has already replaced such bytes. */
    json_t *v = json_stringn_nocheck("a\xff"
                                     "b\xed\xa0\x80",
                                     6);
    struct buf out = BUF_INIT;
    assert_non_null(v);
    assert_int_equal(json_emit_go(v, 0, &out), 0);
    assert_string_equal(buf_str(&out), "\"a\\ufffdb\\ufffd\\ufffd\\ufffd\"");
    buf_fini(&out);
    json_decref(v);
}

static void null_pointer_writes_null(void **state)
{
    (void)state;
    struct buf out = BUF_INIT;
    assert_int_equal(json_emit_go(NULL, 4, &out), 0);
    assert_string_equal(buf_str(&out), "null");
    buf_fini(&out);
}

static void output_cap_is_enomem(void **state)
{
    (void)state;
    struct buf out;
    json_t *v = parse_json("{\"a\":\"0123456789\"}");
    buf_init(&out, 8);
    assert_int_equal(json_emit_go(v, 0, &out), -ENOMEM);
    buf_fini(&out);
    json_decref(v);
}

static void sorted_keys_are_in_byte_order(void **state)
{
    (void)state;
    json_t *o = json_pack("{s:i,s:i,s:i,s:i}", "b", 1, "a", 2, "B", 3, "a2", 4);
    size_t n;
    const char **k = json_sorted_keys(o, &n);
    assert_non_null(k);
    assert_int_equal(n, 4);
    assert_string_equal(k[0], "B");
    assert_string_equal(k[1], "a");
    assert_string_equal(k[2], "a2");
    assert_string_equal(k[3], "b");
    assert_null(k[4]);
    free(k);
    json_t *a = json_array();
    k = json_sorted_keys(a, &n); /* not an object: no keys */
    assert_non_null(k);
    assert_int_equal(n, 0);
    assert_null(k[0]);
    free(k);
    json_decref(a);
    json_decref(o);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(sorted_keys_are_in_byte_order),
        cmocka_unit_test(html_characters_are_escaped),
        cmocka_unit_test(line_and_paragraph_separators_are_escaped),
        cmocka_unit_test(control_characters_are_escaped),
        cmocka_unit_test(delete_and_c1_controls_are_raw),
        cmocka_unit_test(unicode_is_raw),
        cmocka_unit_test(floats_as_go_formats_them),
        cmocka_unit_test(integers_are_exact),
        cmocka_unit_test(bools_and_null),
        cmocka_unit_test(empty_containers_compact),
        cmocka_unit_test(indent_mode_lays_out_like_marshal_indent),
        cmocka_unit_test(indent_mode_writes_empty_containers_on_one_line),
        cmocka_unit_test(invalid_utf8_becomes_escaped_replacement),
        cmocka_unit_test(null_pointer_writes_null),
        cmocka_unit_test(output_cap_is_enomem),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
