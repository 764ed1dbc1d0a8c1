/* Command-line framework: nested subcommands with kubectl's flag conventions.
 *
 * Every command is a static table entry (struct cli_cmd) with its own flag
 * table; the root's flags are global and accepted at any position, before or
 * after the subcommand names (`ferry config --kubeconfig=F view`). Supported:
 * `--f=v`, `--f v`, `-f v`, `-fv`, `-f=v`, bool flags as `--b`, `--b=false`,
 * `--` to end flags, list flags (comma-separated and/or repeated), and
 * generated `-h/--help` at every level. Errors are printed as kubectl prints
 * them (`error: unknown flag: --x` + a usage hint) and give exit status 1. */
#ifndef FERRY_CORE_CLI_H
#define FERRY_CORE_CLI_H

#include <stddef.h>
#include <stdio.h>

enum cli_type {
    CLI_BOOL,
    CLI_STRING,
    CLI_INT,
    CLI_STRINGS, /* comma-separated and repeatable (cobra StringSlice) */
    CLI_ARRAY,   /* repeatable, values taken whole (cobra StringArray) */
};

struct cli_flag {
    const char *name; /* long name, without the dashes */
    char shorthand;   /* 0 when none */
    enum cli_type type;
    const char *def; /* default value, as text ("false", "", "0") */
    const char *usage;
};

struct cli_ctx;
typedef int (*cli_run_fn)(struct cli_ctx *c);

struct cli_cmd {
    const char *name;
    const char *summary;               /* one line, for the parent's command list */
    const char *usage;                 /* after the command path, e.g. "NAME [--server=URL]" */
    const char *help;                  /* longer description; may be NULL */
    const char *example;               /* may be NULL */
    const struct cli_flag *flags;      /* terminated by an entry with name NULL; may be NULL */
    const struct cli_cmd *const *subs; /* NULL-terminated; may be NULL */
    cli_run_fn run;                    /* NULL: prints help */
    const char *alias;                 /* another name, or NULL */
};

struct cli_val {
    int set;           /* given on the command line */
    const char *str;   /* last value (or the default) */
    const char **list; /* CLI_STRINGS / CLI_ARRAY values, in order */
    size_t nlist;
};

/* What a command's run function receives. Strings point into argv or into
 * storage owned by the context; they live until cli_main returns. */
struct cli_ctx {
    const struct cli_cmd *root;
    const struct cli_cmd *cmd;
    char path[256]; /* "ferry config view" */
    int argc;
    char **argv; /* positional arguments */
    const struct cli_flag *gflags;
    struct cli_val *gvals;
    struct cli_val *vals; /* parallel to cmd->flags */
};

/* Parses argv against <root> and runs the chosen command. Returns the exit
 * status: the run function's return value, 0 for help, 1 on usage errors. */
int cli_main(const struct cli_cmd *root, int argc, char **argv);

/* Flag accessors, by long name; the command's own flags are looked up first,
 * then the global ones. Asking for a flag that is not declared is a
 * programming error and aborts. */
int cli_isset(const struct cli_ctx *c, const char *name);
const char *cli_str(const struct cli_ctx *c, const char *name);
int cli_bool(const struct cli_ctx *c, const char *name);
const char *const *cli_list(const struct cli_ctx *c, const char *name, size_t *n);

/* Parses a bool as Go's strconv.ParseBool does. Returns 0/1, or -1. */
int cli_parse_bool(const char *s);

/* Prints "error: <msg>" to stderr and returns 1. */
int cli_fail(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* As kubectl does for wrong arguments: "error: <msg>" and a hint to -h. */
int cli_usage_error(const struct cli_ctx *c, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* Prints the help of the current command to stdout, or to <out>. */
void cli_help(const struct cli_ctx *c);
void cli_help_to(const struct cli_ctx *c, FILE *out);

#endif
