/* Private to src/storage: the backend vtable behind storage.h.
 *
 * A backend allocates its own store with struct storage as the first
 * member, and its writers with struct storage_writer first; storage.c
 * dispatches and does what every backend would otherwise repeat (the
 * location copy, whole-object puts and gets from memory). */
#ifndef FERRY_STORAGE_STORAGE_INT_H
#define FERRY_STORAGE_STORAGE_INT_H

#include "storage/location.h"
#include "storage/storage.h"

struct storage_ops {
    int (*check)(struct storage *s, struct err *e);
    struct storage_writer *(*put_begin)(struct storage *s, const char *key,
                                        const char *content_type, struct err *e);
    int (*put_write)(struct storage_writer *w, const void *p, size_t n, struct err *e);
    /* commit and abort free <w> */
    int (*put_commit)(struct storage_writer *w, struct err *e);
    void (*put_abort)(struct storage_writer *w);
    int (*get)(struct storage *s, const char *key, storage_data_fn fn, void *arg, struct err *e);
    int (*list)(struct storage *s, const char *prefix, const char *delimiter, storage_list_fn fn,
                void *arg, struct err *e);
    int (*stat)(struct storage *s, const char *key, struct storage_entry *ent, struct err *e);
    int (*del)(struct storage *s, const char *key, struct err *e);
    /* frees the backend's part; storage.c frees <loc> */
    void (*free)(struct storage *s);
};

struct storage {
    const struct storage_ops *ops;
    struct location loc; /* a copy, owned by the store */
};

struct storage_writer {
    struct storage *s;
};

/* Sets <e> to `backup location "NAME": <fmt...>` and returns -1. */
int storage_fail(const struct storage *s, struct err *e, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* The backends' constructors: <loc> is only read during the call. */
struct storage *storage_local_open(const struct location *loc, struct err *e);
/* provider s3 and gcs */
struct storage *storage_s3_open(const struct location *loc, struct err *e);

#endif
