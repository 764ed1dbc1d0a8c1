/* kubectl's table printer: rows of cells aligned into columns exactly as
 * kubectl aligns them, byte for byte.
 *
 * kubectl prints "cell\tcell\t...\n" into a tabwriter (k8s.io/cli-runtime
 * printers.GetNewTabWriter: github.com/liggitt/tabwriter, a fork of Go's
 * text/tabwriter, with minwidth 6, tabwidth 4, padding 3, padchar ' ' and the
 * RememberWidths flag). This module does the same, with the same algorithm:
 *
 * - A column is a run of consecutive lines that have a cell at that index
 *   which is not their last cell; a line with fewer cells ends the run, and
 *   the next run is sized on its own ("elastic tabstops").
 * - A run's width is max(6, widest cell + 3), and never less than any earlier
 *   run's width at the same index (RememberWidths).
 * - Cells are left-aligned and padded with spaces; the last cell of a line is
 *   never padded (so an empty last cell leaves the padding of the cell before
 *   it at the end of the line, as `kubectl config get-contexts` shows).
 * - Width is counted in runes (UTF-8 code points; each invalid byte counts
 *   one), not bytes and not terminal columns.
 *
 * A cell's text is copied as kubectl would print it: a tab or vertical tab in
 * it ends the cell, a newline ends the line, a form feed ends the line and
 * every column, and 0xff bytes bracket text in which those are not special.
 * Callers that want a single cell must clean such characters themselves.
 *
 * Functions return 0 or -ENOMEM. A table is not thread-safe. */
#ifndef FERRY_CORE_TABLE_H
#define FERRY_CORE_TABLE_H

#include "core/buf.h"

struct table;

/* Returns an empty table, or NULL when out of memory. */
struct table *table_new(void);
/* Frees <t>; NULL is allowed. */
void table_free(struct table *t);

/* Appends a copy of <cell> to the current row; NULL is an empty cell. */
int table_add(struct table *t, const char *cell);
/* Same with printf formatting. */
int table_addf(struct table *t, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Ends the current row; a row with no cells is an empty line. */
int table_end_row(struct table *t);

/* Appends the aligned text to <out>, every row ending in "\n". Cells added
 * after the last table_end_row form a final row. The table is unchanged and
 * may be rendered again. On failure <out> holds what it held before. */
int table_render(const struct table *t, struct buf *out);

#endif
