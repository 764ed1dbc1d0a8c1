#include "kubeconfig/state.h"

#include <stdlib.h>
#include <string.h>

#include "core/buf.h"
#include "core/file.h"

#define KSTATE_MAX 4096

static int state_path(const char *key, struct buf *b)
{
    const char *xdg = getenv("XDG_STATE_HOME");
    if (xdg && *xdg)
        return buf_addf(b, "%s/ferry/%s", xdg, key);
    const char *home = getenv("HOME");
    return buf_addf(b, "%s/.local/state/ferry/%s", home ? home : "", key);
}

char *kstate_get(const char *key)
{
    struct buf path = BUF_INIT, data = BUF_INIT;
    char *out = NULL;
    if (state_path(key, &path) == 0 && file_read(path.p, KSTATE_MAX, &data, NULL) == 0) {
        while (data.len && (data.p[data.len - 1] == '\n'))
            data.p[--data.len] = '\0';
        if (data.len)
            out = buf_take(&data);
    }
    buf_fini(&path);
    buf_fini(&data);
    return out;
}

int kstate_put(const char *key, const char *value, struct err *e)
{
    struct buf path = BUF_INIT, data = BUF_INIT;
    int rc = -1;
    if (state_path(key, &path) < 0 || buf_addf(&data, "%s\n", value) < 0)
        err_set(e, "out of memory");
    else
        rc = file_write_atomic(path.p, data.p, data.len, 0600, e) < 0 ? -1 : 0;
    buf_fini(&path);
    buf_fini(&data);
    return rc;
}
