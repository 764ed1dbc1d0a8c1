/* ferry's own small state for `ferry ctx -` and `ferry ns -`: the previous
 * context and namespace, one value per file under $XDG_STATE_HOME/ferry
 * (default ~/.local/state/ferry). */
#ifndef FERRY_KUBECONFIG_STATE_H
#define FERRY_KUBECONFIG_STATE_H

#include "core/err.h"

/* Returns the stored value (malloc'd, caller frees) or NULL when none. */
char *kstate_get(const char *key);
/* Stores <value> atomically. Returns 0 or -1 with <e> set. */
int kstate_put(const char *key, const char *value, struct err *e);

#endif
