/* kubeconfig files: load, merge, change and write them exactly as kubectl
 * (client-go's clientcmd) does.
 *
 * Entries are kept as jansson objects in the canonical shape of the v1
 * kubeconfig types: known fields only, in kubectl's field order, empty
 * optional fields left out, certificate data as base64 text. Two entries are
 * the same exactly when json_equal() says so, which is what decides which
 * stanzas a change rewrites. Each entry remembers the file it came from. */
#ifndef FERRY_KUBECONFIG_KCFG_H
#define FERRY_KUBECONFIG_KCFG_H

#include <jansson.h>

#include "core/err.h"

enum kcfg_kind { KCFG_CLUSTERS, KCFG_USERS, KCFG_CONTEXTS, KCFG_NKINDS };

struct kcfg {
    json_t *entries[KCFG_NKINDS]; /* name -> canonical body ("cluster", "user", "context") */
    json_t *origin[KCFG_NKINDS];  /* name -> path of the file it came from; absent if new */
    json_t *preferences;          /* canonical v1 Preferences object */
    json_t *extensions;           /* name -> extension value */
    char *current_context;        /* never NULL */
};

/* Where kubeconfig files come from: --kubeconfig, else $KUBECONFIG (a
 * colon-separated list, duplicates and empty entries dropped), else
 * ~/.kube/config. */
struct kcfg_paths {
    char *explicit_path; /* NULL unless --kubeconfig was given */
    char **files;        /* loading precedence */
    size_t nfiles;
};

int kcfg_paths_init(struct kcfg_paths *p, const char *explicit_path, struct err *e);
void kcfg_paths_fini(struct kcfg_paths *p);
/* The file new entries and the current context are written to. */
const char *kcfg_default_file(const struct kcfg_paths *p);

int kcfg_init(struct kcfg *c);
void kcfg_fini(struct kcfg *c);
/* Deep copy. Returns 0 or -1 (out of memory). */
int kcfg_copy(struct kcfg *dst, const struct kcfg *src);

/* Parses one file's bytes. <origin> (may be NULL) is recorded on each entry.
 * Errors read as kubectl's (without the "error loading config file" part). */
int kcfg_parse(struct kcfg *c, const char *data, size_t len, const char *origin, struct err *e);
/* Loads one file; a missing file gives an empty config and returns 1. */
int kcfg_load_file(struct kcfg *c, const char *path, struct err *e);
/* Loads and merges every file of <p> as kubectl does: the first file that
 * defines a name wins, the first non-empty current-context wins. */
int kcfg_load(struct kcfg *c, const struct kcfg_paths *p, struct err *e);

/* The v1 Config object (kind, apiVersion, preferences, clusters, users,
 * contexts, current-context, extensions) with lists sorted by name: what
 * kubectl prints and writes. New reference. */
json_t *kcfg_to_v1(const struct kcfg *c);
/* Serializes to kubectl's YAML and writes <path> atomically (0600 when new). */
int kcfg_write_file(const struct kcfg *c, const char *path, struct err *e);

/* Writes the difference between the files' current content and <changed>
 * back to the files each changed stanza came from (client-go's ModifyConfig),
 * under kubectl's <file>.lock locks. <relativize> makes file references of
 * changed clusters and users relative to the file they are written to. */
int kcfg_modify(const struct kcfg_paths *p, const struct kcfg *changed, int relativize,
                struct err *e);

/* View transformations, as `kubectl config view` applies them. */
int kcfg_minify(struct kcfg *c, struct err *e);
int kcfg_flatten(struct kcfg *c, struct err *e);
void kcfg_redact(struct kcfg *c);

/* `kubectl config set|unset PROPERTY [VALUE]`: navigates property paths
 * such as users.NAME.token or clusters.10.0.0.1.server (map keys may hold
 * dots). raw_bytes: take VALUE as bytes rather than base64 for byte fields. */
int kcfg_set_property(struct kcfg *c, const char *path, const char *value, int unset, int raw_bytes,
                      struct err *e);

/* Canonical body of a new, empty entry of <kind>. New reference. */
json_t *kcfg_new_entry(enum kcfg_kind kind);
/* Re-canonicalizes a body after free-form edits (order, empty fields). */
int kcfg_entry_canon(json_t **body, enum kcfg_kind kind, struct err *e);

/* Go's filepath.Abs and filepath.Clean. Return a malloc'd string. */
char *kcfg_abs_path(const char *path);
char *kcfg_clean_path(const char *path);

#endif
