#include "core/curl_load.h"

#include <dlfcn.h>
#include <pthread.h>
#include <stdio.h>

#define CURL_SONAME "libcurl.so.4"

struct curl_fns curl_fn;

static pthread_once_t once = PTHREAD_ONCE_INIT;
static char failure[256];

static void *sym(void *lib, const char *name)
{
    void *p = dlsym(lib, name);
    if (!p && !*failure)
        snprintf(failure, sizeof failure, "%s has no %s", CURL_SONAME, name);
    return p;
}

static void load(void)
{
    void *lib = dlopen(CURL_SONAME, RTLD_NOW | RTLD_LOCAL);
    if (!lib) {
        snprintf(failure, sizeof failure, "%s", dlerror());
        return;
    }
    /* dlsym gives void *; POSIX guarantees it converts to a function pointer */
#define LOAD(field, name) *(void **)&curl_fn.field = sym(lib, name)
    LOAD(global_init, "curl_global_init");
    LOAD(easy_init, "curl_easy_init");
    LOAD(easy_setopt, "curl_easy_setopt");
    LOAD(easy_perform, "curl_easy_perform");
    LOAD(easy_getinfo, "curl_easy_getinfo");
    LOAD(easy_reset, "curl_easy_reset");
    LOAD(easy_cleanup, "curl_easy_cleanup");
    LOAD(easy_strerror, "curl_easy_strerror");
    LOAD(share_init, "curl_share_init");
    LOAD(share_setopt, "curl_share_setopt");
    LOAD(share_cleanup, "curl_share_cleanup");
    LOAD(slist_append, "curl_slist_append");
    LOAD(slist_free_all, "curl_slist_free_all");
#undef LOAD
    if (!*failure && curl_fn.global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
        snprintf(failure, sizeof failure, "curl_global_init failed");
}

int curl_load(struct err *e)
{
    pthread_once(&once, load);
    if (*failure)
        return err_set(e, "cannot load libcurl: %s (install the libcurl4 package)", failure);
    return 0;
}
