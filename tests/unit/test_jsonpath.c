/* Expected outputs and messages marked "kubectl" are what kubectl 1.32 printed
 * for the same template over the same object, taken with
 *   kubectl label --local --overwrite -f OBJ.json x=y -o jsonpath=TEMPLATE
 * (an Unstructured object, as `kubectl get` prints: integers are int64),
 * adding --allow-missing-template-keys=false for the strict cases. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "core/buf.h"
#include "core/err.h"
#include "core/jsonpath.h"

/* The object given to kubectl (its metadata already carries the label). */
static const char DOC[] =
    "{\"apiVersion\":\"v1\",\"kind\":\"ConfigMap\","
    "\"metadata\":{\"name\":\"cm\",\"labels\":{\"x\":\"y\"}},\"spec\":{"
    "\"items\":[{\"name\":\"one\",\"v\":1,\"s\":\"a\",\"t\":true},"
    "{\"name\":\"two\",\"v\":2,\"s\":\"b\",\"t\":false},"
    "{\"name\":\"three\",\"v\":3,\"s\":\"c\",\"f\":2.5}],"
    "\"m\":{\"b\":2,\"a\":\"x<y\",\"c\":[1,2]},\"s\":\"hi\",\"n\":null,\"e\":[],\"eo\":{},"
    "\"f\":1.5,\"i\":7,\"t\":true,\"arr\":[[1,2],[3,4]],\"dot.key\":\"dk\"}}";

/* A second object with the values kubectl formats in less obvious ways. */
static const char ODD[] =
    "{\"apiVersion\":\"v1\",\"kind\":\"ConfigMap\","
    "\"metadata\":{\"name\":\"cm\",\"labels\":{\"x\":\"y\"}},\"spec\":{"
    "\"s\":\"q\\\"\\\\\\n\\t\\u0001\\u00e9\\u2028<\",\"n\":null,\"e\":[],\"eo\":{},"
    "\"f\":1.5,\"g\":1e21,\"i\":-7,\"t\":false,\"a\":[1,\"x\",null,{\"k\":[]}]}}";

static json_t *load(const char *text)
{
    json_error_t je;
    json_t *d = json_loads(text, 0, &je);
    assert_non_null(d);
    return d;
}

/* Runs <tmpl> over <doc>; returns jsonpath_exec's result, the output in <out>
 * and the message in <e>. The template must parse. */
static int run_on(const char *doc, const char *tmpl, int allow_missing, struct buf *out,
                  struct err *e)
{
    json_t *d = load(doc);
    struct jsonpath *jp = jsonpath_parse(tmpl, e);
    if (!jp)
        fail_msg("parse of %s failed: %s", tmpl, e->msg);
    int rc = jsonpath_exec(jp, d, allow_missing, out, e);
    jsonpath_free(jp);
    json_decref(d);
    return rc;
}

static void assert_prints_on(const char *doc, const char *tmpl, const char *want, size_t want_len)
{
    struct buf out = BUF_INIT;
    struct err e = {{0}};
    if (run_on(doc, tmpl, 1, &out, &e) != 0)
        fail_msg("%s failed: %s", tmpl, e.msg);
    assert_int_equal(out.len, want_len);
    assert_memory_equal(out.len ? out.p : "", want, want_len);
    buf_fini(&out);
}

static void assert_prints(const char *tmpl, const char *want)
{
    assert_prints_on(DOC, tmpl, want, strlen(want));
}

/* Execution fails with <msg>; <allow_missing> as given. */
static void assert_exec_error_on(const char *doc, const char *tmpl, int allow_missing,
                                 const char *msg)
{
    struct buf out = BUF_INIT;
    struct err e = {{0}};
    assert_int_equal(run_on(doc, tmpl, allow_missing, &out, &e), -1);
    assert_string_equal(e.msg, msg);
    assert_int_equal(out.len, 0);
    buf_fini(&out);
}

static void assert_exec_error(const char *tmpl, const char *msg)
{
    assert_exec_error_on(DOC, tmpl, 1, msg);
}

static void assert_strict_error(const char *tmpl, const char *msg)
{
    assert_exec_error_on(DOC, tmpl, 0, msg);
}

static void assert_parse_error(const char *tmpl, const char *msg)
{
    struct err e = {{0}};
    struct jsonpath *jp = jsonpath_parse(tmpl, &e);
    assert_null(jp);
    assert_string_equal(e.msg, msg);
}

/* ---- text and the root ---- */

static void template_without_braces_is_literal_text(void **state)
{
    (void)state;
    assert_prints(".spec.s", ".spec.s"); /* kubectl */
}

static void text_around_actions_is_kept(void **state)
{
    (void)state;
    assert_prints("a{.spec.s}b", "ahib"); /* kubectl */
}

static void backslash_n_in_text_is_not_an_escape(void **state)
{
    (void)state;
    assert_prints("a\\nb", "a\\nb"); /* kubectl */
}

static void lone_closing_brace_is_text(void **state)
{
    (void)state;
    assert_prints("{.spec.s}}", "hi}"); /* kubectl: "{.a}}" prints "}" */
}

static void dollar_and_at_are_the_root(void **state)
{
    (void)state;
    assert_prints("{$.spec.s}{@.spec.s}", "hihi"); /* kubectl */
}

static void root_prints_as_json_with_sorted_keys(void **state)
{
    (void)state;
    /* kubectl */
    const char *want = "{\"apiVersion\":\"v1\",\"kind\":\"ConfigMap\",\"metadata\":{\"labels\":"
                       "{\"x\":\"y\"},\"name\":\"cm\"},\"spec\":{\"a\":[1,\"x\",null,{\"k\":[]}],"
                       "\"e\":[],\"eo\":{},\"f\":1.5,\"g\":1e+21,\"i\":-7,\"n\":null,\"s\":"
                       "\"q\\\"\\\\\\n\\t\\u0001\xc3\xa9\\u2028\\u003c\",\"t\":false}}";
    assert_prints_on(ODD, "{$}", want, strlen(want));
}

static void spaces_inside_action_are_ignored(void **state)
{
    (void)state;
    assert_prints("{ .spec.f }", "1.5"); /* kubectl */
}

/* ---- how values print ---- */

static void string_prints_raw(void **state)
{
    (void)state;
    const char *want = "q\"\\\n\t\x01\xc3\xa9\xe2\x80\xa8<"; /* kubectl */
    assert_prints_on(ODD, "{.spec.s}", want, strlen(want));
}

static void map_prints_as_compact_json_with_sorted_keys(void **state)
{
    (void)state;
    assert_prints("{.spec.m}", "{\"a\":\"x\\u003cy\",\"b\":2,\"c\":[1,2]}"); /* kubectl */
}

static void array_prints_as_json(void **state)
{
    (void)state;
    assert_prints("{.spec.arr}", "[[1,2],[3,4]]"); /* kubectl */
}

static void null_prints_as_null(void **state)
{
    (void)state;
    assert_prints("{.spec.n}", "null"); /* kubectl */
}

static void empty_array_and_map_print_as_json(void **state)
{
    (void)state;
    assert_prints("{.spec.e}{.spec.eo}", "[]{}"); /* kubectl */
}

static void numbers_and_bools_print_plain(void **state)
{
    (void)state;
    assert_prints("{.spec.s}{.spec.i}{.spec.f}{.spec.t}", "hi71.5true"); /* kubectl */
}

static void floats_print_as_go_v(void **state)
{
    (void)state;
    const char *doc = "{\"g\":1e21,\"h\":1e20,\"k\":123456.0,\"l\":1234567.5,\"m\":0.0001,"
                      "\"o\":0.00001,\"p\":-0.0,\"q\":1e-7,\"r\":100000.0,"
                      "\"big\":9223372036854775807}";
    /* kubectl */
    const char *want = "1e+21 1e+20 123456 1.2345675e+06 0.0001 1e-05 -0 1e-07 100000 "
                       "9223372036854775807";
    assert_prints_on(doc, "{.g} {.h} {.k} {.l} {.m} {.o} {.p} {.q} {.r} {.big}", want,
                     strlen(want));
}

static void floats_next_to_a_power_of_two_print_shortest(void **state)
{
    (void)state;
    /* The nearest 16-digit decimal does not read back; a neighbour does. */
    const char *doc = "{\"f\":7.120236347223045e-307,\"g\":8.209073602596753e-289}";
    const char *want = "7.120236347223045e-307 8.209073602596753e-289"; /* kubectl */
    assert_prints_on(doc, "{.f} {.g}", want, strlen(want));
}

static void several_results_are_separated_by_one_space(void **state)
{
    (void)state;
    assert_prints("{.spec.items[*].name}", "one two three"); /* kubectl */
}

static void separate_actions_are_not_separated(void **state)
{
    (void)state;
    assert_prints("{.spec.items[*].name}{.spec.items[*].v}", "one two three1 2 3"); /* kubectl */
}

static void mixed_results_print_each_by_its_kind(void **state)
{
    (void)state;
    assert_prints("{.spec.arr[*]}", "[1,2] [3,4]"); /* kubectl */
}

/* ---- fields and brackets ---- */

static void bracket_key_selects_field(void **state)
{
    (void)state;
    assert_prints("{['spec']['f']}", "1.5"); /* kubectl */
}

static void bracket_key_with_dot_is_read_as_path(void **state)
{
    (void)state;
    /* kubectl: ['dot.key'] becomes .dot.key, which is missing */
    assert_prints("{.spec['dot.key']}", "");
}

static void escaped_dot_stays_in_field_name(void **state)
{
    (void)state;
    assert_prints("{.spec.dot\\.key}", "dk"); /* kubectl */
}

static void bracket_key_with_space_is_an_identifier(void **state)
{
    (void)state;
    assert_exec_error("{.spec['a b']}", "unrecognized identifier b"); /* kubectl */
}

static void double_quoted_bracket_key_is_rejected(void **state)
{
    (void)state;
    assert_parse_error("{.spec.items[*][\"name\"]}", "invalid array index \"name\""); /* kubectl */
}

/* ---- indexes and slices ---- */

static void index_selects_element(void **state)
{
    (void)state;
    assert_prints("{.spec.items[0]}",
                  "{\"name\":\"one\",\"s\":\"a\",\"t\":true,\"v\":1}"); /* kubectl */
}

static void negative_index_counts_from_end(void **state)
{
    (void)state;
    assert_prints("{.spec.items[-1].name}", "three"); /* kubectl */
}

static void slice_selects_half_open_range(void **state)
{
    (void)state;
    assert_prints("{.spec.items[1:3].name}", "two three"); /* kubectl */
}

static void slice_with_step_skips(void **state)
{
    (void)state;
    assert_prints("{.spec.items[::2].name}", "one three"); /* kubectl */
}

static void slice_with_negative_end(void **state)
{
    (void)state;
    assert_prints("{.spec.items[:-1].name}", "one two"); /* kubectl */
}

static void empty_slice_prints_nothing(void **state)
{
    (void)state;
    assert_prints("{.spec.items[3:3]}x", "x"); /* kubectl */
}

static void empty_brackets_mean_index_zero(void **state)
{
    (void)state;
    assert_prints("{.spec.items[].name}", "one"); /* kubectl: [] parses as [0] */
}

static void index_out_of_bounds_is_error(void **state)
{
    (void)state;
    assert_exec_error("{.spec.items[5]}",
                      "array index out of bounds: index 5, length 3"); /* kubectl */
}

static void negative_index_out_of_bounds_is_error(void **state)
{
    (void)state;
    /* kubectl */
    assert_exec_error("{.spec.items[-9]}", "array index out of bounds: index -6, length 3");
}

static void slice_end_out_of_bounds_is_error(void **state)
{
    (void)state;
    /* kubectl reports the end minus one */
    assert_exec_error("{.spec.items[1:9]}", "array index out of bounds: index 8, length 3");
}

static void slice_start_after_end_is_error(void **state)
{
    (void)state;
    /* kubectl */
    assert_exec_error("{.spec.items[2:1]}", "starting index 2 is greater than ending index 1");
}

static void slice_step_zero_is_error(void **state)
{
    (void)state;
    assert_exec_error("{.spec.items[::0]}", "step must be > 0"); /* kubectl */
}

static void index_on_string_is_error(void **state)
{
    (void)state;
    assert_exec_error("{.spec.s[0]}", "string is not array or slice"); /* kubectl */
}

static void index_on_map_names_go_type(void **state)
{
    (void)state;
    assert_exec_error("{[1,]}", "map[string]interface {} is not array or slice"); /* kubectl */
}

static void index_on_null_is_skipped(void **state)
{
    (void)state;
    assert_prints("{.spec.n[0]}", ""); /* kubectl */
}

/* ---- wildcards, recursion, unions ---- */

static void dot_star_lists_map_values_in_stored_order(void **state)
{
    (void)state;
    /* kubectl prints a rotation of this at random (Go map order) */
    assert_prints("{.spec.m.*}", "2 x<y [1,2]");
}

static void dot_star_on_string_prints_its_bytes(void **state)
{
    (void)state;
    assert_prints("{.spec.s.*}", "104 105"); /* kubectl */
}

static void recursive_descent_finds_every_name(void **state)
{
    (void)state;
    assert_prints("{..name}", "cm one two three"); /* kubectl */
}

static void recursive_descent_lists_containers_parent_first(void **state)
{
    (void)state;
    const char *doc = "{\"z\":{\"y\":[{\"x\":[null]}]}}";
    /* kubectl, for the same value under .spec.nested */
    const char *want = "{\"z\":{\"y\":[{\"x\":[null]}]}} {\"y\":[{\"x\":[null]}]} "
                       "[{\"x\":[null]}] {\"x\":[null]} [null]";
    assert_prints_on(doc, "{..}", want, strlen(want));
}

static void recursive_descent_then_star_is_rejected(void **state)
{
    (void)state;
    assert_parse_error("{..*}", "unrecognized character in action: U+002A '*'"); /* kubectl */
}

static void union_of_indexes(void **state)
{
    (void)state;
    assert_prints("{.spec.items[0,2].name}", "one three"); /* kubectl */
}

static void union_of_keys_groups_by_key(void **state)
{
    (void)state;
    assert_prints("{.spec.items[*]['name','v']}", "one two three 1 2 3"); /* kubectl */
}

static void union_member_may_be_filter(void **state)
{
    (void)state;
    assert_prints("{.spec.items[0,?(@.v>1)].name}", "one two three"); /* kubectl */
}

/* ---- range ---- */

static void range_over_items_prints_each_name(void **state)
{
    (void)state;
    /* kubectl */
    assert_prints("{range .spec.items[*]}{.name}{\"\\n\"}{end}", "one\ntwo\nthree\n");
}

static void range_body_mixes_fields_and_literals(void **state)
{
    (void)state;
    /* kubectl */
    assert_prints("{range .spec.items[*]}{.name}{\"\\t\"}{.v}{\"\\n\"}{end}",
                  "one\t1\ntwo\t2\nthree\t3\n");
}

static void text_after_end_prints_once(void **state)
{
    (void)state;
    assert_prints("{range .spec.items[*]}[{.name}]{end}tail",
                  "[one][two][three]tail"); /* kubectl */
}

static void nested_ranges(void **state)
{
    (void)state;
    /* kubectl */
    assert_prints("{range .spec.arr[*]}[{range @[*]}<{@}>{end}]{end}", "[<1><2>][<3><4>]");
}

static void range_over_map_runs_once(void **state)
{
    (void)state;
    /* kubectl */
    assert_prints("{range .spec.m}{@}|{end}", "{\"a\":\"x\\u003cy\",\"b\":2,\"c\":[1,2]}|");
}

static void range_over_null_item_prints_no_value(void **state)
{
    (void)state;
    const char *want = "1,x,<no value>,{\"k\":[]},"; /* kubectl */
    assert_prints_on(ODD, "{range .spec.a[*]}{@},{end}", want, strlen(want));
}

static void range_over_nothing_still_checks_its_body(void **state)
{
    (void)state;
    assert_prints("{range .spec.e[*]}{.name}{end}x", "x");                      /* kubectl */
    assert_strict_error("{range .spec.e[*]}{.name}{end}", "name is not found"); /* kubectl */
}

static void range_without_end_runs_rest_again_on_root(void **state)
{
    (void)state;
    assert_prints("{range .spec.items[*]}{.name}", "onetwothree");             /* kubectl */
    assert_strict_error("{range .spec.items[*]}{.name}", "name is not found"); /* kubectl */
}

static void double_range_consumes_first_item(void **state)
{
    (void)state;
    const char *want = "x<no value>{\"k\":[]}"; /* kubectl */
    assert_prints_on(ODD, "{range range .spec.a[*]}{@}{end}", want, strlen(want));
}

static void end_outside_range_is_error(void **state)
{
    (void)state;
    assert_exec_error("{end}", "not in range, nothing to end"); /* kubectl */
}

static void extra_end_after_range_is_error(void **state)
{
    (void)state;
    /* kubectl */
    assert_exec_error("{range .spec.items[*]}{.name},{end}{end}", "not in range, nothing to end");
}

/* ---- filters ---- */

static void filter_equal_string(void **state)
{
    (void)state;
    assert_prints("{.spec.items[?(@.s==\"b\")].name}", "two"); /* kubectl */
}

static void filter_equal_single_quoted_string(void **state)
{
    (void)state;
    assert_prints("{.spec.items[?(@.name=='two')].v}", "2"); /* kubectl */
}

static void filter_not_equal(void **state)
{
    (void)state;
    assert_prints("{.spec.items[?(@.v!=2)].name}", "one three"); /* kubectl */
}

static void filter_less_and_greater(void **state)
{
    (void)state;
    assert_prints("{.spec.items[?(@.v<2)].name}", "one");       /* kubectl */
    assert_prints("{.spec.items[?(@.v>1)].name}", "two three"); /* kubectl */
}

static void filter_less_equal_and_greater_equal(void **state)
{
    (void)state;
    assert_prints("{.spec.items[?(@.v<=2)].name}", "one two");   /* kubectl */
    assert_prints("{.spec.items[?(@.v>=2)].name}", "two three"); /* kubectl */
}

static void filter_compares_strings_bytewise(void **state)
{
    (void)state;
    assert_prints("{.spec.items[?(@.s<\"b\")].name}", "one"); /* kubectl */
}

static void filter_on_float_field(void **state)
{
    (void)state;
    assert_prints("{.spec.items[?(@.f>1.5)].name}", "three"); /* kubectl */
}

static void filter_existence(void **state)
{
    (void)state;
    assert_prints("{.spec.items[?(@.f)].name}", "three"); /* kubectl */
}

static void filter_skips_items_missing_the_field(void **state)
{
    (void)state;
    assert_prints("{.spec.items[?(@.t==false)].name}", "two"); /* kubectl */
}

static void filter_missing_field_is_error_when_strict(void **state)
{
    (void)state;
    assert_strict_error("{.spec.items[?(@.t==true)].name}", "t is not found"); /* kubectl */
}

static void filter_string_against_int_is_error(void **state)
{
    (void)state;
    /* kubectl */
    assert_exec_error("{.spec.items[?(@.v==\"x\")]}", "incompatible types for comparison");
}

static void filter_int_against_float_is_error(void **state)
{
    (void)state;
    /* kubectl: the document's int64 against the template's float64 */
    assert_exec_error("{.spec.items[?(@.v==2.0)].name}", "incompatible types for comparison");
}

static void filter_ordering_bools_is_error(void **state)
{
    (void)state;
    assert_exec_error("{.spec.items[?(@.t<true)].name}",
                      "invalid type for comparison"); /* kubectl */
}

static void filter_on_map_is_error(void **state)
{
    (void)state;
    /* kubectl: the map printed as Go's %v */
    assert_exec_error("{.spec.m[?(@.a)]}",
                      "map[a:x<y b:2 c:[1 2]] is not array or slice and cannot be filtered");
}

static void filter_on_null_is_error(void **state)
{
    (void)state;
    /* kubectl */
    assert_exec_error("{.spec.n[?(@.a)]}", "<nil> is not array or slice and cannot be filtered");
}

static void filter_unknown_operator_is_error(void **state)
{
    (void)state;
    assert_exec_error("{.spec.items[?(@.v=1)].name}",
                      "unrecognized filter operator ="); /* kubectl */
}

static void filter_operator_must_be_known_characters(void **state)
{
    (void)state;
    /* kubectl */
    assert_parse_error("{.spec.items[?(@.v=~1)]}", "unrecognized character in action: U+007E '~'");
}

/* ---- literals ---- */

static void quoted_tab_and_newline(void **state)
{
    (void)state;
    assert_prints("{\"\\t\"}x{\"\\n\"}", "\tx\n"); /* kubectl */
}

static void quoted_string_go_escapes(void **state)
{
    (void)state;
    assert_prints("{\"a\\x41\\101\\u00e9\"}", "aAA\xc3\xa9"); /* kubectl */
}

static void single_quoted_literal_with_escaped_quote(void **state)
{
    (void)state;
    assert_prints("{'it\\'s'}", "it's"); /* kubectl */
}

static void number_and_bool_literals(void **state)
{
    (void)state;
    /* kubectl */
    assert_prints("{-3} {+4} {1.} {+.5} {99999999999999999999} {1.50} {true}",
                  "-3 4 1 0.5 1e+20 1.5 true");
}

static void later_literal_in_action_wins(void **state)
{
    (void)state;
    assert_prints("{\"x\" \"y\"}", "y"); /* kubectl */
}

/* ---- missing keys and identifiers ---- */

static void missing_key_prints_nothing_when_allowed(void **state)
{
    (void)state;
    assert_prints("{.spec.nope}", ""); /* kubectl */
}

static void missing_key_is_error_when_strict(void **state)
{
    (void)state;
    assert_strict_error("{.spec.nope}", "nope is not found"); /* kubectl */
}

static void missing_parent_reports_first_missing_key(void **state)
{
    (void)state;
    assert_strict_error("{.spec.n.x}", "x is not found"); /* kubectl */
}

static void unknown_identifier_is_error(void **state)
{
    (void)state;
    assert_exec_error("{foo}", "unrecognized identifier foo"); /* kubectl */
}

static void non_latin_letter_starts_an_identifier(void **state)
{
    (void)state;
    /* U+1200 is a letter to Go's unicode.IsLetter */
    assert_exec_error("{\xe1\x88\x80}", "unrecognized identifier \xe1\x88\x80"); /* kubectl */
}

static void combining_mark_is_unrecognized(void **state)
{
    (void)state;
    /* U+0345 is a mark, neither letter nor digit */
    assert_parse_error("{\xcd\x85}",
                       "unrecognized character in action: U+0345 '\xcd\x85'"); /* kubectl */
}

static void failed_run_leaves_output_untouched(void **state)
{
    (void)state;
    struct buf out = BUF_INIT;
    struct err e = {{0}};
    assert_int_equal(buf_adds(&out, "keep"), 0);
    assert_int_equal(run_on(DOC, "{.spec.s}{.spec.items[9]}", 1, &out, &e), -1);
    assert_string_equal(buf_str(&out), "keep");
    buf_fini(&out);
}

/* ---- parse errors, worded as kubectl ---- */

static void unclosed_action(void **state)
{
    (void)state;
    assert_parse_error("{.a", "unclosed action");    /* kubectl */
    assert_parse_error("x{", "unclosed action");     /* kubectl */
    assert_parse_error("{.a\n}", "unclosed action"); /* kubectl */
}

static void unrecognized_character(void **state)
{
    (void)state;
    assert_parse_error("{#}", "unrecognized character in action: U+0023 '#'"); /* kubectl */
}

static void tab_in_action_is_unrecognized(void **state)
{
    (void)state;
    assert_parse_error("{\t.a}", "unrecognized character in action: U+0009"); /* kubectl */
}

static void non_ascii_symbol_is_unrecognized(void **state)
{
    (void)state;
    /* kubectl */
    assert_parse_error("{\xe2\x82\xac}", "unrecognized character in action: U+20AC '\xe2\x82\xac'");
}

static void multiple_recursive_descent(void **state)
{
    (void)state;
    assert_parse_error("{....a}", "invalid multiple recursive descent"); /* kubectl */
}

static void bad_number(void **state)
{
    (void)state;
    assert_parse_error("{1.2.3}", "cannot parse number 1.2.3"); /* kubectl */
}

static void unterminated_array(void **state)
{
    (void)state;
    assert_parse_error("{.a[1}", "unterminated array"); /* kubectl */
}

static void invalid_array_index(void **state)
{
    (void)state;
    assert_parse_error("{.a[x]}", "invalid array index x"); /* kubectl */
}

static void array_index_too_large(void **state)
{
    (void)state;
    /* kubectl */
    assert_parse_error("{.a[99999999999999999999]}",
                       "array index 99999999999999999999 is not a number");
    assert_parse_error("{.a[-]}", "array index - is not a number"); /* kubectl */
}

static void unterminated_filter(void **state)
{
    (void)state;
    assert_parse_error("{.a[?(@.b}", "unterminated filter"); /* kubectl */
}

static void filter_without_closing_bracket(void **state)
{
    (void)state;
    assert_parse_error("{.a[?(@.b)x}", "unclosed array expect ]"); /* kubectl */
}

static void unterminated_quoted_string(void **state)
{
    (void)state;
    assert_parse_error("{\"abc}", "unterminated quoted string");     /* kubectl */
    assert_parse_error("{\"a\\\\\"}", "unterminated quoted string"); /* kubectl: "a\\" */
}

static void bad_escape_in_quoted_string(void **state)
{
    (void)state;
    /* kubectl */
    assert_parse_error("{\"a\\qb\"}", "unquote string \"a\\qb\" error invalid syntax");
}

/* ---- kubectl's printer messages ---- */

static void parse_error_text_matches_kubectl(void **state)
{
    (void)state;
    struct buf out = BUF_INIT;
    assert_int_equal(jsonpath_parse_error_text("{.a", "unclosed action", &out), 0);
    /* kubectl: "error: " + this + "\n" */
    assert_string_equal(buf_str(&out), "error parsing jsonpath {.a, unclosed action");
    buf_fini(&out);
}

static void exec_error_text_matches_kubectl(void **state)
{
    (void)state;
    json_t *d = load(ODD);
    struct buf out = BUF_INIT;
    assert_int_equal(jsonpath_exec_error_text("{.nope}", "nope is not found", d, &out), 0);
    /* kubectl, after "error: " */
    assert_string_equal(
        buf_str(&out),
        "error executing jsonpath \"{.nope}\": Error executing template: nope is not found. "
        "Printing more information for debugging the template:\n"
        "\ttemplate was:\n\t\t{.nope}\n"
        "\tobject given to jsonpath engine was:\n"
        "\t\tmap[string]interface {}{\"apiVersion\":\"v1\", \"kind\":\"ConfigMap\", "
        "\"metadata\":map[string]interface {}{\"labels\":map[string]interface {}{\"x\":\"y\"}, "
        "\"name\":\"cm\"}, \"spec\":map[string]interface {}{\"a\":[]interface {}{1, \"x\", "
        "interface {}(nil), map[string]interface {}{\"k\":[]interface {}{}}}, "
        "\"e\":[]interface {}{}, \"eo\":map[string]interface {}{}, \"f\":1.5, \"g\":1e+21, "
        "\"i\":-7, \"n\":interface {}(nil), "
        "\"s\":\"q\\\"\\\\\\n\\t\\x01\xc3\xa9\\u2028<\", \"t\":false}}\n\n\n");
    buf_fini(&out);
    json_decref(d);
}

static void exec_error_text_quotes_template(void **state)
{
    (void)state;
    json_t *d = load("{}");
    struct buf out = BUF_INIT;
    assert_int_equal(jsonpath_exec_error_text("{.a[?(@.v==\"x\")]}", "m", d, &out), 0);
    /* kubectl: %q in the first line, raw in the second */
    assert_string_equal(buf_str(&out),
                        "error executing jsonpath \"{.a[?(@.v==\\\"x\\\")]}\": Error executing "
                        "template: m. Printing more information for debugging the template:\n"
                        "\ttemplate was:\n\t\t{.a[?(@.v==\"x\")]}\n"
                        "\tobject given to jsonpath engine was:\n"
                        "\t\tmap[string]interface {}{}\n\n\n");
    buf_fini(&out);
    json_decref(d);
}

/* ---- ferry's own bounds ---- */

/* [[[...[0]...]]], <depth> arrays deep. */
static json_t *nested_arrays(int depth)
{
    json_t *v = json_integer(0);
    for (int i = 0; i < depth; i++) {
        json_t *a = json_array();
        assert_non_null(a);
        assert_int_equal(json_array_append_new(a, v), 0);
        v = a;
    }
    return v;
}

static void step_bound_stops_runaway_templates(void **state)
{
    (void)state;
    /* Each {range ..} runs the rest once per value below the current one:
     * eight levels over 30 nested arrays are ~C(37,8) runs of the body.
     * kubectl was still running it after 20 s. */
    json_t *d = nested_arrays(30);
    struct err e = {{0}};
    struct buf out = BUF_INIT;
    struct jsonpath *jp = jsonpath_parse("{range ..}{range ..}{range ..}{range ..}"
                                         "{range ..}{range ..}{range ..}{range ..}"
                                         "{end}{end}{end}{end}{end}{end}{end}{end}",
                                         &e);
    assert_non_null(jp);
    jsonpath_set_max_steps(jp, 10000);
    assert_int_equal(jsonpath_exec(jp, d, 1, &out, &e), -1);
    assert_string_equal(e.msg, "jsonpath evaluation exceeds 10000 steps");
    assert_int_equal(out.len, 0);
    jsonpath_free(jp);
    json_decref(d);
}

static void step_bound_counts_values_recursion_skips(void **state)
{
    (void)state;
    /* {..} prints only the array, but looks at each of its 1000 numbers. */
    json_t *d = json_array();
    assert_non_null(d);
    for (int i = 0; i < 1000; i++)
        assert_int_equal(json_array_append_new(d, json_integer(i)), 0);
    struct err e = {{0}};
    struct buf out = BUF_INIT;
    struct jsonpath *jp = jsonpath_parse("{..}", &e);
    assert_non_null(jp);
    jsonpath_set_max_steps(jp, 500);
    assert_int_equal(jsonpath_exec(jp, d, 1, &out, &e), -1);
    assert_string_equal(e.msg, "jsonpath evaluation exceeds 500 steps");
    assert_int_equal(out.len, 0);
    jsonpath_set_max_steps(jp, 2000);
    assert_int_equal(jsonpath_exec(jp, d, 1, &out, &e), 0);
    assert_int_equal(out.len, 3891); /* "[0,1,...,999]" */
    jsonpath_free(jp);
    buf_fini(&out);
    json_decref(d);
}

static void output_cap_is_an_error(void **state)
{
    (void)state;
    struct buf out;
    struct err e = {{0}};
    buf_init(&out, 8);
    assert_int_equal(run_on(DOC, "{.spec.m}", 1, &out, &e), -1);
    assert_string_equal(e.msg, "jsonpath output exceeds 8 bytes");
    assert_int_equal(out.len, 0);
    buf_fini(&out);
}

static void free_accepts_null(void **state)
{
    (void)state;
    jsonpath_free(NULL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(template_without_braces_is_literal_text),
        cmocka_unit_test(text_around_actions_is_kept),
        cmocka_unit_test(backslash_n_in_text_is_not_an_escape),
        cmocka_unit_test(lone_closing_brace_is_text),
        cmocka_unit_test(dollar_and_at_are_the_root),
        cmocka_unit_test(root_prints_as_json_with_sorted_keys),
        cmocka_unit_test(spaces_inside_action_are_ignored),
        cmocka_unit_test(string_prints_raw),
        cmocka_unit_test(map_prints_as_compact_json_with_sorted_keys),
        cmocka_unit_test(array_prints_as_json),
        cmocka_unit_test(null_prints_as_null),
        cmocka_unit_test(empty_array_and_map_print_as_json),
        cmocka_unit_test(numbers_and_bools_print_plain),
        cmocka_unit_test(floats_print_as_go_v),
        cmocka_unit_test(floats_next_to_a_power_of_two_print_shortest),
        cmocka_unit_test(several_results_are_separated_by_one_space),
        cmocka_unit_test(separate_actions_are_not_separated),
        cmocka_unit_test(mixed_results_print_each_by_its_kind),
        cmocka_unit_test(bracket_key_selects_field),
        cmocka_unit_test(bracket_key_with_dot_is_read_as_path),
        cmocka_unit_test(escaped_dot_stays_in_field_name),
        cmocka_unit_test(bracket_key_with_space_is_an_identifier),
        cmocka_unit_test(double_quoted_bracket_key_is_rejected),
        cmocka_unit_test(index_selects_element),
        cmocka_unit_test(negative_index_counts_from_end),
        cmocka_unit_test(slice_selects_half_open_range),
        cmocka_unit_test(slice_with_step_skips),
        cmocka_unit_test(slice_with_negative_end),
        cmocka_unit_test(empty_slice_prints_nothing),
        cmocka_unit_test(empty_brackets_mean_index_zero),
        cmocka_unit_test(index_out_of_bounds_is_error),
        cmocka_unit_test(negative_index_out_of_bounds_is_error),
        cmocka_unit_test(slice_end_out_of_bounds_is_error),
        cmocka_unit_test(slice_start_after_end_is_error),
        cmocka_unit_test(slice_step_zero_is_error),
        cmocka_unit_test(index_on_string_is_error),
        cmocka_unit_test(index_on_map_names_go_type),
        cmocka_unit_test(index_on_null_is_skipped),
        cmocka_unit_test(dot_star_lists_map_values_in_stored_order),
        cmocka_unit_test(dot_star_on_string_prints_its_bytes),
        cmocka_unit_test(recursive_descent_finds_every_name),
        cmocka_unit_test(recursive_descent_lists_containers_parent_first),
        cmocka_unit_test(recursive_descent_then_star_is_rejected),
        cmocka_unit_test(union_of_indexes),
        cmocka_unit_test(union_of_keys_groups_by_key),
        cmocka_unit_test(union_member_may_be_filter),
        cmocka_unit_test(range_over_items_prints_each_name),
        cmocka_unit_test(range_body_mixes_fields_and_literals),
        cmocka_unit_test(text_after_end_prints_once),
        cmocka_unit_test(nested_ranges),
        cmocka_unit_test(range_over_map_runs_once),
        cmocka_unit_test(range_over_null_item_prints_no_value),
        cmocka_unit_test(range_over_nothing_still_checks_its_body),
        cmocka_unit_test(range_without_end_runs_rest_again_on_root),
        cmocka_unit_test(double_range_consumes_first_item),
        cmocka_unit_test(end_outside_range_is_error),
        cmocka_unit_test(extra_end_after_range_is_error),
        cmocka_unit_test(filter_equal_string),
        cmocka_unit_test(filter_equal_single_quoted_string),
        cmocka_unit_test(filter_not_equal),
        cmocka_unit_test(filter_less_and_greater),
        cmocka_unit_test(filter_less_equal_and_greater_equal),
        cmocka_unit_test(filter_compares_strings_bytewise),
        cmocka_unit_test(filter_on_float_field),
        cmocka_unit_test(filter_existence),
        cmocka_unit_test(filter_skips_items_missing_the_field),
        cmocka_unit_test(filter_missing_field_is_error_when_strict),
        cmocka_unit_test(filter_string_against_int_is_error),
        cmocka_unit_test(filter_int_against_float_is_error),
        cmocka_unit_test(filter_ordering_bools_is_error),
        cmocka_unit_test(filter_on_map_is_error),
        cmocka_unit_test(filter_on_null_is_error),
        cmocka_unit_test(filter_unknown_operator_is_error),
        cmocka_unit_test(filter_operator_must_be_known_characters),
        cmocka_unit_test(quoted_tab_and_newline),
        cmocka_unit_test(quoted_string_go_escapes),
        cmocka_unit_test(single_quoted_literal_with_escaped_quote),
        cmocka_unit_test(number_and_bool_literals),
        cmocka_unit_test(later_literal_in_action_wins),
        cmocka_unit_test(missing_key_prints_nothing_when_allowed),
        cmocka_unit_test(missing_key_is_error_when_strict),
        cmocka_unit_test(missing_parent_reports_first_missing_key),
        cmocka_unit_test(unknown_identifier_is_error),
        cmocka_unit_test(non_latin_letter_starts_an_identifier),
        cmocka_unit_test(combining_mark_is_unrecognized),
        cmocka_unit_test(failed_run_leaves_output_untouched),
        cmocka_unit_test(unclosed_action),
        cmocka_unit_test(unrecognized_character),
        cmocka_unit_test(tab_in_action_is_unrecognized),
        cmocka_unit_test(non_ascii_symbol_is_unrecognized),
        cmocka_unit_test(multiple_recursive_descent),
        cmocka_unit_test(bad_number),
        cmocka_unit_test(unterminated_array),
        cmocka_unit_test(invalid_array_index),
        cmocka_unit_test(array_index_too_large),
        cmocka_unit_test(unterminated_filter),
        cmocka_unit_test(filter_without_closing_bracket),
        cmocka_unit_test(unterminated_quoted_string),
        cmocka_unit_test(bad_escape_in_quoted_string),
        cmocka_unit_test(parse_error_text_matches_kubectl),
        cmocka_unit_test(exec_error_text_matches_kubectl),
        cmocka_unit_test(exec_error_text_quotes_template),
        cmocka_unit_test(step_bound_stops_runaway_templates),
        cmocka_unit_test(step_bound_counts_values_recursion_skips),
        cmocka_unit_test(output_cap_is_an_error),
        cmocka_unit_test(free_accepts_null),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
