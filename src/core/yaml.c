/* YAML reader and writer with kubectl's semantics.
 *
 * kubectl reads YAML with sigs.k8s.io/yaml (v1.4, its fork of go-yaml v2):
 * go-yaml parses the text into a node tree, decodes the tree into
 * interface{} values (YAML 1.1 typing, merge keys, aliases), and sigs.k8s.io
 * turns that into JSON (keys into strings, +Inf refused). The reader below
 * takes the same three steps on libyaml's event stream: build_document()
 * makes the node tree, decode() the values, convert_key() and the pending
 * errors stand for the JSON step. Where a function ports one of go-yaml's,
 * it says which, so the two can be read side by side.
 *
 * kubectl writes YAML with JSONToYAML: the JSON text is decoded by go-yaml
 * again and marshalled by go-yaml's encoder and emitter. yaml_emit() picks
 * the scalar styles and the key order as that encoder does, checks for what
 * go-yaml would refuse in the JSON text, and writes through a port of
 * go-yaml's emitter (which differs from libyaml's where it shows).
 *
 * Number parsing and formatting use strtod/snprintf, so the process must keep
 * the "C" LC_NUMERIC locale (ferry never calls setlocale). */
#include "core/yaml.h"

#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <yaml.h>

#include "core/b64.h"
#include "core/json.h"

#define TAG_PREFIX "tag:yaml.org,2002:"
#define TAG_STR TAG_PREFIX "str"
#define TAG_NULL TAG_PREFIX "null"
#define TAG_BOOL TAG_PREFIX "bool"
#define TAG_INT TAG_PREFIX "int"
#define TAG_FLOAT TAG_PREFIX "float"
#define TAG_TIMESTAMP TAG_PREFIX "timestamp"
#define TAG_BINARY TAG_PREFIX "binary"
#define TAG_MERGE TAG_PREFIX "merge"

/* Bytes of scalars that alias expansion may copy in one document. go-yaml
 * only counts nodes, which would let a few aliases of a huge string through. */
#define ALIAS_MAX_BYTES ((size_t)64 << 20)

/* ------------------------------------------------------------------------
 * UTF-8 as Go sees it (Go's decoding and its letter and digit classes are
 * json.c's, shared with jsonpath.c).
 */

static bool utf8_valid(const char *s, size_t n)
{
    const unsigned char *p = (const unsigned char *)s;
    for (size_t i = 0; i < n;) {
        if (p[i] < 0x80) {
            i++;
            continue;
        }
        uint32_t r;
        size_t w = json_rune_decode(p + i, n - i, &r);
        if (r == 0xFFFD && w == 1)
            return false;
        i += w;
    }
    return true;
}

/* Go's json.Marshal writes each invalid byte of a string as U+FFFD; kubectl's
 * data always passes through JSON, so both directions here do the same.
 * Returns a new NUL-terminated copy (length in *outlen), or NULL. */
static char *utf8_sanitize(const char *s, size_t n, size_t *outlen)
{
    const unsigned char *p = (const unsigned char *)s;
    size_t cap = n * 3 + 1, o = 0;
    char *out = malloc(cap);
    if (!out)
        return NULL;
    for (size_t i = 0; i < n;) {
        uint32_t r;
        size_t w = json_rune_decode(p + i, n - i, &r);
        if (r == 0xFFFD && w == 1) {
            memcpy(out + o, "\xEF\xBF\xBD", 3);
            o += 3;
        } else {
            memcpy(out + o, p + i, w);
            o += w;
        }
        i += w;
    }
    out[o] = '\0';
    *outlen = o;
    return out;
}

/* strconv.FormatFloat(f, 'g', -1, bits), with go-yaml's and sigs.k8s.io's
 * spellings of the specials (.inf, -.inf, .nan). <s> holds JSON_FLOAT_MAX
 * bytes. */
static void format_g(double f, int bits, char *s)
{
    json_float_g(f, bits, s);
    if (strcmp(s, "NaN") == 0)
        snprintf(s, JSON_FLOAT_MAX, ".nan");
    else if (strcmp(s, "+Inf") == 0)
        snprintf(s, JSON_FLOAT_MAX, ".inf");
    else if (strcmp(s, "-Inf") == 0)
        snprintf(s, JSON_FLOAT_MAX, "-.inf");
}

/* ------------------------------------------------------------------------
 * Scalar resolution: go-yaml v2's resolve() for plain scalars.
 */

enum rtag { R_STR, R_NULL, R_BOOL, R_INT, R_UINT, R_FLOAT, R_TIMESTAMP, R_MERGE };

struct resolved {
    enum rtag tag;
    bool b;
    int64_t i;
    uint64_t u;
    double f;
};

static bool digit_at(const char *s, size_t n, size_t i)
{
    return i < n && s[i] >= '0' && s[i] <= '9';
}

/* strconv.ParseUint(s, 0, 64): prefixes 0x, 0o, 0b (3 bytes at least) and a
 * bare leading 0 for octal. Returns 0, or -1 on bad syntax or overflow. */
static int go_parse_uint(const char *s, size_t n, uint64_t *out)
{
    unsigned base = 10;
    if (n == 0)
        return -1;
    if (s[0] == '0') {
        char c1 = n >= 3 ? (char)(s[1] | 0x20) : 0;
        if (c1 == 'b' || c1 == 'o' || c1 == 'x') {
            base = c1 == 'b' ? 2 : c1 == 'o' ? 8 : 16;
            s += 2;
            n -= 2;
        } else {
            base = 8;
            s++;
            n--;
        }
    }
    uint64_t v = 0;
    for (size_t i = 0; i < n; i++) {
        unsigned c = (unsigned char)s[i], d;
        if (c >= '0' && c <= '9')
            d = c - '0';
        else if ((c | 0x20) >= 'a' && (c | 0x20) <= 'z')
            d = (c | 0x20) - 'a' + 10;
        else
            return -1;
        if (d >= base)
            return -1;
        if (v > (UINT64_MAX - d) / base)
            return -1;
        v = v * base + d;
    }
    *out = v;
    return 0;
}

/* strconv.ParseInt(s, 0, 64). */
static int go_parse_int(const char *s, size_t n, int64_t *out)
{
    bool neg = false;
    uint64_t u;
    if (n == 0)
        return -1;
    if (s[0] == '+' || s[0] == '-') {
        neg = s[0] == '-';
        s++;
        n--;
    }
    if (go_parse_uint(s, n, &u) < 0)
        return -1;
    if (!neg && u > (uint64_t)INT64_MAX)
        return -1;
    if (neg && u > (uint64_t)INT64_MAX + 1)
        return -1;
    *out = neg ? (int64_t)(0 - u) : (int64_t)u;
    return 0;
}

/* go-yaml's yamlStyleFloat: ^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$ */
static bool yaml_style_float(const char *s, size_t n)
{
    size_t i = 0;
    if (i < n && (s[i] == '+' || s[i] == '-'))
        i++;
    if (i < n && s[i] == '.') {
        i++;
        if (!digit_at(s, n, i))
            return false;
        while (digit_at(s, n, i))
            i++;
    } else {
        if (!digit_at(s, n, i))
            return false;
        while (digit_at(s, n, i))
            i++;
        if (i < n && s[i] == '.') {
            i++;
            while (digit_at(s, n, i))
                i++;
        }
    }
    if (i < n && (s[i] == 'e' || s[i] == 'E')) {
        i++;
        if (i < n && (s[i] == '+' || s[i] == '-'))
            i++;
        if (!digit_at(s, n, i))
            return false;
        while (digit_at(s, n, i))
            i++;
    }
    return i == n;
}

/* strconv.ParseFloat on text already known to be a decimal float: overflow
 * is an error, underflow is not. */
static int go_parse_float(const char *s, size_t n, double *out)
{
    char tmp[512];
    char *heap = NULL, *p = tmp;
    if (n >= sizeof tmp) {
        heap = malloc(n + 1);
        if (!heap)
            return -1;
        p = heap;
    }
    memcpy(p, s, n);
    p[n] = '\0';
    errno = 0;
    double f = strtod(p, NULL);
    int rc = errno == ERANGE && isinf(f) ? -1 : 0;
    free(heap);
    *out = f;
    return rc;
}

/* Go's time.Parse for one of go-yaml's timestamp layouts, as far as telling
 * whether the text parses: "2006-1-2T15:4:5.999999999Z07:00" (T or t),
 * "2006-1-2 15:4:5.999999999" and "2006-1-2". */
static bool getnum(const char *s, size_t n, size_t *i, bool fixed, int *v)
{
    if (!digit_at(s, n, *i))
        return false;
    if (!digit_at(s, n, *i + 1)) {
        if (fixed)
            return false;
        *v = s[*i] - '0';
        *i += 1;
        return true;
    }
    *v = (s[*i] - '0') * 10 + (s[*i + 1] - '0');
    *i += 2;
    return true;
}

static int days_in(int month, int year)
{
    static const int days[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    if (month == 2 && (year % 4 == 0 && (year % 100 != 0 || year % 400 == 0)))
        return 29;
    return days[month - 1];
}

static bool parse_timestamp_layout(const char *s, size_t n, int layout)
{
    size_t i = 4;
    int year = 0, month, day, v;
    for (int k = 0; k < 4; k++)
        year = year * 10 + (s[k] - '0');
    if (i >= n || s[i++] != '-')
        return false;
    if (!getnum(s, n, &i, false, &month) || month < 1 || month > 12)
        return false;
    if (i >= n || s[i++] != '-')
        return false;
    if (!getnum(s, n, &i, false, &day))
        return false;
    if (layout != 3) {
        if (layout == 2) {
            /* A layout space matches one or more spaces. */
            if (i >= n || s[i] != ' ')
                return false;
            while (i < n && s[i] == ' ')
                i++;
        } else if (i >= n || (s[i] != 'T' && layout == 0) || (s[i] != 't' && layout == 1)) {
            return false;
        } else {
            i++;
        }
        if (!getnum(s, n, &i, false, &v) || v > 23)
            return false;
        if (i >= n || s[i++] != ':')
            return false;
        if (!getnum(s, n, &i, false, &v) || v > 59)
            return false;
        if (i >= n || s[i++] != ':')
            return false;
        if (!getnum(s, n, &i, false, &v) || v > 59)
            return false;
        if (i + 1 < n && (s[i] == '.' || s[i] == ',') && digit_at(s, n, i + 1)) {
            i++;
            while (digit_at(s, n, i))
                i++;
        }
        if (layout != 2) {
            if (i < n && s[i] == 'Z') {
                i++;
            } else {
                int hr, mm;
                if (n - i < 6 || s[i + 3] != ':')
                    return false;
                size_t j = i + 1;
                if (!getnum(s, i + 3, &j, true, &hr))
                    return false;
                j = i + 4;
                if (!getnum(s, i + 6, &j, true, &mm))
                    return false;
                if (hr > 24 || mm > 60 || (s[i] != '+' && s[i] != '-'))
                    return false;
                i += 6;
            }
        }
    }
    if (i != n)
        return false;
    return day >= 1 && day <= days_in(month, year);
}

static bool parse_timestamp(const char *s, size_t n)
{
    /* go-yaml's quick check: all layouts start with four digits and '-'. */
    size_t i = 0;
    while (i < n && s[i] >= '0' && s[i] <= '9')
        i++;
    if (i != 4 || i == n || s[i] != '-')
        return false;
    for (int layout = 0; layout < 4; layout++)
        if (parse_timestamp_layout(s, n, layout))
            return true;
    return false;
}

/* go-yaml's resolve() for a scalar with no tag (or one of the resolvable
 * tags): <s> as YAML 1.1 reads it. <as_str>: the tag is !!str, so nothing is
 * looked at. <want_ts>: timestamps are recognised (no tag or !!timestamp). */
static void resolve(const char *s, size_t n, bool as_str, bool want_ts, struct resolved *r)
{
    static const struct {
        const char *s;
        enum rtag tag;
        int v; /* bool value, or sign of infinity, 0 for NaN */
    } map[] = {
        {"y", R_BOOL, 1},       {"Y", R_BOOL, 1},       {"yes", R_BOOL, 1},
        {"Yes", R_BOOL, 1},     {"YES", R_BOOL, 1},     {"true", R_BOOL, 1},
        {"True", R_BOOL, 1},    {"TRUE", R_BOOL, 1},    {"on", R_BOOL, 1},
        {"On", R_BOOL, 1},      {"ON", R_BOOL, 1},      {"n", R_BOOL, 0},
        {"N", R_BOOL, 0},       {"no", R_BOOL, 0},      {"No", R_BOOL, 0},
        {"NO", R_BOOL, 0},      {"false", R_BOOL, 0},   {"False", R_BOOL, 0},
        {"FALSE", R_BOOL, 0},   {"off", R_BOOL, 0},     {"Off", R_BOOL, 0},
        {"OFF", R_BOOL, 0},     {"", R_NULL, 0},        {"~", R_NULL, 0},
        {"null", R_NULL, 0},    {"Null", R_NULL, 0},    {"NULL", R_NULL, 0},
        {".nan", R_FLOAT, 0},   {".NaN", R_FLOAT, 0},   {".NAN", R_FLOAT, 0},
        {".inf", R_FLOAT, 1},   {".Inf", R_FLOAT, 1},   {".INF", R_FLOAT, 1},
        {"+.inf", R_FLOAT, 1},  {"+.Inf", R_FLOAT, 1},  {"+.INF", R_FLOAT, 1},
        {"-.inf", R_FLOAT, -1}, {"-.Inf", R_FLOAT, -1}, {"-.INF", R_FLOAT, -1},
        {"<<", R_MERGE, 0},
    };
    char hint = 'N';

    memset(r, 0, sizeof *r);
    r->tag = R_STR;
    if (n > 0) {
        unsigned char c = (unsigned char)s[0];
        if (c == '+' || c == '-')
            hint = 'S';
        else if (c >= '0' && c <= '9')
            hint = 'D';
        else if (strchr("yYnNtTfFoO~", c) && c != '\0')
            hint = 'M';
        else if (c == '.')
            hint = '.';
        else
            hint = 0;
    }
    if (hint == 0 || as_str)
        return;

    for (size_t k = 0; k < sizeof map / sizeof map[0]; k++) {
        if (strlen(map[k].s) == n && memcmp(map[k].s, s, n) == 0) {
            r->tag = map[k].tag;
            if (r->tag == R_BOOL)
                r->b = map[k].v != 0;
            else if (r->tag == R_FLOAT)
                r->f = map[k].v == 0 ? NAN : map[k].v > 0 ? INFINITY : -INFINITY;
            return;
        }
    }

    if (hint == '.') {
        /* strconv.ParseFloat on text starting with '.': only .digits[e..]. */
        if (yaml_style_float(s, n) && go_parse_float(s, n, &r->f) == 0)
            r->tag = R_FLOAT;
        return;
    }
    if (hint != 'D' && hint != 'S')
        return;

    if (want_ts && parse_timestamp(s, n)) {
        r->tag = R_TIMESTAMP;
        return;
    }

    /* Underscores are dropped before any number parsing. */
    char small[128];
    char *plain = n < sizeof small ? small : malloc(n + 1);
    if (!plain)
        return; /* out of memory: a string, the harmless answer */
    size_t pn = 0;
    for (size_t k = 0; k < n; k++)
        if (s[k] != '_')
            plain[pn++] = s[k];
    plain[pn] = '\0';

    if (go_parse_int(plain, pn, &r->i) == 0)
        r->tag = R_INT;
    else if (go_parse_uint(plain, pn, &r->u) == 0)
        r->tag = R_UINT;
    else if (yaml_style_float(plain, pn) && go_parse_float(plain, pn, &r->f) == 0)
        r->tag = R_FLOAT;
    /* go-yaml then retries "0b…" and "-0b…" in base 2, which ParseInt with
     * base 0 has already accepted or refused for the same reasons. */
    if (plain != small)
        free(plain);
}

/* go-yaml's isBase60Float: ^[-+]?[0-9][0-9_]*(?::[0-5]?[0-9])+(?:\.[0-9_]*)?$
 * Such strings are quoted on output although they read back as strings. */
static bool is_base60_float(const char *s, size_t n)
{
    size_t i = 0;
    if (n == 0 || !memchr(s, ':', n))
        return false;
    if (s[i] == '+' || s[i] == '-')
        i++;
    if (!digit_at(s, n, i))
        return false;
    i++;
    while (i < n && (digit_at(s, n, i) || s[i] == '_'))
        i++;
    int groups = 0;
    while (i < n && s[i] == ':') {
        i++;
        /* [0-5]?[0-9] */
        if (digit_at(s, n, i) && s[i] <= '5' && digit_at(s, n, i + 1))
            i += 2;
        else if (digit_at(s, n, i))
            i++;
        else
            return false;
        groups++;
    }
    if (groups == 0)
        return false;
    if (i < n && s[i] == '.') {
        i++;
        while (i < n && (digit_at(s, n, i) || s[i] == '_'))
            i++;
    }
    return i == n;
}

/* ------------------------------------------------------------------------
 * The node tree (go-yaml's parser.go).
 */

enum nkind { N_SCALAR, N_SEQ, N_MAP, N_ALIAS };

struct ynode {
    enum nkind kind;
    int line;      /* 0-based, from the event's start mark */
    bool implicit; /* scalar: plain_implicit, i.e. plain and untagged */
    bool busy;     /* alias: being expanded (an anchor inside itself) */
    char *tag;     /* NULL when the node has none */
    char *value;   /* scalar text (may hold NULs), or the alias's anchor */
    size_t len;
    char *anchor;
    struct ynode *target; /* alias: the anchored node */
    struct ynode *first, *last, *next, *prev;
    struct ynode *all; /* every node of the document, to free them */
};

struct anchor_slot {
    const char *name;
    struct ynode *node;
};

struct loader {
    yaml_parser_t parser;
    struct ynode *all;
    struct anchor_slot *slots; /* open addressing, power-of-two size */
    size_t nslots, nused;
    struct ynode **stack;
    size_t depth, stack_cap;
};

static uint64_t hash_str(const char *s)
{
    uint64_t h = 1469598103934665603ULL;
    for (; *s; s++)
        h = (h ^ (unsigned char)*s) * 1099511628211ULL;
    return h;
}

static struct anchor_slot *anchor_find(struct loader *L, const char *name)
{
    if (!L->nslots)
        return NULL;
    size_t mask = L->nslots - 1;
    for (size_t i = hash_str(name) & mask;; i = (i + 1) & mask) {
        if (!L->slots[i].name || strcmp(L->slots[i].name, name) == 0)
            return &L->slots[i];
    }
}

/* Later definitions of a name replace earlier ones, as in go-yaml. The name
 * is owned by the node. Returns 0 or -ENOMEM. */
static int anchor_set(struct loader *L, const char *name, struct ynode *node)
{
    if ((L->nused + 1) * 2 > L->nslots) {
        size_t n = L->nslots ? L->nslots * 2 : 64;
        struct anchor_slot *old = L->slots;
        size_t oldn = L->nslots;
        L->slots = calloc(n, sizeof *L->slots);
        if (!L->slots) {
            L->slots = old;
            return -ENOMEM;
        }
        L->nslots = n;
        L->nused = 0;
        for (size_t i = 0; i < oldn; i++) {
            if (old[i].name) {
                struct anchor_slot *s = anchor_find(L, old[i].name);
                *s = old[i];
                L->nused++;
            }
        }
        free(old);
    }
    struct anchor_slot *s = anchor_find(L, name);
    if (!s->name)
        L->nused++;
    s->name = name;
    s->node = node;
    return 0;
}

static void free_nodes(struct loader *L)
{
    struct ynode *n = L->all;
    while (n) {
        struct ynode *next = n->all;
        free(n->tag);
        free(n->value);
        free(n->anchor);
        free(n);
        n = next;
    }
    L->all = NULL;
    free(L->slots);
    L->slots = NULL;
    L->nslots = L->nused = 0;
    L->depth = 0;
}

static char *dup_str(const unsigned char *s)
{
    return s ? strdup((const char *)s) : NULL;
}

static char *dup_mem(const unsigned char *s, size_t n)
{
    char *p = malloc(n + 1);
    if (p) {
        if (n)
            memcpy(p, s, n);
        p[n] = '\0';
    }
    return p;
}

/* go-yaml's parser.fail(): the line of the problem (1-based for scanner
 * errors, 0-based for parser errors: go-yaml's own quirk, kept because users
 * see it), or of the context when the problem is on line 0, and no line at
 * all when both are 0. */
static int parser_fail(const yaml_parser_t *p, struct err *e)
{
    size_t line = 0;
    if (p->error == YAML_MEMORY_ERROR)
        return err_set(e, "yaml: out of memory");
    if (p->problem_mark.line != 0) {
        line = p->problem_mark.line;
        if (p->error == YAML_SCANNER_ERROR)
            line++;
    } else if (p->context_mark.line != 0) {
        line = p->context_mark.line;
    }
    const char *msg = p->problem ? p->problem : "unknown problem parsing YAML content";
    if (line)
        return err_set(e, "yaml: line %zu: %s", line, msg);
    return err_set(e, "yaml: %s", msg);
}

static int oom(struct err *e)
{
    return err_set(e, "yaml: out of memory");
}

/* go-yaml's scanner error for nesting past its limit: 1-based line, none
 * on the first line. <line> is 0-based. */
static int fail_depth(struct err *e, int line)
{
    if (line == 0)
        return err_set(e, "yaml: exceeded max depth of %d", YAML_MAX_DEPTH);
    return err_set(e, "yaml: line %d: exceeded max depth of %d", line + 1, YAML_MAX_DEPTH);
}

/* Reads the events of one document (DOCUMENT-START already consumed) up to
 * its DOCUMENT-END into a node tree; *root is owned by L->all. */
static int build_document(struct loader *L, struct ynode **root, struct err *e)
{
    yaml_event_t ev;
    *root = NULL;

    for (;;) {
        if (!yaml_parser_parse(&L->parser, &ev))
            return parser_fail(&L->parser, e);
        if (ev.type == YAML_DOCUMENT_END_EVENT) {
            yaml_event_delete(&ev);
            return 0;
        }
        if (ev.type == YAML_SEQUENCE_END_EVENT || ev.type == YAML_MAPPING_END_EVENT) {
            yaml_event_delete(&ev);
            if (L->depth > 0)
                L->depth--;
            continue;
        }
        if (ev.type != YAML_SCALAR_EVENT && ev.type != YAML_ALIAS_EVENT &&
            ev.type != YAML_SEQUENCE_START_EVENT && ev.type != YAML_MAPPING_START_EVENT) {
            yaml_event_delete(&ev);
            return err_set(e, "yaml: unexpected event in document");
        }

        struct ynode *n = calloc(1, sizeof *n);
        if (!n) {
            yaml_event_delete(&ev);
            return oom(e);
        }
        n->all = L->all;
        L->all = n;
        n->line = (int)(ev.start_mark.line > INT32_MAX ? INT32_MAX : ev.start_mark.line);

        const unsigned char *anchor = NULL, *tag = NULL;
        switch (ev.type) {
        case YAML_SCALAR_EVENT:
            n->kind = N_SCALAR;
            n->implicit = ev.data.scalar.plain_implicit;
            n->len = ev.data.scalar.length;
            n->value = dup_mem(ev.data.scalar.value, n->len);
            anchor = ev.data.scalar.anchor;
            tag = ev.data.scalar.tag;
            if (!n->value)
                goto fail_oom;
            break;
        case YAML_ALIAS_EVENT: {
            n->kind = N_ALIAS;
            n->value = dup_str(ev.data.alias.anchor);
            if (!n->value)
                goto fail_oom;
            n->len = strlen(n->value);
            struct anchor_slot *s = anchor_find(L, n->value);
            if (!s || !s->name) {
                yaml_event_delete(&ev);
                return err_set(e, "yaml: unknown anchor '%s' referenced", n->value);
            }
            n->target = s->node;
            break;
        }
        case YAML_SEQUENCE_START_EVENT:
            n->kind = N_SEQ;
            anchor = ev.data.sequence_start.anchor;
            tag = ev.data.sequence_start.tag;
            break;
        default:
            n->kind = N_MAP;
            anchor = ev.data.mapping_start.anchor;
            tag = ev.data.mapping_start.tag;
            break;
        }
        if (tag && !(n->tag = dup_str(tag)))
            goto fail_oom;
        if (anchor) {
            if (!(n->anchor = dup_str(anchor)) || anchor_set(L, n->anchor, n) < 0)
                goto fail_oom;
        }
        yaml_event_delete(&ev);

        if (L->depth == 0) {
            if (*root)
                return err_set(e, "yaml: unexpected event in document");
            *root = n;
        } else {
            struct ynode *parent = L->stack[L->depth - 1];
            n->prev = parent->last;
            if (parent->last)
                parent->last->next = n;
            else
                parent->first = n;
            parent->last = n;
        }
        if (n->kind == N_SEQ || n->kind == N_MAP) {
            if (L->depth >= YAML_MAX_DEPTH)
                return fail_depth(e, n->line);
            if (L->depth == L->stack_cap) {
                size_t cap = L->stack_cap ? L->stack_cap * 2 : 32;
                struct ynode **st = realloc(L->stack, cap * sizeof *st);
                if (!st)
                    return oom(e);
                L->stack = st;
                L->stack_cap = cap;
            }
            L->stack[L->depth++] = n;
        }
        continue;

    fail_oom:
        yaml_event_delete(&ev);
        return oom(e);
    }
}

/* ------------------------------------------------------------------------
 * Decoding (go-yaml's decoder, into interface{}) and the JSON conversion.
 */

/* The Go type go-yaml gave a value; map keys are converted from it. */
enum gotype { G_NIL, G_BOOL, G_INT, G_UINT, G_FLOAT, G_STR, G_MAP, G_SEQ };

struct gval {
    enum gotype type;
    double f;   /* G_FLOAT, also when JSON cannot hold it (inf, nan) */
    uint64_t u; /* G_UINT */
};

struct dec {
    long decode_count, alias_count, alias_depth;
    size_t alias_bytes;
    struct err *e;
    /* Errors that sigs.k8s.io/yaml finds after go-yaml is done: an
     * unsupported key type (conversion), then a value JSON cannot hold. */
    char pending_convert[ERR_MSG_MAX];
    char pending_json[ERR_MSG_MAX];
};

/* go-yaml's allowedAliasRatio. */
static double allowed_alias_ratio(long count)
{
    if (count <= 400000)
        return 0.99;
    if (count >= 4000000)
        return 0.10;
    return 0.99 - 0.89 * ((double)(count - 400000) / 3600000.0);
}

/* go-yaml counts every unmarshal step to catch billion-laughs documents. */
static int count_step(struct dec *d)
{
    d->decode_count++;
    if (d->alias_depth > 0)
        d->alias_count++;
    if (d->alias_count > 100 && d->decode_count > 1000 &&
        (double)d->alias_count / (double)d->decode_count > allowed_alias_ratio(d->decode_count))
        return err_set(d->e, "yaml: document contains excessive aliasing");
    return 0;
}

static const char *short_tag(const char *tag, char *buf, size_t n)
{
    size_t plen = strlen(TAG_PREFIX);
    if (strncmp(tag, TAG_PREFIX, plen) == 0) {
        snprintf(buf, n, "!!%s", tag + plen);
        return buf;
    }
    return tag;
}

static const char *rtag_name(enum rtag t)
{
    switch (t) {
    case R_STR:
        return TAG_STR;
    case R_NULL:
        return TAG_NULL;
    case R_BOOL:
        return TAG_BOOL;
    case R_INT:
    case R_UINT:
        return TAG_INT;
    case R_FLOAT:
        return TAG_FLOAT;
    case R_TIMESTAMP:
        return TAG_TIMESTAMP;
    case R_MERGE:
        return TAG_MERGE;
    }
    return TAG_STR;
}

static int make_string(struct dec *d, const char *s, size_t n, json_t **out, struct gval *gv)
{
    if (utf8_valid(s, n)) {
        *out = json_stringn(s, n);
    } else {
        size_t m;
        char *t = utf8_sanitize(s, n, &m);
        if (!t)
            return oom(d->e);
        *out = json_stringn(t, m);
        free(t);
    }
    if (!*out)
        return oom(d->e);
    gv->type = G_STR;
    return 0;
}

static void pend_json_float(struct dec *d, double f)
{
    if (!d->pending_json[0])
        snprintf(d->pending_json, sizeof d->pending_json, "json: unsupported value: %s",
                 isnan(f) ? "NaN"
                 : f > 0  ? "+Inf"
                          : "-Inf");
}

/* go-yaml's decoder.scalar() into an interface{}. */
static int decode_scalar(struct dec *d, struct ynode *n, json_t **out, struct gval *gv)
{
    char b1[128], b2[128];
    struct resolved r;

    if (d->alias_depth > 0) {
        d->alias_bytes += n->len;
        if (d->alias_bytes > ALIAS_MAX_BYTES)
            return err_set(d->e, "yaml: document contains excessive aliasing");
    }
    if (!n->tag && !n->implicit)
        return make_string(d, n->value, n->len, out, gv);

    const char *tag = n->tag;
    bool resolvable = !tag || !strcmp(tag, TAG_STR) || !strcmp(tag, TAG_BOOL) ||
                      !strcmp(tag, TAG_INT) || !strcmp(tag, TAG_FLOAT) || !strcmp(tag, TAG_NULL) ||
                      !strcmp(tag, TAG_TIMESTAMP);
    if (!resolvable) {
        if (strcmp(tag, TAG_BINARY) == 0) {
            size_t m;
            unsigned char *raw;
            struct err be;
            int r64 = b64_decode_n(n->value, n->len, &raw, &m, &be);
            if (r64 < 0)
                return r64 == -2
                           ? oom(d->e)
                           : err_set(d->e, "yaml: !!binary value contains invalid base64 data");
            int rc = make_string(d, (const char *)raw, m, out, gv);
            free(raw);
            return rc;
        }
        /* Unknown and local tags (!foo, !!map on a scalar…) leave a string. */
        return make_string(d, n->value, n->len, out, gv);
    }

    bool want_ts = !tag || !strcmp(tag, TAG_TIMESTAMP);
    resolve(n->value, n->len, tag && !strcmp(tag, TAG_STR), want_ts, &r);
    if (tag && strcmp(tag, TAG_STR) != 0 && strcmp(tag, rtag_name(r.tag)) != 0) {
        if (!strcmp(tag, TAG_FLOAT) && r.tag == R_INT) {
            r.tag = R_FLOAT;
            r.f = (double)r.i;
        } else {
            /* The value goes into the message as is, like go-yaml's %s. */
            return err_set(d->e, "yaml: cannot decode %s `%.*s` as a %s",
                           short_tag(rtag_name(r.tag), b1, sizeof b1),
                           (int)(n->len > 512 ? 512 : n->len), n->value,
                           short_tag(tag, b2, sizeof b2));
        }
    }

    switch (r.tag) {
    case R_NULL:
        gv->type = G_NIL;
        *out = json_null();
        break;
    case R_BOOL:
        gv->type = G_BOOL;
        *out = json_boolean(r.b);
        break;
    case R_INT:
        gv->type = G_INT;
        *out = json_integer(r.i);
        break;
    case R_UINT:
        /* jansson has no uint64: past INT64_MAX the value becomes a float. */
        gv->type = G_UINT;
        gv->u = r.u;
        *out = json_real((double)r.u);
        break;
    case R_FLOAT:
        gv->type = G_FLOAT;
        gv->f = r.f;
        if (!isfinite(r.f)) {
            pend_json_float(d, r.f);
            *out = json_null();
        } else {
            *out = json_real(r.f);
        }
        break;
    case R_STR:
    case R_TIMESTAMP: /* go-yaml keeps timestamps as their text in interface{} */
    case R_MERGE:
        return make_string(d, n->value, n->len, out, gv);
    }
    if (!*out)
        return oom(d->e);
    return 0;
}

/* Go's %#v of a decoded value, for the messages that print one. Only as
 * faithful as those rare messages need. */
static void go_sharp_v(struct buf *b, const json_t *v, const struct gval *gv, bool nested)
{
    if (b->len > 300)
        return;
    if (gv && gv->type == G_UINT) {
        buf_addf(b, "0x%" PRIx64, gv->u);
        return;
    }
    if (gv && gv->type == G_FLOAT && !isfinite(gv->f)) {
        buf_adds(b, isnan(gv->f) ? "NaN" : gv->f > 0 ? "+Inf" : "-Inf");
        return;
    }
    switch (json_typeof(v)) {
    case JSON_NULL:
        buf_adds(b, nested ? "interface {}(nil)" : "<nil>");
        break;
    case JSON_TRUE:
        buf_adds(b, "true");
        break;
    case JSON_FALSE:
        buf_adds(b, "false");
        break;
    case JSON_INTEGER:
        buf_addf(b, "%" JSON_INTEGER_FORMAT, json_integer_value(v));
        break;
    case JSON_REAL: {
        char s[JSON_FLOAT_MAX];
        format_g(json_real_value(v), 64, s);
        buf_adds(b, s);
        break;
    }
    case JSON_STRING: {
        const char *s = json_string_value(v);
        size_t n = json_string_length(v);
        buf_addc(b, '"');
        for (size_t i = 0; i < n && b->len < 300; i++) {
            unsigned char c = (unsigned char)s[i];
            if (c == '"' || c == '\\')
                buf_addf(b, "\\%c", c);
            else if (c == '\n')
                buf_adds(b, "\\n");
            else if (c == '\t')
                buf_adds(b, "\\t");
            else if (c < 0x20 || c == 0x7F)
                buf_addf(b, "\\x%02x", c);
            else
                buf_addc(b, (char)c);
        }
        buf_addc(b, '"');
        break;
    }
    case JSON_ARRAY: {
        size_t i;
        json_t *x;
        buf_adds(b, "[]interface {}{");
        json_array_foreach(v, i, x)
        {
            if (i)
                buf_adds(b, ", ");
            go_sharp_v(b, x, NULL, true);
        }
        buf_addc(b, '}');
        break;
    }
    case JSON_OBJECT: {
        const char *k;
        json_t *x;
        bool first = true;
        buf_adds(b, "map[interface {}]interface {}{");
        json_object_foreach((json_t *)v, k, x)
        {
            if (!first)
                buf_adds(b, ", ");
            first = false;
            json_t *ks = json_string(k);
            if (ks)
                go_sharp_v(b, ks, NULL, true);
            json_decref(ks);
            buf_addc(b, ':');
            go_sharp_v(b, x, NULL, true);
        }
        buf_addc(b, '}');
        break;
    }
    }
}

/* sigs.k8s.io/yaml's key conversion: strings stay, ints and bools are
 * spelled out, floats go through FormatFloat(f, 'g', -1, 32). Other key
 * types make the conversion fail, reported once go-yaml would be done.
 * Returns a new string in *key, NULL for an unsupported key, -1 on OOM. */
static int convert_key(struct dec *d, const json_t *k, const struct gval *kg, const json_t *v,
                       const struct gval *vg, char **key, size_t *keylen)
{
    char s[64];
    *key = NULL;
    switch (kg->type) {
    case G_STR:
        *keylen = json_string_length(k);
        *key = dup_mem((const unsigned char *)json_string_value(k), *keylen);
        return *key ? 0 : oom(d->e);
    case G_INT:
        snprintf(s, sizeof s, "%" JSON_INTEGER_FORMAT, json_integer_value(k));
        break;
    case G_BOOL:
        snprintf(s, sizeof s, "%s", json_is_true(k) ? "true" : "false");
        break;
    case G_FLOAT:
        format_g(kg->f, 32, s);
        break;
    default:
        if (!d->pending_convert[0]) {
            struct buf kb = BUF_INIT, vb = BUF_INIT;
            go_sharp_v(&kb, k, kg, false);
            go_sharp_v(&vb, v, vg, false);
            snprintf(d->pending_convert, sizeof d->pending_convert,
                     "unsupported map key of type: %s, key: %s, value: %s",
                     kg->type == G_NIL ? "%!s(<nil>)" : "uint64", buf_str(&kb), buf_str(&vb));
            buf_fini(&kb);
            buf_fini(&vb);
        }
        return 0;
    }
    *keylen = strlen(s);
    *key = strdup(s);
    return *key ? 0 : oom(d->e);
}

static int decode(struct dec *d, struct ynode *n, int depth, json_t **out, struct gval *gv);
static int decode_mapping_into(struct dec *d, struct ynode *n, json_t *obj, int depth);

static int fail_want_map(struct dec *d)
{
    return err_set(d->e, "yaml: map merge requires map or sequence of maps as the value");
}

/* go-yaml's decoder.alias() around <fn>: an alias met again while it is
 * being expanded means the anchor contains itself. */
static int enter_alias(struct dec *d, struct ynode *a)
{
    if (a->busy)
        return err_set(d->e, "yaml: anchor '%s' value contains itself", a->value);
    a->busy = true;
    d->alias_depth++;
    return 0;
}

static void leave_alias(struct dec *d, struct ynode *a)
{
    a->busy = false;
    d->alias_depth--;
}

/* unmarshal() of a mapping node (or an alias of one) into an existing map. */
static int merge_one(struct dec *d, struct ynode *n, json_t *obj, int depth)
{
    int rc;
    if (count_step(d) < 0)
        return -1;
    if (n->kind != N_ALIAS)
        return decode_mapping_into(d, n, obj, depth);
    if (enter_alias(d, n) < 0)
        return -1;
    rc = count_step(d);
    if (rc == 0)
        rc = decode_mapping_into(d, n->target, obj, depth);
    leave_alias(d, n);
    return rc;
}

/* go-yaml's decoder.merge(): the value of a "<<" key is a map, an alias of
 * one, or a sequence of those; earlier maps in a sequence take precedence,
 * and merged keys replace keys set before the "<<" (go-yaml v2's order). */
static int merge(struct dec *d, struct ynode *n, json_t *obj, int depth)
{
    switch (n->kind) {
    case N_MAP:
        return merge_one(d, n, obj, depth);
    case N_ALIAS:
        if (n->target->kind != N_MAP)
            return fail_want_map(d);
        return merge_one(d, n, obj, depth);
    case N_SEQ:
        for (struct ynode *c = n->last; c; c = c->prev) {
            if (c->kind == N_ALIAS ? c->target->kind != N_MAP : c->kind != N_MAP)
                return fail_want_map(d);
            if (merge_one(d, c, obj, depth) < 0)
                return -1;
        }
        return 0;
    default:
        return fail_want_map(d);
    }
}

static bool is_merge(const struct ynode *n)
{
    return n->kind == N_SCALAR && n->len == 2 && memcmp(n->value, "<<", 2) == 0 &&
           (n->implicit || (n->tag && strcmp(n->tag, TAG_MERGE) == 0));
}

/* go-yaml's decoder.mapping() for a map[interface{}]interface{} target. */
static int decode_mapping_into(struct dec *d, struct ynode *n, json_t *obj, int depth)
{
    for (struct ynode *k = n->first; k; k = k->next ? k->next->next : NULL) {
        struct ynode *v = k->next;
        json_t *kj = NULL, *vj = NULL;
        struct gval kg = {G_NIL, 0, 0}, vg = {G_NIL, 0, 0};
        char *key = NULL;
        size_t keylen = 0;

        if (!v)
            break; /* libyaml always pairs keys and values; be safe anyway */
        if (is_merge(k)) {
            if (merge(d, v, obj, depth) < 0)
                return -1;
            continue;
        }
        if (decode(d, k, depth, &kj, &kg) < 0)
            return -1;
        if (kg.type == G_MAP || kg.type == G_SEQ) {
            struct buf b = BUF_INIT;
            go_sharp_v(&b, kj, NULL, false);
            err_set(d->e, "yaml: invalid map key: %s", buf_str(&b));
            buf_fini(&b);
            json_decref(kj);
            return -1;
        }
        if (decode(d, v, depth, &vj, &vg) < 0) {
            json_decref(kj);
            return -1;
        }
        int rc = convert_key(d, kj, &kg, vj, &vg, &key, &keylen);
        json_decref(kj);
        if (rc < 0) {
            json_decref(vj);
            return -1;
        }
        if (!key) {
            json_decref(vj);
            continue;
        }
        /* Binary keys may hold invalid UTF-8, which JSON turns into U+FFFD. */
        if (!utf8_valid(key, keylen)) {
            size_t m;
            char *t = utf8_sanitize(key, keylen, &m);
            free(key);
            if (!t) {
                json_decref(vj);
                return oom(d->e);
            }
            key = t;
            keylen = m;
        }
        rc = json_object_setn_new(obj, key, keylen, vj);
        free(key);
        if (rc < 0)
            return oom(d->e);
    }
    return 0;
}

/* go-yaml's decoder.unmarshal() into an interface{}: a new value in *out
 * (owned by the caller) and its Go type in *gv. <depth>: collections above. */
static int decode(struct dec *d, struct ynode *n, int depth, json_t **out, struct gval *gv)
{
    *out = NULL;
    gv->type = G_NIL;
    if (count_step(d) < 0)
        return -1;

    switch (n->kind) {
    case N_ALIAS: {
        if (enter_alias(d, n) < 0)
            return -1;
        int rc = decode(d, n->target, depth, out, gv);
        leave_alias(d, n);
        return rc;
    }
    case N_SCALAR:
        return decode_scalar(d, n, out, gv);
    case N_SEQ:
    case N_MAP:
        break;
    }

    if (depth >= YAML_MAX_DEPTH)
        return fail_depth(d->e, n->line);
    if (n->kind == N_SEQ) {
        json_t *arr = json_array();
        if (!arr)
            return oom(d->e);
        for (struct ynode *c = n->first; c; c = c->next) {
            json_t *x;
            struct gval xg;
            if (decode(d, c, depth + 1, &x, &xg) < 0) {
                json_decref(arr);
                return -1;
            }
            if (json_array_append_new(arr, x) < 0) {
                json_decref(arr);
                return oom(d->e);
            }
        }
        gv->type = G_SEQ;
        *out = arr;
        return 0;
    }
    json_t *obj = json_object();
    if (!obj)
        return oom(d->e);
    if (decode_mapping_into(d, n, obj, depth + 1) < 0) {
        json_decref(obj);
        return -1;
    }
    gv->type = G_MAP;
    *out = obj;
    return 0;
}

/* Decodes a document's tree and applies sigs.k8s.io/yaml's conversion. */
static int decode_document(struct ynode *root, json_t **out, struct err *e)
{
    struct dec d;
    struct gval gv;

    memset(&d, 0, sizeof d);
    d.e = e;
    *out = NULL;
    if (!root) {
        *out = json_null();
        return *out ? 0 : oom(e);
    }
    d.decode_count = 1; /* go-yaml's document node */
    if (decode(&d, root, 0, out, &gv) < 0)
        return -1;
    if (d.pending_convert[0] || d.pending_json[0]) {
        json_decref(*out);
        *out = NULL;
        return err_set(e, "%s", d.pending_convert[0] ? d.pending_convert : d.pending_json);
    }
    return 0;
}

/* ------------------------------------------------------------------------
 * Loading.
 */

static int loader_init(struct loader *L, const char *data, size_t len, struct err *e)
{
    memset(L, 0, sizeof *L);
    if (len > YAML_MAX_INPUT)
        return err_set(e, "yaml: input is larger than %zu bytes", YAML_MAX_INPUT);
    if (!yaml_parser_initialize(&L->parser))
        return oom(e);
    yaml_parser_set_input_string(&L->parser, (const unsigned char *)data, len);
    return 0;
}

static void loader_fini(struct loader *L)
{
    free_nodes(L);
    free(L->stack);
    yaml_parser_delete(&L->parser);
}

/* Reads up to the start of the next document. Returns 1 when one starts,
 * 0 at the end of the stream, -1 on error. */
static int next_document(struct loader *L, struct err *e)
{
    yaml_event_t ev;
    for (;;) {
        if (!yaml_parser_parse(&L->parser, &ev))
            return parser_fail(&L->parser, e);
        yaml_event_type_t t = ev.type;
        yaml_event_delete(&ev);
        if (t == YAML_DOCUMENT_START_EVENT)
            return 1;
        if (t == YAML_STREAM_END_EVENT)
            return 0;
        if (t != YAML_STREAM_START_EVENT)
            return err_set(e, "yaml: unexpected event between documents");
    }
}

/* Parses and decodes one document once its start has been read. */
static int load_document(struct loader *L, json_t **out, struct err *e)
{
    struct ynode *root;
    int rc = build_document(L, &root, e);
    if (rc == 0)
        rc = decode_document(root, out, e);
    free_nodes(L);
    return rc;
}

int yaml_load(const char *data, size_t len, json_t **docs, struct err *e)
{
    struct loader L;
    json_t *arr = NULL;
    char *fixed = NULL;

    *docs = NULL;
    /* kubectl reads manifests through a UTF-8 decoder (cli-runtime's
     * FileVisitor) that turns each invalid byte into U+FFFD before YAML
     * sees it. A UTF-16 BOM switches that decoder to UTF-16, which libyaml
     * reads by itself. */
    bool utf16 = len >= 2 && (((unsigned char)data[0] == 0xFE && (unsigned char)data[1] == 0xFF) ||
                              ((unsigned char)data[0] == 0xFF && (unsigned char)data[1] == 0xFE));
    if (len <= YAML_MAX_INPUT && !utf16 && !utf8_valid(data, len)) {
        fixed = utf8_sanitize(data, len, &len);
        if (!fixed)
            return oom(e);
        data = fixed;
    }
    if (loader_init(&L, data, len, e) < 0) {
        free(fixed);
        return -1;
    }
    arr = json_array();
    if (!arr) {
        oom(e);
        goto fail;
    }
    for (;;) {
        json_t *doc = NULL;
        int rc = next_document(&L, e);
        if (rc < 0)
            goto fail;
        if (rc == 0)
            break;
        if (load_document(&L, &doc, e) < 0)
            goto fail;
        if (json_is_null(doc)) {
            json_decref(doc);
            continue;
        }
        if (json_array_append_new(arr, doc) < 0) {
            oom(e);
            goto fail;
        }
    }
    loader_fini(&L);
    free(fixed);
    *docs = arr;
    return 0;
fail:
    json_decref(arr);
    loader_fini(&L);
    free(fixed);
    return -1;
}

int yaml_load_one(const char *data, size_t len, json_t **doc, struct err *e)
{
    struct loader L;
    int rc;

    *doc = NULL;
    if (loader_init(&L, data, len, e) < 0)
        return -1;
    rc = next_document(&L, e);
    if (rc == 1) {
        rc = load_document(&L, doc, e);
    } else if (rc == 0) {
        *doc = json_null();
        rc = *doc ? 0 : oom(e);
    }
    loader_fini(&L);
    return rc < 0 ? -1 : 0;
}

/* ------------------------------------------------------------------------
 * Emitting: JSONToYAML, i.e. go-yaml's encoder and go-yaml's emitter.
 *
 * The emitter below is a port of go-yaml v2's emitterc.go (sigs.k8s.io/yaml
 * v1.4's goyaml.v2), cut down to what the encoder makes of JSON data: one
 * implicit document, block collections, "{}" and "[]" for empty ones, and
 * untagged scalars. libyaml's emitter, which go-yaml's was ported from, is
 * not used because the two differ in ways kubectl's output shows: go-yaml's
 * is_bom() looks at the start of the string instead of the current
 * character, so a string that starts with U+FEFF has every character
 * escaped ("\uFEFF\x61"), and go-yaml writes no indentation before the
 * closing quote of a single-quoted scalar that ends in a line break.
 * Functions keep go-yaml's names without the yaml_emitter_ prefix.
 */

#define EMIT_BEST_INDENT 2
#define EMIT_BEST_WIDTH 80
/* go-yaml's max_flow_level, which it meets reading the JSON text. */
#define EMIT_MAX_DEPTH 10000
/* Longest scalar (bytes) written as a simple "key: value" key. */
#define EMIT_SIMPLE_KEY_MAX 128

enum sstyle { S_PLAIN, S_SINGLE, S_DOUBLE, S_LITERAL };

struct emitter {
    struct buf *out;
    int rc;          /* 0, or -ENOMEM once an append failed */
    int column;      /* in characters, as go-yaml counts */
    int indent;      /* -1 outside the root collection */
    bool whitespace; /* the last character written was blank */
    bool indention;  /* nothing but indentation on this line so far */
    bool map_ctx;    /* the node being written is a mapping key or value */
    bool simple_key_ctx;
};

/* yaml_emitter_analyze_scalar's findings. */
struct scalar {
    const unsigned char *s;
    size_t n;
    bool multiline, flow_plain, block_plain, single_quoted, block;
};

/* Byte i of s, or 0 past the end (go-yaml's strings end where Go's slices
 * do; the checks below only look past the end where libyaml sees a NUL). */
static unsigned char at(const unsigned char *s, size_t n, size_t i)
{
    return i < n ? s[i] : 0;
}

static size_t width(unsigned char c)
{
    return c < 0x80             ? 1
           : (c & 0xE0) == 0xC0 ? 2
           : (c & 0xF0) == 0xE0 ? 3
           : (c & 0xF8) == 0xF0 ? 4
                                : 1;
}

static bool is_break(const unsigned char *s, size_t n, size_t i)
{
    unsigned char c = at(s, n, i), c1 = at(s, n, i + 1), c2 = at(s, n, i + 2);
    return c == '\r' || c == '\n' || (c == 0xC2 && c1 == 0x85) ||
           (c == 0xE2 && c1 == 0x80 && (c2 == 0xA8 || c2 == 0xA9));
}

static bool is_space(const unsigned char *s, size_t n, size_t i)
{
    return at(s, n, i) == ' ';
}

static bool is_blankz(const unsigned char *s, size_t n, size_t i)
{
    unsigned char c = at(s, n, i);
    return c == ' ' || c == '\t' || c == 0 || is_break(s, n, i);
}

static bool is_printable(const unsigned char *s, size_t n, size_t i)
{
    unsigned char c = at(s, n, i), c1 = at(s, n, i + 1), c2 = at(s, n, i + 2);
    return c == 0x0A || (c >= 0x20 && c <= 0x7E) || (c == 0xC2 && c1 >= 0xA0) ||
           (c > 0xC2 && c < 0xED) || (c == 0xED && c1 < 0xA0) || c == 0xEE ||
           (c == 0xEF && !(c1 == 0xBB && c2 == 0xBF) &&
            !(c1 == 0xBF && (c2 == 0xBE || c2 == 0xBF)));
}

static void put(struct emitter *E, char c)
{
    if (E->rc == 0 && buf_addc(E->out, c) < 0)
        E->rc = -ENOMEM;
    E->column++;
}

static void put_break(struct emitter *E)
{
    if (E->rc == 0 && buf_addc(E->out, '\n') < 0)
        E->rc = -ENOMEM;
    E->column = 0;
}

/* Copies the character at s[*i] and steps over it. */
static void write_char(struct emitter *E, const unsigned char *s, size_t n, size_t *i)
{
    size_t w = width(s[*i]);
    if (w > n - *i)
        w = n - *i;
    if (E->rc == 0 && buf_add(E->out, s + *i, w) < 0)
        E->rc = -ENOMEM;
    E->column++;
    *i += w;
}

static void write_all(struct emitter *E, const char *s)
{
    size_t n = strlen(s);
    for (size_t i = 0; i < n;)
        write_char(E, (const unsigned char *)s, n, &i);
}

static void write_break(struct emitter *E, const unsigned char *s, size_t n, size_t *i)
{
    if (s[*i] == '\n') {
        put_break(E);
        (*i)++;
    } else {
        write_char(E, s, n, i);
        E->column = 0;
    }
}

static void write_indent(struct emitter *E)
{
    int indent = E->indent < 0 ? 0 : E->indent;
    if (!E->indention || E->column > indent || (E->column == indent && !E->whitespace))
        put_break(E);
    while (E->column < indent)
        put(E, ' ');
    E->whitespace = true;
    E->indention = true;
}

static void write_indicator(struct emitter *E, const char *ind, bool need_whitespace,
                            bool is_whitespace, bool is_indention)
{
    if (need_whitespace && !E->whitespace)
        put(E, ' ');
    write_all(E, ind);
    E->whitespace = is_whitespace;
    E->indention = E->indention && is_indention;
}

/* Pushes nothing: callers keep the old indent in a local and restore it. */
static void increase_indent(struct emitter *E, bool flow, bool indentless)
{
    if (E->indent < 0)
        E->indent = flow ? EMIT_BEST_INDENT : 0;
    else if (!indentless)
        E->indent += EMIT_BEST_INDENT;
}

/* A printable ASCII byte other than a space that means nothing to the
 * analysis below when it is not the first: most of any scalar. */
static bool is_inert(unsigned char c)
{
    switch (c) {
    case ',':
    case '?':
    case '[':
    case ']':
    case '{':
    case '}':
    case ':':
    case '#':
        return false;
    default:
        return c > ' ' && c < 0x7F;
    }
}

static void analyze_scalar(const char *str, size_t n, struct scalar *a)
{
    const unsigned char *s = (const unsigned char *)str;
    bool block_ind = false, flow_ind = false, line_breaks = false, special = false;
    bool leading_space = false, leading_break = false, trailing_space = false;
    bool trailing_break = false, break_space = false, space_break = false;
    bool preceded_by_ws = true, prev_space = false, prev_break = false;

    a->s = s;
    a->n = n;
    if (n == 0) {
        a->multiline = false;
        a->flow_plain = false;
        a->block_plain = true;
        a->single_quoted = true;
        a->block = false;
        return;
    }
    if (n >= 3 && ((s[0] == '-' && s[1] == '-' && s[2] == '-') ||
                   (s[0] == '.' && s[1] == '.' && s[2] == '.'))) {
        block_ind = true;
        flow_ind = true;
    }
    for (size_t i = 0, w; i < n; i += w) {
        if (i > 0 && is_inert(s[i])) {
            /* a run of them: neither space, break nor indicator */
            for (w = 1; i + w < n && is_inert(s[i + w]); w++)
                ;
            prev_space = prev_break = preceded_by_ws = false;
            continue;
        }
        w = width(s[i]);
        bool followed_by_ws = i + w >= n || at(s, n, i + w) == ' ' || at(s, n, i + w) == '\t';
        if (i == 0) {
            if ((s[i] && strchr("#,[]{}&*!|>'\"%@`", s[i])) || (s[i] == '-' && followed_by_ws)) {
                flow_ind = true;
                block_ind = true;
            } else if (s[i] == '?' || s[i] == ':') {
                flow_ind = true;
                block_ind = block_ind || followed_by_ws;
            }
        } else {
            if (s[i] && strchr(",?[]{}", s[i])) {
                flow_ind = true;
            } else if (s[i] == ':') {
                flow_ind = true;
                block_ind = block_ind || followed_by_ws;
            } else if (s[i] == '#' && preceded_by_ws) {
                flow_ind = true;
                block_ind = true;
            }
        }
        if (!is_printable(s, n, i))
            special = true;
        if (is_space(s, n, i)) {
            leading_space = leading_space || i == 0;
            trailing_space = trailing_space || i + w == n;
            break_space = break_space || prev_break;
            prev_space = true;
            prev_break = false;
        } else if (is_break(s, n, i)) {
            line_breaks = true;
            leading_break = leading_break || i == 0;
            trailing_break = trailing_break || i + w == n;
            space_break = space_break || prev_space;
            prev_space = false;
            prev_break = true;
        } else {
            prev_space = false;
            prev_break = false;
        }
        preceded_by_ws = is_blankz(s, n, i);
    }
    a->multiline = line_breaks;
    a->flow_plain = a->block_plain = a->single_quoted = a->block = true;
    if (leading_space || leading_break || trailing_space || trailing_break)
        a->flow_plain = a->block_plain = false;
    if (trailing_space)
        a->block = false;
    if (break_space)
        a->flow_plain = a->block_plain = a->single_quoted = false;
    if (space_break || special)
        a->flow_plain = a->block_plain = a->single_quoted = a->block = false;
    if (line_breaks)
        a->flow_plain = a->block_plain = false;
    if (flow_ind)
        a->flow_plain = false;
    if (block_ind)
        a->block_plain = false;
}

/* yaml_emitter_select_scalar_style for an untagged, implicit scalar outside
 * flow collections (nothing is ever written inside "{}" or "[]"). */
static enum sstyle select_style(const struct emitter *E, const struct scalar *a, enum sstyle want)
{
    enum sstyle style = want;
    if (E->simple_key_ctx && a->multiline)
        style = S_DOUBLE;
    if (style == S_PLAIN) {
        if (!a->block_plain || (a->n == 0 && E->simple_key_ctx))
            style = S_SINGLE;
    }
    if (style == S_SINGLE && !a->single_quoted)
        style = S_DOUBLE;
    if (style == S_LITERAL && (!a->block || E->simple_key_ctx))
        style = S_DOUBLE;
    return style;
}

/* yaml_emitter_write_plain_scalar, or with <quoted> the single-quoted one:
 * they differ only in the quotes, as a plain scalar never starts or ends
 * with a space. Unlike libyaml, no write_indent() before the closing quote
 * after a trailing break. */
static void write_plain_or_single(struct emitter *E, const unsigned char *s, size_t n,
                                  bool allow_breaks, bool quoted)
{
    bool spaces = false, breaks = false;
    if (quoted)
        write_indicator(E, "'", true, false, false);
    else if (!E->whitespace)
        put(E, ' ');
    for (size_t i = 0; i < n;) {
        if (is_space(s, n, i)) {
            if (allow_breaks && !spaces && E->column > EMIT_BEST_WIDTH && i > 0 && i < n - 1 &&
                !is_space(s, n, i + 1)) {
                write_indent(E);
                i += width(s[i]);
            } else {
                write_char(E, s, n, &i);
            }
            spaces = true;
        } else if (is_break(s, n, i)) {
            if (!breaks && s[i] == '\n')
                put_break(E);
            write_break(E, s, n, &i);
            E->indention = true;
            breaks = true;
        } else {
            if (breaks)
                write_indent(E);
            if (quoted && s[i] == '\'')
                put(E, '\'');
            if (s[i] < 0x80) {
                /* this character and the plain ASCII ones after it */
                size_t j = i + 1;
                while (j < n && s[j] > ' ' && s[j] < 0x7F && s[j] != '\'')
                    j++;
                if (E->rc == 0 && buf_add(E->out, s + i, j - i) < 0)
                    E->rc = -ENOMEM;
                E->column += (int)(j - i);
                i = j;
            } else {
                write_char(E, s, n, &i);
            }
            E->indention = false;
            spaces = false;
            breaks = false;
        }
    }
    if (quoted)
        write_indicator(E, "'", false, false, false);
    E->whitespace = false;
    E->indention = false;
}

/* The escape for code point <v>, as yaml_emitter_write_double_quoted_scalar
 * spells it (after the backslash). <esc> holds 10 bytes. */
static void escape_of(uint32_t v, char *esc)
{
    static const struct {
        uint32_t v;
        char c;
    } named[] = {{0x00, '0'},  {0x07, 'a'}, {0x08, 'b'}, {0x09, 't'},   {0x0A, 'n'},
                 {0x0B, 'v'},  {0x0C, 'f'}, {0x0D, 'r'}, {0x1B, 'e'},   {0x22, '"'},
                 {0x5C, '\\'}, {0x85, 'N'}, {0xA0, '_'}, {0x2028, 'L'}, {0x2029, 'P'}};
    for (size_t k = 0; k < sizeof named / sizeof named[0]; k++) {
        if (named[k].v == v) {
            esc[0] = named[k].c;
            esc[1] = '\0';
            return;
        }
    }
    if (v <= 0xFF)
        snprintf(esc, 10, "x%02" PRIX32, v);
    else if (v <= 0xFFFF)
        snprintf(esc, 10, "u%04" PRIX32, v);
    else
        snprintf(esc, 10, "U%08" PRIX32, v);
}

static void write_double_quoted(struct emitter *E, const unsigned char *s, size_t n,
                                bool allow_breaks)
{
    /* go-yaml's is_bom(value, i) ignores i: see the section comment. */
    bool bom_first = n >= 3 && s[0] == 0xEF && s[1] == 0xBB && s[2] == 0xBF;
    bool spaces = false;
    char esc[10];

    write_indicator(E, "\"", true, false, false);
    for (size_t i = 0; i < n;) {
        if (!is_printable(s, n, i) || bom_first || is_break(s, n, i) || s[i] == '"' ||
            s[i] == '\\') {
            uint32_t v;
            i += json_rune_decode(s + i, n - i, &v);
            escape_of(v, esc);
            put(E, '\\');
            for (const char *p = esc; *p; p++)
                put(E, *p);
            spaces = false;
        } else if (is_space(s, n, i)) {
            if (allow_breaks && !spaces && E->column > EMIT_BEST_WIDTH && i > 0 && i < n - 1) {
                write_indent(E);
                if (is_space(s, n, i + 1))
                    put(E, '\\');
                i += width(s[i]);
            } else {
                write_char(E, s, n, &i);
            }
            spaces = true;
        } else {
            write_char(E, s, n, &i);
            spaces = false;
        }
    }
    write_indicator(E, "\"", false, false, false);
    E->whitespace = false;
    E->indention = false;
}

/* The start of a multi-byte character at or before s[i]. */
static size_t char_start(const unsigned char *s, size_t i)
{
    while (i > 0 && (s[i] & 0xC0) == 0x80)
        i--;
    return i;
}

static void write_block_hints(struct emitter *E, const unsigned char *s, size_t n)
{
    char chomp = 0;
    if (is_space(s, n, 0) || is_break(s, n, 0)) {
        char hint[2] = {(char)('0' + EMIT_BEST_INDENT), '\0'};
        write_indicator(E, hint, false, false, false);
    }
    if (n == 0) {
        chomp = '-';
    } else {
        size_t i = char_start(s, n - 1);
        if (!is_break(s, n, i))
            chomp = '-';
        else if (i == 0 || is_break(s, n, char_start(s, i - 1)))
            chomp = '+';
    }
    if (chomp) {
        char hint[2] = {chomp, '\0'};
        write_indicator(E, hint, false, false, false);
    }
}

static void write_literal(struct emitter *E, const unsigned char *s, size_t n)
{
    bool breaks = true;
    write_indicator(E, "|", true, false, false);
    write_block_hints(E, s, n);
    put_break(E);
    E->indention = true;
    E->whitespace = true;
    for (size_t i = 0; i < n;) {
        if (is_break(s, n, i)) {
            write_break(E, s, n, &i);
            E->indention = true;
            breaks = true;
        } else {
            if (breaks)
                write_indent(E);
            write_char(E, s, n, &i);
            E->indention = false;
            breaks = false;
        }
    }
}

/* yaml_emitter_emit_scalar once the scalar is analyzed. */
static void emit_analyzed(struct emitter *E, const struct scalar *a, enum sstyle want)
{
    int saved = E->indent;
    bool allow_breaks = !E->simple_key_ctx;
    enum sstyle style = select_style(E, a, want);
    increase_indent(E, true, false);
    switch (style) {
    case S_PLAIN:
    case S_SINGLE:
        write_plain_or_single(E, a->s, a->n, allow_breaks, style == S_SINGLE);
        break;
    case S_DOUBLE:
        write_double_quoted(E, a->s, a->n, allow_breaks);
        break;
    case S_LITERAL:
        write_literal(E, a->s, a->n);
        break;
    }
    E->indent = saved;
}

static int emit_scalar(struct emitter *E, const char *s, size_t n, enum sstyle want)
{
    struct scalar a;
    analyze_scalar(s, n, &a);
    emit_analyzed(E, &a, want);
    return E->rc;
}

/* go-yaml's encoder.stringv() for a valid UTF-8 string: multi-line strings
 * as literal blocks, strings that would read back as something else (or as
 * a base-60 float) double-quoted, the rest plain. The emitter falls back to
 * quotes where that style cannot hold the string. */
static enum sstyle string_style(const char *s, size_t n)
{
    struct resolved r;
    if (memchr(s, '\n', n))
        return S_LITERAL;
    resolve(s, n, false, true, &r);
    return r.tag == R_STR && !is_base60_float(s, n) ? S_PLAIN : S_DOUBLE;
}

static int emit_string(struct emitter *E, const char *s, size_t n)
{
    return emit_scalar(E, s, n, string_style(s, n));
}

/* A float64 as kubectl writes it: Go's JSON text for it, read back by
 * go-yaml (an int when it looks like one: 3.0 is "3", 1e19 stays
 * 10000000000000000000), then FormatFloat(f, 'g', -1, 64). */
static int emit_float(struct emitter *E, double f)
{
    char text[JSON_FLOAT_MAX], s[JSON_FLOAT_MAX];
    struct resolved r;

    if (!isfinite(f))
        return -EINVAL;
    json_float_text(f, text);
    resolve(text, strlen(text), false, false, &r);
    if (r.tag == R_INT)
        snprintf(s, sizeof s, "%" PRId64, r.i);
    else if (r.tag == R_UINT)
        snprintf(s, sizeof s, "%" PRIu64, r.u);
    else
        format_g(r.tag == R_FLOAT ? r.f : f, 64, s);
    return emit_scalar(E, s, strlen(s), S_PLAIN);
}

struct skey {
    const char *s; /* the key as kubectl sees it: json_round_trip() applied */
    char *owned;   /* <s> when json_round_trip() made a copy */
    size_t n;
    const json_t *v;
    uint32_t *runes;
    size_t nr;
};

/* go-yaml's keyList.Less for two string keys: a natural order where runs of
 * digits compare as numbers and letters sort after everything else. Ported
 * as is, int64 wrap-around included. */
static bool key_less(const struct skey *ka, const struct skey *kb)
{
    const uint32_t *a = ka->runes, *b = kb->runes;
    size_t na = ka->nr, nb = kb->nr;

    for (size_t i = 0; i < na && i < nb; i++) {
        if (a[i] == b[i])
            continue;
        bool al = json_rune_is_letter(a[i]), bl = json_rune_is_letter(b[i]);
        if (al && bl)
            return a[i] < b[i];
        if (al || bl)
            return bl;
        uint64_t an = 0, bn = 0;
        size_t ai, bi;
        if (a[i] == '0' || b[i] == '0') {
            for (size_t j = i; j-- > 0 && json_rune_is_digit(a[j]);) {
                if (a[j] != '0') {
                    an = 1;
                    bn = 1;
                    break;
                }
            }
        }
        for (ai = i; ai < na && json_rune_is_digit(a[ai]); ai++)
            an = an * 10 + (uint64_t)(int64_t)((int32_t)a[ai] - '0');
        for (bi = i; bi < nb && json_rune_is_digit(b[bi]); bi++)
            bn = bn * 10 + (uint64_t)(int64_t)((int32_t)b[bi] - '0');
        if (an != bn)
            return (int64_t)an < (int64_t)bn;
        if (ai != bi)
            return ai < bi;
        return a[i] < b[i];
    }
    return na < nb;
}

static int key_bytes_cmp(const void *pa, const void *pb)
{
    const struct skey *a = pa, *b = pb;
    int c = memcmp(a->s, b->s, a->n < b->n ? a->n : b->n);
    return c ? c : (a->n > b->n) - (a->n < b->n);
}

/* A stable merge sort with keyList.Less. That order is not transitive
 * ("2ta" < "16" < "2001-12-14" < "2ta"), so for such keys the result
 * depends on where the sort starts: kubectl starts from Go's random map
 * order and prints any of several orders; ferry starts from byte order and
 * always prints the same one. */
static void sort_keys(struct skey *k, struct skey *tmp, size_t n)
{
    if (n < 2)
        return;
    size_t h = n / 2;
    sort_keys(k, tmp, h);
    sort_keys(k + h, tmp, n - h);
    size_t i = 0, j = h, o = 0;
    while (i < h && j < n)
        tmp[o++] = key_less(&k[j], &k[i]) ? k[j++] : k[i++];
    while (i < h)
        tmp[o++] = k[i++];
    while (j < n)
        tmp[o++] = k[j++];
    memcpy(k, tmp, n * sizeof *k);
}

static int emit_value(struct emitter *E, const json_t *v, int depth);

/* kubectl's YAML comes from go-yaml reading Go's JSON text back. Two things
 * change a string on that trip: invalid UTF-8 became U+FFFD in the JSON, and
 * U+0085 (NEL), which encoding/json leaves raw, is a line break inside a
 * double-quoted YAML scalar, so it is folded: the spaces around a run of
 * breaks go, one break becomes a space, n breaks become n-1 newlines.
 * Returns <s> itself when nothing changes, else a new string to free
 * (length in *outlen), or NULL when out of memory. */
/* Whether <s> holds U+0085 (NEL), found with memchr: it is rare. */
static bool has_nel(const char *s, size_t n)
{
    for (const char *p = s; (p = memchr(p, 0xC2, n - (size_t)(p - s))) != NULL; p++)
        if ((size_t)(p - s) + 1 < n && (unsigned char)p[1] == 0x85)
            return true;
    return false;
}

static char *json_round_trip(const char *s, size_t n, size_t *outlen)
{
    char *t = NULL;
    *outlen = n;
    if (!utf8_valid(s, n)) {
        t = utf8_sanitize(s, n, outlen);
        if (!t)
            return NULL;
        s = t;
        n = *outlen;
    }
    if (!has_nel(s, n))
        return t ? t : (char *)s;

    char *o = malloc(n + 1);
    size_t k = 0;
    if (!o) {
        free(t);
        return NULL;
    }
    for (size_t i = 0; i < n;) {
        size_t j = i, breaks = 0;
        while (j < n && (s[j] == ' ' || (j + 1 < n && s[j] == '\xC2' && s[j + 1] == '\x85'))) {
            if (s[j] == ' ') {
                j++;
            } else {
                breaks++;
                j += 2;
            }
        }
        if (j == i) {
            o[k++] = s[i++];
            continue;
        }
        if (breaks == 0) {
            memcpy(o + k, s + i, j - i);
            k += j - i;
        } else if (breaks == 1) {
            o[k++] = ' ';
        } else {
            memset(o + k, '\n', breaks - 1);
            k += breaks - 1;
        }
        i = j;
    }
    o[k] = '\0';
    free(t);
    *outlen = k;
    return o;
}

static int emit_text(struct emitter *E, const char *s, size_t n)
{
    size_t m;
    char *t = json_round_trip(s, n, &m);
    if (!t)
        return -ENOMEM;
    int rc = emit_string(E, t, m);
    if (t != s)
        free(t);
    return rc;
}

/* yaml_emitter_emit_mapping_start and the block mapping states. */
static int emit_object(struct emitter *E, const json_t *v, int depth)
{
    size_t n = json_object_size(v), i = 0;
    struct skey *keys = NULL, *tmp = NULL;
    int rc = -ENOMEM;

    if (n == 0) {
        /* check_empty_mapping: a flow mapping with nothing in it */
        write_indicator(E, "{", true, true, false);
        write_indicator(E, "}", false, false, false);
        return E->rc;
    }
    keys = calloc(n, sizeof *keys);
    tmp = calloc(n, sizeof *tmp);
    if (!keys || !tmp)
        goto out;
    json_t *obj = (json_t *)v; /* the iterators want non-const; nothing changes */
    for (void *it = json_object_iter(obj); it && i < n; it = json_object_iter_next(obj, it)) {
        struct skey *k = &keys[i++];
        const char *raw = json_object_iter_key(it);
        k->s = json_round_trip(raw, json_object_iter_key_len(it), &k->n);
        if (!k->s)
            goto out;
        if (k->s != raw)
            k->owned = (char *)k->s;
        k->v = json_object_iter_value(it);
        /* Go ranges over []rune(s): one rune per invalid byte too. */
        k->runes = malloc((k->n + 1) * sizeof *k->runes);
        if (!k->runes)
            goto out;
        for (size_t p = 0; p < k->n;)
            p += json_rune_decode((const unsigned char *)k->s + p, k->n - p, &k->runes[k->nr++]);
    }
    n = i;
    qsort(keys, n, sizeof *keys, key_bytes_cmp);
    sort_keys(keys, tmp, n);

    int saved = E->indent;
    increase_indent(E, false, false);
    for (i = 0; i < n; i++) {
        struct scalar a;
        write_indent(E);
        analyze_scalar(keys[i].s, keys[i].n, &a);
        E->map_ctx = true;
        if (!a.multiline && a.n <= EMIT_SIMPLE_KEY_MAX) {
            E->simple_key_ctx = true;
            emit_analyzed(E, &a, string_style(keys[i].s, keys[i].n));
            write_indicator(E, ":", false, false, false);
        } else {
            write_indicator(E, "?", true, false, true);
            E->simple_key_ctx = false;
            emit_analyzed(E, &a, string_style(keys[i].s, keys[i].n));
            write_indent(E);
            write_indicator(E, ":", true, false, true);
        }
        E->map_ctx = true;
        E->simple_key_ctx = false;
        if ((rc = emit_value(E, keys[i].v, depth + 1)) < 0)
            goto out;
    }
    E->indent = saved;
    rc = E->rc;
out:
    if (keys) {
        for (i = 0; i < n; i++) {
            free(keys[i].runes);
            free(keys[i].owned);
        }
    }
    free(keys);
    free(tmp);
    return rc;
}

/* yaml_emitter_emit_sequence_start and the block sequence states. */
static int emit_array(struct emitter *E, const json_t *v, int depth)
{
    size_t n = json_array_size(v);
    if (n == 0) {
        write_indicator(E, "[", true, true, false);
        write_indicator(E, "]", false, false, false);
        return E->rc;
    }
    int saved = E->indent;
    /* Under a mapping key, "- " starts at the key's own column. */
    increase_indent(E, false, E->map_ctx && !E->indention);
    for (size_t i = 0; i < n; i++) {
        write_indent(E);
        write_indicator(E, "-", true, false, true);
        E->map_ctx = false;
        E->simple_key_ctx = false;
        int rc = emit_value(E, json_array_get(v, i), depth + 1);
        if (rc < 0)
            return rc;
    }
    E->indent = saved;
    return E->rc;
}

/* Writes <v> in the context the caller set (E->map_ctx, E->simple_key_ctx). */
static int emit_value(struct emitter *E, const json_t *v, int depth)
{
    char num[32];

    if (depth >= EMIT_MAX_DEPTH)
        return -ELOOP;
    switch (json_typeof(v)) {
    case JSON_OBJECT:
        return emit_object(E, v, depth);
    case JSON_ARRAY:
        return emit_array(E, v, depth);
    case JSON_STRING:
        return emit_text(E, json_string_value(v), json_string_length(v));
    case JSON_INTEGER:
        snprintf(num, sizeof num, "%" JSON_INTEGER_FORMAT, json_integer_value(v));
        return emit_scalar(E, num, strlen(num), S_PLAIN);
    case JSON_REAL:
        return emit_float(E, json_real_value(v));
    case JSON_TRUE:
        return emit_scalar(E, "true", 4, S_PLAIN);
    case JSON_FALSE:
        return emit_scalar(E, "false", 5, S_PLAIN);
    case JSON_NULL:
        return emit_scalar(E, "null", 4, S_PLAIN);
    }
    return -EINVAL;
}

/* ------------------------------------------------------------------------
 * What kubectl cannot print.
 *
 * go-yaml reads Go's JSON text of the object before writing it, and fails
 * on two things that text can hold: characters its reader refuses, which
 * encoding/json leaves raw (U+007F, the C1 controls but U+0085, U+FFFE and
 * U+FFFF), and keys its scanner cannot take as simple keys, which must end
 * within 1024 characters of their start and on the line they start on (a
 * raw U+0085 counts as a line break). yaml_emit refuses the same data.
 */

/* Width of a character go-yaml's reader refuses at s[i], or 0. */
static size_t refused_at(const unsigned char *s, size_t n, size_t i)
{
    unsigned char c = s[i], c1 = at(s, n, i + 1), c2 = at(s, n, i + 2);
    if (c == 0x7F)
        return 1;
    if (c == 0xC2 && c1 >= 0x80 && c1 <= 0x9F && c1 != 0x85)
        return 2;
    if (c == 0xEF && c1 == 0xBF && (c2 == 0xBE || c2 == 0xBF))
        return 3;
    return 0;
}

static bool has_refused(const char *str, size_t n)
{
    const unsigned char *s = (const unsigned char *)str;
    for (size_t i = 0; i < n; i++)
        if ((s[i] == 0x7F || s[i] == 0xC2 || s[i] == 0xEF) && refused_at(s, n, i))
            return true;
    return false;
}

/* Whether <v> may hold something kubectl refuses: a quick look that the
 * exact check below only has to confirm. A key needs 171 bytes at least to
 * reach 1023 characters in JSON, where one byte takes six at most. */
static bool may_be_refused(const json_t *v, int depth)
{
    if (depth >= EMIT_MAX_DEPTH)
        return false; /* emit_value refuses it anyway */
    if (json_is_string(v))
        return has_refused(json_string_value(v), json_string_length(v));
    if (json_is_array(v)) {
        for (size_t i = 0; i < json_array_size(v); i++)
            if (may_be_refused(json_array_get(v, i), depth + 1))
                return true;
        return false;
    }
    if (!json_is_object(v))
        return false;
    json_t *obj = (json_t *)v;
    for (void *it = json_object_iter(obj); it; it = json_object_iter_next(obj, it)) {
        const char *k = json_object_iter_key(it);
        size_t kn = json_object_iter_key_len(it);
        if (kn >= 171 || has_nel(k, kn) || has_refused(k, kn) ||
            may_be_refused(json_object_iter_value(it), depth + 1))
            return true;
    }
    return false;
}

/* go-yaml's reader decodes its input 512 bytes at a time and checks each
 * chunk whole, so a refused character is reported before a bad key that
 * comes earlier in the same chunk. */
#define READER_CHUNK 512

/* Runs go-yaml's checks over Go's compact JSON text of <v>. Returns 0, or
 * -EILSEQ with kubectl's message in <e>, or -ENOMEM. */
static int check_refused(const json_t *v, struct err *e)
{
    struct buf text = BUF_INIT;
    int rc = json_emit_go(v, 0, &text);
    if (rc < 0) {
        buf_fini(&text);
        return rc == -ENOMEM ? -ENOMEM : 0;
    }
    const unsigned char *s = (const unsigned char *)buf_str(&text);
    size_t n = text.len, refused = SIZE_MAX, bad_key = SIZE_MAX;
    long line = 0, bad_key_line = 0;
    for (size_t i = 0; i < n && refused == SIZE_MAX;) {
        if (refused_at(s, n, i)) {
            refused = i;
            break;
        }
        if (s[i] != '"') {
            i++;
            continue;
        }
        /* A string: count its characters (quotes included) and breaks. */
        size_t chars = 1, j = i + 1;
        bool broke = false;
        while (j < n && s[j] != '"') {
            if (refused_at(s, n, j))
                break;
            if (s[j] == 0xC2 && at(s, n, j + 1) == 0x85) {
                line++;
                broke = true;
            }
            if (s[j] == '\\') { /* an escape: its characters all count */
                j += 2;
                chars += 2;
            } else {
                j += width(s[j]);
                chars++;
            }
        }
        if (j < n && s[j] != '"') {
            refused = j;
            break;
        }
        chars++;
        j++;
        if (bad_key == SIZE_MAX && at(s, n, j) == ':' && (broke || chars > 1024)) {
            bad_key = j;
            bad_key_line = line;
        }
        i = j;
    }
    buf_fini(&text);
    if (refused != SIZE_MAX &&
        (bad_key == SIZE_MAX || refused / READER_CHUNK <= (bad_key + 1) / READER_CHUNK))
        return err_set(e, "yaml: control characters are not allowed"), -EILSEQ;
    if (bad_key == SIZE_MAX)
        return 0;
    if (bad_key_line)
        err_set(e, "yaml: line %ld: did not find expected ',' or '}'", bad_key_line);
    else
        err_set(e, "yaml: did not find expected ',' or '}'");
    return -EILSEQ;
}

int yaml_emit_err(const json_t *v, struct buf *out, struct err *e)
{
    struct emitter E;
    size_t mark = out->len;
    int rc;

    if (v && may_be_refused(v, 0) && (rc = check_refused(v, e)) < 0)
        return rc;
    memset(&E, 0, sizeof E);
    E.out = out;
    /* yaml_emitter_emit_stream_start; the document start is implicit and
     * writes nothing. */
    E.indent = -1;
    E.whitespace = true;
    E.indention = true;
    rc = v ? emit_value(&E, v, 0) : emit_scalar(&E, "null", 4, S_PLAIN);
    /* yaml_emitter_emit_document_end (implicit: no "..."); go-yaml's
     * encoder.finish() keeps the stream end from adding one either. */
    if (rc == 0) {
        write_indent(&E);
        rc = E.rc;
    }
    if (rc == 0)
        return 0;
    out->len = mark;
    if (out->p)
        out->p[mark] = '\0';
    if (rc == -ELOOP)
        err_set(e, "yaml: exceeded max depth of %d", EMIT_MAX_DEPTH);
    else
        err_set(e, "out of memory");
    return rc;
}

int yaml_emit(const json_t *v, struct buf *out)
{
    return yaml_emit_err(v, out, NULL);
}
