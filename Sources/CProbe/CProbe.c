// The GNU-only calls live here, compiled with _GNU_SOURCE, so the header stays
// compatible with Swift's Glibc module.
#define _GNU_SOURCE 1
#include <string.h>
#include <sys/socket.h>
#include <fcntl.h>
#include <sched.h>
#include <unistd.h>
#include <sys/ioctl.h>
#include <sys/syscall.h>
#include <sys/mount.h>
#include <malloc.h>
#include <net/if.h>
#include <linux/if_tun.h>
#include "CProbe.h"

const char *cprobe_errno_name(int e) { return strerrorname_np(e); }

int cprobe_accept(int fd) { return accept4(fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC); }

int cprobe_tun_open(const char *name) {
    int fd = open("/dev/net/tun", O_RDWR | O_CLOEXEC | O_NONBLOCK);
    if (fd < 0) return -1;
    struct ifreq ifr;
    memset(&ifr, 0, sizeof(ifr));
    ifr.ifr_flags = IFF_TUN | IFF_NO_PI;
    strncpy(ifr.ifr_name, name, IFNAMSIZ - 1);
    if (ioctl(fd, TUNSETIFF, &ifr) < 0) {
        int saved = errno;
        close(fd);
        errno = saved;
        return -1;
    }
    return fd;
}

static int with_socket(int family, int (*body)(int, void *), void *context) {
    int sock = socket(family, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (sock < 0) return -1;
    int result = body(sock, context);
    int saved = errno;
    close(sock);
    errno = saved;
    return result;
}

static int set_up(int sock, void *context) {
    struct ifreq ifr;
    memset(&ifr, 0, sizeof(ifr));
    strncpy(ifr.ifr_name, (const char *)context, IFNAMSIZ - 1);
    if (ioctl(sock, SIOCGIFFLAGS, &ifr) < 0) return -1;
    ifr.ifr_flags |= IFF_UP | IFF_RUNNING;
    return ioctl(sock, SIOCSIFFLAGS, &ifr);
}

int cprobe_if_up(const char *name) { return with_socket(AF_INET, set_up, (void *)name); }

struct addr4_request { const char *name; uint32_t addr; int prefix; };

static int set_addr4(int sock, void *context) {
    struct addr4_request *request = context;
    struct ifreq ifr;
    memset(&ifr, 0, sizeof(ifr));
    strncpy(ifr.ifr_name, request->name, IFNAMSIZ - 1);
    struct sockaddr_in *sin = (struct sockaddr_in *)&ifr.ifr_addr;
    sin->sin_family = AF_INET;
    sin->sin_addr.s_addr = request->addr;
    if (ioctl(sock, SIOCSIFADDR, &ifr) < 0) return -1;
    sin->sin_addr.s_addr = request->prefix == 0 ? 0 : htonl(0xffffffffu << (32 - request->prefix));
    return ioctl(sock, SIOCSIFNETMASK, &ifr);
}

int cprobe_if_addr4(const char *name, uint32_t addr, int prefix) {
    struct addr4_request request = { name, addr, prefix };
    return with_socket(AF_INET, set_addr4, &request);
}

/* struct in6_ifreq from <linux/ipv6.h>, which clashes with glibc's headers. */
struct cprobe_in6_ifreq { struct in6_addr addr; uint32_t prefixlen; int ifindex; };
struct addr6_request { const char *name; const uint8_t *addr; int prefix; };

static int set_addr6(int sock, void *context) {
    struct addr6_request *request = context;
    struct cprobe_in6_ifreq ifr6;
    memset(&ifr6, 0, sizeof(ifr6));
    memcpy(&ifr6.addr, request->addr, 16);
    ifr6.prefixlen = (uint32_t)request->prefix;
    ifr6.ifindex = (int)if_nametoindex(request->name);
    if (ifr6.ifindex == 0) return -1;
    return ioctl(sock, SIOCSIFADDR, &ifr6);
}

int cprobe_if_addr6(const char *name, const uint8_t *addr, int prefix) {
    struct addr6_request request = { name, addr, prefix };
    return with_socket(AF_INET6, set_addr6, &request);
}

int cprobe_unshare_net(void) { return unshare(CLONE_NEWNET); }

int cprobe_fixed_mmap_threshold(int bytes) { return mallopt(M_MMAP_THRESHOLD, bytes); }

int cprobe_unshare_mounts(void) {
    if (unshare(CLONE_NEWNS) != 0) return -1;
    return mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL);
}

int cprobe_bind_mount(const char *source, const char *target) { return mount(source, target, NULL, MS_BIND, NULL); }

int cprobe_pidfd_open(int pid) { return (int)syscall(SYS_pidfd_open, pid, 0); }

int cprobe_realtime(int priority) {
    struct sched_param param;
    memset(&param, 0, sizeof(param));
    param.sched_priority = priority;
    return sched_setscheduler(0, SCHED_FIFO, &param);
}

long cprobe_recvmsg(int fd, void *buffer, unsigned long length, struct sockaddr_storage *from, int errqueue,
                    cprobe_recv_info *info) {
    char control[512];
    struct iovec iov = { buffer, length };
    struct msghdr message;
    memset(&message, 0, sizeof(message));
    memset(info, 0, sizeof(*info));
    message.msg_name = from;
    message.msg_namelen = from ? sizeof(*from) : 0;
    message.msg_iov = &iov;
    message.msg_iovlen = 1;
    message.msg_control = control;
    message.msg_controllen = sizeof(control);
    ssize_t count;
    do {
        count = recvmsg(fd, &message, MSG_DONTWAIT | (errqueue ? MSG_ERRQUEUE : 0));
    } while (count < 0 && errno == EINTR);
    if (count < 0) return -1;
    for (struct cmsghdr *header = CMSG_FIRSTHDR(&message); header; header = CMSG_NXTHDR(&message, header)) {
        if (header->cmsg_level == SOL_SOCKET && header->cmsg_type == SCM_TIMESTAMPNS) {
            struct timespec stamp;
            memcpy(&stamp, CMSG_DATA(header), sizeof(stamp));
            info->timestamp_sec = stamp.tv_sec;
            info->timestamp_nsec = stamp.tv_nsec;
            info->has_timestamp = 1;
        } else if ((header->cmsg_level == SOL_IP && header->cmsg_type == IP_RECVERR) ||
                   (header->cmsg_level == SOL_IPV6 && header->cmsg_type == IPV6_RECVERR)) {
            struct sock_extended_err error;
            memcpy(&error, CMSG_DATA(header), sizeof(error));
            info->has_error = 1;
            info->error_origin = error.ee_origin;
            info->error_type = error.ee_type;
            info->error_code = error.ee_code;
            info->error_errno = error.ee_errno;
        }
    }
    return (long)count;
}

int cprobe_icmp_configure(int fd, int v6, int raw) {
    int on = 1;
    if (setsockopt(fd, SOL_SOCKET, SO_TIMESTAMPNS, &on, sizeof(on)) != 0) return -1;
    if (v6) {
        if (setsockopt(fd, SOL_IPV6, IPV6_RECVERR, &on, sizeof(on)) != 0) return -1;
    } else {
        if (setsockopt(fd, SOL_IP, IP_RECVERR, &on, sizeof(on)) != 0) return -1;
    }
    int size = 4 << 20;  /* room for a burst of thousands of replies */
    if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &size, sizeof(size)) != 0) {
        setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &size, sizeof(size));
    }
    if (raw && !v6) {
        /* ICMP_FILTER: a set bit blocks that type. Pass echo reply (0), unreachable (3), time exceeded (11). */
        /* ICMP_FILTER (1) at SOL_RAW, from <linux/icmp.h>, which clashes with glibc's headers. */
        uint32_t filter = ~((1U << 0) | (1U << 3) | (1U << 11));
        if (setsockopt(fd, SOL_RAW, 1, &filter, sizeof(filter)) != 0) return -1;
    } else if (raw && v6) {
        struct icmp6_filter filter;
        ICMP6_FILTER_SETBLOCKALL(&filter);
        ICMP6_FILTER_SETPASS(129, &filter);
        ICMP6_FILTER_SETPASS(1, &filter);
        ICMP6_FILTER_SETPASS(3, &filter);
        if (setsockopt(fd, IPPROTO_ICMPV6, ICMP6_FILTER, &filter, sizeof(filter)) != 0) return -1;
    }
    return 0;
}

#include <dlfcn.h>
#include <stdlib.h>
#include <pthread.h>

/* crypt_ra from libxcrypt (libcrypt.so.1), loaded on first use: only `probe serve` with basic
   auth needs it, and nothing else links it. */
typedef char *(*cprobe_crypt_ra_fn)(const char *, const char *, void **, int *);
static cprobe_crypt_ra_fn cprobe_crypt_ra;
static pthread_once_t cprobe_crypt_once = PTHREAD_ONCE_INIT;

static void cprobe_crypt_load(void) {
    void *library = dlopen("libcrypt.so.1", RTLD_NOW | RTLD_LOCAL);
    if (library == NULL) library = dlopen("libcrypt.so", RTLD_NOW | RTLD_LOCAL);
    if (library != NULL) cprobe_crypt_ra = (cprobe_crypt_ra_fn)dlsym(library, "crypt_ra");
}

int cprobe_crypt_available(void) {
    pthread_once(&cprobe_crypt_once, cprobe_crypt_load);
    return cprobe_crypt_ra != NULL;
}

int cprobe_password_matches(const char *password, const char *hash) {
    if (!cprobe_crypt_available()) return -1;
    void *data = NULL;
    int size = 0;
    const char *out = cprobe_crypt_ra(password, hash, &data, &size);
    int result = 0;
    if (out != NULL && out[0] != '*') {
        size_t a = strlen(out), b = strlen(hash);
        unsigned char difference = (unsigned char)(a != b);
        size_t n = a < b ? a : b;
        for (size_t i = 0; i < n; i++) difference |= (unsigned char)(out[i] ^ hash[i]);
        result = difference == 0;
    }
    if (data != NULL) {
        memset(data, 0, (size_t)size);
        free(data);
    }
    return result;
}

#include <pthread.h>
int cprobe_pipe_cloexec(int fds[2]) { return pipe2(fds, O_CLOEXEC); }
int cprobe_set_thread_name(const char *name) { return pthread_setname_np(pthread_self(), name); }
