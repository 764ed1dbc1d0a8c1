#include "kube/jstream.h"

#include <stdio.h>
#include <string.h>

enum {
    V_BETWEEN,     /* VALUES: between values */
    O_START,       /* OBJECT: before the opening brace */
    O_KEY_OR_END,  /* after '{': a key or '}' */
    O_KEY_NEXT,    /* after ',': a key */
    O_KEY,         /* inside a key */
    O_KEY_ESC,     /* inside a key, after a backslash */
    O_COLON,       /* after a key */
    O_VALUE,       /* after ':' */
    O_AFTER_VALUE, /* after a field value: ',' or '}' */
    O_ELEM_OR_END, /* after '[' of a split array */
    O_ELEM_NEXT,   /* after ',' in a split array */
    O_ELEM_AFTER,  /* after an element: ',' or ']' */
    O_DONE,        /* after the closing brace */
};

#define KEY_MAX 1024

static int is_ws(unsigned char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

void jstream_init(struct jstream *s, enum jstream_mode mode, const char *const *split_keys,
                  size_t max, jstream_fn fn, void *arg)
{
    memset(s, 0, sizeof *s);
    s->mode = mode;
    s->split_keys = split_keys;
    s->fn = fn;
    s->arg = arg;
    buf_init(&s->val, max ? max : JSTREAM_DEFAULT_MAX);
    buf_init(&s->key, KEY_MAX);
    jstream_reset(s);
}

void jstream_fini(struct jstream *s)
{
    buf_fini(&s->val);
    buf_fini(&s->key);
}

void jstream_reset(struct jstream *s)
{
    s->state = s->mode == JSTREAM_VALUES ? V_BETWEEN : O_START;
    s->collecting = s->depth = s->in_str = s->esc = s->scalar = s->splitting = 0;
    s->failed = 0;
    s->err[0] = '\0';
    buf_reset(&s->val);
    buf_reset(&s->key);
}

static int fail(struct jstream *s, const char *what, unsigned char c)
{
    if (c)
        snprintf(s->err, sizeof s->err, "%s, found '%c' (0x%02x)", what,
                 c >= 0x20 && c < 0x7f ? c : '?', c);
    else
        snprintf(s->err, sizeof s->err, "%s", what);
    s->failed = 1;
    return -1;
}

/* Starts collecting a value whose first byte is <c> (not consumed here). */
static int start_value(struct jstream *s, unsigned char c)
{
    buf_reset(&s->val);
    s->collecting = 1;
    s->depth = s->in_str = s->esc = s->scalar = 0;
    if (c == '{' || c == '[' || c == '"')
        return 0;
    if (c == '-' || (c >= '0' && c <= '9') || c == 't' || c == 'f' || c == 'n') {
        s->scalar = 1;
        return 0;
    }
    return fail(s, "invalid character looking for beginning of value", c);
}

/* Collects bytes of the current value. Returns the number of bytes used;
 * *done is set when the value is complete (a bare scalar ends before the
 * byte that ends it, which is left unconsumed). -1 on error. */
static long collect(struct jstream *s, const char *p, size_t n, int *done)
{
    size_t i = 0;
    *done = 0;
    for (; i < n; i++) {
        unsigned char c = (unsigned char)p[i];
        if (s->in_str) {
            if (s->esc) {
                s->esc = 0;
            } else if (c == '\\') {
                s->esc = 1;
            } else if (c == '"') {
                s->in_str = 0;
                if (s->depth == 0) {
                    i++;
                    *done = 1;
                    break;
                }
            } else if (c < 0x20) {
                return fail(s, "invalid control character in string literal", c);
            }
            continue;
        }
        if (s->scalar) {
            if (is_ws(c) || c == ',' || c == ']' || c == '}') {
                *done = 1;
                break;
            }
            if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || c == '-' || c == '+' ||
                  c == '.' || c == 'E'))
                return fail(s, "invalid character in literal", c);
            continue;
        }
        switch (c) {
        case '"':
            s->in_str = 1;
            break;
        case '{':
        case '[':
            if (s->depth >= 10000)
                return fail(s, "exceeded max depth", 0);
            s->depth++;
            break;
        case '}':
        case ']':
            if (s->depth == 0)
                return fail(s, "unbalanced brackets", c);
            if (--s->depth == 0) {
                i++;
                *done = 1;
                goto out;
            }
            break;
        default:
            break;
        }
    }
out:
    if (i && buf_add(&s->val, p, i) < 0)
        return fail(s, "value too large", 0);
    return (long)i;
}

static int is_split_key(const struct jstream *s)
{
    for (size_t i = 0; s->split_keys && s->split_keys[i]; i++)
        if (s->key.len == strlen(s->split_keys[i]) &&
            !memcmp(s->key.p, s->split_keys[i], s->key.len))
            return 1;
    return 0;
}

static int emit(struct jstream *s, int elem)
{
    const char *key = s->mode == JSTREAM_OBJECT ? buf_str(&s->key) : NULL;
    if (s->fn && s->fn(s->arg, key, elem, s->val.p ? s->val.p : "", s->val.len) < 0) {
        s->failed = 1;
        snprintf(s->err, sizeof s->err, "stopped by the consumer");
        return -2;
    }
    return 0;
}

int jstream_feed(struct jstream *s, const char *p, size_t n)
{
    if (s->failed)
        return -1;
    size_t i = 0;
    while (i < n) {
        if (s->collecting) {
            int done;
            long used = collect(s, p + i, n - i, &done);
            if (used < 0)
                return -1;
            i += (size_t)used;
            if (!done)
                continue;
            s->collecting = 0;
            int rc;
            switch (s->state) {
            case V_BETWEEN:
                rc = emit(s, 0);
                break;
            case O_VALUE:
                rc = emit(s, 0);
                s->state = O_AFTER_VALUE;
                break;
            default: /* an element */
                rc = emit(s, 1);
                s->state = O_ELEM_AFTER;
                break;
            }
            buf_reset(&s->val);
            if (rc < 0)
                return rc;
            continue;
        }
        unsigned char c = (unsigned char)p[i];
        switch (s->state) {
        case V_BETWEEN:
            if (is_ws(c)) {
                i++;
                break;
            }
            if (c != '{')
                return fail(s, "invalid character looking for beginning of object", c);
            if (start_value(s, c) < 0)
                return -1;
            break;
        case O_START:
            if (is_ws(c)) {
                i++;
                break;
            }
            if (c != '{')
                return fail(s, "invalid character looking for beginning of object", c);
            s->state = O_KEY_OR_END;
            i++;
            break;
        case O_KEY_OR_END:
        case O_KEY_NEXT:
            i++;
            if (is_ws(c))
                break;
            if (c == '}' && s->state == O_KEY_OR_END) {
                s->state = O_DONE;
                break;
            }
            if (c != '"')
                return fail(s, "invalid character looking for beginning of object key string", c);
            buf_reset(&s->key);
            s->state = O_KEY;
            break;
        case O_KEY:
        case O_KEY_ESC: {
            /* Copy the run up to the closing quote in one piece. */
            size_t j = i;
            int esc = s->state == O_KEY_ESC;
            while (j < n) {
                unsigned char k = (unsigned char)p[j];
                if (esc)
                    esc = 0;
                else if (k == '\\')
                    esc = 1;
                else if (k == '"')
                    break;
                j++;
            }
            if (buf_add(&s->key, p + i, j - i) < 0)
                return fail(s, "object key too long", 0);
            if (j < n) {
                s->state = O_COLON;
                j++;
            } else {
                s->state = esc ? O_KEY_ESC : O_KEY;
            }
            i = j;
            break;
        }
        case O_COLON:
            i++;
            if (is_ws(c))
                break;
            if (c != ':')
                return fail(s, "invalid character after object key", c);
            s->state = O_VALUE;
            break;
        case O_VALUE:
            if (is_ws(c)) {
                i++;
                break;
            }
            if (c == '[' && is_split_key(s)) {
                s->splitting = 1;
                s->state = O_ELEM_OR_END;
                i++;
                break;
            }
            if (start_value(s, c) < 0)
                return -1;
            break;
        case O_AFTER_VALUE:
            i++;
            if (is_ws(c))
                break;
            if (c == ',')
                s->state = O_KEY_NEXT;
            else if (c == '}')
                s->state = O_DONE;
            else
                return fail(s, "invalid character after object key:value pair", c);
            break;
        case O_ELEM_OR_END:
        case O_ELEM_NEXT:
            if (is_ws(c)) {
                i++;
                break;
            }
            if (c == ']' && s->state == O_ELEM_OR_END) {
                i++;
                goto array_end;
            }
            if (start_value(s, c) < 0)
                return -1;
            break;
        case O_ELEM_AFTER:
            i++;
            if (is_ws(c))
                break;
            if (c == ',') {
                s->state = O_ELEM_NEXT;
                break;
            }
            if (c != ']')
                return fail(s, "invalid character after array element", c);
        array_end:
            s->splitting = 0;
            s->state = O_AFTER_VALUE;
            buf_reset(&s->val);
            {
                int rc = emit(s, 2);
                if (rc < 0)
                    return rc;
            }
            break;
        case O_DONE:
            i++;
            if (!is_ws(c))
                return fail(s, "invalid character after top-level value", c);
            break;
        default:
            return fail(s, "internal state error", 0);
        }
    }
    return 0;
}

int jstream_at_boundary(const struct jstream *s)
{
    if (s->failed)
        return 0;
    if (s->mode == JSTREAM_VALUES)
        return !s->collecting;
    return s->state == O_DONE;
}

int jstream_finish(struct jstream *s)
{
    if (s->failed)
        return -1;
    if (jstream_at_boundary(s))
        return 0;
    return fail(s, "unexpected end of JSON input", 0);
}
