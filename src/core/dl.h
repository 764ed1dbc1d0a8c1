/* Libraries loaded at run time, the first time a command needs them, rather
 * than mapped and relocated at every start (see curl_load.h, archive_load.h).
 * The callers declare a table of symbol names and the function-pointer
 * slots to fill; this opens the library and resolves them all. */
#ifndef FERRY_CORE_DL_H
#define FERRY_CORE_DL_H

#include <stddef.h>

struct dl_sym {
    void **slot;      /* the function pointer to fill, seen as a data pointer */
    const char *name; /* the symbol */
};

/* Takes the address of a function-pointer field as a slot: dlsym gives a
 * void *, and POSIX guarantees that it converts to a function pointer. */
#define DL_SYM(fnptr, name)                                                                        \
    {                                                                                              \
        (void **)&(fnptr), (name)                                                                  \
    }

/* Opens <soname> and fills every slot of <syms>. Returns 0, or -1 with
 * <failure> (of <size> bytes) saying what went wrong: dlerror's text, or
 * "<soname> has no <symbol>" for the first missing one. The library stays
 * loaded for the life of the process. */
int dl_load(const char *soname, const struct dl_sym *syms, size_t n, char *failure, size_t size);

#endif
