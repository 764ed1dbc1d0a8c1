#include "core/cli.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* A flag found on the command line: which table and which entry. */
struct found {
    const struct cli_flag *f;
    struct cli_val *v;
};

int cli_parse_bool(const char *s)
{
    static const char *const yes[] = {"1", "t", "T", "TRUE", "true", "True"};
    static const char *const no[] = {"0", "f", "F", "FALSE", "false", "False"};
    for (size_t i = 0; i < sizeof yes / sizeof yes[0]; i++) {
        if (!strcmp(s, yes[i]))
            return 1;
        if (!strcmp(s, no[i]))
            return 0;
    }
    return -1;
}

static size_t nflags(const struct cli_flag *flags)
{
    size_t n = 0;
    while (flags && flags[n].name)
        n++;
    return n;
}

static struct cli_val *vals_new(const struct cli_flag *flags)
{
    size_t n = nflags(flags);
    struct cli_val *v = calloc(n + 1, sizeof *v);
    if (!v)
        return NULL;
    for (size_t i = 0; i < n; i++)
        v[i].str = flags[i].def ? flags[i].def : "";
    return v;
}

static void vals_free(const struct cli_flag *flags, struct cli_val *v)
{
    if (!v)
        return;
    for (size_t i = 0; i < nflags(flags); i++)
        free(v[i].list);
    free(v);
}

static const struct cli_cmd *find_sub(const struct cli_cmd *cmd, const char *name)
{
    for (size_t i = 0; cmd->subs && cmd->subs[i]; i++)
        if (!strcmp(cmd->subs[i]->name, name) ||
            (cmd->subs[i]->alias && !strcmp(cmd->subs[i]->alias, name)))
            return cmd->subs[i];
    return NULL;
}

/* Looks a flag up in the command's table, then in the global one. <name> is
 * a long name (len bytes) or, when shorthand is non-zero, ignored. */
static struct found lookup(const struct cli_ctx *c, const char *name, size_t len, char shorthand)
{
    const struct cli_flag *tabs[2] = {c->cmd->flags, c->gflags};
    struct cli_val *vals[2] = {c->vals, c->gvals};
    for (int t = 0; t < 2; t++) {
        for (size_t i = 0; tabs[t] && tabs[t][i].name; i++) {
            const struct cli_flag *f = &tabs[t][i];
            if (shorthand ? f->shorthand == shorthand
                          : name && strlen(f->name) == len && !strncmp(f->name, name, len))
                return (struct found){f, &vals[t][i]};
        }
    }
    return (struct found){NULL, NULL};
}

static int flag_error(const struct cli_ctx *c, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* "error: <msg>" and a hint line naming the command's help. */
static int usage_fail(const struct cli_ctx *c, const char *hint, const char *fmt, va_list ap)
{
    fputs("error: ", stderr);
    vfprintf(stderr, fmt, ap);
    fprintf(stderr, "\nSee '%s %s\n", c->path, hint);
    return 1;
}

static int flag_error(const struct cli_ctx *c, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int rc = usage_fail(c, "--help' for usage.", fmt, ap);
    va_end(ap);
    return rc;
}

/* "-o, --output" or "--minify", as pflag names a flag in its errors. */
static const char *flag_display(const struct cli_flag *f, char *out, size_t size)
{
    if (f->shorthand)
        snprintf(out, size, "-%c, --%s", f->shorthand, f->name);
    else
        snprintf(out, size, "--%s", f->name);
    return out;
}

static int list_push(struct cli_val *v, const char *s)
{
    const char **l = realloc(v->list, (v->nlist + 1) * sizeof *l);
    if (!l)
        return -1;
    v->list = l;
    v->list[v->nlist++] = s;
    return 0;
}

/* Splits a CLI_STRINGS value on commas, as a CSV record: "a,b" gives two
 * values, a quoted field may hold commas. The pieces are kept in <arena>. */
static int push_csv(struct cli_val *v, const char *s, char **arena)
{
    size_t n = strlen(s);
    char *copy = malloc(n + 1);
    if (!copy)
        return -1;
    /* Chain the copies so they are freed with the context. */
    char **link = malloc(sizeof(char *) * 2);
    if (!link) {
        free(copy);
        return -1;
    }
    link[0] = *arena;
    link[1] = copy;
    *arena = (char *)link;
    if (n == 0)
        return 0;
    char *w = copy;
    const char *start = w;
    int quoted = 0;
    for (const char *r = s;; r++) {
        if (*r == '"' && (r == s || r[-1] == ',' || quoted)) {
            if (quoted && r[1] == '"') {
                *w++ = '"';
                r++;
                continue;
            }
            quoted = !quoted;
            continue;
        }
        if (*r == '\0' || (*r == ',' && !quoted)) {
            *w++ = '\0';
            if (list_push(v, start) < 0)
                return -1;
            start = w;
            if (*r == '\0')
                break;
            continue;
        }
        *w++ = *r;
    }
    return 0;
}

static void arena_free(char *arena)
{
    while (arena) {
        char **link = (char **)arena;
        arena = link[0];
        free(link[1]);
        free(link);
    }
}

static int set_value(struct cli_ctx *c, struct found fl, const char *value, char **arena)
{
    const struct cli_flag *f = fl.f;
    struct cli_val *v = fl.v;
    char name[80];
    switch (f->type) {
    case CLI_BOOL:
        if (cli_parse_bool(value) < 0)
            return flag_error(c,
                              "invalid argument \"%s\" for \"%s\" flag: "
                              "strconv.ParseBool: parsing \"%s\": invalid syntax",
                              value, flag_display(f, name, sizeof name), value);
        break;
    case CLI_INT: {
        char *end;
        strtol(value, &end, 0);
        if (!*value || *end)
            return flag_error(c,
                              "invalid argument \"%s\" for \"%s\" flag: strconv.ParseInt: "
                              "parsing \"%s\": invalid syntax",
                              value, flag_display(f, name, sizeof name), value);
        break;
    }
    case CLI_STRINGS:
        if (push_csv(v, value, arena) < 0)
            return flag_error(c, "out of memory");
        break;
    case CLI_ARRAY:
        if (list_push(v, value) < 0)
            return flag_error(c, "out of memory");
        break;
    case CLI_STRING:
        break;
    }
    v->set = 1;
    v->str = value;
    return 0;
}

/* Decides whether argv[i] is a flag that takes the next argument as its
 * value, so that the command search can step over it. */
static int consumes_next(const struct cli_ctx *c, const char *a)
{
    if (a[1] == '-') {
        const char *name = a + 2;
        if (strchr(name, '='))
            return 0;
        struct found fl = lookup(c, name, strlen(name), 0);
        return fl.f && fl.f->type != CLI_BOOL;
    }
    if (a[1] && !a[2]) {
        struct found fl = lookup(c, NULL, 0, a[1]);
        return fl.f && fl.f->type != CLI_BOOL;
    }
    return 0;
}

static void print_flags(FILE *out, const struct cli_flag *flags)
{
    for (size_t i = 0; flags && flags[i].name; i++) {
        const struct cli_flag *f = &flags[i];
        char left[96];
        const char *kind = f->type == CLI_BOOL     ? ""
                           : f->type == CLI_INT    ? " int"
                           : f->type == CLI_STRING ? " string"
                                                   : " strings";
        if (f->shorthand)
            snprintf(left, sizeof left, "  -%c, --%s%s", f->shorthand, f->name, kind);
        else
            snprintf(left, sizeof left, "      --%s%s", f->name, kind);
        fprintf(out, "%-36s %s", left, f->usage ? f->usage : "");
        if (f->def && *f->def && strcmp(f->def, "false"))
            fprintf(out, " (default %s)", f->def);
        fputc('\n', out);
    }
}

void cli_help_to(const struct cli_ctx *c, FILE *out)
{
    const struct cli_cmd *cmd = c->cmd;
    fprintf(out, "%s\n\n", cmd->help ? cmd->help : cmd->summary);
    fprintf(out, "Usage:\n  %s%s%s\n", c->path, cmd->usage ? " " : "",
            cmd->usage ? cmd->usage : "");
    if (cmd->subs) {
        fprintf(out, "\nAvailable Commands:\n");
        for (size_t i = 0; cmd->subs[i]; i++)
            fprintf(out, "  %-18s %s\n", cmd->subs[i]->name, cmd->subs[i]->summary);
    }
    if (cmd->example)
        fprintf(out, "\nExamples:\n%s\n", cmd->example);
    if (cmd->flags && cmd->flags[0].name && cmd != c->root) {
        fprintf(out, "\nFlags:\n");
        print_flags(out, cmd->flags);
    }
    fprintf(out, "\nGlobal Flags:\n");
    print_flags(out, c->gflags);
    fprintf(out, "  -h, --help                           help for %s\n", cmd->name);
    if (cmd->subs)
        fprintf(out, "\nUse \"%s <command> --help\" for more information about a command.\n",
                c->path);
}

void cli_help(const struct cli_ctx *c)
{
    cli_help_to(c, stdout);
}

int cli_main(const struct cli_cmd *root, int argc, char **argv)
{
    struct cli_ctx c = {.root = root, .cmd = root, .gflags = root->flags};
    char *arena = NULL;
    int rc = 1, help = 0;
    char **pos = calloc((size_t)argc + 1, sizeof *pos);
    char *is_cmd = calloc((size_t)argc + 1, 1);
    c.gvals = vals_new(root->flags);
    if (!pos || !is_cmd || !c.gvals) {
        fputs("error: out of memory\n", stderr);
        goto out;
    }
    snprintf(c.path, sizeof c.path, "%s", root->name);

    /* First pass: walk down the subcommands, stepping over flags. */
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (!strcmp(a, "--"))
            break;
        if (a[0] == '-' && a[1]) {
            i += consumes_next(&c, a);
            continue;
        }
        const struct cli_cmd *sub = find_sub(c.cmd, a);
        if (!sub) {
            if (c.cmd->subs && !c.cmd->run) {
                fprintf(stderr,
                        "error: unknown command \"%s\"\nSee '%s -h' for help and examples\n", a,
                        c.path);
                goto out;
            }
            break;
        }
        c.cmd = sub;
        is_cmd[i] = 1;
        size_t l = strlen(c.path);
        snprintf(c.path + l, sizeof c.path - l, " %s", sub->name);
    }
    if (c.cmd != root) {
        c.vals = vals_new(c.cmd->flags);
        if (!c.vals) {
            fputs("error: out of memory\n", stderr);
            goto out;
        }
    }

    /* Second pass: every flag, wherever it stands. */
    for (int i = 1; i < argc; i++) {
        char *a = argv[i];
        if (is_cmd[i])
            continue;
        if (!strcmp(a, "--")) {
            while (++i < argc)
                pos[c.argc++] = argv[i];
            break;
        }
        if (a[0] != '-' || !a[1]) {
            pos[c.argc++] = a;
            continue;
        }
        if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
            help = 1;
            continue;
        }
        struct found fl;
        const char *value = NULL;
        if (a[1] == '-') {
            const char *name = a + 2;
            const char *eq = strchr(name, '=');
            size_t len = eq ? (size_t)(eq - name) : strlen(name);
            fl = lookup(&c, name, len, 0);
            if (!fl.f) {
                rc = flag_error(&c, "unknown flag: --%.*s", (int)len, name);
                goto out;
            }
            if (eq)
                value = eq + 1;
        } else {
            fl = lookup(&c, NULL, 0, a[1]);
            if (!fl.f) {
                rc = flag_error(&c, "unknown shorthand flag: '%c' in %s", a[1], a);
                goto out;
            }
            if (a[2])
                value = a[2] == '=' ? a + 3 : a + 2;
        }
        if (!value) {
            if (fl.f->type == CLI_BOOL) {
                value = "true";
            } else if (i + 1 < argc) {
                value = argv[++i];
            } else {
                if (a[1] == '-')
                    rc = flag_error(&c, "flag needs an argument: --%s", fl.f->name);
                else
                    rc = flag_error(&c, "flag needs an argument: '%c' in -%c", a[1], a[1]);
                goto out;
            }
        }
        if (set_value(&c, fl, value, &arena)) {
            rc = 1;
            goto out;
        }
    }
    c.argv = pos;
    if (help || (!c.cmd->run && c.cmd == root)) {
        cli_help(&c);
        rc = 0;
        goto out;
    }
    if (!c.cmd->run) {
        /* A command group without its verb: help on stderr, status 1. */
        cli_help_to(&c, stderr);
        goto out;
    }
    rc = c.cmd->run(&c);
out:
    fflush(stdout);
    if (c.vals)
        vals_free(c.cmd->flags, c.vals);
    vals_free(root->flags, c.gvals);
    arena_free(arena);
    free(pos);
    free(is_cmd);
    return rc;
}

static const struct cli_val *val(const struct cli_ctx *c, const char *name,
                                 const struct cli_flag **f)
{
    struct found fl = lookup(c, name, strlen(name), 0);
    if (!fl.f) {
        fprintf(stderr, "internal error: flag --%s is not declared for %s\n", name, c->path);
        abort();
    }
    if (f)
        *f = fl.f;
    return fl.v;
}

int cli_isset(const struct cli_ctx *c, const char *name)
{
    return val(c, name, NULL)->set;
}

const char *cli_str(const struct cli_ctx *c, const char *name)
{
    return val(c, name, NULL)->str;
}

int cli_bool(const struct cli_ctx *c, const char *name)
{
    return cli_parse_bool(val(c, name, NULL)->str) == 1;
}

const char *const *cli_list(const struct cli_ctx *c, const char *name, size_t *n)
{
    const struct cli_val *v = val(c, name, NULL);
    *n = v->nlist;
    return v->list;
}

int cli_fail(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fputs("error: ", stderr);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
    return 1;
}

int cli_usage_error(const struct cli_ctx *c, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int rc = usage_fail(c, "-h' for help and examples", fmt, ap);
    va_end(ap);
    return rc;
}
