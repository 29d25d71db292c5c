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

int cprobe_pidfd_open(int pid) { return (int)syscall(SYS_pidfd_open, pid, 0); }

int cprobe_realtime(int priority) {
    struct sched_param param;
    memset(&param, 0, sizeof(param));
    param.sched_priority = priority;
    return sched_setscheduler(0, SCHED_FIFO, &param);
}
