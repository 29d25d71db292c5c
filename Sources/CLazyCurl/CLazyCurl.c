// libcurl, loaded when a run first fetches instead of when probe starts, and driven directly.
//
// Linked at load time, libcurl and its ~30 libraries (TLS, Kerberos, LDAP, ...) would cost every
// run about 8 MB of resident memory and the loader's time, for runs that fetch nothing. The first
// fetch dlopen()s libcurl.so.4 and looks up the dozen functions used here.
//
// Why not URLSession: FoundationNetworking hands the body to its delegate through a queue that
// does not push back on libcurl, so a fast sender (an endless body, a gzip bomb inflated inside
// the stack) piles up in memory long after the cap is reached (1 GB for a 1 MiB gzip bomb). Here
// the write callback counts every decoded byte and stops the transfer the moment the cap is
// passed: memory stays at the cap.
//
// Only libcurl's stable ABI is used (option numbers and info codes have not changed since 7.x);
// no libcurl headers are needed to build.
#include <dlfcn.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include "CLazyCurl.h"

typedef void CURL;
struct curl_slist;
typedef long long curl_off_t;

// Option numbers: type base (LONG 0, OBJECTPOINT 10000, FUNCTIONPOINT 20000, OFF_T 30000) + number.
#define OPT_WRITEDATA 10001
#define OPT_URL 10002
#define OPT_WRITEFUNCTION 20011
#define OPT_POSTFIELDS 10015
#define OPT_HTTPHEADER 10023
#define OPT_HEADERDATA 10029
#define OPT_CUSTOMREQUEST 10036
#define OPT_NOPROGRESS 43
#define OPT_FOLLOWLOCATION 52
#define OPT_POSTFIELDSIZE_LARGE 30120
#define OPT_HEADERFUNCTION 20079
#define OPT_NOSIGNAL 99
#define OPT_ACCEPT_ENCODING 10102
#define OPT_HTTP_CONTENT_DECODING 158
#define OPT_MAXFILESIZE_LARGE 30117
#define OPT_TIMEOUT_MS 155
#define OPT_CONNECTTIMEOUT_MS 156
#define OPT_PROTOCOLS 181
#define OPT_XFERINFODATA 10057
#define OPT_XFERINFOFUNCTION 20219
#define OPT_NOBODY 44
#define OPT_POST 47
#define OPT_ERRORBUFFER 10010
#define INFO_RESPONSE_CODE 0x200002
#define PROTO_HTTP 1
#define PROTO_HTTPS 2

static void *library;
static const char *load_error;
static pthread_once_t once = PTHREAD_ONCE_INIT;

static CURL *(*easy_init)(void);
static void (*easy_cleanup)(CURL *);
static int (*easy_setopt)(CURL *, int, ...);
static int (*easy_perform)(CURL *);
static int (*easy_getinfo)(CURL *, int, ...);
static struct curl_slist *(*slist_append)(struct curl_slist *, const char *);
static void (*slist_free_all)(struct curl_slist *);
static int (*global_init)(long);

static void load(void) {
    library = dlopen("libcurl.so.4", RTLD_NOW | RTLD_LOCAL);
    if (!library) library = dlopen("libcurl.so", RTLD_NOW | RTLD_LOCAL);
    if (!library) {
        load_error = "fetching needs libcurl (Debian: libcurl4), which could not be loaded";
        return;
    }
    easy_init = (CURL * (*)(void)) dlsym(library, "curl_easy_init");
    easy_cleanup = (void (*)(CURL *))dlsym(library, "curl_easy_cleanup");
    easy_setopt = (int (*)(CURL *, int, ...))dlsym(library, "curl_easy_setopt");
    easy_perform = (int (*)(CURL *))dlsym(library, "curl_easy_perform");
    easy_getinfo = (int (*)(CURL *, int, ...))dlsym(library, "curl_easy_getinfo");
    slist_append = (struct curl_slist * (*)(struct curl_slist *, const char *)) dlsym(library, "curl_slist_append");
    slist_free_all = (void (*)(struct curl_slist *))dlsym(library, "curl_slist_free_all");
    global_init = (int (*)(long))dlsym(library, "curl_global_init");
    if (!easy_init || !easy_cleanup || !easy_setopt || !easy_perform || !easy_getinfo || !slist_append || !slist_free_all || !global_init) {
        load_error = "this libcurl lacks a function probe uses";
        library = 0;
        return;
    }
    global_init(3);  // CURL_GLOBAL_ALL, once, before any thread uses it
}

int clazycurl_loaded(void) { return library != 0; }

typedef struct {
    clazycurl_answer *answer;
    size_t capacity;
    size_t maximum;
    int too_large;
    const volatile int *cancelled;
} transfer;

static size_t on_body(char *data, size_t size, size_t count, void *context) {
    transfer *t = context;
    size_t length = size * count;
    if (t->answer->body_length + length > t->maximum) {
        t->too_large = 1;
        return 0;  // stops the transfer (CURLE_WRITE_ERROR)
    }
    if (t->answer->body_length + length > t->capacity) {
        size_t capacity = t->capacity ? t->capacity : 16384;
        while (capacity < t->answer->body_length + length) capacity *= 2;
        if (capacity > t->maximum) capacity = t->maximum;
        unsigned char *grown = realloc(t->answer->body, capacity);
        if (!grown) {
            t->too_large = 1;
            return 0;
        }
        t->answer->body = grown;
        t->capacity = capacity;
    }
    memcpy(t->answer->body + t->answer->body_length, data, length);
    t->answer->body_length += length;
    return length;
}

static void keep(char **slot, const char *value, size_t length) {
    while (length > 0 && (value[0] == ' ' || value[0] == '\t')) { value++; length--; }
    while (length > 0 && (value[length - 1] == '\r' || value[length - 1] == '\n' || value[length - 1] == ' ')) length--;
    if (length > 2048) length = 2048;
    free(*slot);
    *slot = malloc(length + 1);
    if (!*slot) return;
    memcpy(*slot, value, length);
    (*slot)[length] = 0;
}

static size_t on_header(char *data, size_t size, size_t count, void *context) {
    transfer *t = context;
    size_t length = size * count;
    clazycurl_answer *a = t->answer;
    // A new status line (after a 100 Continue): forget the headers of the one before.
    if (length >= 5 && strncmp(data, "HTTP/", 5) == 0) {
        free(a->content_type); a->content_type = 0;
        free(a->location); a->location = 0;
        free(a->retry_after); a->retry_after = 0;
        free(a->content_encoding); a->content_encoding = 0;
        return length;
    }
    static const struct { const char *name; size_t offset; } wanted[] = {
        {"content-type:", offsetof(clazycurl_answer, content_type)},
        {"location:", offsetof(clazycurl_answer, location)},
        {"retry-after:", offsetof(clazycurl_answer, retry_after)},
        {"content-encoding:", offsetof(clazycurl_answer, content_encoding)},
    };
    for (size_t i = 0; i < sizeof wanted / sizeof wanted[0]; i++) {
        size_t n = strlen(wanted[i].name);
        if (length >= n && strncasecmp(data, wanted[i].name, n) == 0) {
            keep((char **)((char *)a + wanted[i].offset), data + n, length - n);
        }
    }
    return length;
}

static int on_progress(void *context, curl_off_t a, curl_off_t b, curl_off_t c, curl_off_t d) {
    (void)a; (void)b; (void)c; (void)d;
    transfer *t = context;
    return t->cancelled && *t->cancelled ? 1 : 0;
}

void clazycurl_perform(const clazycurl_request *request, clazycurl_answer *answer, const volatile int *cancelled) {
    memset(answer, 0, sizeof *answer);
    pthread_once(&once, load);
    if (!library) {
        answer->failure = 10;
        snprintf(answer->error, sizeof answer->error, "%s", load_error ? load_error : "libcurl could not be loaded");
        return;
    }
    CURL *curl = easy_init();
    if (!curl) {
        answer->failure = 9;
        snprintf(answer->error, sizeof answer->error, "libcurl could not start a transfer");
        return;
    }
    const char *method = request->method ? request->method : "GET";
    transfer t = {answer, 0, request->maximum_body, 0, cancelled};
    struct curl_slist *headers = 0;
    for (int i = 0; i < request->header_count; i++) headers = slist_append(headers, request->headers[i]);
    headers = slist_append(headers, "Expect:");  // no 100-continue round trip before a body
    char errors[256] = {0};
    easy_setopt(curl, OPT_ERRORBUFFER, errors);
    easy_setopt(curl, OPT_URL, request->url);
    easy_setopt(curl, OPT_NOSIGNAL, 1L);
    easy_setopt(curl, OPT_PROTOCOLS, (long)(PROTO_HTTP | PROTO_HTTPS));
    easy_setopt(curl, OPT_FOLLOWLOCATION, 0L);  // redirects are the caller's decision
    easy_setopt(curl, OPT_TIMEOUT_MS, request->timeout_ms > 0 ? request->timeout_ms : 10000L);
    easy_setopt(curl, OPT_CONNECTTIMEOUT_MS, request->timeout_ms > 0 ? request->timeout_ms : 10000L);
    easy_setopt(curl, OPT_HTTPHEADER, headers);
    easy_setopt(curl, OPT_WRITEFUNCTION, on_body);
    easy_setopt(curl, OPT_WRITEDATA, &t);
    easy_setopt(curl, OPT_HEADERFUNCTION, on_header);
    easy_setopt(curl, OPT_HEADERDATA, &t);
    easy_setopt(curl, OPT_NOPROGRESS, 0L);
    easy_setopt(curl, OPT_XFERINFOFUNCTION, on_progress);
    easy_setopt(curl, OPT_XFERINFODATA, &t);
    // A declared length over the cap is refused before the body is read.
    easy_setopt(curl, OPT_MAXFILESIZE_LARGE, (curl_off_t)request->maximum_body);
    if (request->decode) {
        easy_setopt(curl, OPT_ACCEPT_ENCODING, "gzip, deflate");
    } else {
        easy_setopt(curl, OPT_HTTP_CONTENT_DECODING, 0L);
    }
        if (request->body && request->body_length > 0) {
        easy_setopt(curl, OPT_POSTFIELDSIZE_LARGE, (curl_off_t)request->body_length);
        easy_setopt(curl, OPT_POSTFIELDS, request->body);
    } else if (strcmp(method, "POST") == 0 || strcmp(method, "PUT") == 0 || strcmp(method, "PATCH") == 0) {
        easy_setopt(curl, OPT_POSTFIELDSIZE_LARGE, (curl_off_t)0);
        easy_setopt(curl, OPT_POSTFIELDS, "");
    }
    if (strcmp(method, "GET") != 0) {
        if (strcmp(method, "HEAD") == 0) easy_setopt(curl, OPT_NOBODY, 1L);
        else easy_setopt(curl, OPT_CUSTOMREQUEST, method);
    }
    int code = easy_perform(curl);
    long status = 0;
    easy_getinfo(curl, INFO_RESPONSE_CODE, &status);
    answer->status = status;
    answer->curl_code = code;
    if (code != 0) {
        switch (code) {
        case 23: answer->failure = t.too_large ? 1 : 9; break;  // CURLE_WRITE_ERROR (our callback)
        case 63: answer->failure = 1; break;                      // CURLE_FILESIZE_EXCEEDED
        case 28: answer->failure = 2; break;                      // CURLE_OPERATION_TIMEDOUT
        case 42: answer->failure = 3; break;                      // CURLE_ABORTED_BY_CALLBACK
        case 7: answer->failure = 4; break;                       // CURLE_COULDNT_CONNECT
        case 6: case 5: answer->failure = 5; break;               // COULDNT_RESOLVE_HOST / _PROXY
        case 35: case 51: case 53: case 54: case 58: case 59: case 60: case 64: case 66: case 77: case 80: case 82: case 83: case 90: case 91:
            answer->failure = 6; break;                           // TLS
        case 52: case 55: case 56: case 18: answer->failure = 7; break;  // nothing, send/recv error, partial
        case 61: answer->failure = 8; break;                      // CURLE_BAD_CONTENT_ENCODING
        default: answer->failure = 9; break;
        }
        snprintf(answer->error, sizeof answer->error, "%s", errors);
        if (answer->failure == 1) {
            free(answer->body);
            answer->body = 0;
            answer->body_length = 0;
        }
    }
    slist_free_all(headers);
    easy_cleanup(curl);
}

void clazycurl_answer_free(clazycurl_answer *answer) {
    free(answer->body);
    free(answer->content_type);
    free(answer->location);
    free(answer->retry_after);
    free(answer->content_encoding);
    memset(answer, 0, sizeof *answer);
}
