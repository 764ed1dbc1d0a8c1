#include "core/dl.h"

#include <dlfcn.h>
#include <stdio.h>

int dl_load(const char *soname, const struct dl_sym *syms, size_t n, char *failure, size_t size)
{
    void *lib = dlopen(soname, RTLD_NOW | RTLD_LOCAL);
    if (!lib) {
        snprintf(failure, size, "%s", dlerror());
        return -1;
    }
    for (size_t i = 0; i < n; i++) {
        *syms[i].slot = dlsym(lib, syms[i].name);
        if (!*syms[i].slot) {
            snprintf(failure, size, "%s has no %s", soname, syms[i].name);
            return -1;
        }
    }
    return 0;
}
