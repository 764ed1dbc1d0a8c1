#include "core/table.h"

#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

/* kubectl's tabwriter settings (cli-runtime printers/tabwriter.go). tabwidth
 * only matters when padding with tabs, which kubectl never does. */
#define MINWIDTH 6
#define PADDING 3

/* tabwriter.Escape: brackets text whose tabs and newlines are not special. */
#define ESCAPE '\xff'

struct table {
    /* The rows as kubectl would have written them into its tabwriter:
     * cells separated by '\t', rows ended by '\n'. Rendering parses this
     * stream, so cell text with tabs or newlines behaves as in kubectl. */
    struct buf text;
    size_t row_cells; /* cells in the row not yet ended */
};

struct table *table_new(void)
{
    struct table *t = calloc(1, sizeof *t);
    if (!t)
        return NULL;
    buf_init(&t->text, 0);
    return t;
}

void table_free(struct table *t)
{
    if (!t)
        return;
    buf_fini(&t->text);
    free(t);
}

int table_add(struct table *t, const char *cell)
{
    size_t old = t->text.len;
    if (!cell)
        cell = "";
    if (t->row_cells > 0 && buf_addc(&t->text, '\t') < 0)
        return -ENOMEM;
    if (buf_adds(&t->text, cell) < 0) {
        t->text.len = old;
        if (t->text.p)
            t->text.p[old] = '\0';
        return -ENOMEM;
    }
    t->row_cells++;
    return 0;
}

int table_addf(struct table *t, const char *fmt, ...)
{
    struct buf cell = BUF_INIT;
    va_list ap;
    va_start(ap, fmt);
    int r = buf_vaddf(&cell, fmt, ap);
    va_end(ap);
    if (r == 0)
        r = table_add(t, buf_str(&cell));
    buf_fini(&cell);
    return r < 0 ? -ENOMEM : 0;
}

int table_end_row(struct table *t)
{
    if (buf_addc(&t->text, '\n') < 0)
        return -ENOMEM;
    t->row_cells = 0;
    return 0;
}

/* ---- rendering: liggitt/tabwriter's algorithm, flags RememberWidths ---- */

struct cell {
    size_t off;   /* into the text stream */
    size_t size;  /* bytes, escapes included */
    size_t width; /* runes, Escape bytes excluded */
};

struct line {
    size_t first; /* index of its first cell */
    size_t n;     /* cells */
    int newline;  /* ended by '\n' or '\f' (the final line may not be) */
};

struct sizes {
    size_t *v;
    size_t n, cap;
};

struct render {
    const char *text;
    struct cell *cells;
    size_t ncells, cells_cap;
    struct line *lines;
    size_t nlines, lines_cap;
    struct sizes widths;    /* the column widths known while formatting */
    struct sizes maxwidths; /* RememberWidths: widest seen per column index */
    struct buf *out;
};

static int sizes_push(struct sizes *s, size_t v)
{
    if (s->n == s->cap) {
        size_t cap = s->cap ? s->cap * 2 : 16;
        size_t *p = realloc(s->v, cap * sizeof *p);
        if (!p)
            return -ENOMEM;
        s->v = p;
        s->cap = cap;
    }
    s->v[s->n++] = v;
    return 0;
}

/* Returns <p> with room for <need> elements (possibly moved), or NULL with
 * <p> still valid when out of memory. */
static void *grow(void *p, size_t *cap, size_t need, size_t elem)
{
    if (need <= *cap)
        return p;
    size_t n = *cap ? *cap * 2 : 16;
    while (n < need)
        n *= 2;
    void *q = realloc(p, n * elem);
    if (q)
        *cap = n;
    return q;
}

/* Go's utf8.RuneCount: a valid sequence counts one, and so does every byte
 * that does not start one (the decoder then moves on by one byte). */
static size_t rune_count(const unsigned char *s, size_t n)
{
    size_t count = 0, i = 0;
    while (i < n) {
        unsigned char c = s[i];
        size_t len = 1;
        unsigned char lo = 0x80, hi = 0xbf; /* range of the second byte */
        if (c >= 0xc2 && c <= 0xdf) {
            len = 2;
        } else if (c >= 0xe0 && c <= 0xef) {
            len = 3;
            if (c == 0xe0)
                lo = 0xa0; /* no overlong forms */
            else if (c == 0xed)
                hi = 0x9f; /* no surrogates */
        } else if (c >= 0xf0 && c <= 0xf4) {
            len = 4;
            if (c == 0xf0)
                lo = 0x90;
            else if (c == 0xf4)
                hi = 0x8f; /* nothing above U+10FFFF */
        }
        if (len > 1) {
            int ok = i + len <= n && s[i + 1] >= lo && s[i + 1] <= hi;
            for (size_t k = 2; ok && k < len; k++)
                ok = s[i + k] >= 0x80 && s[i + k] <= 0xbf;
            if (!ok)
                len = 1;
        }
        i += len;
        count++;
    }
    return count;
}

static int add_cell(struct render *r, size_t off, size_t end, size_t escapes)
{
    struct cell *cells = grow(r->cells, &r->cells_cap, r->ncells + 1, sizeof *cells);
    if (!cells)
        return -ENOMEM;
    r->cells = cells;
    struct cell *c = &r->cells[r->ncells++];
    c->off = off;
    c->size = end - off;
    /* Go counts the Escape bytes as runes, then takes 2 off per escape. */
    c->width = rune_count((const unsigned char *)r->text + off, c->size) - 2 * escapes;
    r->lines[r->nlines - 1].n++;
    return 0;
}

static int add_line(struct render *r)
{
    struct line *lines = grow(r->lines, &r->lines_cap, r->nlines + 1, sizeof *lines);
    if (!lines)
        return -ENOMEM;
    r->lines = lines;
    r->lines[r->nlines++] = (struct line){r->ncells, 0, 0};
    return 0;
}

static int pad(struct buf *out, size_t n)
{
    static const char spaces[] = "                                ";
    while (n > 0) {
        size_t k = n < sizeof spaces - 1 ? n : sizeof spaces - 1;
        if (buf_add(out, spaces, k) < 0)
            return -ENOMEM;
        n -= k;
    }
    return 0;
}

/* tabwriter.writeLines: cells that have a known column width are padded to
 * it; a line's last cell never has one (see format). */
static int write_lines(struct render *r, size_t line0, size_t line1)
{
    for (size_t i = line0; i < line1; i++) {
        const struct line *l = &r->lines[i];
        for (size_t j = 0; j < l->n; j++) {
            const struct cell *c = &r->cells[l->first + j];
            if (buf_add(r->out, r->text + c->off, c->size) < 0)
                return -ENOMEM;
            if (j < r->widths.n && pad(r->out, r->widths.v[j] - c->width) < 0)
                return -ENOMEM;
        }
        if (l->newline && buf_addc(r->out, '\n') < 0)
            return -ENOMEM;
    }
    return 0;
}

/* tabwriter.format: the column at index widths.n is sized over each block of
 * consecutive lines that have a cell there which is not their last; lines
 * without one are written with the widths known so far. Recurses once per
 * column, so the depth is the widest row's cell count. */
static int format(struct render *r, size_t line0, size_t line1)
{
    size_t column = r->widths.n;
    for (size_t cur = line0; cur < line1; cur++) {
        if (column + 1 >= r->lines[cur].n)
            continue;
        if (write_lines(r, line0, cur) < 0)
            return -ENOMEM;
        line0 = cur;

        size_t width = MINWIDTH;
        for (; cur < line1; cur++) {
            const struct line *l = &r->lines[cur];
            if (column + 1 >= l->n)
                break;
            size_t w = r->cells[l->first + column].width + PADDING;
            if (w > width)
                width = w;
        }

        /* RememberWidths, as the fork writes it: first copy the widths in
         * use into slots never seen, then widen this block or remember it. */
        struct sizes *m = &r->maxwidths;
        while (m->n < r->widths.n)
            if (sizes_push(m, r->widths.v[m->n]) < 0)
                return -ENOMEM;
        if (m->n == r->widths.n) {
            if (sizes_push(m, width) < 0)
                return -ENOMEM;
        } else if (m->v[column] > width) {
            width = m->v[column];
        } else {
            m->v[column] = width;
        }

        if (sizes_push(&r->widths, width) < 0)
            return -ENOMEM;
        int rc = format(r, line0, cur);
        r->widths.n--;
        if (rc < 0)
            return rc;
        /* The loop's increment skips the line that ended the block, as in
         * Go: it lacks this column, so it would be skipped anyway. */
        line0 = cur;
    }
    return write_lines(r, line0, line1);
}

/* Formats the lines of one flush segment with fresh column widths. */
static int flush(struct render *r, size_t line0, size_t line1)
{
    r->widths.n = 0;
    return format(r, line0, line1);
}

/* tabwriter.Write: splits the stream into cells and lines. A '\f', and a
 * line of one cell, flush what came before (Go formats it at that point, so
 * no column continues across it). */
static int render(struct render *r, size_t len)
{
    const char *s = r->text;
    size_t start = 0, escapes = 0, seg = 0;
    int in_escape = 0;

    if (add_line(r) < 0)
        return -ENOMEM;
    for (size_t i = 0; i < len; i++) {
        char ch = s[i];
        if (in_escape) {
            if (ch == ESCAPE)
                in_escape = 0;
            continue;
        }
        if (ch == ESCAPE) {
            in_escape = 1;
            escapes++;
            continue;
        }
        if (ch != '\t' && ch != '\v' && ch != '\n' && ch != '\f')
            continue;
        if (add_cell(r, start, i, escapes) < 0)
            return -ENOMEM;
        start = i + 1;
        escapes = 0;
        if (ch == '\n' || ch == '\f') {
            struct line *l = &r->lines[r->nlines - 1];
            l->newline = 1;
            int flush_now = ch == '\f' || l->n == 1;
            if (add_line(r) < 0)
                return -ENOMEM;
            if (flush_now) {
                if (flush(r, seg, r->nlines - 1) < 0)
                    return -ENOMEM;
                seg = r->nlines - 1;
            }
        }
    }
    /* Flush: a non-empty unfinished cell (an unclosed escape swallows even
     * the final newline) joins the last line, which gets no newline. */
    if (len > start && add_cell(r, start, len, escapes) < 0)
        return -ENOMEM;
    return flush(r, seg, r->nlines);
}

int table_render(const struct table *t, struct buf *out)
{
    struct buf text = BUF_INIT;
    const char *s = buf_str(&t->text);
    size_t len = t->text.len;
    size_t old = out->len;
    int rc = -ENOMEM;

    /* An open row is ended as table_end_row would end it. */
    if (t->row_cells > 0) {
        if (buf_add(&text, s, len) < 0 || buf_addc(&text, '\n') < 0)
            goto out;
        s = text.p;
        len = text.len;
    }

    struct render r = {.text = s, .out = out};
    rc = render(&r, len);
    free(r.cells);
    free(r.lines);
    free(r.widths.v);
    free(r.maxwidths.v);
out:
    buf_fini(&text);
    if (rc < 0) {
        out->len = old;
        if (out->p)
            out->p[old] = '\0';
    }
    return rc;
}
