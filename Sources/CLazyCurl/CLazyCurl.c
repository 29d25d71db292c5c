// libcurl, loaded when first used instead of when probe starts.
//
// FoundationNetworking (URLSession, which fetches the providers' server lists) calls these 23
// libcurl functions. Linked statically, it would make libcurl and its ~30 libraries (TLS,
// Kerberos, LDAP, ...) a load-time dependency of every run: about 8 MB of resident memory and
// the loader's time, for runs that fetch nothing. These definitions stand in for libcurl's: the
// first call dlopen()s libcurl.so.4 and forwards to it, so a run that never fetches never maps
// it (the release recipe links with --as-needed, which then drops libcurl from the binary's
// dependencies). Where libcurl is a load-time dependency anyway (a dynamically linked
// Foundation), dlopen() finds the copy already loaded and the calls go straight to it.
//
// The variadic setters take exactly one argument after the option in every call
// FoundationNetworking makes (a long, a curl_off_t, a pointer or a function pointer: all passed
// in one general-purpose register on x86-64 and AArch64), forwarded as such.
#include <dlfcn.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include "CLazyCurl.h"

static void *library;
static pthread_once_t once = PTHREAD_ONCE_INIT;

static void load(void) {
    library = dlopen("libcurl.so.4", RTLD_NOW | RTLD_GLOBAL);
    if (!library) library = dlopen("libcurl.so", RTLD_NOW | RTLD_GLOBAL);
    if (!library) {
        // Nothing can fetch without it; say so in one line instead of failing later in URLSession.
        const char *reason = dlerror();
        fprintf(stderr, "probe: fetching needs libcurl (Debian: libcurl4): %s\n", reason ? reason : "not found");
        exit(69);  // EX_UNAVAILABLE
    }
}

static void *resolve(const char *name) {
    pthread_once(&once, load);
    void *symbol = dlsym(library, name);
    if (!symbol) {
        fprintf(stderr, "probe: this libcurl has no %s\n", name);
        exit(69);
    }
    return symbol;
}

int clazycurl_loaded(void) { return library != 0; }

#define FORWARD(result, name, params, args)                          \
    result name params {                                             \
        static result (*function) params;                            \
        if (!function) function = (result (*) params)resolve(#name); \
        return function args;                                        \
    }

#define FORWARD_VOID(name, params, args)                           \
    void name params {                                             \
        static void (*function) params;                            \
        if (!function) function = (void (*) params)resolve(#name); \
        function args;                                             \
    }

#define FORWARD_VARIADIC(name, handle_type, option_type)                          \
    int name(handle_type handle, option_type option, ...) {                      \
        static int (*function)(handle_type, option_type, ...);                   \
        if (!function) function = (int (*)(handle_type, option_type, ...))resolve(#name); \
        va_list list;                                                            \
        va_start(list, option);                                                  \
        void *argument = va_arg(list, void *);                                   \
        va_end(list);                                                            \
        return function(handle, option, argument);                              \
    }

FORWARD(int, curl_global_init, (long flags), (flags))
FORWARD(void *, curl_easy_init, (void), ())
FORWARD_VOID(curl_easy_cleanup, (void *handle), (handle))
FORWARD(int, curl_easy_pause, (void *handle, int bitmask), (handle, bitmask))
FORWARD(const char *, curl_easy_strerror, (int code), (code))
FORWARD_VARIADIC(curl_easy_setopt, void *, int)
FORWARD_VARIADIC(curl_easy_getinfo, void *, int)
FORWARD(void *, curl_multi_init, (void), ())
FORWARD(int, curl_multi_cleanup, (void *multi), (multi))
FORWARD(int, curl_multi_add_handle, (void *multi, void *handle), (multi, handle))
FORWARD(int, curl_multi_remove_handle, (void *multi, void *handle), (multi, handle))
FORWARD(int, curl_multi_assign, (void *multi, int socket, void *pointer), (multi, socket, pointer))
FORWARD(int, curl_multi_socket_action, (void *multi, int socket, int mask, int *running), (multi, socket, mask, running))
FORWARD(void *, curl_multi_info_read, (void *multi, int *queued), (multi, queued))
FORWARD_VARIADIC(curl_multi_setopt, void *, int)
FORWARD(void *, curl_slist_append, (void *list, const char *text), (list, text))
FORWARD_VOID(curl_slist_free_all, (void *list), (list))
FORWARD_VOID(curl_free, (void *pointer), (pointer))
FORWARD(void *, curl_url, (void), ())
FORWARD(int, curl_url_get, (void *url, int part, char **value, unsigned int flags), (url, part, value, flags))
FORWARD(int, curl_url_set, (void *url, int part, const char *value, unsigned int flags), (url, part, value, flags))
FORWARD(char *, curl_version, (void), ())
FORWARD(void *, curl_version_info, (int age), (age))
