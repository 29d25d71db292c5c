#ifndef CLAZYCURL_H
#define CLAZYCURL_H

#include <stddef.h>

/// Whether libcurl has been loaded (a run that fetched something); for the tests.
int clazycurl_loaded(void);

/// One HTTP exchange, as the provider client asks for it.
typedef struct {
    const char *method;
    const char *url;
    /// "Name: value" lines.
    const char *const *headers;
    int header_count;
    const void *body;
    size_t body_length;
    /// The whole exchange, connect included.
    long timeout_ms;
    /// A body (after decoding) larger than this aborts the transfer: the bytes are counted as they
    /// arrive, never buffered past it.
    size_t maximum_body;
    /// Ask for and decode gzip/deflate (the decoded bytes count against maximum_body).
    int decode;
} clazycurl_request;

/// What came back. Strings are NUL-terminated (NULL when absent) and owned by the answer.
typedef struct {
    long status;
    unsigned char *body;
    size_t body_length;
    char *content_type;
    char *location;
    char *retry_after;
    char *content_encoding;
    /// 0: an answer; 1 too large; 2 timed out; 3 cancelled; 4 cannot connect; 5 cannot resolve;
    /// 6 TLS failed; 7 connection lost; 8 broken compression; 9 other (curl_code says which);
    /// 10 libcurl could not be loaded (error holds why).
    int failure;
    int curl_code;
    char error[256];
} clazycurl_answer;

/// Performs `request` (blocking: call it from a thread of its own). `cancelled` is read while
/// the transfer runs: non-zero aborts it.
void clazycurl_perform(const clazycurl_request *request, clazycurl_answer *answer, const volatile int *cancelled);

/// Frees what an answer owns.
void clazycurl_answer_free(clazycurl_answer *answer);

#endif
