/* kubectl's JSONPath template engine, ported from k8s.io/client-go/util/jsonpath
 * (v0.32) so that ferry prints the same bytes and the same errors as kubectl,
 * quirks included: the parser and the evaluator below follow the Go code step
 * for step, and the comments point out where that looks odd on purpose.
 *
 * Values are those of kubectl's Unstructured objects (map[string]interface{},
 * []interface{}, string, int64, float64, bool, nil): a json_t stands for each,
 * and the few Go values that come from the template itself (quoted strings,
 * numbers, booleans) or from indexing a string (bytes) have their own kinds. */
#include "core/jsonpath.h"

#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/json.h"
#include "core/text.h"

/* Sub-templates (unions, ['key'] and filters are parsed as templates of their
 * own) nest at most this deep; real templates need 3. */
#define PARSE_DEPTH_MAX 32
/* {range} blocks nest at most this deep (each level is one C stack frame). */
#define RANGE_DEPTH_MAX 1000
/* Documents are printed recursively; jansson's own parser stops at 2048. */
#define NEST_MAX 4096

#define RUNE_EOF (-1)
#define RUNE_ERROR 0xFFFD

/* Return codes inside the evaluator: GO_ERR is an error kubectl reports (and
 * that an existence filter swallows, as kubectl does); FATAL is ours (out of
 * memory, a limit reached) and always ends the run. */
#define GO_ERR (-1)
#define FATAL (-2)

/* ---- parse tree (client-go node.go) ---- */

enum node_type {
    NODE_TEXT,
    NODE_ARRAY,
    NODE_LIST,
    NODE_FIELD,
    NODE_IDENT,
    NODE_FILTER,
    NODE_INT,
    NODE_FLOAT,
    NODE_WILDCARD,
    NODE_RECURSIVE,
    NODE_UNION,
    NODE_BOOL,
};

struct param {
    long long value;
    bool known;   /* given in the template */
    bool derived; /* end of "[n]", computed as n+1 */
};

struct node {
    enum node_type type;
    char *str;              /* TEXT (may hold NULs), FIELD, IDENT; owned */
    size_t len;             /* bytes in <str> */
    struct param params[3]; /* ARRAY: start, end, step */
    struct node **kids;     /* LIST: its nodes; UNION: one LIST per member */
    size_t nkids, capkids;
    struct node *left, *right; /* FILTER: LISTs; right is empty for "exists" */
    char *op;                  /* FILTER: "==", "<", ..., or "exists" */
    long long ival;            /* INT */
    double fval;               /* FLOAT */
    bool bval;                 /* BOOL */
};

struct jsonpath {
    struct node *root; /* LIST of top-level TEXT and LIST nodes */
    size_t max_steps;
};

static void node_free(struct node *n)
{
    if (!n)
        return;
    for (size_t i = 0; i < n->nkids; i++)
        node_free(n->kids[i]);
    free(n->kids);
    node_free(n->left);
    node_free(n->right);
    free(n->str);
    free(n->op);
    free(n);
}

static struct node *node_of(enum node_type type)
{
    struct node *nd = calloc(1, sizeof *nd);
    if (nd)
        nd->type = type;
    return nd;
}

/* Takes ownership of <kid> whatever the outcome. Returns 0 or -ENOMEM. */
static int node_append(struct node *list, struct node *kid)
{
    if (!kid)
        return -ENOMEM;
    if (list->nkids == list->capkids) {
        size_t cap = list->capkids ? list->capkids * 2 : 4;
        struct node **k = realloc(list->kids, cap * sizeof *k);
        if (!k) {
            node_free(kid);
            return -ENOMEM;
        }
        list->kids = k;
        list->capkids = cap;
    }
    list->kids[list->nkids++] = kid;
    return 0;
}

/* A node carrying a copy of s[0..n). NULL when out of memory. */
static struct node *node_with_str(enum node_type type, const char *s, size_t n)
{
    struct node *nd = node_of(type);
    if (!nd)
        return NULL;
    nd->str = malloc(n + 1);
    if (!nd->str) {
        free(nd);
        return NULL;
    }
    if (n)
        memcpy(nd->str, s, n);
    nd->str[n] = '\0';
    nd->len = n;
    return nd;
}

/* ---- Unicode, the little of it Go's parser and printers look at ---- */

/* utf8.DecodeRuneInString: invalid or truncated sequences give U+FFFD with
 * width 1; the end of the input gives RUNE_EOF and width 0. */
static int32_t decode_rune(const char *s, size_t n, size_t *width)
{
    uint32_t r;
    if (n == 0) {
        *width = 0;
        return RUNE_EOF;
    }
    *width = json_rune_decode(s, n, &r);
    return (int32_t)r;
}

struct range32 {
    int32_t lo, hi;
};

static bool in_ranges(int32_t r, const struct range32 *t, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (r >= t[i].lo && r <= t[i].hi)
            return true;
    return false;
}

static bool is_letter(int32_t r)
{
    return r >= 0 && json_rune_is_letter((uint32_t)r);
}

static bool is_digit(int32_t r)
{
    return r >= 0 && json_rune_is_digit((uint32_t)r);
}

/* strconv.IsPrint, exact for ASCII and Latin-1; above that the spaces,
 * format characters, surrogates and private use Go escapes. */
static bool is_print(int32_t r)
{
    static const struct range32 unprintable[] = {
        {0x80, 0xA0},     {0xAD, 0xAD},     {0x1680, 0x1680}, {0x2000, 0x200F},
        {0x2028, 0x202F}, {0x205F, 0x206F}, {0x3000, 0x3000}, {0xD800, 0xF8FF},
        {0xFEFF, 0xFEFF}, {0xFFF0, 0xFFFB}, {0xFFFE, 0xFFFF}, {0xE0000, 0x10FFFF},
    };
    if (r < 0x80)
        return r >= 0x20 && r < 0x7F;
    return !in_ranges(r, unprintable, sizeof unprintable / sizeof unprintable[0]);
}

/* ---- Go formatting: %q / %#v strings, %v floats, %#U ---- */

/* strconv.Quote: "..." with Go's escapes. Returns 0 or -ENOMEM. */
static int go_quote(struct buf *b, const char *s, size_t n)
{
    static const char hex[] = "0123456789abcdef";
    int rc = buf_addc(b, '"');
    for (size_t i = 0; i < n && rc == 0;) {
        size_t w;
        int32_t r = decode_rune(s + i, n - i, &w);
        if (r == RUNE_ERROR && w == 1) {
            unsigned char c = (unsigned char)s[i];
            char esc[4] = {'\\', 'x', hex[c >> 4], hex[c & 15]};
            rc = buf_add(b, esc, 4);
        } else if (r == '"' || r == '\\') {
            char esc[2] = {'\\', (char)r};
            rc = buf_add(b, esc, 2);
        } else if (is_print(r)) {
            rc = buf_add(b, s + i, w);
        } else {
            switch (r) {
            case '\a':
                rc = buf_adds(b, "\\a");
                break;
            case '\b':
                rc = buf_adds(b, "\\b");
                break;
            case '\f':
                rc = buf_adds(b, "\\f");
                break;
            case '\n':
                rc = buf_adds(b, "\\n");
                break;
            case '\r':
                rc = buf_adds(b, "\\r");
                break;
            case '\t':
                rc = buf_adds(b, "\\t");
                break;
            case '\v':
                rc = buf_adds(b, "\\v");
                break;
            default:
                if (r < ' ' || r == 0x7F)
                    rc = buf_addf(b, "\\x%02x", (unsigned)r);
                else if (r < 0x10000)
                    rc = buf_addf(b, "\\u%04x", (unsigned)r);
                else
                    rc = buf_addf(b, "\\U%08x", (unsigned)r);
            }
        }
        i += w;
    }
    return rc ? rc : buf_addc(b, '"');
}

/* fmt's %v for a float64: strconv.FormatFloat(v, 'g', -1, 64). */
static int go_float(struct buf *b, double v)
{
    char s[JSON_FLOAT_MAX];
    json_float_g(v, 64, s);
    return buf_adds(b, s);
}

/* fmt's %#U: "U+0041 'A'", the character only when printable. */
static void go_rune_desc(char *dst, size_t size, int32_t r)
{
    char u[5] = {0};
    if (is_print(r)) {
        json_rune_encode((uint32_t)r, u);
        snprintf(dst, size, "U+%04" PRIX32 " '%s'", (uint32_t)r, u);
    } else {
        snprintf(dst, size, "U+%04" PRIX32, (uint32_t)r);
    }
}

/* ---- parser (client-go parser.go) ---- */

struct parser {
    const char *in; /* the template, not necessarily NUL-terminated */
    size_t len;
    size_t pos, start, width;
    struct node *root; /* owned until parse_into returns it */
    int depth;         /* of sub-templates */
    struct err *e;
};

static int32_t next_rune(struct parser *p)
{
    int32_t r = decode_rune(p->in + p->pos, p->len - p->pos, &p->width);
    p->pos += p->width;
    return r;
}

static void backup(struct parser *p)
{
    p->pos -= p->width;
}

static int32_t peek_rune(struct parser *p)
{
    int32_t r = next_rune(p);
    backup(p);
    return r;
}

static bool has_prefix(const struct parser *p, const char *pre)
{
    size_t n = strlen(pre);
    return p->len - p->pos >= n && memcmp(p->in + p->pos, pre, n) == 0;
}

static bool is_terminator(int32_t r)
{
    switch (r) {
    case RUNE_EOF:
    case ' ':
    case '\t':
    case '\r':
    case '\n':
    case '.':
    case ',':
    case '[':
    case ']':
    case '$':
    case '@':
    case '{':
    case '}':
        return true;
    }
    return false;
}

static bool is_alnum(int32_t r)
{
    return r == '_' || is_letter(r) || is_digit(r);
}

static int parse_fail(struct parser *p, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Sets the parse error (kubectl's words) and returns -1. */
static int parse_fail(struct parser *p, const char *fmt, ...)
{
    if (p->e) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(p->e->msg, sizeof p->e->msg, fmt, ap);
        va_end(ap);
    }
    return -1;
}

static int parse_oom(struct parser *p)
{
    return parse_fail(p, "out of memory");
}

static int parse_into(struct parser *p);

/* parseAction: parses "{" text "}" as a template of its own and returns its
 * first action (a LIST), owned by the caller; NULL with the error set. */
static struct node *parse_action(struct parser *p, const char *pre, const char *text, size_t n)
{
    if (p->depth >= PARSE_DEPTH_MAX) {
        parse_fail(p, "template nested too deeply");
        return NULL;
    }
    size_t plen = strlen(pre);
    char *s = malloc(plen + n + 3);
    if (!s) {
        parse_oom(p);
        return NULL;
    }
    s[0] = '{';
    memcpy(s + 1, pre, plen);
    if (n)
        memcpy(s + 1 + plen, text, n);
    s[1 + plen + n] = '}';
    s[2 + plen + n] = '\0';
    struct parser sub = {.in = s, .len = plen + n + 2, .depth = p->depth + 1, .e = p->e};
    struct node *list = NULL;
    if (parse_into(&sub) == 0) {
        /* The text starts with "{", so the first node is that action. */
        list = sub.root->kids[0];
        sub.root->kids[0] = NULL;
    }
    node_free(sub.root);
    free(s);
    return list;
}

/* parseField: the name up to the next unescaped terminator, with every
 * backslash then removed (so "a\.b" names the key "a.b"). */
static int parse_field(struct parser *p, struct node *cur)
{
    p->start = p->pos;
    for (;;) {
        int32_t r = next_rune(p);
        if (r == '\\') {
            next_rune(p);
        } else if (is_terminator(r)) {
            backup(p);
            break;
        }
    }
    const char *v = p->in + p->start;
    size_t n = p->pos - p->start;
    p->start = p->pos;
    if (n == 1 && v[0] == '*')
        return node_append(cur, node_of(NODE_WILDCARD)) ? parse_oom(p) : 0;
    struct node *f = node_with_str(NODE_FIELD, v, n);
    if (!f)
        return parse_oom(p);
    size_t j = 0;
    for (size_t i = 0; i < n; i++)
        if (f->str[i] != '\\')
            f->str[j++] = f->str[i];
    f->str[j] = '\0';
    f->len = j;
    return node_append(cur, f) ? parse_oom(p) : 0;
}

static int parse_identifier(struct parser *p, struct node *cur)
{
    while (!is_terminator(next_rune(p)))
        ;
    backup(p);
    const char *v = p->in + p->start;
    size_t n = p->pos - p->start;
    p->start = p->pos;
    if ((n == 4 && memcmp(v, "true", 4) == 0) || (n == 5 && memcmp(v, "false", 5) == 0)) {
        struct node *b = node_of(NODE_BOOL);
        if (b)
            b->bval = n == 4;
        return node_append(cur, b) ? parse_oom(p) : 0;
    }
    return node_append(cur, node_with_str(NODE_IDENT, v, n)) ? parse_oom(p) : 0;
}

/* strconv.Atoi: optional sign, ASCII digits, within int64. */
static bool go_atoi(const char *s, size_t n, long long *out)
{
    size_t i = 0;
    bool neg = false;
    if (i < n && (s[i] == '+' || s[i] == '-'))
        neg = s[i++] == '-';
    if (i == n)
        return false;
    unsigned long long v = 0, lim = neg ? (unsigned long long)LLONG_MAX + 1 : LLONG_MAX;
    for (; i < n; i++) {
        if (s[i] < '0' || s[i] > '9')
            return false;
        unsigned d = (unsigned)(s[i] - '0');
        if (v > (lim - d) / 10)
            return false;
        v = v * 10 + d;
    }
    *out = neg ? (long long)(0 - v) : (long long)v;
    return true;
}

/* strconv.ParseFloat for what parseNumber collects: a sign, ASCII digits
 * and at most one dot, at least one digit, finite. */
static bool go_parse_float(const char *s, size_t n, double *out)
{
    char tmp[512];
    size_t i = 0, digits = 0, dots = 0;
    if (i < n && (s[i] == '+' || s[i] == '-'))
        i++;
    for (; i < n; i++) {
        if (s[i] == '.')
            dots++;
        else if (s[i] >= '0' && s[i] <= '9')
            digits++;
        else
            return false;
    }
    if (!digits || dots > 1)
        return false;
    double v;
    if (n < sizeof tmp) {
        memcpy(tmp, s, n);
        tmp[n] = '\0';
        v = strtod(tmp, NULL);
    } else {
        char *big = strndup(s, n);
        if (!big)
            return false;
        v = strtod(big, NULL);
        free(big);
    }
    if (isinf(v))
        return false;
    *out = v;
    return true;
}

static int parse_number(struct parser *p, struct node *cur)
{
    int32_t r = peek_rune(p);
    if (r == '+' || r == '-')
        next_rune(p);
    for (;;) {
        r = next_rune(p);
        if (r != '.' && !is_digit(r)) {
            backup(p);
            break;
        }
    }
    const char *v = p->in + p->start;
    size_t n = p->pos - p->start;
    p->start = p->pos;
    long long i;
    double d;
    if (go_atoi(v, n, &i)) {
        struct node *nd = node_of(NODE_INT);
        if (nd)
            nd->ival = i;
        return node_append(cur, nd) ? parse_oom(p) : 0;
    }
    if (go_parse_float(v, n, &d)) {
        struct node *nd = node_of(NODE_FLOAT);
        if (nd)
            nd->fval = d;
        return node_append(cur, nd) ? parse_oom(p) : 0;
    }
    return parse_fail(p, "cannot parse number %.*s", (int)n, v);
}

/* One part of a slice: "-?[0-9]*" starting at s[*i]. */
static void scan_slice_num(const char *s, size_t n, size_t *i)
{
    if (*i < n && s[*i] == '-')
        (*i)++;
    while (*i < n && s[*i] >= '0' && s[*i] <= '9')
        (*i)++;
}

/* The slice regexp `^(-?[\d]*)(:-?[\d]*)?(:-?[\d]*)?$`; fills the three
 * groups (empty when absent). Returns whether it matched. */
static bool match_slice(const char *s, size_t n, const char *g[3], size_t gl[3])
{
    size_t i = 0;
    for (int k = 0; k < 3; k++) {
        g[k] = s + i;
        gl[k] = 0;
        size_t b = i;
        if (k > 0) {
            if (i >= n || s[i] != ':')
                continue;
            i++;
        }
        scan_slice_num(s, n, &i);
        gl[k] = i - b;
    }
    return i == n;
}

static int parse_array(struct parser *p, struct node *cur)
{
    for (;;) {
        int32_t r = next_rune(p);
        if (r == RUNE_EOF || r == '\n')
            return parse_fail(p, "unterminated array");
        if (r == ']')
            break;
    }
    const char *text = p->in + p->start + 1;
    size_t n = p->pos - p->start - 2;
    p->start = p->pos;
    if (n == 1 && text[0] == '*')
        text = ":";

    /* union: "[a,b]", each member a template "[member]" of its own */
    if (memchr(text, ',', n)) {
        struct node *u = node_of(NODE_UNION);
        if (!u)
            return parse_oom(p);
        const char *s = text, *end = text + n;
        for (;;) {
            const char *c = memchr(s, ',', (size_t)(end - s));
            const char *e = c ? c : end;
            const char *a = s, *z = e;
            while (a < z && *a == ' ')
                a++;
            while (z > a && z[-1] == ' ')
                z--;
            char *m = malloc((size_t)(z - a) + 2);
            if (!m) {
                node_free(u);
                return parse_oom(p);
            }
            m[0] = '[';
            memcpy(m + 1, a, (size_t)(z - a));
            m[1 + (z - a)] = ']';
            struct node *l = parse_action(p, "", m, (size_t)(z - a) + 2);
            free(m);
            if (!l) {
                node_free(u);
                return -1;
            }
            if (node_append(u, l)) {
                node_free(u);
                return parse_oom(p);
            }
            if (!c)
                break;
            s = c + 1;
        }
        return node_append(cur, u) ? parse_oom(p) : 0;
    }

    /* dict key: "['a']" is ".a" parsed again, so "['a.b']" means .a.b */
    if (n >= 2 && text[0] == '\'' && text[n - 1] == '\'' && !memchr(text + 1, '\'', n - 2)) {
        struct node *l = parse_action(p, ".", text + 1, n - 2);
        if (!l)
            return -1;
        int rc = 0;
        for (size_t i = 0; i < l->nkids && rc == 0; i++) {
            rc = node_append(cur, l->kids[i]);
            l->kids[i] = NULL;
        }
        node_free(l);
        return rc ? parse_oom(p) : 0;
    }

    const char *g[3];
    size_t gl[3];
    if (!match_slice(text, n, g, gl))
        return parse_fail(p, "invalid array index %.*s", (int)n, text);
    struct node *a = node_of(NODE_ARRAY);
    if (!a)
        return parse_oom(p);
    for (int i = 0; i < 3; i++) {
        struct param *pm = &a->params[i];
        if (gl[i] > 0) {
            const char *v = g[i] + (i > 0);
            size_t vl = gl[i] - (i > 0);
            if (i > 0 && vl == 0) {
                pm->known = false;
            } else {
                pm->known = true;
                if (!go_atoi(v, vl, &pm->value)) {
                    node_free(a);
                    return parse_fail(p, "array index %.*s is not a number", (int)vl, v);
                }
            }
        } else if (i == 1) {
            /* "[n]" selects n..n+1; Go's int addition wraps */
            pm->known = true;
            pm->value = (long long)((unsigned long long)a->params[0].value + 1);
            pm->derived = true;
        }
    }
    return node_append(cur, a) ? parse_oom(p) : 0;
}

/* The filter regexp `^([^!<>=]+)([!<>=]+)(.+?)$` (RE2, leftmost-first).
 * Returns whether it matched and sets the operator's bounds. */
static bool match_filter(const char *s, size_t n, size_t *op_b, size_t *op_e)
{
    const char *ops = "!<>=";
    size_t i = 0;
    while (i < n && !memchr(ops, s[i], 4))
        i++;
    if (i == 0 || i == n)
        return false;
    size_t j = i;
    while (j < n && memchr(ops, s[j], 4))
        j++;
    if (j == n) {
        /* the right side needs a byte: give it the last operator char */
        if (j - i < 2)
            return false;
        j--;
    }
    *op_b = i;
    *op_e = j;
    return true;
}

static int parse_filter(struct parser *p, struct node *cur)
{
    p->pos += 3; /* "[?(" */
    p->start = p->pos;
    bool begin = false, end = false;
    int32_t pair = 0;
    for (;;) {
        int32_t r = next_rune(p);
        if (r == RUNE_EOF || r == '\n')
            return parse_fail(p, "unterminated filter");
        if (r == '"' || r == '\'') {
            if (!begin) {
                begin = true;
                pair = r;
                continue;
            }
            if (p->in[p->pos - 2] != '\\' && r == pair)
                end = true;
        } else if (r == ')') {
            if (begin == end)
                break;
        }
    }
    if (next_rune(p) != ']')
        return parse_fail(p, "unclosed array expect ]");
    const char *text = p->in + p->start;
    size_t n = p->pos - p->start - 2;
    p->start = p->pos;

    struct node *f = node_of(NODE_FILTER);
    if (!f)
        return parse_oom(p);
    size_t ob, oe;
    if (!match_filter(text, n, &ob, &oe)) {
        f->left = parse_action(p, "", text, n);
        if (!f->left)
            goto fail;
        f->right = node_of(NODE_LIST);
        f->op = strdup("exists");
        if (!f->right || !f->op)
            goto fail_oom;
    } else {
        f->left = parse_action(p, "", text, ob);
        if (!f->left)
            goto fail;
        f->right = parse_action(p, "", text + oe, n - oe);
        if (!f->right)
            goto fail;
        f->op = strndup(text + ob, oe - ob);
        if (!f->op)
            goto fail_oom;
    }
    return node_append(cur, f) ? parse_oom(p) : 0;
fail_oom:
    parse_oom(p);
fail:
    node_free(f);
    return -1;
}

static int parse_recursive(struct parser *p, struct node *cur)
{
    if (cur->nkids > 0 && cur->kids[cur->nkids - 1]->type == NODE_RECURSIVE)
        return parse_fail(p, "invalid multiple recursive descent");
    p->pos += 2;
    p->start = p->pos;
    if (node_append(cur, node_of(NODE_RECURSIVE)))
        return parse_oom(p);
    if (is_alnum(peek_rune(p)))
        return parse_field(p, cur);
    return 0;
}

/* strconv.UnquoteChar: decodes one character or escape at s[0..n).
 * Returns bytes consumed, or 0 on a syntax error. */
static size_t unquote_char(const char *s, size_t n, char quote, int32_t *value, bool *multibyte)
{
    *multibyte = false;
    unsigned char c = (unsigned char)s[0];
    if (c == (unsigned char)quote)
        return 0;
    if (c >= 0x80) {
        size_t w;
        *value = decode_rune(s, n, &w);
        *multibyte = true;
        return w;
    }
    if (c != '\\') {
        *value = c;
        return 1;
    }
    if (n <= 1)
        return 0;
    char e = s[1];
    size_t used = 2;
    switch (e) {
    case 'a':
        *value = '\a';
        break;
    case 'b':
        *value = '\b';
        break;
    case 'f':
        *value = '\f';
        break;
    case 'n':
        *value = '\n';
        break;
    case 'r':
        *value = '\r';
        break;
    case 't':
        *value = '\t';
        break;
    case 'v':
        *value = '\v';
        break;
    case 'x':
    case 'u':
    case 'U': {
        size_t k = e == 'x' ? 2 : e == 'u' ? 4 : 8;
        if (n - 2 < k)
            return 0;
        uint32_t v = 0;
        for (size_t j = 0; j < k; j++) {
            int h = text_hexval(s[2 + j]);
            if (h < 0)
                return 0;
            v = v << 4 | (uint32_t)h;
        }
        used += k;
        if (e != 'x') {
            if (v > 0x10FFFF || (v >= 0xD800 && v <= 0xDFFF))
                return 0;
            *multibyte = true;
        }
        *value = (int32_t)v;
        break;
    }
    case '0':
    case '1':
    case '2':
    case '3':
    case '4':
    case '5':
    case '6':
    case '7': {
        int32_t v = e - '0';
        if (n - 2 < 2)
            return 0;
        for (size_t j = 0; j < 2; j++) {
            int32_t x = s[2 + j] - '0';
            if (x < 0 || x > 7)
                return 0;
            v = (v << 3) | x;
        }
        if (v > 255)
            return 0;
        used += 2;
        *value = v;
        break;
    }
    case '\\':
        *value = '\\';
        break;
    case '\'':
    case '"':
        if (e != quote)
            return 0;
        *value = e;
        break;
    default:
        return 0;
    }
    return used;
}

/* UnquoteExtend: strconv.Unquote that also takes '...'. <s> includes the
 * quotes. Appends the value to <out>; returns 0, -1 (syntax) or -ENOMEM. */
static int unquote_extend(const char *s, size_t n, struct buf *out)
{
    if (n < 2 || s[0] != s[n - 1] || (s[0] != '"' && s[0] != '\''))
        return -1;
    char quote = s[0];
    s++;
    n -= 2;
    if (!memchr(s, '\\', n) && !memchr(s, quote, n))
        return buf_add(out, s, n);
    while (n > 0) {
        int32_t c;
        bool mb;
        size_t used = unquote_char(s, n, quote, &c, &mb);
        if (!used)
            return -1;
        s += used;
        n -= used;
        int rc;
        if (c < 0x80 || !mb) {
            rc = buf_addc(out, (char)(unsigned char)c);
        } else {
            char u[4];
            rc = buf_add(out, u, json_rune_encode((uint32_t)c, u));
        }
        if (rc)
            return rc;
    }
    return 0;
}

static int parse_quote(struct parser *p, struct node *cur, int32_t end)
{
    for (;;) {
        int32_t r = next_rune(p);
        if (r == RUNE_EOF || r == '\n')
            return parse_fail(p, "unterminated quoted string");
        if (r == end && p->in[p->pos - 2] != '\\')
            break;
    }
    const char *v = p->in + p->start;
    size_t n = p->pos - p->start;
    p->start = p->pos;
    struct buf b = BUF_INIT;
    int rc = unquote_extend(v, n, &b);
    if (rc == -1) {
        buf_fini(&b);
        return parse_fail(p, "unquote string %.*s error invalid syntax", (int)n, v);
    }
    struct node *t = rc ? NULL : node_with_str(NODE_TEXT, b.p ? b.p : "", b.len);
    buf_fini(&b);
    return node_append(cur, t) ? parse_oom(p) : 0;
}

/* parseText / parseInsideAction as one loop: Go recurses once per token,
 * which a long template would turn into a deep C stack. Fills p->root. */
static int parse_into(struct parser *p)
{
    p->root = node_of(NODE_LIST);
    if (!p->root)
        return parse_oom(p);
    struct node *cur = NULL; /* the action being parsed; NULL in text */
    for (;;) {
        if (!cur) {
            const char *lb = memchr(p->in + p->pos, '{', p->len - p->pos);
            size_t at = lb ? (size_t)(lb - p->in) : p->len;
            if (at > p->start &&
                node_append(p->root, node_with_str(NODE_TEXT, p->in + p->start, at - p->start)))
                return parse_oom(p);
            if (!lb)
                return 0;
            p->pos = p->start = at + 1;
            cur = node_of(NODE_LIST);
            if (node_append(p->root, cur))
                return parse_oom(p);
            continue;
        }
        int rc;
        if (has_prefix(p, "}")) {
            p->pos++;
            p->start = p->pos;
            cur = NULL;
            continue;
        } else if (has_prefix(p, "[?(")) {
            rc = parse_filter(p, cur);
        } else if (has_prefix(p, "..")) {
            rc = parse_recursive(p, cur);
        } else {
            int32_t r = next_rune(p);
            if (r == RUNE_EOF || r == '\r' || r == '\n') {
                rc = parse_fail(p, "unclosed action");
            } else if (r == ' ' || r == '@' || r == '$') {
                p->start = p->pos; /* nothing to do: @ and $ are the input */
                rc = 0;
            } else if (r == '[') {
                rc = parse_array(p, cur);
            } else if (r == '"' || r == '\'') {
                rc = parse_quote(p, cur, r);
            } else if (r == '.') {
                rc = parse_field(p, cur);
            } else if (r == '+' || r == '-' || is_digit(r)) {
                backup(p);
                rc = parse_number(p, cur);
            } else if (is_alnum(r)) {
                backup(p);
                rc = parse_identifier(p, cur);
            } else {
                char d[32];
                go_rune_desc(d, sizeof d, r);
                rc = parse_fail(p, "unrecognized character in action: %s", d);
            }
        }
        if (rc < 0)
            return rc;
    }
}

struct jsonpath *jsonpath_parse(const char *tmpl, struct err *e)
{
    struct jsonpath *jp = calloc(1, sizeof *jp);
    if (!jp) {
        err_set(e, "out of memory");
        return NULL;
    }
    struct parser p = {.in = tmpl, .len = strlen(tmpl), .e = e};
    if (parse_into(&p) < 0) {
        node_free(p.root);
        free(jp);
        return NULL;
    }
    jp->root = p.root;
    jp->max_steps = JSONPATH_DEFAULT_MAX_STEPS;
    return jp;
}

void jsonpath_set_max_steps(struct jsonpath *jp, size_t max_steps)
{
    jp->max_steps = max_steps ? max_steps : JSONPATH_DEFAULT_MAX_STEPS;
}

void jsonpath_free(struct jsonpath *jp)
{
    if (!jp)
        return;
    node_free(jp->root);
    free(jp);
}

/* ---- values ---- */

enum vkind {
    V_INVALID, /* Go's zero reflect.Value: the input of a range over null */
    V_JSON,    /* a document value (JSON null is Go's nil interface) */
    V_STR,     /* template text or a quoted literal */
    V_INT,     /* template integer (Go int) */
    V_FLOAT,   /* template float64 */
    V_BOOL,    /* template bool */
    V_BYTE,    /* a byte of a string, from .* or .. (Go uint8) */
};

struct val {
    enum vkind kind;
    const json_t *j; /* V_JSON, borrowed from the data */
    const char *s;   /* V_STR, borrowed from the template */
    size_t slen;     /* V_STR */
    long long i;     /* V_INT, V_BYTE */
    double f;        /* V_FLOAT */
    bool b;          /* V_BOOL */
};

struct vlist {
    struct val *v;
    size_t n, cap;
};

struct exec {
    const struct node *top; /* the template's top-level list */
    bool allow_missing;
    struct buf *out;
    struct err *e;
    /* FindResults' state: the range/end bookkeeping of client-go's JSONPath */
    int begin_range, in_range, end_range;
    size_t last_end; /* index in top of the last {end} met; SIZE_MAX: none */
    int discard;     /* > 0 while evaluating a range body for no items */
    int range_depth;
    size_t steps, max_steps;
};

static int fatal(struct exec *x, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static int fatal(struct exec *x, const char *fmt, ...)
{
    if (x->e) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(x->e->msg, sizeof x->e->msg, fmt, ap);
        va_end(ap);
    }
    return FATAL;
}

static int go_err(struct exec *x, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static int go_err(struct exec *x, const char *fmt, ...)
{
    if (x->e) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(x->e->msg, sizeof x->e->msg, fmt, ap);
        va_end(ap);
    }
    return GO_ERR;
}

static int oom(struct exec *x)
{
    return fatal(x, "out of memory");
}

/* Counts one unit of work: a value produced, looked at by .., or a range
 * body run. Returns 0, or FATAL once the bound is passed. */
static int step(struct exec *x)
{
    if (++x->steps > x->max_steps)
        return fatal(x, "jsonpath evaluation exceeds %zu steps", x->max_steps);
    return 0;
}

static int vl_push(struct exec *x, struct vlist *l, struct val v)
{
    if (step(x))
        return FATAL;
    if (l->n == l->cap) {
        size_t cap = l->cap ? l->cap * 2 : 8;
        struct val *nv = realloc(l->v, cap * sizeof *nv);
        if (!nv)
            return oom(x);
        l->v = nv;
        l->cap = cap;
    }
    l->v[l->n++] = v;
    return 0;
}

static void vl_free(struct vlist *l)
{
    free(l->v);
    l->v = NULL;
    l->n = l->cap = 0;
}

static int vl_copy(struct exec *x, struct vlist *dst, const struct vlist *src)
{
    for (size_t i = 0; i < src->n; i++)
        if (vl_push(x, dst, src->v[i]))
            return FATAL;
    return 0;
}

/* Go's "return input, err": <out> becomes a copy of <in>. The message is
 * already set. Returns GO_ERR, or FATAL when out of memory or steps. */
static int ret_input(struct exec *x, struct vlist *out, const struct vlist *in)
{
    vl_free(out);
    return vl_copy(x, out, in) ? FATAL : GO_ERR;
}

static struct val v_json(const json_t *j)
{
    return (struct val){.kind = V_JSON, .j = j};
}

/* template.Indirect: a JSON null (Go's nil interface) counts as nil. */
static bool is_nil(const struct val *v)
{
    return v->kind == V_JSON && json_is_null(v->j);
}

/* The Go type name kubectl's messages show (reflect.Value.Type). */
static const char *go_type(const struct val *v)
{
    switch (v->kind) {
    case V_JSON:
        switch (json_typeof(v->j)) {
        case JSON_OBJECT:
            return "map[string]interface {}";
        case JSON_ARRAY:
            return "[]interface {}";
        case JSON_STRING:
            return "string";
        case JSON_INTEGER:
            return "int64";
        case JSON_REAL:
            return "float64";
        case JSON_TRUE:
        case JSON_FALSE:
            return "bool";
        default:
            return "interface {}";
        }
    case V_STR:
        return "string";
    case V_INT:
        return "int";
    case V_FLOAT:
        return "float64";
    case V_BOOL:
        return "bool";
    case V_BYTE:
        return "uint8";
    default:
        return "<invalid reflect.Value>";
    }
}

static bool is_json_string(const struct val *v)
{
    return v->kind == V_JSON && json_is_string(v->j);
}

/* ---- Go printing of document values (%v, %#v) and JSON ---- */

/* jansson iterators take non-const objects though they do not modify them. */
static json_t *unconst(const json_t *j)
{
    return (json_t *)(uintptr_t)j;
}

struct kv {
    const char *k;
    size_t klen;
    const json_t *v;
};

static int kv_cmp(const void *a, const void *b)
{
    const struct kv *x = a, *y = b;
    size_t n = x->klen < y->klen ? x->klen : y->klen;
    int c = memcmp(x->k, y->k, n);
    if (c)
        return c;
    return x->klen < y->klen ? -1 : x->klen > y->klen;
}

/* The members of <obj> sorted by key, as Go sorts map keys when printing.
 * Returns a malloc'd array (NULL for an empty object) or sets *oom. */
static struct kv *sorted_members(const json_t *obj, size_t *n, bool *oom_out)
{
    *n = json_object_size(obj);
    *oom_out = false;
    if (*n == 0)
        return NULL;
    struct kv *a = malloc(*n * sizeof *a);
    if (!a) {
        *oom_out = true;
        return NULL;
    }
    size_t i = 0;
    const char *k;
    size_t kl;
    json_t *v;
    json_object_keylen_foreach(unconst(obj), k, kl, v)
    {
        a[i++] = (struct kv){k, kl, v};
    }
    qsort(a, i, sizeof *a, kv_cmp);
    return a;
}

/* json.Marshal of a document value: compact, object keys sorted. */
static int emit_json(struct buf *b, const json_t *j, int depth)
{
    if (depth > NEST_MAX)
        return -ELOOP;
    int rc = 0;
    if (json_is_object(j)) {
        size_t n;
        bool nomem;
        struct kv *m = sorted_members(j, &n, &nomem);
        if (nomem)
            return -ENOMEM;
        rc = buf_addc(b, '{');
        for (size_t i = 0; i < n && !rc; i++) {
            if (i)
                rc = buf_addc(b, ',');
            json_t *key = json_stringn_nocheck(m[i].k, m[i].klen);
            if (!key) {
                rc = -ENOMEM;
                break;
            }
            rc = rc ? rc : json_emit_go(key, 0, b);
            json_decref(key);
            rc = rc ? rc : buf_addc(b, ':');
            rc = rc ? rc : emit_json(b, m[i].v, depth + 1);
        }
        free(m);
        return rc ? rc : buf_addc(b, '}');
    }
    if (json_is_array(j)) {
        rc = buf_addc(b, '[');
        for (size_t i = 0; i < json_array_size(j) && !rc; i++) {
            if (i)
                rc = buf_addc(b, ',');
            rc = rc ? rc : emit_json(b, json_array_get(j, i), depth + 1);
        }
        return rc ? rc : buf_addc(b, ']');
    }
    return json_emit_go(j, 0, b);
}

/* fmt's %v (sharp == false) or %#v (sharp == true) of a document value, as
 * kubectl's messages print the map[string]interface{} it holds. */
static int go_fmt_json(struct buf *b, const json_t *j, bool sharp, bool top, int depth)
{
    if (depth > NEST_MAX)
        return -ELOOP;
    int rc = 0;
    switch (json_typeof(j)) {
    case JSON_OBJECT: {
        size_t n;
        bool nomem;
        struct kv *m = sorted_members(j, &n, &nomem);
        if (nomem)
            return -ENOMEM;
        rc = buf_adds(b, sharp ? "map[string]interface {}{" : "map[");
        for (size_t i = 0; i < n && !rc; i++) {
            if (i)
                rc = buf_adds(b, sharp ? ", " : " ");
            if (!rc)
                rc = sharp ? go_quote(b, m[i].k, m[i].klen) : buf_add(b, m[i].k, m[i].klen);
            rc = rc ? rc : buf_addc(b, ':');
            rc = rc ? rc : go_fmt_json(b, m[i].v, sharp, false, depth + 1);
        }
        free(m);
        return rc ? rc : buf_addc(b, sharp ? '}' : ']');
    }
    case JSON_ARRAY:
        rc = buf_adds(b, sharp ? "[]interface {}{" : "[");
        for (size_t i = 0; i < json_array_size(j) && !rc; i++) {
            if (i)
                rc = buf_adds(b, sharp ? ", " : " ");
            rc = rc ? rc : go_fmt_json(b, json_array_get(j, i), sharp, false, depth + 1);
        }
        return rc ? rc : buf_addc(b, sharp ? '}' : ']');
    case JSON_STRING:
        if (sharp)
            return go_quote(b, json_string_value(j), json_string_length(j));
        return buf_add(b, json_string_value(j), json_string_length(j));
    case JSON_INTEGER:
        return buf_addf(b, "%" JSON_INTEGER_FORMAT, json_integer_value(j));
    case JSON_REAL:
        return go_float(b, json_real_value(j));
    case JSON_TRUE:
        return buf_adds(b, "true");
    case JSON_FALSE:
        return buf_adds(b, "false");
    default:
        return buf_adds(b, sharp && !top ? "interface {}(nil)" : "<nil>");
    }
}

/* fmt's %v of any value, for "... is not array or slice and cannot be
 * filtered". Returns 0 or a negative errno. */
static int go_fmt_val(struct buf *b, const struct val *v)
{
    switch (v->kind) {
    case V_JSON:
        return go_fmt_json(b, v->j, false, true, 0);
    case V_STR:
        return buf_add(b, v->s, v->slen);
    case V_INT:
    case V_BYTE:
        return buf_addf(b, "%lld", v->i);
    case V_FLOAT:
        return go_float(b, v->f);
    case V_BOOL:
        return buf_adds(b, v->b ? "true" : "false");
    default:
        return buf_adds(b, "<invalid reflect.Value>");
    }
}

/* PrintResults for one value: maps and slices as JSON, the rest as fmt.Fprint
 * prints it (strings raw, nil as "null", no value as "<no value>"). */
static int print_val(struct exec *x, const struct val *v)
{
    struct buf *b = x->out;
    int rc;
    switch (v->kind) {
    case V_JSON:
        switch (json_typeof(v->j)) {
        case JSON_OBJECT:
        case JSON_ARRAY:
            rc = emit_json(b, v->j, 0);
            break;
        case JSON_STRING:
            rc = buf_add(b, json_string_value(v->j), json_string_length(v->j));
            break;
        case JSON_NULL:
            rc = buf_adds(b, "null");
            break;
        default:
            rc = go_fmt_json(b, v->j, false, true, 0);
        }
        break;
    case V_INVALID:
        rc = buf_adds(b, "<no value>");
        break;
    default:
        rc = go_fmt_val(b, v);
    }
    if (rc == -ELOOP)
        return fatal(x, "document nested deeper than %d levels", NEST_MAX);
    if (rc)
        return fatal(x, "jsonpath output exceeds %zu bytes", b->max ? b->max : BUF_DEFAULT_MAX);
    return 0;
}

static int print_results(struct exec *x, const struct vlist *l)
{
    for (size_t i = 0; i < l->n; i++) {
        if (print_val(x, &l->v[i]))
            return FATAL;
        if (i + 1 < l->n && buf_addc(x->out, ' '))
            return fatal(x, "jsonpath output exceeds %zu bytes",
                         x->out->max ? x->out->max : BUF_DEFAULT_MAX);
    }
    return 0;
}

/* ---- comparisons (client-go's forked text/template funcs.go) ---- */

enum bkind { K_INVALID, K_BOOL, K_INT, K_FLOAT, K_STRING, K_UINT };

static enum bkind basic_kind(const struct val *v)
{
    switch (v->kind) {
    case V_JSON:
        switch (json_typeof(v->j)) {
        case JSON_STRING:
            return K_STRING;
        case JSON_INTEGER:
            return K_INT;
        case JSON_REAL:
            return K_FLOAT;
        case JSON_TRUE:
        case JSON_FALSE:
            return K_BOOL;
        default:
            return K_INVALID; /* maps, slices and nil cannot be compared */
        }
    case V_STR:
        return K_STRING;
    case V_INT:
        return K_INT;
    case V_FLOAT:
        return K_FLOAT;
    case V_BOOL:
        return K_BOOL;
    case V_BYTE:
        return K_UINT;
    default:
        return K_INVALID;
    }
}

static long long int_of(const struct val *v)
{
    return v->kind == V_JSON ? (long long)json_integer_value(v->j) : v->i;
}

static double float_of(const struct val *v)
{
    return v->kind == V_JSON ? json_real_value(v->j) : v->f;
}

static bool bool_of(const struct val *v)
{
    return v->kind == V_JSON ? json_is_true(v->j) : v->b;
}

static void str_of(const struct val *v, const char **s, size_t *n)
{
    if (v->kind == V_JSON) {
        *s = json_string_value(v->j);
        *n = json_string_length(v->j);
    } else {
        *s = v->s;
        *n = v->slen;
    }
}

static int str_cmp(const struct val *a, const struct val *b)
{
    const char *s1, *s2;
    size_t n1, n2;
    str_of(a, &s1, &n1);
    str_of(b, &s2, &n2);
    int c = memcmp(s1, s2, n1 < n2 ? n1 : n2);
    if (c)
        return c;
    return n1 < n2 ? -1 : n1 > n2;
}

#define E_BAD_TYPE "invalid type for comparison"
#define E_BAD_CMP "incompatible types for comparison"

/* template.Equal (less == false) or template.Less (less == true): NULL and
 * the answer in *truth, or the error text. */
static const char *cmp_values(const struct val *a, const struct val *b, bool less, bool *truth)
{
    enum bkind k1 = basic_kind(a), k2 = basic_kind(b);
    long long x = int_of(a), y = int_of(b);
    if (k1 == K_INVALID || k2 == K_INVALID)
        return E_BAD_TYPE;
    if (k1 != k2) {
        /* An int against a uint (a byte of a string) compares by value. */
        if (k1 == K_INT && k2 == K_UINT)
            *truth = less ? x < 0 || x < y : x >= 0 && x == y;
        else if (k1 == K_UINT && k2 == K_INT)
            *truth = y >= 0 && (less ? x < y : x == y);
        else
            return E_BAD_CMP;
        return NULL;
    }
    switch (k1) {
    case K_BOOL:
        if (less)
            return E_BAD_TYPE;
        *truth = bool_of(a) == bool_of(b);
        break;
    case K_FLOAT:
        *truth = less ? float_of(a) < float_of(b) : float_of(a) == float_of(b);
        break;
    case K_STRING:
        *truth = less ? str_cmp(a, b) < 0 : str_cmp(a, b) == 0;
        break;
    default:
        *truth = less ? x < y : x == y;
    }
    return NULL;
}

static const char *cmp_equal(const struct val *a, const struct val *b, bool *truth)
{
    return cmp_values(a, b, false, truth);
}

static const char *cmp_less(const struct val *a, const struct val *b, bool *truth)
{
    return cmp_values(a, b, true, truth);
}

/* Applies a filter operator as evalFilter does, through the same chain of
 * Less/Equal calls, so that the same errors come out. */
static const char *compare(const char *op, const struct val *a, const struct val *b, bool *pass)
{
    const char *err;
    bool t = false;
    if (strcmp(op, "==") == 0 || strcmp(op, "!=") == 0) {
        err = cmp_equal(a, b, &t);
        *pass = op[0] == '=' ? t : !t;
        return err;
    }
    if (strcmp(op, "<") == 0 || strcmp(op, ">=") == 0) {
        err = cmp_less(a, b, &t);
        *pass = op[0] == '<' ? t : !t;
        return err;
    }
    if (strcmp(op, "<=") == 0 || strcmp(op, ">") == 0) {
        err = cmp_less(a, b, &t);
        if (!err && !t)
            err = cmp_equal(a, b, &t);
        *pass = op[0] == '<' ? t : !t;
        return err;
    }
    return "";
}

/* ---- evaluator (client-go jsonpath.go) ---- */

static int walk(struct exec *x, const struct vlist *in, const struct node *nd, struct vlist *out);

/* evalList. On GO_ERR, <out> holds what Go returns with its error (the
 * existence filter looks at it). */
static int eval_list(struct exec *x, const struct vlist *in, const struct node *list,
                     struct vlist *out)
{
    struct vlist cur = {0};
    if (vl_copy(x, &cur, in)) {
        vl_free(&cur);
        return FATAL;
    }
    for (size_t i = 0; i < list->nkids; i++) {
        struct vlist next = {0};
        int rc = walk(x, &cur, list->kids[i], &next);
        vl_free(&cur);
        cur = next;
        if (rc < 0) {
            *out = cur;
            return rc;
        }
    }
    *out = cur;
    return 0;
}

static int eval_field(struct exec *x, const struct vlist *in, const struct node *nd,
                      struct vlist *out)
{
    if (in->n == 0)
        return 0;
    for (size_t i = 0; i < in->n; i++) {
        const struct val *v = &in->v[i];
        if (v->kind != V_JSON || !json_is_object(v->j))
            continue; /* nil, or not a map: no such field */
        const json_t *c = json_object_getn(v->j, nd->str, nd->len);
        if (c && vl_push(x, out, v_json(c)))
            return FATAL;
    }
    if (out->n == 0 && !x->allow_missing)
        return go_err(x, "%s is not found", nd->str);
    return 0;
}

static long long wrap_add(long long a, long long b)
{
    return (long long)((unsigned long long)a + (unsigned long long)b);
}

static int eval_array(struct exec *x, const struct vlist *in, const struct node *nd,
                      struct vlist *out)
{
    for (size_t k = 0; k < in->n; k++) {
        const struct val *v = &in->v[k];
        if (is_nil(v))
            continue;
        if (v->kind == V_INVALID) {
            /* kubectl panics here, with this message */
            go_err(x, "reflect: call of reflect.Value.Type on zero Value");
            return ret_input(x, out, in);
        }
        if (v->kind != V_JSON || !json_is_array(v->j)) {
            go_err(x, "%s is not array or slice", go_type(v));
            return ret_input(x, out, in);
        }
        long long len = (long long)json_array_size(v->j);
        struct param p0 = nd->params[0], p1 = nd->params[1], p2 = nd->params[2];
        if (!p0.known)
            p0.value = 0;
        if (p0.value < 0)
            p0.value = wrap_add(p0.value, len);
        if (!p1.known)
            p1.value = len;
        if (p1.value < 0 || (p1.value == 0 && p1.derived))
            p1.value = wrap_add(p1.value, len);
        if (p1.value == p0.value)
            return 0; /* zero elements asked: Go returns at once, later inputs unseen */
        if (p0.value >= len || p0.value < 0) {
            go_err(x, "array index out of bounds: index %lld, length %lld", p0.value, len);
            return ret_input(x, out, in);
        }
        if (p1.value > len || p1.value < 0) {
            go_err(x, "array index out of bounds: index %lld, length %lld", wrap_add(p1.value, -1),
                   len);
            return ret_input(x, out, in);
        }
        if (p0.value > p1.value) {
            go_err(x, "starting index %lld is greater than ending index %lld", p0.value, p1.value);
            return ret_input(x, out, in);
        }
        long long step = 1;
        if (p2.known) {
            if (p2.value <= 0) {
                go_err(x, "step must be > 0");
                return ret_input(x, out, in);
            }
            step = p2.value;
        }
        for (long long i = 0; i < p1.value - p0.value; i += step)
            if (vl_push(x, out, v_json(json_array_get(v->j, (size_t)(p0.value + i)))))
                return FATAL;
    }
    return 0;
}

static int eval_union(struct exec *x, const struct vlist *in, const struct node *nd,
                      struct vlist *out)
{
    for (size_t i = 0; i < nd->nkids; i++) {
        struct vlist t = {0};
        int rc = eval_list(x, in, nd->kids[i], &t);
        if (rc == GO_ERR) {
            vl_free(&t);
            return ret_input(x, out, in);
        }
        if (rc == 0)
            rc = vl_copy(x, out, &t);
        vl_free(&t);
        if (rc)
            return FATAL;
    }
    return 0;
}

/* The children .* and .. see: map values in stored order, slice elements,
 * and the bytes of a string (as uint8, which is how kubectl prints them). */
static int push_children(struct exec *x, const struct val *v, struct vlist *out)
{
    if (v->kind == V_JSON && json_is_object(v->j)) {
        const char *k;
        json_t *c;
        json_object_foreach(unconst(v->j), k, c)
        {
            if (vl_push(x, out, v_json(c)))
                return FATAL;
        }
    } else if (v->kind == V_JSON && json_is_array(v->j)) {
        for (size_t i = 0; i < json_array_size(v->j); i++)
            if (vl_push(x, out, v_json(json_array_get(v->j, i))))
                return FATAL;
    } else if (v->kind == V_STR || is_json_string(v)) {
        const char *s;
        size_t n;
        str_of(v, &s, &n);
        for (size_t i = 0; i < n; i++)
            if (vl_push(x, out, (struct val){.kind = V_BYTE, .i = (unsigned char)s[i]}))
                return FATAL;
    }
    return 0;
}

static int eval_wildcard(struct exec *x, const struct vlist *in, struct vlist *out)
{
    for (size_t i = 0; i < in->n; i++)
        if (!is_nil(&in->v[i]) && push_children(x, &in->v[i], out))
            return FATAL;
    return 0;
}

static bool has_children(const struct val *v)
{
    if (v->kind == V_JSON && json_is_object(v->j))
        return json_object_size(v->j) > 0;
    if (v->kind == V_JSON && json_is_array(v->j))
        return json_array_size(v->j) > 0;
    if (is_json_string(v))
        return json_string_length(v->j) > 0;
    return v->kind == V_STR && v->slen > 0;
}

/* evalRecursive: every value that has children, parent before children, in
 * document order. Go recurses; a document can be deep, so this keeps its own
 * stack. Strings count (their bytes are children) but are not descended. */
static int eval_recursive(struct exec *x, const struct vlist *in, struct vlist *out)
{
    struct frame {
        const json_t *c;
        size_t idx;
        void *iter;
    };
    struct frame *st = NULL;
    size_t depth = 0, cap = 0;
    int rc = 0;
    for (size_t i = 0; i < in->n && !rc; i++) {
        const struct val *v = &in->v[i];
        if (is_nil(v) || !has_children(v))
            continue;
        if ((rc = vl_push(x, out, *v)))
            break;
        if (v->kind != V_JSON || json_is_string(v->j))
            continue;
        depth = 0;
        const json_t *c = v->j;
        for (;;) {
            if (c) {
                if (depth == cap) {
                    size_t ncap = cap ? cap * 2 : 16;
                    struct frame *ns = realloc(st, ncap * sizeof *ns);
                    if (!ns) {
                        rc = oom(x);
                        break;
                    }
                    st = ns;
                    cap = ncap;
                }
                st[depth++] = (struct frame){c, 0, json_object_iter(unconst(c))};
                c = NULL;
            }
            if (depth == 0)
                break;
            struct frame *f = &st[depth - 1];
            const json_t *kid;
            if (json_is_object(f->c)) {
                if (!f->iter) {
                    depth--;
                    continue;
                }
                kid = json_object_iter_value(f->iter);
                f->iter = json_object_iter_next(unconst(f->c), f->iter);
            } else {
                if (f->idx >= json_array_size(f->c)) {
                    depth--;
                    continue;
                }
                kid = json_array_get(f->c, f->idx++);
            }
            /* Scalars and empty containers are skipped but still cost a
             * look: an array of a million numbers is a million steps. */
            if ((rc = step(x)))
                break;
            struct val kv = v_json(kid);
            if (json_is_null(kid) || !has_children(&kv))
                continue;
            if ((rc = vl_push(x, out, kv)))
                break;
            if (!json_is_string(kid))
                c = kid;
        }
    }
    free(st);
    return rc ? FATAL : 0;
}

/* evalFilter. */
static int eval_filter(struct exec *x, const struct vlist *in, const struct node *nd,
                       struct vlist *out)
{
    for (size_t k = 0; k < in->n; k++) {
        const struct val *v = &in->v[k];
        if (v->kind != V_JSON || !json_is_array(v->j)) {
            struct buf d = BUF_INIT;
            int rc = go_fmt_val(&d, v);
            if (rc == 0)
                go_err(x, "%s is not array or slice and cannot be filtered", buf_str(&d));
            buf_fini(&d);
            return rc ? oom(x) : ret_input(x, out, in);
        }
        for (size_t i = 0; i < json_array_size(v->j); i++) {
            const json_t *el = json_array_get(v->j, i);
            struct vlist temp = {0}, lefts = {0}, rights = {0};
            int rc = vl_push(x, &temp, v_json(el));
            if (rc)
                return FATAL;
            rc = eval_list(x, &temp, nd->left, &lefts);
            if (rc == FATAL)
                goto fail;
            if (strcmp(nd->op, "exists") == 0) {
                /* Go ignores the error here and looks at what came back. */
                if (lefts.n > 0 && vl_push(x, out, v_json(el))) {
                    rc = FATAL;
                    goto fail;
                }
                vl_free(&temp);
                vl_free(&lefts);
                continue;
            }
            if (rc == GO_ERR || lefts.n > 1) {
                if (rc != GO_ERR)
                    go_err(x, "can only compare one element at a time");
                goto fail_input;
            }
            if (lefts.n == 0) {
                vl_free(&temp);
                vl_free(&lefts);
                continue;
            }
            rc = eval_list(x, &temp, nd->right, &rights);
            if (rc == FATAL)
                goto fail;
            if (rc == GO_ERR || rights.n > 1) {
                if (rc != GO_ERR)
                    go_err(x, "can only compare one element at a time");
                goto fail_input;
            }
            if (rights.n == 1) {
                bool pass = false;
                const char *err = compare(nd->op, &lefts.v[0], &rights.v[0], &pass);
                if (err) {
                    if (*err)
                        go_err(x, "%s", err);
                    else
                        go_err(x, "unrecognized filter operator %s", nd->op);
                    rc = GO_ERR; /* Go returns the results so far here */
                    goto fail;
                }
                if (pass && vl_push(x, out, v_json(el))) {
                    rc = FATAL;
                    goto fail;
                }
            }
            vl_free(&temp);
            vl_free(&lefts);
            vl_free(&rights);
            continue;
        fail_input:
            rc = ret_input(x, out, in);
        fail:
            vl_free(&temp);
            vl_free(&lefts);
            vl_free(&rights);
            return rc;
        }
    }
    return 0;
}

static int eval_identifier(struct exec *x, const struct vlist *in, const struct node *nd,
                           struct vlist *out)
{
    if (strcmp(nd->str, "range") == 0) {
        x->begin_range++;
        return vl_copy(x, out, in);
    }
    if (strcmp(nd->str, "end") == 0) {
        if (x->in_range > 0) {
            x->end_range++;
            return 0;
        }
        return go_err(x, "not in range, nothing to end");
    }
    go_err(x, "unrecognized identifier %s", nd->str);
    return ret_input(x, out, in);
}

/* walk: evaluates <nd> over the values <in>, appending to the empty <out>.
 * Returns 0, GO_ERR (with <out> as Go returns it) or FATAL. */
static int walk(struct exec *x, const struct vlist *in, const struct node *nd, struct vlist *out)
{
    switch (nd->type) {
    case NODE_LIST:
        return eval_list(x, in, nd, out);
    case NODE_TEXT:
        return vl_push(x, out, (struct val){.kind = V_STR, .s = nd->str, .slen = nd->len});
    case NODE_FIELD:
        return eval_field(x, in, nd, out);
    case NODE_ARRAY:
        return eval_array(x, in, nd, out);
    case NODE_FILTER:
        return eval_filter(x, in, nd, out);
    case NODE_INT:
    case NODE_FLOAT:
    case NODE_BOOL:
        for (size_t i = 0; i < in->n; i++) {
            struct val v = {.kind = nd->type == NODE_INT     ? V_INT
                                    : nd->type == NODE_FLOAT ? V_FLOAT
                                                             : V_BOOL,
                            .i = nd->ival,
                            .f = nd->fval,
                            .b = nd->bval};
            if (vl_push(x, out, v))
                return FATAL;
        }
        return 0;
    case NODE_WILDCARD:
        return eval_wildcard(x, in, out);
    case NODE_RECURSIVE:
        return eval_recursive(x, in, out);
    case NODE_UNION:
        return eval_union(x, in, nd, out);
    case NODE_IDENT:
        return eval_identifier(x, in, nd, out);
    }
    return fatal(x, "unexpected node");
}

/* FindResults from top-level node <start> on, over <data>, printing as it
 * goes (Go collects everything, then prints; on an error the caller drops
 * the output, so the bytes are the same). {range} evaluates the following
 * nodes once per item through recursion, and {end} stops that recursion;
 * the fields of <x> carry Go's bookkeeping for it, quirks and all: a
 * {range} without {end} goes on to evaluate the rest of the template again,
 * over the whole object, once the items are done. */
static int find_results(struct exec *x, size_t start, struct val data)
{
    if (++x->range_depth > RANGE_DEPTH_MAX)
        return fatal(x, "jsonpath {range} nested deeper than %d levels", RANGE_DEPTH_MAX);
    if (step(x))
        return FATAL;
    const struct node *top = x->top;
    struct vlist cur = {&data, 1, 1};
    int rc = 0;
    for (size_t i = start; i < top->nkids; i++) {
        struct vlist res = {0};
        rc = walk(x, &cur, top->kids[i], &res);
        if (rc < 0) {
            vl_free(&res);
            break;
        }
        if (x->end_range > 0 && x->end_range <= x->in_range) {
            x->end_range--;
            x->last_end = i;
            vl_free(&res);
            break;
        }
        if (x->begin_range > 0) {
            x->begin_range--;
            x->in_range++;
            if (res.n > 0) {
                for (size_t k = 0; k < res.n && rc == 0; k++) {
                    struct val item = res.v[k];
                    if (item.kind == V_INVALID) {
                        rc = go_err(x, "reflect: call of reflect.Value.Interface on zero Value");
                        break;
                    }
                    if (is_nil(&item)) /* value.Interface() is nil: no value */
                        item = (struct val){.kind = V_INVALID};
                    rc = find_results(x, i + 1, item);
                }
            } else {
                /* Nothing to range over: run the body once, unprinted, only
                 * to find its {end} (errors in it still count). */
                x->discard++;
                rc = find_results(x, i + 1, (struct val){.kind = V_INVALID});
                x->discard--;
            }
            vl_free(&res);
            if (rc < 0)
                break;
            x->in_range--;
            if (x->last_end != SIZE_MAX && x->last_end > i && x->last_end < top->nkids)
                i = x->last_end;
            continue;
        }
        if (!x->discard)
            rc = print_results(x, &res);
        vl_free(&res);
        if (rc < 0)
            break;
    }
    x->range_depth--;
    return rc;
}

int jsonpath_exec(const struct jsonpath *jp, const json_t *data, int allow_missing, struct buf *out,
                  struct err *e)
{
    struct exec x = {
        .top = jp->root,
        .allow_missing = allow_missing != 0,
        .out = out,
        .e = e,
        .last_end = SIZE_MAX,
        .max_steps = jp->max_steps ? jp->max_steps : JSONPATH_DEFAULT_MAX_STEPS,
    };
    size_t mark = out->len;
    struct val root = data ? v_json(data) : (struct val){.kind = V_INVALID};
    if (find_results(&x, 0, root) == 0)
        return 0;
    out->len = mark; /* kubectl prints nothing when the template fails */
    if (out->p)
        out->p[mark] = '\0';
    return -1;
}

/* ---- kubectl's printer messages ---- */

int jsonpath_parse_error_text(const char *tmpl, const char *msg, struct buf *out)
{
    return buf_addf(out, "error parsing jsonpath %s, %s", tmpl, msg);
}

int jsonpath_exec_error_text(const char *tmpl, const char *msg, const json_t *data, struct buf *out)
{
    int rc = buf_adds(out, "error executing jsonpath ");
    rc = rc ? rc : go_quote(out, tmpl, strlen(tmpl));
    rc = rc ? rc
            : buf_addf(out,
                       ": Error executing template: %s. Printing more information for "
                       "debugging the template:\n\ttemplate was:\n\t\t%s\n\tobject given to "
                       "jsonpath engine was:\n\t\t",
                       msg, tmpl);
    if (!rc)
        rc = data ? go_fmt_json(out, data, true, true, 0) : buf_adds(out, "<nil>");
    if (rc == -ELOOP)
        rc = buf_adds(out, "<too deep>");
    return rc ? -ENOMEM : buf_adds(out, "\n\n\n");
}
