/* libcurl, loaded the first time a client (API or object storage) is made rather than when ferry
 * starts: the library and the thirty it pulls in (TLS, Kerberos, LDAP, ...)
 * cost about 7 ms and 6 MiB at every start, which the commands that never
 * talk to a cluster (`ferry config`, `ferry ctx`) must not pay. The client
 * calls libcurl through this table; the types and constants come from
 * <curl/curl.h> as usual. */
#ifndef FERRY_CORE_CURL_LOAD_H
#define FERRY_CORE_CURL_LOAD_H

#include <curl/curl.h>

#include "core/err.h"

struct curl_fns {
    CURLcode (*global_init)(long flags);
    CURL *(*easy_init)(void);
    CURLcode (*easy_setopt)(CURL *h, CURLoption opt, ...);
    CURLcode (*easy_perform)(CURL *h);
    CURLcode (*easy_getinfo)(CURL *h, CURLINFO info, ...);
    void (*easy_reset)(CURL *h);
    void (*easy_cleanup)(CURL *h);
    const char *(*easy_strerror)(CURLcode code);
    CURLSH *(*share_init)(void);
    CURLSHcode (*share_setopt)(CURLSH *sh, CURLSHoption opt, ...);
    CURLSHcode (*share_cleanup)(CURLSH *sh);
    struct curl_slist *(*slist_append)(struct curl_slist *list, const char *s);
    void (*slist_free_all)(struct curl_slist *list);
};

/* Filled by curl_load(). */
extern struct curl_fns curl_fn;

/* Loads libcurl and runs curl_global_init, once per process (thread-safe).
 * Returns 0, or -1 with a message naming the library and what to install. */
int curl_load(struct err *e);

#endif
