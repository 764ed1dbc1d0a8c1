#include "core/output.h"

#include <stdlib.h>
#include <string.h>

#include "core/json.h"
#include "core/jsonpath.h"
#include "core/yaml.h"

#define ALLOWED_FORMATS                                                                            \
    "go-template,go-template-file,json,jsonpath,jsonpath-as-json,jsonpath-file,name,template,"   \
    "templatefile,yaml"

/* The template after "jsonpath=", without the quotes a shell would have
 * kept: kubectl accepts -o jsonpath='{.a}' typed as -o "jsonpath='{.a}'". */
static char *template_of(const char *spec)
{
    size_t n = strlen(spec);
    if (n >= 2 && ((spec[0] == '\'' && spec[n - 1] == '\'') ||
                   (spec[0] == '"' && spec[n - 1] == '"')))
        return strndup(spec + 1, n - 2);
    return strdup(spec);
}

static int print_jsonpath(const char *spec, const json_t *obj, int allow_missing, struct buf *out,
                          struct err *e)
{
    char *tmpl = template_of(spec);
    if (!tmpl)
        return err_set(e, "out of memory");
    if (!*tmpl) {
        free(tmpl);
        return err_set(e, "template format specified but no template given");
    }
    struct err pe;
    struct jsonpath *jp = jsonpath_parse(tmpl, &pe);
    if (!jp) {
        err_set(e, "error parsing jsonpath %s, %s", tmpl, pe.msg);
        free(tmpl);
        return -1;
    }
    int rc = jsonpath_exec(jp, obj, allow_missing, out, &pe);
    jsonpath_free(jp);
    if (rc < 0) {
        /* kubectl follows the reason with the template and the data. */
        char *data = json_dumps(obj, JSON_COMPACT);
        err_set(e,
                "error executing jsonpath \"%s\": Error executing template: %s. Printing more "
                "information for debugging the template:\n\ttemplate was:\n\t\t%s\n\tobject "
                "given to jsonpath engine was:\n\t\t%s\n",
                tmpl, pe.msg, tmpl, data ? data : "");
        free(data);
    }
    free(tmpl);
    return rc;
}

int output_known(const char *format)
{
    return !strcmp(format, "yaml") || !strcmp(format, "json") || !strncmp(format, "jsonpath=", 9);
}

int output_print(const char *format, const json_t *obj, int allow_missing, struct buf *out,
                 struct err *e)
{
    if (!strcmp(format, "yaml"))
        return yaml_emit(obj, out) < 0 ? err_set(e, "out of memory") : 0;
    if (!strcmp(format, "json")) {
        if (json_emit_go(obj, 4, out) < 0 || buf_addc(out, '\n') < 0)
            return err_set(e, "out of memory");
        return 0;
    }
    if (!strncmp(format, "jsonpath=", 9))
        return print_jsonpath(format + 9, obj, allow_missing, out, e);
    if (!strcmp(format, "jsonpath"))
        return err_set(e, "template format specified but no template given");
    return err_set(e,
                   "unable to match a printer suitable for the output format \"%s\", allowed "
                   "formats are: " ALLOWED_FORMATS,
                   format);
}
