// The GNU-only calls live here, compiled with _GNU_SOURCE, so the header stays
// compatible with Swift's Glibc module.
#define _GNU_SOURCE 1
#include <string.h>
#include <sys/socket.h>
#include "CProbe.h"

const char *cprobe_errno_name(int e) { return strerrorname_np(e); }

int cprobe_accept(int fd) { return accept4(fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC); }
