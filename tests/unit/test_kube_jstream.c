/* The incremental JSON splitter (kube/jstream.c) and the watch event decoder
 * built on it (kube/api.c). The central property: whatever the pieces the
 * input arrives in, the same values come out. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "core/buf.h"
#include "kube/api.h"
#include "kube/jstream.h"

/* Collects "key|elem|value" lines. */
struct got {
    struct buf log;
    int stop_after; /* 0: never */
    int calls;
};

static int collect(void *arg, const char *key, int elem, const char *p, size_t n)
{
    struct got *g = arg;
    g->calls++;
    buf_addf(&g->log, "%s|%d|%.*s\n", key ? key : "-", elem, (int)n, p);
    return g->stop_after && g->calls >= g->stop_after ? -1 : 0;
}

static const char *const SPLIT[] = {"items", "rows", NULL};

/* Feeds <in> in pieces of <step> bytes (0: all at once); returns the log
 * (caller frees) or NULL when the splitter failed. */
static char *split(enum jstream_mode mode, const char *in, size_t step, int *finish_rc)
{
    struct got g = {BUF_INIT, 0, 0};
    struct jstream s;
    jstream_init(&s, mode, SPLIT, 0, collect, &g);
    size_t len = strlen(in);
    int rc = 0;
    for (size_t i = 0; i < len && rc == 0;) {
        size_t n = step && step < len - i ? step : len - i;
        rc = jstream_feed(&s, in + i, n);
        i += n;
    }
    int frc = rc == 0 ? jstream_finish(&s) : -1;
    if (finish_rc)
        *finish_rc = frc;
    jstream_fini(&s);
    if (rc != 0) {
        buf_fini(&g.log);
        return NULL;
    }
    return buf_take(&g.log);
}

static const char LIST[] =
    "{\"kind\":\"ConfigMapList\",\"apiVersion\":\"v1\",\"metadata\":{\"resourceVersion\":\"7\","
    "\"continue\":\"abc\"},\n \"items\": [ {\"metadata\":{\"name\":\"a\"},\"data\":{\"k\":\"} ] "
    "\\\" {\"}}, {\"metadata\":{\"name\":\"b\"},\"data\":{\"x\":[1,2,{\"y\":null}]}} ], "
    "\"extra\": -1.5e3 , \"t\":true}";

static const char LIST_WANT[] =
    "kind|0|\"ConfigMapList\"\n"
    "apiVersion|0|\"v1\"\n"
    "metadata|0|{\"resourceVersion\":\"7\",\"continue\":\"abc\"}\n"
    "items|1|{\"metadata\":{\"name\":\"a\"},\"data\":{\"k\":\"} ] \\\" {\"}}\n"
    "items|1|{\"metadata\":{\"name\":\"b\"},\"data\":{\"x\":[1,2,{\"y\":null}]}}\n"
    "items|2|\n"
    "extra|0|-1.5e3\n"
    "t|0|true\n";

static void list_items_come_out_one_by_one(void **state)
{
    (void)state;
    int frc;
    char *got = split(JSTREAM_OBJECT, LIST, 0, &frc);
    assert_non_null(got);
    assert_string_equal(got, LIST_WANT);
    assert_int_equal(frc, 0);
    free(got);
}

static void list_split_anywhere_gives_the_same_items(void **state)
{
    (void)state;
    for (size_t step = 1; step <= 17; step++) {
        int frc;
        char *got = split(JSTREAM_OBJECT, LIST, step, &frc);
        assert_non_null(got);
        assert_string_equal(got, LIST_WANT);
        assert_int_equal(frc, 0);
        free(got);
    }
}

static void table_rows_are_split_too(void **state)
{
    (void)state;
    char *got = split(JSTREAM_OBJECT,
                      "{\"kind\":\"Table\",\"columnDefinitions\":[{\"name\":\"Name\"}],"
                      "\"rows\":[{\"cells\":[\"a\"]},{\"cells\":[\"b\"]}]}",
                      3, NULL);
    assert_non_null(got);
    assert_string_equal(got, "kind|0|\"Table\"\n"
                             "columnDefinitions|0|[{\"name\":\"Name\"}]\n"
                             "rows|1|{\"cells\":[\"a\"]}\n"
                             "rows|1|{\"cells\":[\"b\"]}\n"
                             "rows|2|\n");
    free(got);
}

static void empty_items_and_empty_object(void **state)
{
    (void)state;
    char *got = split(JSTREAM_OBJECT, "{\"items\":[]}", 1, NULL);
    assert_string_equal(got, "items|2|\n");
    free(got);
    got = split(JSTREAM_OBJECT, " {} ", 1, NULL);
    assert_string_equal(got, "");
    free(got);
}

static void values_mode_splits_a_stream_of_objects(void **state)
{
    (void)state;
    const char *in = "{\"type\":\"ADDED\",\"object\":{\"a\":\"}\\n{\"}}\n{\"type\":\"DELETED\","
                     "\"object\":{}}\r\n  {\"x\":1}";
    for (size_t step = 0; step <= 9; step++) {
        int frc;
        char *got = split(JSTREAM_VALUES, in, step, &frc);
        assert_non_null(got);
        assert_string_equal(got, "-|0|{\"type\":\"ADDED\",\"object\":{\"a\":\"}\\n{\"}}\n"
                                 "-|0|{\"type\":\"DELETED\",\"object\":{}}\n"
                                 "-|0|{\"x\":1}\n");
        assert_int_equal(frc, 0);
        free(got);
    }
}

static void truncated_input_is_reported_at_finish(void **state)
{
    (void)state;
    int frc;
    char *got = split(JSTREAM_VALUES, "{\"type\":\"ADDED\"}{\"type\":", 0, &frc);
    assert_non_null(got);
    assert_string_equal(got, "-|0|{\"type\":\"ADDED\"}\n");
    assert_int_equal(frc, -1);
    free(got);
    got = split(JSTREAM_OBJECT, "{\"items\":[{}", 0, &frc);
    assert_int_equal(frc, -1);
    free(got);
}

static void malformed_input_fails(void **state)
{
    (void)state;
    static const char *const bad_values[] = {"[1]", "x", "}", "{\"a\":\"\x01\"}", "{]]"};
    for (size_t i = 0; i < sizeof bad_values / sizeof bad_values[0]; i++)
        assert_null(split(JSTREAM_VALUES, bad_values[i], 1, NULL));
    static const char *const bad_objects[] = {
        "[]",   "{\"a\" 1}", "{\"a\":1 \"b\":2}", "{\"items\":[1 2]}",
        "{} x", "{1:2}",     "{\"items\":[}"};
    for (size_t i = 0; i < sizeof bad_objects / sizeof bad_objects[0]; i++)
        assert_null(split(JSTREAM_OBJECT, bad_objects[i], 1, NULL));
}

static void a_value_over_the_bound_fails(void **state)
{
    (void)state;
    struct got g = {BUF_INIT, 0, 0};
    struct jstream s;
    jstream_init(&s, JSTREAM_VALUES, NULL, 16, collect, &g);
    assert_int_equal(jstream_feed(&s, "{\"a\":\"0123\"}", 12), 0);
    assert_int_equal(jstream_feed(&s, "{\"a\":\"0123456789abcdef\"}", 24), -1);
    assert_non_null(strstr(s.err, "too large"));
    assert_int_equal(jstream_feed(&s, "{}", 2), -1); /* stays failed */
    jstream_fini(&s);
    buf_fini(&g.log);
}

static void callback_can_stop_the_stream(void **state)
{
    (void)state;
    struct got g = {BUF_INIT, 2, 0};
    struct jstream s;
    jstream_init(&s, JSTREAM_VALUES, NULL, 0, collect, &g);
    assert_int_equal(jstream_feed(&s, "{}{}{}", 6), -2);
    assert_int_equal(g.calls, 2);
    jstream_fini(&s);
    buf_fini(&g.log);
}

static void reset_forgets_partial_input(void **state)
{
    (void)state;
    struct got g = {BUF_INIT, 0, 0};
    struct jstream s;
    jstream_init(&s, JSTREAM_OBJECT, SPLIT, 0, collect, &g);
    assert_int_equal(jstream_feed(&s, "{\"items\":[{\"a\":", 15), 0);
    jstream_reset(&s);
    assert_int_equal(jstream_feed(&s, "{\"items\":[{\"b\":2}]}", 19), 0);
    assert_int_equal(jstream_finish(&s), 0);
    assert_string_equal(buf_str(&g.log), "items|1|{\"b\":2}\nitems|2|\n");
    jstream_fini(&s);
    buf_fini(&g.log);
}

/* ---- the watch decoder ---- */

struct evs {
    struct buf log;
    int stop_at;
    int n;
};

static int on_ev(void *arg, const char *type, json_t *obj)
{
    struct evs *v = arg;
    v->n++;
    const char *name = json_string_value(json_object_get(json_object_get(obj, "metadata"), "name"));
    buf_addf(&v->log, "%s %s;", type, name ? name : "-");
    return v->stop_at && v->n >= v->stop_at ? 1 : 0;
}

static const char EVENTS[] =
    "{\"type\":\"ADDED\",\"object\":{\"kind\":\"ConfigMap\",\"metadata\":{\"name\":\"a\"}}}\n"
    "{\"type\":\"BOOKMARK\",\"object\":{\"kind\":\"ConfigMap\",\"metadata\":{\"resourceVersion\":"
    "\"9\"}}}\n"
    "{\"type\":\"MODIFIED\",\"object\":{\"metadata\":{\"name\":\"a\",\"labels\":{\"x\":\"\\u00e9\"}"
    "}}}\n"
    "{\"type\":\"DELETED\",\"object\":{\"metadata\":{\"name\":\"a\"}}}\n";

static void watch_decoder_gives_events_whatever_the_chunking(void **state)
{
    (void)state;
    size_t len = strlen(EVENTS);
    for (size_t step = 1; step <= len; step += (step < 40 ? 1 : 37)) {
        struct evs v = {BUF_INIT, 0, 0};
        struct kube_watch_decoder *d = kube_watch_decoder_new(on_ev, &v);
        assert_non_null(d);
        struct err e;
        for (size_t i = 0; i < len; i += step) {
            size_t n = step < len - i ? step : len - i;
            assert_int_equal(kube_watch_decoder_feed(d, EVENTS + i, n, NULL, &e), 0);
        }
        assert_int_equal(kube_watch_decoder_finish(d, &e), 0);
        assert_string_equal(buf_str(&v.log), "ADDED a;BOOKMARK -;MODIFIED a;DELETED a;");
        kube_watch_decoder_free(d);
        buf_fini(&v.log);
    }
}

static void watch_event_without_type_or_object_is_an_error(void **state)
{
    (void)state;
    static const char *const bad[] = {"{\"object\":{}}", "{\"type\":\"ADDED\"}",
                                      "{\"type\":\"ADDED\",\"object\":[]}",
                                      "{\"type\":\"ADDED\",\"object\":{\"a\":tru}}"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        struct evs v = {BUF_INIT, 0, 0};
        struct kube_watch_decoder *d = kube_watch_decoder_new(on_ev, &v);
        struct err e;
        assert_int_equal(kube_watch_decoder_feed(d, bad[i], strlen(bad[i]), NULL, &e), -1);
        assert_int_equal(v.n, 0);
        kube_watch_decoder_free(d);
        buf_fini(&v.log);
    }
}

static void watch_decoder_stops_when_the_handler_says_so(void **state)
{
    (void)state;
    struct evs v = {BUF_INIT, 2, 0};
    struct kube_watch_decoder *d = kube_watch_decoder_new(on_ev, &v);
    struct err e;
    int cb = 0;
    assert_int_equal(kube_watch_decoder_feed(d, EVENTS, strlen(EVENTS), &cb, &e), -1);
    assert_int_equal(cb, 1);
    assert_int_equal(v.n, 2);
    kube_watch_decoder_reset(d);
    v.stop_at = 0;
    assert_int_equal(kube_watch_decoder_feed(d, EVENTS, strlen(EVENTS), &cb, &e), 0);
    assert_int_equal(v.n, 6);
    kube_watch_decoder_free(d);
    buf_fini(&v.log);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(list_items_come_out_one_by_one),
        cmocka_unit_test(list_split_anywhere_gives_the_same_items),
        cmocka_unit_test(table_rows_are_split_too),
        cmocka_unit_test(empty_items_and_empty_object),
        cmocka_unit_test(values_mode_splits_a_stream_of_objects),
        cmocka_unit_test(truncated_input_is_reported_at_finish),
        cmocka_unit_test(malformed_input_fails),
        cmocka_unit_test(a_value_over_the_bound_fails),
        cmocka_unit_test(callback_can_stop_the_stream),
        cmocka_unit_test(reset_forgets_partial_input),
        cmocka_unit_test(watch_decoder_gives_events_whatever_the_chunking),
        cmocka_unit_test(watch_event_without_type_or_object_is_an_error),
        cmocka_unit_test(watch_decoder_stops_when_the_handler_says_so),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
