/* ferry ctx and ferry ns: quick context and namespace switching. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cmd/cmds.h"
#include "core/cli.h"
#include "core/json.h"
#include "kube/commands.h"
#include "kubeconfig/kcfg.h"
#include "kubeconfig/ops.h"
#include "kubeconfig/state.h"

static int load(const struct cli_ctx *c, struct kcfg_paths *p, struct kcfg *cfg)
{
    struct err e;
    if (kcfg_paths_init(p, cli_str(c, "kubeconfig"), &e) < 0)
        return cli_fail("%s", e.msg);
    if (kcfg_load(cfg, p, &e) < 0) {
        kcfg_paths_fini(p);
        return cli_fail("%s", e.msg);
    }
    return 0;
}

static int list_contexts(const struct kcfg *cfg)
{
    json_t *ctxs = cfg->entries[KCFG_CONTEXTS];
    size_t n;
    const char **names = json_sorted_keys(ctxs, &n);
    if (!names)
        return cli_fail("out of memory");
    int tty = isatty(STDOUT_FILENO);
    for (size_t i = 0; i < n; i++) {
        if (strcmp(names[i], cfg->current_context))
            printf("  %s\n", names[i]);
        else if (tty)
            printf("\033[1;32m* %s\033[0m\n", names[i]);
        else
            printf("* %s\n", names[i]);
    }
    free(names);
    return 0;
}

static int run_ctx(struct cli_ctx *c)
{
    struct kcfg_paths p;
    struct kcfg cfg;
    struct err e;
    if (c->argc > 1)
        return cli_usage_error(c, "expected at most one context name, got %d", c->argc);
    if (load(c, &p, &cfg))
        return 1;
    int rc = 0;
    if (c->argc == 0) {
        rc = list_contexts(&cfg);
        goto out;
    }
    char *target = NULL;
    if (!strcmp(c->argv[0], "-")) {
        target = kstate_get("previous-context");
        if (!target) {
            rc = cli_fail("no previous context: switch with \"ferry ctx NAME\" first");
            goto out;
        }
    } else {
        target = strdup(c->argv[0]);
    }
    if (kcfg_op_use_context(&p, target, &e) < 0) {
        rc = cli_fail("%s", e.msg);
    } else {
        if (*cfg.current_context && strcmp(cfg.current_context, target) &&
            kstate_put("previous-context", cfg.current_context, &e) < 0)
            fprintf(stderr, "warning: could not remember the previous context: %s\n", e.msg);
        printf("Switched to context \"%s\".\n", target);
    }
    free(target);
out:
    kcfg_fini(&cfg);
    kcfg_paths_fini(&p);
    return rc;
}

static int run_ns(struct cli_ctx *c)
{
    struct kcfg_paths p;
    struct kcfg cfg;
    struct err e;
    if (c->argc > 1)
        return cli_usage_error(c, "expected at most one namespace, got %d", c->argc);
    if (load(c, &p, &cfg))
        return 1;
    int rc = 0;
    json_t *ctx = json_object_get(cfg.entries[KCFG_CONTEXTS], cfg.current_context);
    const char *cur = ctx ? json_string_value(json_object_get(ctx, "namespace")) : NULL;
    if (!*cfg.current_context) {
        rc = cli_fail("current-context is not set: choose one with \"ferry ctx NAME\"");
        goto out;
    }
    if (c->argc == 0) {
        struct kube_overrides o;
        cmd_kube_overrides(c, &o);
        rc = kube_cmd_namespaces(&o, isatty(STDOUT_FILENO));
        goto out;
    }
    char *target = NULL, *name = NULL;
    if (!strcmp(c->argv[0], "-")) {
        target = kstate_get("previous-namespace");
        if (!target) {
            rc = cli_fail("no previous namespace: switch with \"ferry ns NAME\" first");
            goto out;
        }
    } else {
        target = strdup(c->argv[0]);
    }
    if (kcfg_op_set_namespace(&p, target, &name, &e) < 0) {
        rc = cli_fail("%s", e.msg);
    } else {
        const char *prev = cur && *cur ? cur : "default";
        if (strcmp(prev, target) && kstate_put("previous-namespace", prev, &e) < 0)
            fprintf(stderr, "warning: could not remember the previous namespace: %s\n", e.msg);
        printf("Context \"%s\" modified.\n", name);
    }
    free(name);
    free(target);
out:
    kcfg_fini(&cfg);
    kcfg_paths_fini(&p);
    return rc;
}

const struct cli_cmd cmd_ctx = {
    "ctx",
    "List contexts or switch to one ('-' for the previous one)",
    "[NAME | -]",
    "With no argument, lists the contexts of the kubeconfig, the current one marked with '*'.\n"
    "With NAME, switches to that context; with '-', back to the previous one.",
    "  ferry ctx\n  ferry ctx prod\n  ferry ctx -",
    NULL,
    NULL,
    run_ctx,
    NULL,
};

const struct cli_cmd cmd_ns = {
    "ns",
    "List the cluster's namespaces or switch to one ('-' for the previous one)",
    "[NAME | -]",
    "With no argument, lists the namespaces of the current context's cluster, the current one\n"
    "marked with '*' (if the cluster cannot be reached: the current namespace alone, a warning,\n"
    "exit status 1). With NAME, makes it the namespace of the current context; with '-', goes\n"
    "back to the previous one.",
    "  ferry ns\n  ferry ns kube-system\n  ferry ns -",
    NULL,
    NULL,
    run_ns,
    NULL,
};
