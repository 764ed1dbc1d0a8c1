/* The manifests provider: Ingress, IngressClass, Service, Endpoints,
 * EndpointSlice and Secret objects from YAML or JSON files, watched.
 *
 *   struct provider_files *pf = provider_files_new(path, store);
 *   provider_files_reload(pf, &e);        (first load: fails on an invalid file)
 *   provider_files_watch(pf, loop, &e);   (inotify on the loop: later changes)
 *
 * <path> is a file or a directory. A directory contributes its regular
 * files (symlinks followed) named *.yaml, *.yml or *.json, not starting with
 * '.', in byte order of their names; subdirectories are not read. Each file
 * may hold several documents ("---"); a JSON file is one document (YAML
 * reads JSON). Objects of other kinds are ignored by the model.
 *
 * A reload reads every file again, puts the objects into the object store
 * (ingress/objstore.h) and rebuilds from it: model, warnings logged, route
 * table published. When any file is invalid (YAML syntax, a document that
 * is not an object, an object without apiVersion or kind) nothing is
 * published: the error names the file and the line, and whoever serves keeps
 * the previous table. A reload whose files are byte for byte those of the
 * last published one publishes nothing.
 *
 * Watching: inotify on the directory (for a file, on its parent directory,
 * so that editors that replace files by renaming them, and Kubernetes
 * ConfigMap volumes that swap a "..data" symlink, are seen). Only completed
 * changes count: a file closed after writing, moved in or out, or deleted.
 * A burst of events is debounced: the reload happens 100 ms after the last
 * event, and at most 400 ms after the first. */
#ifndef FERRY_INGRESS_PROVIDER_FILES_H
#define FERRY_INGRESS_PROVIDER_FILES_H

#include <jansson.h>

#include "core/err.h"
#include "ingress/objstore.h"
#include "net/loop.h"

#define PROVIDER_FILES_DEBOUNCE_MS 100
#define PROVIDER_FILES_MAX_DELAY_MS 400

struct provider_files;

/* <path> is copied; <store> is the caller's and must outlive the provider.
 * Returns NULL when memory runs out. */
struct provider_files *provider_files_new(const char *path, struct objstore *store);
/* Reads, builds, publishes (see above). Returns 1 when a table was
 * published, 0 when nothing changed, -1 with <e> filled when a file is
 * invalid or unreadable (nothing published). May block on the file system. */
int provider_files_reload(struct provider_files *pf, struct err *e);
/* Starts watching on <loop> (the thread that runs it reloads). Returns 0 or
 * -1 with <e> filled. */
int provider_files_watch(struct provider_files *pf, struct loop *loop, struct err *e);
/* Reloads published so far (for logs and tests). */
unsigned provider_files_generation(const struct provider_files *pf);
/* Stops watching and frees. NULL is ignored. */
void provider_files_free(struct provider_files *pf);

/* Reads every document of <path> (a file or a directory, as above) into one
 * new JSON array of objects (*objects, the caller's). Returns 0, or -1 with
 * *objects NULL and <e> like
 *   "manifests/web.yaml: line 7: mapping values are not allowed in this context"
 *   "manifests/web.yaml: line 12: document 2 has no kind"
 * <hash> (may be NULL) receives a hash of the file names and contents. */
int manifests_read(const char *path, json_t **objects, unsigned long long *hash, struct err *e);

#endif
