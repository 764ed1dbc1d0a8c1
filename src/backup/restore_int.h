/* Private to the restore (src/backup/restore*.c): the pure rules that turn
 * a backed-up object into the object sent to the new cluster. None of
 * these functions does I/O; tests/unit/test_restore.c drives them. */
#ifndef FERRY_BACKUP_RESTORE_INT_H
#define FERRY_BACKUP_RESTORE_INT_H

#include <stddef.h>

#include <jansson.h>

#include "backup/restore.h"
#include "core/err.h"

/* Labels every restored object carries. */
#define RESTORE_LABEL_BACKUP "ferry.dev/backup-name"
#define RESTORE_LABEL_RESTORE "ferry.dev/restore-name"

/* ---- restore_order.c: priorities ---- */

/* Velero's default restore priorities (its server's
 * --restore-resource-priorities), as the text the flag takes. */
extern const char RESTORE_DEFAULT_PRIORITIES[];

/* The rank of the backup directory <dir> ("deployments.apps", "pods"): the
 * index of the first high-priority entry that names it, else the number
 * of high entries (everything else, one group), else after that the
 * low-priority entries in order. An entry names a directory when it is
 * equal to it or is its plural alone ("customresourcedefinitions" names
 * "customresourcedefinitions.apiextensions.k8s.io"). */
int restore_prio_rank(const struct restore_prio *p, const char *dir);

/* ---- restore_clean.c: what is never restored, and cleaning ---- */

/* Why an object of backup directory <dir> is never restored, or NULL when
 * it may be: nodes, events, Velero's and ferry's own records, node and
 * leader-election Leases (released ones too), EndpointSlices kept by the
 * EndpointSlice controller, the API server's default/kubernetes Service,
 * Endpoints and EndpointSlice, the kube-root-ca.crt ConfigMaps.
 * (Endpoints of Services with a selector depend on the other objects of
 * the backup: restore.c decides those.) */
const char *restore_never_reason(const char *dir, const json_t *obj);

/* The uid of the object's controller (the ownerReference with controller:
 * true), or NULL. An object whose controller is restored too is left for
 * it to recreate; other owner references do not count. */
const char *restore_controller_uid(const json_t *obj);

/* Drops what the source cluster's API server and controllers wrote (status,
 * uid, resourceVersion, timestamps, managedFields, ...) and what the new
 * cluster must allocate again (Services' cluster IPs, their auto-assigned
 * node ports unless <preserve_nodeports>, a Pod's node, a PV claimRef's
 * uid, a PVC's binding annotations, a Job's generated controller-uid
 * selector). Nodeports that the last-applied-configuration annotation
 * shows were chosen by the user are kept. Used on backed-up objects and on
 * the existing objects they are compared with. */
void restore_clean(json_t *obj, const char *dir, int preserve_nodeports);

/* ---- restore_map.c: mappings ---- */

/* The zone a zone value becomes: the zone mapping's when it has one; else,
 * when a region mapping's old region starts the zone and the rest is a
 * zone suffix ("-a" as in GCP's us-central1-a, "a" as in AWS's
 * us-east-1a), the new region with the same suffix. NULL when unchanged.
 * The result is written to <dst> (<n> bytes). */
const char *restore_map_zone(const struct restore_maps *m, const char *zone, char *dst, size_t n);
/* The region mapping's value for <region>, or NULL. */
const char *restore_map_region(const struct restore_maps *m, const char *region);

/* Applies the namespace, zone/region and storage-class mappings to <obj>
 * of backup directory <dir>: metadata.namespace (and a Namespace's own
 * name), PV claimRef.namespace, (Cluster)RoleBinding subjects' namespace;
 * topology labels and node selectors, matchExpressions and StorageClass
 * allowedTopologies on topology keys, GCE/CSI/EBS volume handles that
 * embed a zone or region, StorageClass zone parameters; PV, PVC and
 * StatefulSet claim template storageClassName. Returns 0 or -ENOMEM. */
int restore_map_object(json_t *obj, const char *dir, const struct restore_maps *m);

/* ---- restore_select.c ---- */

/* Whether the labels of <obj> match <sel>, a metav1.LabelSelector
 * (matchLabels and matchExpressions with In, NotIn, Exists, DoesNotExist,
 * as record_selector_parse makes from kubectl's selector text). An empty
 * selector matches everything. */
int restore_selector_match(const json_t *sel, const json_t *obj);

/* ---- restore.c ---- */

/* The Restore object, next to its logs and results. */
#define RESTORE_RECORD "velero-restore.json"

/* "restores/<name>/<file>": where a restore's record lives. */
void restore_key(char *dst, size_t n, const char *name, const char *file);

/* ---- restore_read.c ---- */

struct storage;

/* Receives one object of the backup: its directory ("deployments.apps"),
 * namespace (NULL when cluster-scoped), name, and JSON text. Returns 0, or
 * -1 with <e> set to stop the read. */
typedef int (*restore_entry_fn)(void *arg, const char *dir, const char *ns, const char *name,
                                const char *json, size_t len, struct err *e);

/* Reads backups/<backup>/<backup>.tar.gz from <s> and hands every object
 * to <fn>, in the tarball's order. -1 with a message naming the backup
 * when the tarball is missing or corrupt. */
int restore_read_backup(struct storage *s, const char *backup, restore_entry_fn fn, void *arg,
                        struct err *e);

/* An unlinked temporary file in $TMPDIR (or /tmp), open for reading and
 * writing: gone when closed, whatever happens to the process. */
int restore_tmpfile(struct err *e);

#endif
