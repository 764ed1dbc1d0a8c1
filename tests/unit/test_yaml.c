/* Expected texts marked "kubectl" are what kubectl 1.32 printed for the same
 * data:
 * - reading: HDR followed by the case's YAML, given to
 *     kubectl label --local --overwrite -f cm.yaml x=y -o jsonpath='{.data}'
 *   which prints .data as compact JSON with sorted keys; an error is the text
 *   after "error converting YAML to JSON: " (line numbers count HDR's five
 *   lines). kubectl reads manifests with go-yaml v2 through sigs.k8s.io/yaml,
 *   as yaml_load does; kubeconfig cases went through `kubectl config view`.
 * - writing: a ConfigMap whose .data is the case's JSON, given to
 *     kubectl label --local --overwrite -f cm.json x=y -o yaml
 *   and the expected text is what kubectl printed between "data:" and the
 *   "kind: ConfigMap" line; an error is kubectl's message after "error: ". */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "core/buf.h"
#include "core/err.h"
#include "core/strv.h"
#include "core/json.h"
#include "core/yaml.h"

#define HDR "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cm\n  labels: {x: \"y\"}\n"
#define TRAILER "kind: ConfigMap\nmetadata:\n  labels:\n    x: \"y\"\n  name: cm\n"

/* Go's encoding/json sorts map keys; kubectl's objects are such maps. */
/* A deep copy of <v> with every object's keys in sorted order. */
static json_t *sorted_copy(const json_t *v)
{
    if (json_is_array(v)) {
        json_t *a = json_array();
        assert_non_null(a);
        for (size_t i = 0; i < json_array_size(v); i++)
            assert_int_equal(json_array_append_new(a, sorted_copy(json_array_get(v, i))), 0);
        return a;
    }
    if (!json_is_object(v))
        return json_deep_copy(v);
    size_t n = json_object_size(v), i = 0;
    const char **keys = calloc(n + 1, sizeof *keys);
    const char *k;
    json_t *x;
    assert_non_null(keys);
    json_object_foreach((json_t *)v, k, x)
    {
        keys[i++] = k;
    }
    qsort(keys, n, sizeof *keys, strv_cmp);
    json_t *o = json_object();
    assert_non_null(o);
    for (i = 0; i < n; i++)
        assert_int_equal(json_object_set_new(o, keys[i], sorted_copy(json_object_get(v, keys[i]))),
                         0);
    free(keys);
    return o;
}

/* <v> as jsonpath's {.data} prints it: json.Marshal, compact, keys sorted. */
static void assert_marshals_to(const json_t *v, const char *want)
{
    json_t *s = sorted_copy(v);
    struct buf out = BUF_INIT;
    assert_int_equal(json_emit_go(s, 0, &out), 0);
    assert_string_equal(buf_str(&out), want);
    buf_fini(&out);
    json_decref(s);
}

static char *with_hdr(const char *body, size_t n)
{
    struct buf b = BUF_INIT;
    assert_int_equal(buf_adds(&b, HDR), 0);
    assert_int_equal(buf_add(&b, body, n), 0);
    return buf_take(&b);
}

/* HDR + <body> reads as one document whose .data marshals to <want>, with
 * yaml_load and yaml_load_one alike. */
static void assert_reads(const char *body, const char *want)
{
    char *text = with_hdr(body, strlen(body));
    json_t *docs, *doc;
    struct err e = {{0}};
    if (yaml_load(text, strlen(text), &docs, &e) != 0)
        fail_msg("yaml_load: %s", e.msg);
    assert_int_equal(json_array_size(docs), 1);
    assert_marshals_to(json_object_get(json_array_get(docs, 0), "data"), want);
    if (yaml_load_one(text, strlen(text), &doc, &e) != 0)
        fail_msg("yaml_load_one: %s", e.msg);
    assert_true(json_equal(doc, json_array_get(docs, 0)));
    json_decref(doc);
    json_decref(docs);
    free(text);
}

/* HDR + <body> fails to load with <msg>, with both loaders. */
static void assert_read_error(const char *body, const char *msg)
{
    char *text = with_hdr(body, strlen(body));
    json_t *docs = json_null(), *doc = json_null();
    struct err e = {{0}};
    assert_int_equal(yaml_load(text, strlen(text), &docs, &e), -1);
    assert_null(docs);
    assert_string_equal(e.msg, msg);
    memset(&e, 0, sizeof e);
    assert_int_equal(yaml_load_one(text, strlen(text), &doc, &e), -1);
    assert_null(doc);
    assert_string_equal(e.msg, msg);
    free(text);
}

static json_t *parse_json(const char *text)
{
    json_error_t je;
    json_t *v = json_loads(text, JSON_DECODE_ANY | JSON_ALLOW_NUL, &je);
    if (!v)
        fail_msg("bad JSON in test: %s", je.text);
    return v;
}

/* The ConfigMap kubectl was given, with <data_json> as its .data. */
static json_t *configmap_with(const char *data_json)
{
    json_t *cm = parse_json("{\"apiVersion\":\"v1\",\"kind\":\"ConfigMap\","
                            "\"metadata\":{\"name\":\"cm\",\"labels\":{\"x\":\"y\"}}}");
    assert_int_equal(json_object_set_new(cm, "data", parse_json(data_json)), 0);
    return cm;
}

/* The ConfigMap with <data_json> writes as "apiVersion: v1\ndata:" <want>
 * TRAILER. */
static void assert_writes(const char *data_json, const char *want)
{
    json_t *cm = configmap_with(data_json);
    struct buf out = BUF_INIT, exp = BUF_INIT;
    assert_int_equal(buf_adds(&exp, "apiVersion: v1\ndata:"), 0);
    assert_int_equal(buf_adds(&exp, want), 0);
    assert_int_equal(buf_adds(&exp, TRAILER), 0);
    assert_int_equal(yaml_emit(cm, &out), 0);
    assert_string_equal(buf_str(&out), buf_str(&exp));
    assert_int_equal(out.len, exp.len);
    buf_fini(&out);
    buf_fini(&exp);
    json_decref(cm);
}

/* The ConfigMap with <data_json> cannot be written, for kubectl's reason. */
static void assert_write_error(const char *data_json, const char *msg)
{
    json_t *cm = configmap_with(data_json);
    struct buf out = BUF_INIT;
    struct err e = {{0}};
    assert_int_equal(yaml_emit_err(cm, &out, &e), -EILSEQ);
    assert_string_equal(e.msg, msg);
    assert_int_equal(out.len, 0);
    assert_int_equal(yaml_emit(cm, &out), -EILSEQ);
    assert_int_equal(out.len, 0);
    buf_fini(&out);
    json_decref(cm);
}

/* ---- reading: scalars, collections, anchors, keys ---- */

static void yes_no_on_off_are_booleans(void **state)
{
    (void)state;
    /* YAML 1.1 booleans, in the spellings go-yaml v2 knows */
    assert_reads(
        "data:\n"
        "  a: yes\n"
        "  b: no\n"
        "  c: on\n"
        "  d: off\n"
        "  e: y\n"
        "  f: n\n"
        "  g: Yes\n"
        "  h: NO\n"
        "  i: True\n"
        "  j: FALSE\n"
        "  k: On\n"
        "  l: oFF\n",
        "{\"a\":true,\"b\":false,\"c\":true,\"d\":false,\"e\":true,\"f\":false,"
        "\"g\":true,\"h\":false,\"i\":true,\"j\":false,\"k\":true,\"l\":\"oFF\"}"); /* kubectl */
}

static void octal_hex_binary_and_underscores_are_ints(void **state)
{
    (void)state;
    assert_reads("data:\n"
                 "  a: 017\n"
                 "  b: 0x1F\n"
                 "  c: 0o17\n"
                 "  d: 0b101\n"
                 "  e: -0x1F\n"
                 "  f: +12\n"
                 "  g: 1_000\n"
                 "  h: 08\n"
                 "  i: 0\n",
                 "{\"a\":15,\"b\":31,\"c\":15,\"d\":5,\"e\":-31,\"f\":12,\"g\":1000,"
                 "\"h\":8,\"i\":0}"); /* kubectl */
}

static void integers_past_int64_become_floats(void **state)
{
    (void)state;
    /* JSON holds them as float64, as kubectl's Unstructured does */
    assert_reads("data:\n"
                 "  a: 9223372036854775807\n"
                 "  b: 9223372036854775808\n"
                 "  c: -9223372036854775808\n"
                 "  d: 18446744073709551616\n",
                 "{\"a\":9223372036854775807,\"b\":9223372036854776000,"
                 "\"c\":-9223372036854775808,\"d\":18446744073709552000}"); /* kubectl */
}

static void floats_in_yaml_1_1_forms(void **state)
{
    (void)state;
    assert_reads("data:\n"
                 "  a: 1.5\n"
                 "  b: 1e3\n"
                 "  c: .5\n"
                 "  d: -1.5e-3\n"
                 "  e: 1.0\n"
                 "  f: 6.02e+23\n"
                 "  g: 1.\n"
                 "  h: +.5\n"
                 "  i: 1_0.5\n"
                 "  j: 0.1\n",
                 "{\"a\":1.5,\"b\":1000,\"c\":0.5,\"d\":-0.0015,\"e\":1,\"f\":6.02e+23,"
                 "\"g\":1,\"h\":0.5,\"i\":10.5,\"j\":0.1}"); /* kubectl */
}

static void float_out_of_range_stays_string(void **state)
{
    (void)state;
    assert_reads("data:\n"
                 "  a: 1e400\n",
                 "{\"a\":\"1e400\"}"); /* kubectl */
}

static void base60_numbers_stay_strings(void **state)
{
    (void)state;
    /* go-yaml v2 reads no sexagesimal numbers */
    assert_reads("data:\n"
                 "  a: 1:20\n"
                 "  b: 190:20:30\n",
                 "{\"a\":\"1:20\",\"b\":\"190:20:30\"}"); /* kubectl */
}

static void tilde_null_and_empty_are_null(void **state)
{
    (void)state;
    assert_reads(
        "data:\n"
        "  a: ~\n"
        "  b: null\n"
        "  c:\n"
        "  d: Null\n"
        "  e: NULL\n"
        "  f: nULL\n",
        "{\"a\":null,\"b\":null,\"c\":null,\"d\":null,\"e\":null,\"f\":\"nULL\"}"); /* kubectl */
}

static void timestamps_stay_strings(void **state)
{
    (void)state;
    assert_reads("data:\n"
                 "  a: 2001-12-14\n"
                 "  b: 2001-12-14t21:59:43.10-05:00\n"
                 "  c: 2001-12-14 21:59:43.10\n"
                 "  d: 2002-12-14T00:00:00Z\n"
                 "  e: 2001-13-14\n"
                 "  f: !!timestamp 2001-12-14\n",
                 "{\"a\":\"2001-12-14\",\"b\":\"2001-12-14t21:59:43.10-05:00\","
                 "\"c\":\"2001-12-14 21:59:43.10\",\"d\":\"2002-12-14T00:00:00Z\","
                 "\"e\":\"2001-13-14\",\"f\":\"2001-12-14\"}"); /* kubectl */
}

static void quoted_scalars_are_strings(void **state)
{
    (void)state;
    assert_reads("data:\n"
                 "  a: 'yes'\n"
                 "  b: \"1\"\n"
                 "  c: 'it''s'\n"
                 "  d: \"a\\tb\\u00e9\\x41\\n\"\n"
                 "  e: \"\"\n"
                 "  f: ''\n"
                 "  g: \"line1\n"
                 "    line2\"\n"
                 "  h: 'fold\n"
                 "\n"
                 "    me'\n",
                 "{\"a\":\"yes\",\"b\":\"1\",\"c\":\"it's\",\"d\":\"a\\tbéA\\n\","
                 "\"e\":\"\",\"f\":\"\",\"g\":\"line1 line2\",\"h\":\"fold\\nme\"}"); /* kubectl */
}

static void block_scalars_keep_or_fold_lines(void **state)
{
    (void)state;
    assert_reads("data:\n"
                 "  lit: |\n"
                 "    a\n"
                 "     b\n"
                 "    c\n"
                 "  litstrip: |-\n"
                 "    x\n"
                 "  litkeep: |+\n"
                 "    y\n"
                 "\n"
                 "  fold: >\n"
                 "    a\n"
                 "    b\n"
                 "\n"
                 "    c\n"
                 "  foldind: >2\n"
                 "     lead\n",
                 "{\"fold\":\"a b\\nc\\n\",\"foldind\":\" lead\\n\",\"lit\":\"a\\n "
                 "b\\nc\\n\",\"litkeep\":\"y\\n\\n\",\"litstrip\":\"x\"}"); /* kubectl */
}

static void plain_scalar_over_lines_is_folded(void **state)
{
    (void)state;
    assert_reads("data:\n"
                 "  a: one\n"
                 "    two\n"
                 "\n"
                 "    three\n",
                 "{\"a\":\"one two\\nthree\"}"); /* kubectl */
}

static void flow_collections(void **state)
{
    (void)state;
    assert_reads(
        "data: {a: 1, b: [x, y, {c: d}], 'e': \"f\", g: [], h: {}}\n",
        "{\"a\":1,\"b\":[\"x\",true,{\"c\":\"d\"}],\"e\":\"f\",\"g\":[],\"h\":{}}"); /* kubectl */
}

static void block_sequences_nest(void **state)
{
    (void)state;
    assert_reads("data:\n"
                 "  l:\n"
                 "  - a\n"
                 "  - - b\n"
                 "    - c\n"
                 "  - k: v\n"
                 "    k2: v2\n"
                 "  -\n"
                 "  - []\n",
                 "{\"l\":[\"a\",[\"b\",\"c\"],{\"k\":\"v\",\"k2\":\"v2\"},null,[]]}"); /* kubectl */
}

static void comments_are_ignored(void **state)
{
    (void)state;
    assert_reads("# c\n"
                 "data: # c2\n"
                 "  a: b # c3\n"
                 "  # c4\n"
                 "  c: d#e\n",
                 "{\"a\":\"b\",\"c\":\"d#e\"}"); /* kubectl */
}

static void aliases_copy_anchored_values(void **state)
{
    (void)state;
    assert_reads("data:\n"
                 "  base: &b {a: 1, b: 2}\n"
                 "  copy: *b\n"
                 "  list: &l [1, 2]\n"
                 "  l2: *l\n"
                 "  s: &s str\n"
                 "  s2: *s\n",
                 "{\"base\":{\"a\":1,\"b\":2},\"copy\":{\"a\":1,\"b\":2},\"l2\":[1,2],"
                 "\"list\":[1,2],\"s\":\"str\",\"s2\":\"str\"}"); /* kubectl */
}

static void merge_key_fills_in_missing_keys(void **state)
{
    (void)state;
    assert_reads("data:\n"
                 "  base: &b {a: 1, b: 2}\n"
                 "  m:\n"
                 "    <<: *b\n"
                 "    b: 3\n"
                 "    c: 4\n",
                 "{\"base\":{\"a\":1,\"b\":2},\"m\":{\"a\":1,\"b\":3,\"c\":4}}"); /* kubectl */
}

static void merge_key_overrides_keys_before_it(void **state)
{
    (void)state;
    /* go-yaml v2 applies the merge where it stands */
    assert_reads("data:\n"
                 "  base: &b {a: 1, b: 2}\n"
                 "  m:\n"
                 "    b: 3\n"
                 "    <<: *b\n",
                 "{\"base\":{\"a\":1,\"b\":2},\"m\":{\"a\":1,\"b\":2}}"); /* kubectl */
}

static void merge_of_sequence_prefers_earlier_maps(void **state)
{
    (void)state;
    assert_reads("data:\n"
                 "  base: &b {a: 1, b: 2}\n"
                 "  m:\n"
                 "    <<: [*b, {a: 9, z: 0}]\n",
                 "{\"base\":{\"a\":1,\"b\":2},\"m\":{\"a\":1,\"b\":2,\"z\":0}}"); /* kubectl */
}

static void duplicate_keys_last_one_wins(void **state)
{
    (void)state;
    assert_reads("data:\n"
                 "  a: 1\n"
                 "  b: 2\n"
                 "  a: 3\n",
                 "{\"a\":3,\"b\":2}"); /* kubectl */
}

static void non_string_keys_are_spelled_out(void **state)
{
    (void)state;
    /* n is a YAML 1.1 boolean too */
    assert_reads("data:\n"
                 "  1: a\n"
                 "  true: b\n"
                 "  1.5: c\n"
                 "  0x10: d\n"
                 "  yes: e\n"
                 "  ~x: f\n"
                 "  2001-12-14: g\n"
                 "  1e3: h\n"
                 "  n: i\n"
                 "  .5: j\n",
                 "{\"0.5\":\"j\",\"1\":\"a\",\"1.5\":\"c\",\"1000\":\"h\",\"16\":\"d\","
                 "\"2001-12-14\":\"g\",\"false\":\"i\",\"true\":\"e\",\"~x\":\"f\"}"); /* kubectl */
}

static void standard_tags_convert(void **state)
{
    (void)state;
    assert_reads("data:\n"
                 "  a: !!str 1\n"
                 "  b: !!int \"2\"\n"
                 "  c: !!float 3\n"
                 "  d: !custom x\n"
                 "  e: !!binary aGVsbG8=\n"
                 "  f: !!null ''\n"
                 "  g: !!bool 'yes'\n",
                 "{\"a\":\"1\",\"b\":2,\"c\":3,\"d\":\"x\",\"e\":\"hello\",\"f\":null,"
                 "\"g\":true}"); /* kubectl */
}

static void unicode_text_is_kept(void **state)
{
    (void)state;
    assert_reads("data:\n"
                 "  a: é日本\n"
                 "  b: \"\\U0001F600\"\n"
                 "  c: \"\\u2028x\"\n"
                 "  d: \"\\N\\_\\L\"\n",
                 "{\"a\":\"é日本\",\"b\":\"\xf0\x9f\x98\x80\",\"c\":\"\\u2028x\","
                 "\"d\":\"\xc2\x85\xc2\xa0\\u2028\"}"); /* kubectl */
}

static void empty_values(void **state)
{
    (void)state;
    assert_reads("data:\n"
                 "  a:\n"
                 "  b: ''\n"
                 "  c: []\n",
                 "{\"a\":null,\"b\":\"\",\"c\":[]}"); /* kubectl */
}

static void infinity_cannot_become_json(void **state)
{
    (void)state;
    assert_read_error("data:\n"
                      "  a: .inf\n",
                      "json: unsupported value: +Inf"); /* kubectl */
}

static void nan_cannot_become_json(void **state)
{
    (void)state;
    assert_read_error("data:\n"
                      "  a: .nan\n",
                      "json: unsupported value: NaN"); /* kubectl */
}

static void null_key_is_refused(void **state)
{
    (void)state;
    assert_read_error(
        "data:\n"
        "  ~: a\n",
        "unsupported map key of type: %!s(<nil>), key: <nil>, value: \"a\""); /* kubectl */
}

static void uint64_key_is_refused(void **state)
{
    (void)state;
    assert_read_error("data:\n"
                      "  18446744073709551615: a\n",
                      "unsupported map key of type: uint64, key: 0xffffffffffffffff, value: "
                      "\"a\""); /* kubectl */
}

static void map_key_is_refused(void **state)
{
    (void)state;
    assert_read_error(
        "data:\n"
        "  ? {a: 1}\n"
        "  : b\n",
        "yaml: invalid map key: map[interface {}]interface {}{\"a\":1}"); /* kubectl */
}

static void sequence_key_is_refused(void **state)
{
    (void)state;
    assert_read_error("data:\n"
                      "  ? [a]\n"
                      "  : b\n",
                      "yaml: invalid map key: []interface {}{\"a\"}"); /* kubectl */
}

static void wrong_tag_is_an_error(void **state)
{
    (void)state;
    assert_read_error("data:\n"
                      "  a: !!int x\n",
                      "yaml: cannot decode !!str `x` as a !!int"); /* kubectl */
}

static void bad_base64_is_an_error(void **state)
{
    (void)state;
    assert_read_error("data:\n"
                      "  a: !!binary '!!'\n",
                      "yaml: !!binary value contains invalid base64 data"); /* kubectl */
}

static void mapping_value_in_plain_scalar(void **state)
{
    (void)state;
    assert_read_error("data:\n"
                      "  a: b: c\n",
                      "yaml: line 7: mapping values are not allowed in this context"); /* kubectl */
}

static void unclosed_flow_mapping(void **state)
{
    (void)state;
    assert_read_error("data: {a: 1\n",
                      "yaml: line 6: did not find expected ',' or '}'"); /* kubectl */
}

static void unclosed_flow_sequence(void **state)
{
    (void)state;
    assert_read_error("data:\n"
                      "  a: [1, 2\n"
                      "  b: 3",
                      "yaml: line 7: did not find expected ',' or ']'"); /* kubectl */
}

static void unclosed_double_quote(void **state)
{
    (void)state;
    assert_read_error("data:\n"
                      "  a: \"abc\n",
                      "yaml: line 8: found unexpected end of stream"); /* kubectl */
}

static void unclosed_single_quote(void **state)
{
    (void)state;
    assert_read_error("data:\n"
                      "  a: 'abc\n",
                      "yaml: line 8: found unexpected end of stream"); /* kubectl */
}

static void tab_indentation(void **state)
{
    (void)state;
    assert_read_error("data:\n"
                      "\ta: b\n",
                      "yaml: line 7: found character that cannot start any token"); /* kubectl */
}

static void bad_indentation(void **state)
{
    (void)state;
    assert_read_error("data:\n"
                      "  a: b\n"
                      " c: d\n",
                      "yaml: line 7: did not find expected key"); /* kubectl */
}

static void sequence_item_in_mapping(void **state)
{
    (void)state;
    assert_read_error("data:\n"
                      "  a: 1\n"
                      "  - b\n",
                      "yaml: line 7: did not find expected key"); /* kubectl */
}

static void mapping_after_sequence(void **state)
{
    (void)state;
    assert_read_error("data:\n"
                      "  - a\n"
                      "  b: c\n",
                      "yaml: line 7: did not find expected '-' indicator"); /* kubectl */
}

static void stray_closing_bracket(void **state)
{
    (void)state;
    assert_read_error("data: ]\n",
                      "yaml: line 5: did not find expected node content"); /* kubectl */
}

static void unknown_escape(void **state)
{
    (void)state;
    assert_read_error("data:\n"
                      "  a: \"\\q\"\n",
                      "yaml: line 7: found unknown escape character"); /* kubectl */
}

static void unknown_anchor(void **state)
{
    (void)state;
    assert_read_error("data:\n"
                      "  a: *nope\n",
                      "yaml: unknown anchor 'nope' referenced"); /* kubectl */
}

static void anchor_used_before_defined(void **state)
{
    (void)state;
    assert_read_error("data:\n"
                      "  a: *b\n"
                      "  c: &b 1\n",
                      "yaml: unknown anchor 'b' referenced"); /* kubectl */
}

static void anchor_inside_itself(void **state)
{
    (void)state;
    assert_read_error("data: &a\n"
                      "  b: *a\n",
                      "yaml: anchor 'a' value contains itself"); /* kubectl */
}

static void merge_of_scalar(void **state)
{
    (void)state;
    assert_read_error(
        "data:\n"
        "  <<: 1\n",
        "yaml: map merge requires map or sequence of maps as the value"); /* kubectl */
}

static void merge_of_sequence_of_scalars(void **state)
{
    (void)state;
    assert_read_error(
        "data:\n"
        "  <<: [1]\n",
        "yaml: map merge requires map or sequence of maps as the value"); /* kubectl */
}

static void control_character_in_input(void **state)
{
    (void)state;
    assert_read_error("data:\n"
                      "  a: \x01\n",
                      "yaml: control characters are not allowed"); /* kubectl */
}

static void alias_bomb(void **state)
{
    (void)state;
    /* billion laughs, cut short by go-yaml's alias ratio */
    assert_read_error("data:\n"
                      "  a: &a [\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\","
                      "\"lol\",\"lol\"]\n"
                      "  b: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]\n"
                      "  c: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]\n"
                      "  d: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c]\n",
                      "yaml: document contains excessive aliasing"); /* kubectl */
}

/* ---- reading: streams, encodings, bounds ---- */

static void invalid_utf8_reads_as_replacement_characters(void **state)
{
    (void)state;
    /* kubectl decodes manifest files as UTF-8 first, one U+FFFD a bad byte */
    static const char text[] = HDR "data:\n"
                                   "  a: \"x\xffy\"\n"
                                   "  b: \"\xed\xa0\x80\"\n";
    json_t *docs;
    struct err e = {{0}};
    assert_int_equal(yaml_load(text, strlen(text), &docs, &e), 0);
    assert_marshals_to(json_object_get(json_array_get(docs, 0), "data"),
                       "{\"a\":\"x\xef\xbf\xbdy\",\"b\":\"\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\"}");
    json_decref(docs);
}

static void kubeconfig_loader_refuses_invalid_utf8(void **state)
{
    (void)state;
    static const char text[] = "apiVersion: v1\nkind: Config\ncurrent-context: \"a\xff"
                               "b\"\n";
    json_t *doc;
    struct err e = {{0}};
    assert_int_equal(yaml_load_one(text, strlen(text), &doc, &e), -1);
    /* kubectl config view, after "error loading config file ...: " */
    assert_string_equal(e.msg, "yaml: invalid leading UTF-8 octet");
}

static void stream_skips_empty_comment_only_and_null_documents(void **state)
{
    (void)state;
    static const char text[] = "---\n---\n" HDR "data: {a: 1}\n---\n# only a comment\n"
                               "---\nnull\n---\n~\n---\n" HDR "data: {b: 2}\n";
    json_t *docs;
    struct err e = {{0}};
    assert_int_equal(yaml_load(text, strlen(text), &docs, &e), 0);
    /* kubectl, -o jsonpath='{.data}{"\n"}': two objects */
    assert_int_equal(json_array_size(docs), 2);
    assert_marshals_to(json_object_get(json_array_get(docs, 0), "data"), "{\"a\":1}");
    assert_marshals_to(json_object_get(json_array_get(docs, 1), "data"), "{\"b\":2}");
    json_decref(docs);
}

static void load_one_reads_only_the_first_document(void **state)
{
    (void)state;
    static const char text[] = "apiVersion: v1\nkind: Config\ncurrent-context: first\n---\n[\n";
    json_t *doc;
    struct err e = {{0}};
    assert_int_equal(yaml_load_one(text, strlen(text), &doc, &e), 0);
    /* kubectl config view prints "current-context: first" */
    assert_string_equal(json_string_value(json_object_get(doc, "current-context")), "first");
    json_decref(doc);
}

static void load_reads_every_document(void **state)
{
    (void)state;
    /* kubectl label -f fails on the same file, on its second document */
    static const char text[] = HDR "---\n[\n";
    json_t *docs = json_null();
    struct err e = {{0}};
    assert_int_equal(yaml_load(text, strlen(text), &docs, &e), -1);
    assert_null(docs);
}

static void empty_input_is_null_or_no_documents(void **state)
{
    (void)state;
    json_t *doc, *docs;
    struct err e = {{0}};
    assert_int_equal(yaml_load_one("", 0, &doc, &e), 0);
    assert_true(json_is_null(doc));
    json_decref(doc);
    assert_int_equal(yaml_load("# nothing\n", 10, &docs, &e), 0);
    assert_int_equal(json_array_size(docs), 0);
    json_decref(docs);
}

static void input_need_not_end_with_nul(void **state)
{
    (void)state;
    json_t *doc;
    struct err e = {{0}};
    assert_int_equal(yaml_load_one("a: 1\nb: 2", 4, &doc, &e), 0);
    assert_int_equal(json_object_size(doc), 1);
    assert_int_equal(json_integer_value(json_object_get(doc, "a")), 1);
    json_decref(doc);
}

/* <depth> nested flow sequences after <prefix>. */
static char *nested_flow(const char *prefix, int depth)
{
    struct buf b = BUF_INIT;
    assert_int_equal(buf_adds(&b, prefix), 0);
    for (int i = 0; i < depth; i++)
        assert_int_equal(buf_addc(&b, '['), 0);
    for (int i = 0; i < depth; i++)
        assert_int_equal(buf_addc(&b, ']'), 0);
    assert_int_equal(buf_addc(&b, '\n'), 0);
    return buf_take(&b);
}

static void depth_limit_uses_go_yaml_wording(void **state)
{
    (void)state;
    /* kubectl stops at 10000 levels with these words ("yaml: exceeded max
     * depth of 10000", "yaml: line 2: ..."); ferry's bound is lower. */
    char *one_line = nested_flow("a: ", YAML_MAX_DEPTH + 1);
    char *second_line = nested_flow("x: 1\na: ", YAML_MAX_DEPTH + 1);
    char *fits = nested_flow("a: ", YAML_MAX_DEPTH - 1);
    json_t *doc;
    struct err e = {{0}};
    assert_int_equal(yaml_load_one(one_line, strlen(one_line), &doc, &e), -1);
    assert_string_equal(e.msg, "yaml: exceeded max depth of 1000");
    assert_int_equal(yaml_load_one(second_line, strlen(second_line), &doc, &e), -1);
    assert_string_equal(e.msg, "yaml: line 2: exceeded max depth of 1000");
    assert_int_equal(yaml_load_one(fits, strlen(fits), &doc, &e), 0);
    json_decref(doc);
    free(one_line);
    free(second_line);
    free(fits);
}

static void deep_nesting_through_aliases_is_refused(void **state)
{
    (void)state;
    /* Each alias adds the depth of what it names. */
    struct buf b = BUF_INIT;
    json_t *doc;
    struct err e = {{0}};
    assert_int_equal(buf_adds(&b, "a0: &a0 [x]\n"), 0);
    for (int i = 1; i <= 3; i++) {
        char *level = nested_flow("", 400);
        /* a<i>: &a<i> [[[...*a<i-1>...]]] */
        size_t half = strlen(level) / 2;
        assert_int_equal(
            buf_addf(&b, "a%d: &a%d %.*s*a%d%s", i, i, (int)half, level, i - 1, level + half), 0);
        free(level);
    }
    assert_int_equal(yaml_load_one(b.p, b.len, &doc, &e), -1);
    assert_non_null(strstr(e.msg, "exceeded max depth of 1000"));
    buf_fini(&b);
}

static void aliased_text_is_bounded_in_bytes(void **state)
{
    (void)state;
    /* ferry's own bound (kubectl has none): 80 copies of 1 MiB. */
    struct buf b = BUF_INIT;
    json_t *doc;
    struct err e = {{0}};
    assert_int_equal(buf_adds(&b, "a: &a "), 0);
    for (int i = 0; i < (1 << 20); i++)
        assert_int_equal(buf_addc(&b, 'x'), 0);
    assert_int_equal(buf_adds(&b, "\nb: ["), 0);
    for (int i = 0; i < 80; i++)
        assert_int_equal(buf_adds(&b, "*a, "), 0);
    assert_int_equal(buf_adds(&b, "]\n"), 0);
    assert_int_equal(yaml_load_one(b.p, b.len, &doc, &e), -1);
    assert_string_equal(e.msg, "yaml: document contains excessive aliasing");
    buf_fini(&b);
}

/* ---- writing ---- */

static void keys_sort_in_go_yaml_natural_order(void **state)
{
    (void)state;
    /* runs of digits compare as numbers; letters after the rest */
    assert_writes("{\"b\": 1, \"a10\": 1, \"a2\": 1, \"a\": 1, \"B\": 1, \"_x\": 1, \"1\": "
                  "1, \"10\": 1, \"9\": 1, \"a01\": 1, \"a1\": 1, \"é\": 1, \"z\": 1, "
                  "\"-\": 1, \"a.b\": 1, \"A\": 1}",
                  "\n"
                  "  '-': 1\n"
                  "  _x: 1\n"
                  "  \"1\": 1\n"
                  "  \"9\": 1\n"
                  "  \"10\": 1\n"
                  "  A: 1\n"
                  "  B: 1\n"
                  "  a: 1\n"
                  "  a.b: 1\n"
                  "  a1: 1\n"
                  "  a01: 1\n"
                  "  a2: 1\n"
                  "  a10: 1\n"
                  "  b: 1\n"
                  "  z: 1\n"
                  "  é: 1\n"); /* kubectl */
}

static void strings_that_read_as_other_types_are_quoted(void **state)
{
    (void)state;
    assert_writes("{\"a\": \"yes\", \"b\": \"no\", \"c\": \"on\", \"d\": \"y\", \"e\": "
                  "\"true\", \"f\": \"1\", \"g\": \"1.5\", \"h\": \"0x1F\", \"i\": \"017\","
                  " \"j\": \"1e3\", \"k\": \"null\", \"l\": \"~\", \"m\": \".inf\", \"n\": "
                  "\"1_000\", \"o\": \"2001-12-14\", \"p\": \"1:20\", \"q\": \"-.5\", "
                  "\"r\": \"<<\"}",
                  "\n"
                  "  a: \"yes\"\n"
                  "  b: \"no\"\n"
                  "  c: \"on\"\n"
                  "  d: \"y\"\n"
                  "  e: \"true\"\n"
                  "  f: \"1\"\n"
                  "  g: \"1.5\"\n"
                  "  h: \"0x1F\"\n"
                  "  i: \"017\"\n"
                  "  j: \"1e3\"\n"
                  "  k: \"null\"\n"
                  "  l: \"~\"\n"
                  "  m: \".inf\"\n"
                  "  \"n\": \"1_000\"\n"
                  "  o: \"2001-12-14\"\n"
                  "  p: \"1:20\"\n"
                  "  q: \"-.5\"\n"
                  "  r: <<\n"); /* kubectl */
}

static void plain_strings_stay_plain(void **state)
{
    (void)state;
    assert_writes("{\"a\": \"hello world\", \"b\": \"a:b\", \"c\": \"a#b\", \"d\": \"x-y\","
                  " \"e\": \"yes please\", \"f\": \"1.2.3\", \"g\": \"v1\", \"h\": "
                  "\"http://x/y?z=1\", \"i\": \"a, b\", \"j\": \"~x\", \"k\": \"é\"}",
                  "\n"
                  "  a: hello world\n"
                  "  b: a:b\n"
                  "  c: a#b\n"
                  "  d: x-y\n"
                  "  e: yes please\n"
                  "  f: 1.2.3\n"
                  "  g: v1\n"
                  "  h: http://x/y?z=1\n"
                  "  i: a, b\n"
                  "  j: ~x\n"
                  "  k: é\n"); /* kubectl */
}

static void empty_string_is_double_quoted(void **state)
{
    (void)state;
    assert_writes("{\"a\": \"\", \"\": \"v\"}", "\n"
                                                "  \"\": v\n"
                                                "  a: \"\"\n"); /* kubectl */
}

static void empty_map_and_list_are_flow(void **state)
{
    (void)state;
    assert_writes("{\"a\": {}, \"b\": [], \"c\": [{}, []], \"d\": {\"e\": {}}}",
                  "\n"
                  "  a: {}\n"
                  "  b: []\n"
                  "  c:\n"
                  "  - {}\n"
                  "  - []\n"
                  "  d:\n"
                  "    e: {}\n"); /* kubectl */
}

static void indicators_and_edge_spaces_force_quotes(void **state)
{
    (void)state;
    assert_writes("{\"a\": \"- x\", \"b\": \": x\", \"c\": \"#x\", \"d\": \"a #b\", \"e\": "
                  "\"@x\", \"f\": \"`x\", \"g\": \"'x\", \"h\": \"\\\"x\", \"i\": \"x \", "
                  "\"j\": \" x\", \"k\": \"{x}\", \"l\": \"[x]\", \"m\": \"!x\", \"n\": "
                  "\"&x\", \"o\": \"*x\", \"p\": \"|\", \"q\": \">\", \"r\": \"%x\", "
                  "\"s\": \"---\", \"t\": \"...\", \"u\": \"a: b\", \"v\": \"?\", \"w\": "
                  "\"-\", \"x\": \"a\\tb\"}",
                  "\n"
                  "  a: '- x'\n"
                  "  b: ': x'\n"
                  "  c: '#x'\n"
                  "  d: 'a #b'\n"
                  "  e: '@x'\n"
                  "  f: '`x'\n"
                  "  g: '''x'\n"
                  "  h: '\"x'\n"
                  "  i: 'x '\n"
                  "  j: ' x'\n"
                  "  k: '{x}'\n"
                  "  l: '[x]'\n"
                  "  m: '!x'\n"
                  "  \"n\": '&x'\n"
                  "  o: '*x'\n"
                  "  p: '|'\n"
                  "  q: '>'\n"
                  "  r: '%x'\n"
                  "  s: '---'\n"
                  "  t: '...'\n"
                  "  u: 'a: b'\n"
                  "  v: '?'\n"
                  "  w: '-'\n"
                  "  x: \"a\\tb\"\n"); /* kubectl */
}

static void multi_line_strings_are_literal_blocks(void **state)
{
    (void)state;
    assert_writes("{\"a\": \"one\\ntwo\", \"b\": \"one\\ntwo\\n\", \"c\": \"one\\n\\n\", "
                  "\"d\": \"\\n\", \"e\": \" lead\\nx\", \"f\": \"x\\n  indented\\n\", "
                  "\"g\": \"tab\\tin\\nblock\"}",
                  "\n"
                  "  a: |-\n"
                  "    one\n"
                  "    two\n"
                  "  b: |\n"
                  "    one\n"
                  "    two\n"
                  "  c: |+\n"
                  "    one\n"
                  "\n"
                  "  d: |2+\n"
                  "\n"
                  "  e: |2-\n"
                  "     lead\n"
                  "    x\n"
                  "  f: |\n"
                  "    x\n"
                  "      indented\n"
                  "  g: \"tab\\tin\\nblock\"\n"); /* kubectl */
}

static void multi_line_strings_that_blocks_cannot_hold_are_double_quoted(void **state)
{
    (void)state;
    /* trailing space, space before a break, control characters */
    assert_writes("{\"a\": \"x \\ny\", \"b\": \"x\\ny \", \"c\": \"\\u0001\\nx\", \"d\": "
                  "\"x\\r\\ny\"}",
                  "\n"
                  "  a: \"x \\ny\"\n"
                  "  b: \"x\\ny \"\n"
                  "  c: \"\\x01\\nx\"\n"
                  "  d: \"x\\r\\ny\"\n"); /* kubectl */
}

static void long_strings_fold_at_80_columns(void **state)
{
    (void)state;
    assert_writes("{\"plain\": \"word word word word word word word word word word word "
                  "word word word word word word word word word word word word word word "
                  "word word word word word end\", \"quoted\": \"yes word word word word "
                  "word word word word word word word word word word word word word word "
                  "word word word word word word word word word word word word end\", "
                  "\"single\": \"- word word word word word word word word word word word "
                  "word word word word word word word word word word word word word word "
                  "word word word word word end\", \"nospace\": "
                  "\"xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
                  "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx\", "
                  "\"double_spaces\": "
                  "\"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
                  "  b bb bb bb bb bb bb bb bb bb b\"}",
                  "\n"
                  "  double_spaces: "
                  "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa  "
                  "b\n"
                  "    bb bb bb bb bb bb bb bb bb b\n"
                  "  nospace: "
                  "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
                  "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx\n"
                  "  plain: word word word word word word word word word word word word "
                  "word word word\n"
                  "    word word word word word word word word word word word word word "
                  "word word end\n"
                  "  quoted: yes word word word word word word word word word word word "
                  "word word word\n"
                  "    word word word word word word word word word word word word word "
                  "word word word\n"
                  "    end\n"
                  "  single: '- word word word word word word word word word word word "
                  "word word word\n"
                  "    word word word word word word word word word word word word word "
                  "word word word\n"
                  "    end'\n"); /* kubectl */
}

static void long_strings_in_nested_values_fold_at_their_indent(void **state)
{
    (void)state;
    assert_writes("{\"l\": [{\"name\": \"word word word word word word word word word word "
                  "word word word word word word word word word word end\"}], \"m\": "
                  "{\"n\": {\"o\": \"word word word word word word word word word word "
                  "word word word word word word word word word word end\"}}}",
                  "\n"
                  "  l:\n"
                  "  - name: word word word word word word word word word word word word "
                  "word word word\n"
                  "      word word word word word end\n"
                  "  m:\n"
                  "    \"n\":\n"
                  "      o: word word word word word word word word word word word word "
                  "word word word\n"
                  "        word word word word word end\n"); /* kubectl */
}

static void unicode_is_written_raw_except_outside_the_bmp(void **state)
{
    (void)state;
    /* go-yaml prints 4-byte characters escaped */
    assert_writes("{\"a\": \"é日本\", \"b\": \"\xf0\x9f\x98\x80\", \"c\": \"ünïcødé key\", "
                  "\"d\": \"\xc2\xa0x\", \"e\": \"x\xc2\xa0\"}",
                  "\n"
                  "  a: é日本\n"
                  "  b: \"\\U0001F600\"\n"
                  "  c: ünïcødé key\n"
                  "  d: \xc2\xa0x\n"
                  "  e: x\xc2\xa0\n"); /* kubectl */
}

static void line_and_paragraph_separators(void **state)
{
    (void)state;
    assert_writes("{\"a\": \"\xe2\x80\xa8\", \"b\": \"x\xe2\x80\xa9\", \"c\": "
                  "\"x\xe2\x80\xa8y\", \"d\": \"x\xe2\x80\xa8 y\"}",
                  "\n"
                  "  a: '\xe2\x80\xa8'\n"
                  "  b: 'x\xe2\x80\xa9'\n"
                  "  c: 'x\xe2\x80\xa8    y'\n"
                  "  d: \"x\\L y\"\n"); /* kubectl */
}

static void next_line_is_folded_by_the_json_round_trip(void **state)
{
    (void)state;
    /* kubectl's JSON keeps U+0085 raw, and go-yaml folds it */
    assert_writes("{\"a\": \"x\xc2\x85y\", \"b\": \"x\xc2\x85\xc2\x85y\", \"c\": \"x "
                  "\xc2\x85 y\", \"d\": \"\xc2\x85\"}",
                  "\n"
                  "  a: x y\n"
                  "  b: |-\n"
                  "    x\n"
                  "    y\n"
                  "  c: x y\n"
                  "  d: ' '\n"); /* kubectl */
}

static void string_starting_with_bom_is_escaped_whole(void **state)
{
    (void)state;
    /* go-yaml's is_bom() looks at the first character only */
    assert_writes("{\"a\": \"\xef\xbb\xbf"
                  "ab c\", \"b\": \"x\xef\xbb\xbf\", "
                  "\"\xef\xbb\xbfk\": 1}",
                  "\n"
                  "  \"\\uFEFF\\x6B\": 1\n"
                  "  a: \"\\uFEFF\\x61\\x62\\x20\\x63\"\n"
                  "  b: \"x\\uFEFF\"\n"); /* kubectl */
}

static void control_characters_are_escaped(void **state)
{
    (void)state;
    assert_writes("{\"a\": \"\\u0001\", \"b\": \"\\u001b[0m\", \"c\": \"\\u0000\", \"d\": "
                  "\"a\\bb\"}",
                  "\n"
                  "  a: \"\\x01\"\n"
                  "  b: \"\\e[0m\"\n"
                  "  c: \"\\0\"\n"
                  "  d: \"a\\bb\"\n"); /* kubectl */
}

static void numbers_bools_and_null(void **state)
{
    (void)state;
    assert_writes("{\"i\": 42, \"neg\": -7, \"big\": 9223372036854775807, \"min\": "
                  "-9223372036854775808, \"f\": 1.5, \"g\": 1e+21, \"h\": 1e+20, \"k\": "
                  "100.0, \"z\": -0.0, \"s\": 1e-07, \"t\": 1e-06, \"u\": 123456789.125, "
                  "\"v\": 2.5e-05, \"w\": 1e+300, \"b\": true, \"c\": false, \"n\": null}",
                  "\n"
                  "  b: true\n"
                  "  big: 9223372036854775807\n"
                  "  c: false\n"
                  "  f: 1.5\n"
                  "  g: 1e+21\n"
                  "  h: 1e+20\n"
                  "  i: 42\n"
                  "  k: 100\n"
                  "  min: -9223372036854775808\n"
                  "  \"n\": null\n"
                  "  neg: -7\n"
                  "  s: 1e-07\n"
                  "  t: 1e-06\n"
                  "  u: 1.23456789125e+08\n"
                  "  v: 2.5e-05\n"
                  "  w: 1e+300\n"
                  "  z: 0\n"); /* kubectl */
}

static void nested_lists_under_maps_are_not_indented(void **state)
{
    (void)state;
    /* kubectl writes "- name:" at the key's column */
    assert_writes("{\"containers\": [{\"name\": \"a\", \"ports\": [{\"containerPort\": 80},"
                  " {\"containerPort\": 443}], \"args\": [\"x\", \"y\"]}, {\"name\": "
                  "\"b\"}], \"lists\": [[1, 2], [], [[3]]], \"maps\": [{\"a\": {\"b\": "
                  "[1]}}]}",
                  "\n"
                  "  containers:\n"
                  "  - args:\n"
                  "    - x\n"
                  "    - \"y\"\n"
                  "    name: a\n"
                  "    ports:\n"
                  "    - containerPort: 80\n"
                  "    - containerPort: 443\n"
                  "  - name: b\n"
                  "  lists:\n"
                  "  - - 1\n"
                  "    - 2\n"
                  "  - []\n"
                  "  - - - 3\n"
                  "  maps:\n"
                  "  - a:\n"
                  "      b:\n"
                  "      - 1\n"); /* kubectl */
}

static void long_keys_are_complex_keys(void **state)
{
    (void)state;
    /* simple keys hold 128 bytes at most */
    assert_writes("{\"kkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkk"
                  "kkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkk\": 1, "
                  "\"kkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkk"
                  "kkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkk\": 2, "
                  "\"llllllllllllllllllllllllllllllllllllllllllllllllllllllllllllllllllllll"
                  "lllllllllllllllllllllllllllllllllllllllllllllllllllllllllll\": [1], "
                  "\"mmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmm"
                  "mmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmm\": {\"a\": "
                  "1}}",
                  "\n"
                  "  "
                  "kkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkk"
                  "kkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkk: 1\n"
                  "  ? "
                  "kkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkk"
                  "kkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkk\n"
                  "  : 2\n"
                  "  ? "
                  "llllllllllllllllllllllllllllllllllllllllllllllllllllllllllllllllllllllll"
                  "lllllllllllllllllllllllllllllllllllllllllllllllllllllllll\n"
                  "  : - 1\n"
                  "  ? "
                  "mmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmm"
                  "mmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmm\n"
                  "  : a: 1\n"); /* kubectl */
}

static void multi_line_keys_are_double_quoted(void **state)
{
    (void)state;
    assert_writes("{\"a\\nb\": 1, \"c\\n\": 2}", "\n"
                                                 "  ? |-\n"
                                                 "    a\n"
                                                 "    b\n"
                                                 "  : 1\n"
                                                 "  ? |\n"
                                                 "    c\n"
                                                 "  : 2\n"); /* kubectl */
}

static void quoted_keys(void **state)
{
    (void)state;
    assert_writes("{\"yes\": 1, \"1\": 2, \"\": 3, \"a b\": 4, \"- x\": 5, \"null\": 6}",
                  "\n"
                  "  \"\": 3\n"
                  "  '- x': 5\n"
                  "  \"1\": 2\n"
                  "  a b: 4\n"
                  "  \"null\": 6\n"
                  "  \"yes\": 1\n"); /* kubectl */
}

static void merge_key_text_is_written_plain(void **state)
{
    (void)state;
    /* as kubectl does, though it then reads back as a merge key */
    assert_writes("{\"<<\": {\"a\": 1}, \"b\": \"<<\"}", "\n"
                                                         "  <<:\n"
                                                         "    a: 1\n"
                                                         "  b: <<\n"); /* kubectl */
}

static void delete_character_is_refused(void **state)
{
    (void)state;
    assert_write_error("{\"a\": \"x\x7fy\"}",
                       "yaml: control characters are not allowed"); /* kubectl */
}

static void c1_control_is_refused(void **state)
{
    (void)state;
    assert_write_error("{\"a\": \"\xc2\x9b\"}",
                       "yaml: control characters are not allowed"); /* kubectl */
}

static void noncharacter_is_refused(void **state)
{
    (void)state;
    assert_write_error("{\"a\": \"\xef\xbf\xbe\"}",
                       "yaml: control characters are not allowed"); /* kubectl */
}

static void key_of_1023_characters_is_refused(void **state)
{
    (void)state;
    /* 1023 characters, quotes make 1025 */
    assert_write_error("{\"kkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkk"
                       "kkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkk"
                       "kkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkk"
                       "kkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkk"
                       "kkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkk"
                       "kkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkk"
                       "kkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkk"
                       "kkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkk"
                       "kkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkk"
                       "kkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkk"
                       "kkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkk"
                       "kkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkk"
                       "kkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkk"
                       "kkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkk"
                       "kkkkkkkkkkkkkkkkkk\": 1}",
                       "yaml: did not find expected ',' or '}'"); /* kubectl */
}

static void key_escaped_past_1023_characters_is_refused(void **state)
{
    (void)state;
    /* each < is \u003c in kubectl's JSON */
    assert_write_error("{\"<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<"
                       "<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<"
                       "<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<\": 1}",
                       "yaml: did not find expected ',' or '}'"); /* kubectl */
}

static void key_with_next_line_is_refused(void **state)
{
    (void)state;
    assert_write_error("{\"a\": \"\xc2\x85\xc2\x85\", \"b\xc2\x85"
                       "c\": 1}",
                       "yaml: line 3: did not find expected ',' or '}'"); /* kubectl */
}

/* ---- round trips and bounds ---- */

static void kubeconfig_round_trip_matches_kubectl_config_view(void **state)
{
    (void)state;
    /* A hand-written kubeconfig: flow style, quotes, comments, any order. */
    static const char in[] =
        "# a kubeconfig written by hand\n"
        "kind: Config\n"
        "apiVersion: v1\n"
        "current-context: \"dev\"\n"
        "preferences: {}\n"
        "clusters:\n"
        "- name: 'dev-cluster'\n"
        "  cluster: {server: \"https://10.0.0.1:6443\", insecure-skip-tls-verify: true}\n"
        "- cluster:\n"
        "    server: https://prod.example.com\n"
        "    certificate-authority-data: LS0tLS1CRUdJTiBDRVJUSUZJQ0FURS0tLS0tCk1JSUI=\n"
        "    proxy-url: http://proxy:3128\n"
        "  name: prod\n"
        "contexts:\n"
        "- {name: dev, context: {cluster: dev-cluster, user: admin, namespace: \"yes\"}}\n"
        "- name: prod\n"
        "  context:\n"
        "    cluster: prod\n"
        "    user: admin\n"
        "users:\n"
        "- name: admin\n"
        "  user:\n"
        "    token: \"0123456789\"\n"
        "    exec:\n"
        "      apiVersion: client.authentication.k8s.io/v1beta1\n"
        "      command: aws\n"
        "      args: [eks, get-token, --cluster-name, \"on\"]\n"
        "      env: [{name: AWS_PROFILE, value: \"1.5\"}]\n"
        "      interactiveMode: IfAvailable\n"
        "      provideClusterInfo: false\n";
    /* kubectl config view --raw */
    static const char want[] = "apiVersion: v1\n"
                               "clusters:\n"
                               "- cluster:\n"
                               "    insecure-skip-tls-verify: true\n"
                               "    server: https://10.0.0.1:6443\n"
                               "  name: dev-cluster\n"
                               "- cluster:\n"
                               "    certificate-authority-data: "
                               "LS0tLS1CRUdJTiBDRVJUSUZJQ0FURS0tLS0tCk1JSUI=\n"
                               "    proxy-url: http://proxy:3128\n"
                               "    server: https://prod.example.com\n"
                               "  name: prod\n"
                               "contexts:\n"
                               "- context:\n"
                               "    cluster: dev-cluster\n"
                               "    namespace: \"yes\"\n"
                               "    user: admin\n"
                               "  name: dev\n"
                               "- context:\n"
                               "    cluster: prod\n"
                               "    user: admin\n"
                               "  name: prod\n"
                               "current-context: dev\n"
                               "kind: Config\n"
                               "preferences: {}\n"
                               "users:\n"
                               "- name: admin\n"
                               "  user:\n"
                               "    exec:\n"
                               "      apiVersion: client.authentication.k8s.io/v1beta1\n"
                               "      args:\n"
                               "      - eks\n"
                               "      - get-token\n"
                               "      - --cluster-name\n"
                               "      - \"on\"\n"
                               "      command: aws\n"
                               "      env:\n"
                               "      - name: AWS_PROFILE\n"
                               "        value: \"1.5\"\n"
                               "      interactiveMode: IfAvailable\n"
                               "      provideClusterInfo: false\n"
                               "    token: \"0123456789\"\n";
    json_t *doc;
    struct err e = {{0}};
    struct buf out = BUF_INIT;
    assert_int_equal(yaml_load_one(in, strlen(in), &doc, &e), 0);
    assert_int_equal(yaml_emit(doc, &out), 0);
    assert_string_equal(buf_str(&out), want);
    buf_fini(&out);
    json_decref(doc);
}

static void written_yaml_reads_back_as_the_same_data(void **state)
{
    (void)state;
    /* Not "<<": see merge_key_text_is_written_plain. */
    static const char *const strs[] = {
        "",
        "yes",
        "1",
        "1.5",
        "null",
        "~",
        "0x1F",
        "1:20",
        "a\nb",
        "a\nb\n",
        "a\n\n",
        "\n",
        " x",
        "x ",
        "x \ny",
        " lead\nx",
        "- a",
        "#",
        "a #b",
        "a: b",
        "'",
        "\"",
        "\\",
        "\t",
        "\x01",
        "\x1b",
        "é",
        "\xf0\x9f\x98\x80",
        "a\r\nb",
        "\xe2\x80\xa8",
        "x\xe2\x80\xa8",
        "\xef\xbb\xbf"
        "a b",
        "\xc2\xa0",
        "---",
        "...",
        "word word word word word word word word word word word word word word word word "
        "word word word word",
        "yes word word word word word word word word word word word word word word word "
        "word word word word",
        "kkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkk"
        "kkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkk",
    };
    json_t *v = parse_json("{\"n\":[1,-2,1.5,1e-7,1e300,true,false,null,{},[],[[]],[{}]],"
                           "\"m\":{\"a\":{\"b\":[{\"c\":[1,{\"d\":\"e\"}]}]}}}");
    json_t *list = json_array();
    assert_non_null(list);
    for (size_t i = 0; i < sizeof strs / sizeof strs[0]; i++) {
        char key[16];
        snprintf(key, sizeof key, "v%zu", i);
        assert_int_equal(json_object_set_new(v, key, json_string(strs[i])), 0);
        assert_int_equal(json_object_set_new(v, strs[i], json_integer((json_int_t)i)), 0);
        assert_int_equal(json_array_append_new(list, json_string(strs[i])), 0);
    }
    assert_int_equal(json_object_set_new(v, "list", list), 0);

    struct buf once = BUF_INIT, twice = BUF_INIT;
    json_t *back;
    struct err e = {{0}};
    assert_int_equal(yaml_emit(v, &once), 0);
    if (yaml_load_one(once.p, once.len, &back, &e) != 0)
        fail_msg("%s in:\n%s", e.msg, buf_str(&once));
    assert_true(json_equal(v, back));
    assert_int_equal(yaml_emit(back, &twice), 0);
    assert_string_equal(buf_str(&once), buf_str(&twice));
    buf_fini(&once);
    buf_fini(&twice);
    json_decref(back);
    json_decref(v);
}

static void nesting_past_go_yaml_limit_is_refused(void **state)
{
    (void)state;
    /* go-yaml's max_flow_level, met when kubectl's JSON text is read */
    json_t *v = json_array();
    struct buf out = BUF_INIT;
    struct err e = {{0}};
    assert_non_null(v);
    for (int i = 1; i < 10001; i++) {
        json_t *a = json_array();
        assert_non_null(a);
        assert_int_equal(json_array_append_new(a, v), 0);
        v = a;
    }
    assert_int_equal(yaml_emit_err(v, &out, &e), -ELOOP);
    assert_string_equal(e.msg, "yaml: exceeded max depth of 10000");
    json_t *inner = json_array_get(v, 0); /* 10000 levels: fine */
    buf_reset(&out);
    assert_int_equal(yaml_emit(inner, &out), 0);
    buf_fini(&out);
    json_decref(v);
}

static void keys_without_a_total_order_print_in_one_order(void **state)
{
    (void)state;
    /* go-yaml's order has 2ta < 16 < 2001-12-14 < 2ta: kubectl prints the
     * keys in an order that changes with Go's map order, this one among
     * others; ferry prints this one whatever the stored order. */
    static const char want[] = "\n"
                               "  \"16\": 2\n"
                               "  \"2001-12-14\": 3\n"
                               "  2ta: 1\n"; /* kubectl, one of its runs */
    assert_writes("{\"2ta\": 1, \"16\": 2, \"2001-12-14\": 3}", want);
    assert_writes("{\"2001-12-14\": 3, \"16\": 2, \"2ta\": 1}", want);
    assert_writes("{\"16\": 2, \"2ta\": 1, \"2001-12-14\": 3}", want);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(yes_no_on_off_are_booleans),
        cmocka_unit_test(octal_hex_binary_and_underscores_are_ints),
        cmocka_unit_test(integers_past_int64_become_floats),
        cmocka_unit_test(floats_in_yaml_1_1_forms),
        cmocka_unit_test(float_out_of_range_stays_string),
        cmocka_unit_test(base60_numbers_stay_strings),
        cmocka_unit_test(tilde_null_and_empty_are_null),
        cmocka_unit_test(timestamps_stay_strings),
        cmocka_unit_test(quoted_scalars_are_strings),
        cmocka_unit_test(block_scalars_keep_or_fold_lines),
        cmocka_unit_test(plain_scalar_over_lines_is_folded),
        cmocka_unit_test(flow_collections),
        cmocka_unit_test(block_sequences_nest),
        cmocka_unit_test(comments_are_ignored),
        cmocka_unit_test(aliases_copy_anchored_values),
        cmocka_unit_test(merge_key_fills_in_missing_keys),
        cmocka_unit_test(merge_key_overrides_keys_before_it),
        cmocka_unit_test(merge_of_sequence_prefers_earlier_maps),
        cmocka_unit_test(duplicate_keys_last_one_wins),
        cmocka_unit_test(non_string_keys_are_spelled_out),
        cmocka_unit_test(standard_tags_convert),
        cmocka_unit_test(unicode_text_is_kept),
        cmocka_unit_test(empty_values),
        cmocka_unit_test(infinity_cannot_become_json),
        cmocka_unit_test(nan_cannot_become_json),
        cmocka_unit_test(null_key_is_refused),
        cmocka_unit_test(uint64_key_is_refused),
        cmocka_unit_test(map_key_is_refused),
        cmocka_unit_test(sequence_key_is_refused),
        cmocka_unit_test(wrong_tag_is_an_error),
        cmocka_unit_test(bad_base64_is_an_error),
        cmocka_unit_test(mapping_value_in_plain_scalar),
        cmocka_unit_test(unclosed_flow_mapping),
        cmocka_unit_test(unclosed_flow_sequence),
        cmocka_unit_test(unclosed_double_quote),
        cmocka_unit_test(unclosed_single_quote),
        cmocka_unit_test(tab_indentation),
        cmocka_unit_test(bad_indentation),
        cmocka_unit_test(sequence_item_in_mapping),
        cmocka_unit_test(mapping_after_sequence),
        cmocka_unit_test(stray_closing_bracket),
        cmocka_unit_test(unknown_escape),
        cmocka_unit_test(unknown_anchor),
        cmocka_unit_test(anchor_used_before_defined),
        cmocka_unit_test(anchor_inside_itself),
        cmocka_unit_test(merge_of_scalar),
        cmocka_unit_test(merge_of_sequence_of_scalars),
        cmocka_unit_test(control_character_in_input),
        cmocka_unit_test(alias_bomb),
        cmocka_unit_test(invalid_utf8_reads_as_replacement_characters),
        cmocka_unit_test(kubeconfig_loader_refuses_invalid_utf8),
        cmocka_unit_test(stream_skips_empty_comment_only_and_null_documents),
        cmocka_unit_test(load_one_reads_only_the_first_document),
        cmocka_unit_test(load_reads_every_document),
        cmocka_unit_test(empty_input_is_null_or_no_documents),
        cmocka_unit_test(input_need_not_end_with_nul),
        cmocka_unit_test(depth_limit_uses_go_yaml_wording),
        cmocka_unit_test(deep_nesting_through_aliases_is_refused),
        cmocka_unit_test(aliased_text_is_bounded_in_bytes),
        cmocka_unit_test(keys_sort_in_go_yaml_natural_order),
        cmocka_unit_test(strings_that_read_as_other_types_are_quoted),
        cmocka_unit_test(plain_strings_stay_plain),
        cmocka_unit_test(empty_string_is_double_quoted),
        cmocka_unit_test(empty_map_and_list_are_flow),
        cmocka_unit_test(indicators_and_edge_spaces_force_quotes),
        cmocka_unit_test(multi_line_strings_are_literal_blocks),
        cmocka_unit_test(multi_line_strings_that_blocks_cannot_hold_are_double_quoted),
        cmocka_unit_test(long_strings_fold_at_80_columns),
        cmocka_unit_test(long_strings_in_nested_values_fold_at_their_indent),
        cmocka_unit_test(unicode_is_written_raw_except_outside_the_bmp),
        cmocka_unit_test(line_and_paragraph_separators),
        cmocka_unit_test(next_line_is_folded_by_the_json_round_trip),
        cmocka_unit_test(string_starting_with_bom_is_escaped_whole),
        cmocka_unit_test(control_characters_are_escaped),
        cmocka_unit_test(numbers_bools_and_null),
        cmocka_unit_test(nested_lists_under_maps_are_not_indented),
        cmocka_unit_test(long_keys_are_complex_keys),
        cmocka_unit_test(multi_line_keys_are_double_quoted),
        cmocka_unit_test(quoted_keys),
        cmocka_unit_test(merge_key_text_is_written_plain),
        cmocka_unit_test(delete_character_is_refused),
        cmocka_unit_test(c1_control_is_refused),
        cmocka_unit_test(noncharacter_is_refused),
        cmocka_unit_test(key_of_1023_characters_is_refused),
        cmocka_unit_test(key_escaped_past_1023_characters_is_refused),
        cmocka_unit_test(key_with_next_line_is_refused),
        cmocka_unit_test(kubeconfig_round_trip_matches_kubectl_config_view),
        cmocka_unit_test(written_yaml_reads_back_as_the_same_data),
        cmocka_unit_test(nesting_past_go_yaml_limit_is_refused),
        cmocka_unit_test(keys_without_a_total_order_print_in_one_order),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
