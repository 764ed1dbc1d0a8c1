#include "core/output.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/json.h"
#include "core/jsonpath.h"
#include "core/yaml.h"

#define ALLOWED_FORMATS                                                                            \
    "go-template,go-template-file,json,jsonpath,jsonpath-as-json,jsonpath-file,name,template,"     \
    "templatefile,yaml"

/* The template after "jsonpath=", without the quotes a shell would have
 * kept: kubectl accepts -o jsonpath='{.a}' typed as -o "jsonpath='{.a}'". */
static char *template_of(const char *spec)
{
    size_t n = strlen(spec);
    if (n >= 2 &&
        ((spec[0] == '\'' && spec[n - 1] == '\'') || (spec[0] == '"' && spec[n - 1] == '"')))
        return strndup(spec + 1, n - 2);
    return strdup(spec);
}

static int fail(struct buf *msg, const char *text)
{
    buf_adds(msg, text);
    return -1;
}

static int print_jsonpath(const char *spec, const json_t *obj, int allow_missing, struct buf *out,
                          struct buf *msg)
{
    char *tmpl = template_of(spec);
    if (!tmpl)
        return fail(msg, "out of memory");
    if (!*tmpl) {
        free(tmpl);
        return fail(msg, "template format specified but no template given");
    }
    struct err e;
    int rc = -1;
    struct jsonpath *jp = jsonpath_parse(tmpl, &e);
    if (!jp)
        jsonpath_parse_error_text(tmpl, e.msg, msg);
    else if ((rc = jsonpath_exec(jp, obj, allow_missing, out, &e)) < 0)
        jsonpath_exec_error_text(tmpl, e.msg, obj, msg);
    jsonpath_free(jp);
    free(tmpl);
    return rc < 0 ? -1 : 0;
}

int output_known(const char *format)
{
    return !strcmp(format, "yaml") || !strcmp(format, "json") || !strncmp(format, "jsonpath=", 9);
}

int output_print(const char *format, const json_t *obj, int allow_missing, struct buf *out,
                 struct buf *msg)
{
    if (!strcmp(format, "yaml")) {
        struct err e;
        return yaml_emit_err(obj, out, &e) < 0 ? fail(msg, e.msg) : 0;
    }
    if (!strcmp(format, "json")) {
        if (json_emit_go(obj, 4, out) < 0 || buf_addc(out, '\n') < 0)
            return fail(msg, "out of memory");
        return 0;
    }
    if (!strncmp(format, "jsonpath=", 9))
        return print_jsonpath(format + 9, obj, allow_missing, out, msg);
    if (!strcmp(format, "jsonpath"))
        return fail(msg, "template format specified but no template given");
    buf_addf(msg,
             "unable to match a printer suitable for the output format \"%s\", allowed formats "
             "are: " ALLOWED_FORMATS,
             format);
    return -1;
}

int output_fail(const struct buf *msg)
{
    fprintf(stderr, "error: %s%s", msg->len ? msg->p : "",
            msg->len && msg->p[msg->len - 1] == '\n' ? "" : "\n");
    return 1;
}
