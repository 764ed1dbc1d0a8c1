/* kubectl get's printers, fed one object at a time.
 *
 * - json, yaml: a single object prints as itself; anything else as
 *   kubectl's {"apiVersion":"v1","items":[...],"kind":"List",
 *   "metadata":{"resourceVersion":""}}, with object keys sorted as kubectl
 *   prints its unstructured objects. The List is written as items arrive
 *   (nothing is held but the current item), so its first bytes go out when
 *   the first item does; an error part way leaves it unfinished.
 * - name: kind[.group]/name per object.
 * - jsonpath=...: the template runs over the whole List (or the single
 *   object), as kubectl runs it; this one holds every item.
 * - table (default) and wide: rows of the server's Table (columns of
 *   priority 0, all with wide), NAMESPACE first with -A, or NAME and AGE
 *   from the objects when the server sends no Table. Rows are kept as text
 *   until the end, since column widths depend on every row.
 *
 * Output goes to a FILE; write errors are reported by kube_printer_end. */
#ifndef FERRY_KUBE_PRINT_H
#define FERRY_KUBE_PRINT_H

#include <stdio.h>
#include <time.h>

#include <jansson.h>

#include "core/buf.h"
#include "kube/discovery.h"

enum kube_out {
    KUBE_OUT_TABLE,
    KUBE_OUT_WIDE,
    KUBE_OUT_JSON,
    KUBE_OUT_YAML,
    KUBE_OUT_NAME,
    KUBE_OUT_JSONPATH,
};

struct table;

struct kube_printer {
    enum kube_out kind;
    const char *tmpl; /* jsonpath template */
    int allow_missing;
    int no_headers;
    int all_namespaces; /* add the NAMESPACE column */
    int show_kind;      /* names as kind[.group]/name in tables */
    FILE *out;
    time_t now;
    /* state */
    int list_started;
    size_t items;      /* printed objects, all types */
    json_t *collected; /* jsonpath: every item */
    struct table *table;
    size_t table_rows;
    int tables_done;                 /* tables already flushed (a blank line between) */
    json_t *columns;                 /* columns of the current table */
    int generic;                     /* the current table is NAME/AGE */
    const struct kube_resource *res; /* the current table's resource */
    struct buf a, b;
};

/* Parses -o. Returns 0, or -1 with kubectl's message in <msg>. */
int kube_printer_parse(const char *o, enum kube_out *kind, const char **tmpl, struct buf *msg);

void kube_printer_init(struct kube_printer *p, enum kube_out kind, const char *tmpl, FILE *out);
void kube_printer_fini(struct kube_printer *p);

/* Whether this printer wants Tables from the server. */
int kube_printer_wants_table(const struct kube_printer *p);

/* Prints one object as the whole output (get TYPE NAME). Returns 0 or -1
 * with <msg>. */
int kube_printer_single(struct kube_printer *p, json_t *obj, const struct kube_resource *r,
                        struct buf *msg);

/* One object of a list of resource <r>. With a Table printer, <columns>
 * is the Table's column list and <obj> one of its rows; when <columns> is
 * NULL, <obj> is a plain object. Returns 0 or -1 with <msg>. */
int kube_printer_item(struct kube_printer *p, json_t *obj, json_t *columns,
                      const struct kube_resource *r, struct buf *msg);

/* Ends the current table (several resource types print one table each). */
int kube_printer_flush_table(struct kube_printer *p, struct buf *msg);

/* Finishes the output (closes the List, runs the template, prints the
 * table). Returns 0 or -1 with <msg>. */
int kube_printer_end(struct kube_printer *p, struct buf *msg);

/* k8s.io/apimachinery/pkg/util/duration.HumanDuration of <seconds>:
 * "5s", "3m2s", "4h", "2d3h", "3y45d". Writes into <dst>. */
void kube_human_duration(double seconds, char *dst, size_t n);
/* kubectl's AGE: "<unknown>" when <ts> is absent or unparsable. */
void kube_age(const char *ts, time_t now, char *dst, size_t n);

#endif
