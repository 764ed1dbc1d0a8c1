#include "core/curl_load.h"

#include <pthread.h>
#include <stdio.h>

#include "core/dl.h"

#define CURL_SONAME "libcurl.so.4"

struct curl_fns curl_fn;

static pthread_once_t once = PTHREAD_ONCE_INIT;
static char failure[256];

static void load(void)
{
    const struct dl_sym syms[] = {
        DL_SYM(curl_fn.global_init, "curl_global_init"),
        DL_SYM(curl_fn.easy_init, "curl_easy_init"),
        DL_SYM(curl_fn.easy_setopt, "curl_easy_setopt"),
        DL_SYM(curl_fn.easy_perform, "curl_easy_perform"),
        DL_SYM(curl_fn.easy_getinfo, "curl_easy_getinfo"),
        DL_SYM(curl_fn.easy_reset, "curl_easy_reset"),
        DL_SYM(curl_fn.easy_cleanup, "curl_easy_cleanup"),
        DL_SYM(curl_fn.easy_strerror, "curl_easy_strerror"),
        DL_SYM(curl_fn.share_init, "curl_share_init"),
        DL_SYM(curl_fn.share_setopt, "curl_share_setopt"),
        DL_SYM(curl_fn.share_cleanup, "curl_share_cleanup"),
        DL_SYM(curl_fn.slist_append, "curl_slist_append"),
        DL_SYM(curl_fn.slist_free_all, "curl_slist_free_all"),
    };
    if (dl_load(CURL_SONAME, syms, sizeof syms / sizeof syms[0], failure, sizeof failure) < 0)
        return;
    if (curl_fn.global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
        snprintf(failure, sizeof failure, "curl_global_init failed");
}

int curl_load(struct err *e)
{
    pthread_once(&once, load);
    if (*failure)
        return err_set(e, "cannot load libcurl: %s (install the libcurl4 package)", failure);
    return 0;
}
