/* The v1 kubeconfig types as a table: field names, order, kinds and Go type
 * names. Decoding, canonical form, error messages and property paths
 * (`config set`) are all driven by it. Private to src/kubeconfig. */
#ifndef FERRY_KUBECONFIG_SCHEMA_H
#define FERRY_KUBECONFIG_SCHEMA_H

#include <jansson.h>

#include "core/err.h"

enum kfield_type {
    KF_STR,
    KF_BOOL,
    KF_BYTES,   /* []byte: base64 text in JSON */
    KF_STRS,    /* []string */
    KF_STRMAP,  /* map[string]string */
    KF_STRSMAP, /* map[string][]string */
    KF_EXTS,    /* []NamedExtension, a map by name internally */
    KF_STRUCT,  /* *T or T */
    KF_ENVS,    /* []ExecEnvVar */
};

struct kschema;

struct kfield {
    const char *name;
    enum kfield_type type;
    int omitempty;
    const struct kschema *sub; /* KF_STRUCT, KF_ENVS */
    const char *gotype;        /* overrides the Go type name in errors */
    const char *setname;       /* name in `config set` paths when it differs
                                  (client-go's internal types: "act-as") */
};

struct kschema {
    const char *goname; /* "Cluster" */
    const struct kfield *fields;
};

extern const struct kschema kschema_cluster, kschema_authinfo, kschema_context, kschema_preferences;

/* The schema of one kind of entry (enum kcfg_kind). */
const struct kschema *kschema_of_kind(int kind);
const struct kfield *kschema_field(const struct kschema *s, const char *name);
/* The field a `config set` path part names (setname, else name). */
const struct kfield *kschema_set_field(const struct kschema *s, const char *name);

/* Decodes <in> (may be NULL or null: the zero value) as struct <s> into its
 * canonical form. <path> is the JSON path used in Go-worded type errors,
 * <parent> the Go struct holding the field. New reference in *out. */
int kschema_decode(const struct kschema *s, const json_t *in, const char *parent, const char *path,
                   json_t **out, struct err *e);
/* Whether a canonical value is the zero value of its field. */
int kschema_is_zero(const struct kfield *f, const json_t *v);
/* The value a non-omitempty field takes when unset. New reference. */
json_t *kschema_zero(const struct kfield *f);

const char *kschema_json_type(const json_t *v);

#endif
