/* Expected texts marked "kubectl" are the bytes `kubectl config get-contexts`
 * (kubectl 1.32) printed for a kubeconfig holding the same cells. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "core/buf.h"
#include "core/table.h"

/* Adds rows given as NULL-terminated cell lists, a NULL row ending them. */
static struct table *table_of(const char *const *const *rows)
{
    struct table *t = table_new();
    assert_non_null(t);
    for (; *rows; rows++) {
        for (const char *const *c = *rows; *c; c++)
            assert_int_equal(table_add(t, *c), 0);
        assert_int_equal(table_end_row(t), 0);
    }
    return t;
}

static void assert_renders(const char *const *const *rows, const char *want)
{
    struct table *t = table_of(rows);
    struct buf out = BUF_INIT;
    assert_int_equal(table_render(t, &out), 0);
    assert_string_equal(buf_str(&out), want);
    assert_int_equal(out.len, strlen(want));
    buf_fini(&out);
    table_free(t);
}

#define ROW(...) ((const char *const[]){__VA_ARGS__, NULL})
#define ROWS(...) ((const char *const *const[]){__VA_ARGS__, NULL})
#define HEADER ROW("CURRENT", "NAME", "CLUSTER", "AUTHINFO", "NAMESPACE")

static void get_contexts_matches_kubectl(void **state)
{
    (void)state;
    /* kubectl; lines kept whole so they can be compared by eye. */
    /* clang-format off */
    static const char want[] =
        "CURRENT   NAME                         CLUSTER                    AUTHINFO                   NAMESPACE\n"
        "          a-much-longer-context-name   a-very-long-cluster-name   some-user-with-long-name   \n"
        "*         short                        c1                         u1                         kube-system\n"
        "          ünïcødé                      c1                         u1                         \n";
    /* clang-format on */
    assert_renders(ROWS(HEADER,
                        ROW(" ", "a-much-longer-context-name", "a-very-long-cluster-name",
                            "some-user-with-long-name", ""),
                        ROW("*", "short", "c1", "u1", "kube-system"),
                        ROW(" ", "ünïcødé", "c1", "u1", "")),
                   want);
}

static void last_column_is_not_padded(void **state)
{
    (void)state;
    assert_renders(ROWS(ROW("a", "bb"), ROW("ccc", "d")), "a     bb\n"
                                                          "ccc   d\n");
}

static void empty_last_cell_keeps_padding_before_it(void **state)
{
    (void)state;
    /* kubectl, --no-headers: the empty NAMESPACE leaves AUTHINFO's padding. */
    assert_renders(ROWS(ROW("*", "a", "b", "c", "d"), ROW(" ", "e", "f", "g", "")),
                   "*     a     b     c     d\n"
                   "      e     f     g     \n");
}

static void column_width_is_at_least_six(void **state)
{
    (void)state;
    /* kubectl's minwidth 6: one-letter cells plus padding 3 would give 4. */
    assert_renders(ROWS(ROW("a", "b", "c")), "a     b     c\n");
}

static void column_is_padded_by_three_past_widest_cell(void **state)
{
    (void)state;
    assert_renders(ROWS(ROW("abcdefgh", "1"), ROW("ab", "2")), "abcdefgh   1\n"
                                                               "ab         2\n");
}

static void column_width_counts_runes(void **state)
{
    (void)state;
    /* 7 runes in 11 bytes pads like 7 ASCII letters. */
    assert_renders(ROWS(ROW("ünïcødé", "1"), ROW("abcdefg", "2")), "ünïcødé   1\n"
                                                                   "abcdefg   2\n");
}

static void invalid_utf8_byte_counts_as_one_rune(void **state)
{
    (void)state;
    /* Go's utf8.RuneCount: a truncated sequence is one rune per byte. */
    assert_renders(ROWS(ROW("\xe2\x82", "1"), ROW("abcd", "2")), "\xe2\x82     1\n"
                                                                 "abcd   2\n");
}

static void shorter_line_ends_column_block(void **state)
{
    (void)state;
    /* The one-cell line ends the first column's block, so the wide cell
     * below does not widen the row above. */
    assert_renders(ROWS(ROW("a", "1"), ROW("x"), ROW("bbbbbbbbbb", "2")), "a     1\n"
                                                                          "x\n"
                                                                          "bbbbbbbbbb   2\n");
}

static void later_block_keeps_wider_earlier_width(void **state)
{
    (void)state;
    /* RememberWidths: a block is never narrower than an earlier one at the
     * same column. */
    assert_renders(ROWS(ROW("bbbbbbbbbb", "1"), ROW("x"), ROW("a", "2")), "bbbbbbbbbb   1\n"
                                                                          "x\n"
                                                                          "a            2\n");
}

static void tabs_and_newlines_in_cells_match_kubectl(void **state)
{
    (void)state;
    /* kubectl, --no-headers, contexts "a", "longlonglonglonglonglong\nq" and
     * "x\ny\tz": the name's newline splits the row and its tab a cell. */
    assert_renders(ROWS(ROW("*", "a", "b", "c", "d"),
                        ROW(" ", "longlonglonglonglonglong\nq", "cccccccccccccccccc", "c", ""),
                        ROW(" ", "x\ny\tz", "bb", "c", "")),
                   "*     a     b     c     d\n"
                   "      longlonglonglonglonglong\n"
                   "q     cccccccccccccccccc   c     \n"
                   "      x\n"
                   "y     z                    bb    c     \n");
}

static void form_feed_ends_all_columns(void **state)
{
    (void)state;
    /* kubectl, context "a\fb": the form feed prints as a newline. */
    assert_renders(
        ROWS(HEADER, ROW(" ", "a\fb", "bbbbbbbbbbbbbbb", "c", ""), ROW("*", "c", "x", "yy", "")),
        "CURRENT   NAME   CLUSTER   AUTHINFO   NAMESPACE\n"
        "          a\n"
        "b         bbbbbbbbbbbbbbb   c         \n"
        "*         c                 x         yy         \n");
}

static void escaped_tab_stays_in_cell(void **state)
{
    (void)state;
    /* tabwriter.Escape brackets: the tab is text, the 0xff bytes are
     * printed but not counted. */
    assert_renders(ROWS(ROW("x\xff\t\xff", "1"), ROW("yyyyy", "2")), "x\xff\t\xff      1\n"
                                                                     "yyyyy   2\n");
}

static void open_row_is_rendered_as_last_row(void **state)
{
    (void)state;
    struct table *t = table_new();
    assert_non_null(t);
    assert_int_equal(table_add(t, "NAME"), 0);
    assert_int_equal(table_add(t, "AGE"), 0);
    assert_int_equal(table_end_row(t), 0);
    assert_int_equal(table_add(t, "web"), 0);
    assert_int_equal(table_add(t, "5d"), 0);
    struct buf out = BUF_INIT;
    assert_int_equal(table_render(t, &out), 0);
    assert_string_equal(buf_str(&out), "NAME   AGE\n"
                                       "web    5d\n");
    buf_fini(&out);
    table_free(t);
}

static void render_appends_and_leaves_table_unchanged(void **state)
{
    (void)state;
    struct table *t = table_of(ROWS(ROW("a", "b")));
    struct buf out = BUF_INIT;
    assert_int_equal(buf_adds(&out, "> "), 0);
    assert_int_equal(table_render(t, &out), 0);
    assert_int_equal(table_render(t, &out), 0);
    assert_string_equal(buf_str(&out), "> a     b\n"
                                       "a     b\n");
    buf_fini(&out);
    table_free(t);
}

static void empty_table_renders_nothing(void **state)
{
    (void)state;
    struct table *t = table_new();
    assert_non_null(t);
    struct buf out = BUF_INIT;
    assert_int_equal(table_render(t, &out), 0);
    assert_int_equal(out.len, 0);
    buf_fini(&out);
    table_free(t);
}

static void row_without_cells_is_empty_line(void **state)
{
    (void)state;
    struct table *t = table_new();
    assert_non_null(t);
    assert_int_equal(table_end_row(t), 0);
    assert_int_equal(table_add(t, "a"), 0);
    assert_int_equal(table_end_row(t), 0);
    struct buf out = BUF_INIT;
    assert_int_equal(table_render(t, &out), 0);
    assert_string_equal(buf_str(&out), "\na\n");
    buf_fini(&out);
    table_free(t);
}

static void null_cell_is_empty(void **state)
{
    (void)state;
    struct table *t = table_new();
    assert_non_null(t);
    assert_int_equal(table_add(t, NULL), 0);
    assert_int_equal(table_add(t, "x"), 0);
    assert_int_equal(table_end_row(t), 0);
    struct buf out = BUF_INIT;
    assert_int_equal(table_render(t, &out), 0);
    assert_string_equal(buf_str(&out), "      x\n");
    buf_fini(&out);
    table_free(t);
}

static void addf_formats_cell(void **state)
{
    (void)state;
    struct table *t = table_new();
    assert_non_null(t);
    assert_int_equal(table_addf(t, "%d/%d", 1, 2), 0);
    assert_int_equal(table_add(t, "Running"), 0);
    assert_int_equal(table_end_row(t), 0);
    struct buf out = BUF_INIT;
    assert_int_equal(table_render(t, &out), 0);
    assert_string_equal(buf_str(&out), "1/2   Running\n");
    buf_fini(&out);
    table_free(t);
}

static void render_reports_enomem_when_output_is_capped(void **state)
{
    (void)state;
    struct table *t = table_of(ROWS(ROW("aaaa", "bbbb"), ROW("c", "d")));
    struct buf out;
    buf_init(&out, 12);
    assert_int_equal(buf_adds(&out, "xy"), 0);
    assert_int_equal(table_render(t, &out), -ENOMEM);
    assert_string_equal(buf_str(&out), "xy");
    buf_fini(&out);
    table_free(t);
}

static void free_accepts_null(void **state)
{
    (void)state;
    table_free(NULL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(get_contexts_matches_kubectl),
        cmocka_unit_test(last_column_is_not_padded),
        cmocka_unit_test(empty_last_cell_keeps_padding_before_it),
        cmocka_unit_test(column_width_is_at_least_six),
        cmocka_unit_test(column_is_padded_by_three_past_widest_cell),
        cmocka_unit_test(column_width_counts_runes),
        cmocka_unit_test(invalid_utf8_byte_counts_as_one_rune),
        cmocka_unit_test(shorter_line_ends_column_block),
        cmocka_unit_test(later_block_keeps_wider_earlier_width),
        cmocka_unit_test(tabs_and_newlines_in_cells_match_kubectl),
        cmocka_unit_test(form_feed_ends_all_columns),
        cmocka_unit_test(escaped_tab_stays_in_cell),
        cmocka_unit_test(open_row_is_rendered_as_last_row),
        cmocka_unit_test(render_appends_and_leaves_table_unchanged),
        cmocka_unit_test(empty_table_renders_nothing),
        cmocka_unit_test(row_without_cells_is_empty_line),
        cmocka_unit_test(null_cell_is_empty),
        cmocka_unit_test(addf_formats_cell),
        cmocka_unit_test(render_reports_enomem_when_output_is_capped),
        cmocka_unit_test(free_accepts_null),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
