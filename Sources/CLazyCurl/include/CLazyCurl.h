#ifndef CLAZYCURL_H
#define CLAZYCURL_H

/// Whether libcurl has been loaded (a run that fetched something); for the tests.
int clazycurl_loaded(void);

#endif
