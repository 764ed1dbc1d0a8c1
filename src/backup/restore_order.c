/* Restore priorities: which resources go first. Velero restores
 * CustomResourceDefinitions before their objects, Namespaces before what
 * lives in them, storage before the Pods that mount it, and so on; ferry
 * keeps Velero's list so that a restore behaves the same with either tool. */
#include <string.h>

#include "backup/restore_int.h"

const char RESTORE_DEFAULT_PRIORITIES[] =
    "customresourcedefinitions,namespaces,storageclasses,"
    "volumesnapshotclass.snapshot.storage.k8s.io,volumesnapshotcontents.snapshot.storage.k8s.io,"
    "volumesnapshots.snapshot.storage.k8s.io,datauploads.velero.io,persistentvolumes,"
    "persistentvolumeclaims,serviceaccounts,secrets,configmaps,limitranges,pods,replicasets.apps,"
    "clusterclasses.cluster.x-k8s.io,endpoints,services,-,clusterbootstraps.run.tanzu.vmware.com,"
    "clusters.cluster.x-k8s.io,clusterresourcesets.addons.cluster.x-k8s.io";

/* One entry of the list, which may itself hold commas (the defaults are
 * one string). */
static int add_items(struct restore_prio *p, const char *s, int *low, struct err *e)
{
    while (*s) {
        size_t len = strcspn(s, ",");
        while (len && s[0] == ' ')
            s++, len--;
        while (len && s[len - 1] == ' ')
            len--;
        if (len == 1 && s[0] == '-') {
            if (*low)
                return err_set(e, "invalid resource priorities: \"-\" may appear only once");
            *low = 1;
        } else if (len) {
            if (strv_add(*low ? &p->low : &p->high, s, len))
                return err_set(e, "out of memory");
        }
        s += len;
        s += strspn(s, ", ");
    }
    return 0;
}

int restore_prio_parse(struct restore_prio *p, const char *const *items, size_t n, struct err *e)
{
    memset(p, 0, sizeof *p);
    int low = 0;
    if (!items)
        return add_items(p, RESTORE_DEFAULT_PRIORITIES, &low, e) ? (restore_prio_fini(p), -1) : 0;
    for (size_t i = 0; i < n; i++)
        if (add_items(p, items[i], &low, e)) {
            restore_prio_fini(p);
            return -1;
        }
    return 0;
}

void restore_prio_fini(struct restore_prio *p)
{
    strv_fini(&p->high);
    strv_fini(&p->low);
}

static int names(const char *entry, const char *dir)
{
    size_t n = strlen(entry);
    return !strcmp(entry, dir) || (!strchr(entry, '.') && !strncmp(entry, dir, n) && dir[n] == '.');
}

int restore_prio_rank(const struct restore_prio *p, const char *dir)
{
    for (size_t i = 0; i < p->high.n; i++)
        if (names(p->high.v[i], dir))
            return (int)i;
    for (size_t i = 0; i < p->low.n; i++)
        if (names(p->low.v[i], dir))
            return (int)(p->high.n + 1 + i);
    return (int)p->high.n;
}
