// CProbe: the few things Swift cannot import cleanly from Glibc.
// Keep this small: declarations and tiny inline helpers only.
#ifndef CPROBE_H
#define CPROBE_H


#include <errno.h>
#include <stdint.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/timerfd.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <netinet/ip.h>
#include <netinet/ip_icmp.h>
#include <netinet/icmp6.h>
#include <linux/errqueue.h>

// epoll / eventfd / timerfd flags as plain integers (they are enums or macros in C).
static const uint32_t CPROBE_EPOLLIN = EPOLLIN;
static const uint32_t CPROBE_EPOLLOUT = EPOLLOUT;
static const uint32_t CPROBE_EPOLLERR = EPOLLERR;
static const uint32_t CPROBE_EPOLLHUP = EPOLLHUP;
static const uint32_t CPROBE_EPOLLRDHUP = EPOLLRDHUP;
static const int CPROBE_EPOLL_CLOEXEC = EPOLL_CLOEXEC;
static const int CPROBE_EFD_CLOEXEC = EFD_CLOEXEC;
static const int CPROBE_EFD_NONBLOCK = EFD_NONBLOCK;
static const int CPROBE_TFD_CLOEXEC = TFD_CLOEXEC;
static const int CPROBE_TFD_NONBLOCK = TFD_NONBLOCK;
static const int CPROBE_TFD_TIMER_ABSTIME = TFD_TIMER_ABSTIME;
static const int CPROBE_SOCK_NONBLOCK = SOCK_NONBLOCK;
static const int CPROBE_SOCK_CLOEXEC = SOCK_CLOEXEC;

/// The parts of the kernel's `struct tcp_info` that probe reads.
typedef struct {
    /// Smoothed RTT in microseconds; after a single handshake it is that handshake's RTT. 0 = no sample.
    uint32_t rtt_us;
    /// RTT variance in microseconds.
    uint32_t rttvar_us;
    /// Retransmissions of this connection so far (a retransmitted SYN shows here).
    uint32_t total_retrans;
    /// TCP state (TCP_ESTABLISHED = 1, ...).
    uint8_t state;
} cprobe_tcp_info;

/// Reads TCP_INFO from a connected socket. Returns 0 on success, -1 with errno set otherwise.
static inline int cprobe_get_tcp_info(int fd, cprobe_tcp_info *out) {
    struct tcp_info info;
    socklen_t len = sizeof(info);
    memset(&info, 0, sizeof(info));
    if (getsockopt(fd, IPPROTO_TCP, TCP_INFO, &info, &len) != 0) {
        return -1;
    }
    out->rtt_us = info.tcpi_rtt;
    out->rttvar_us = info.tcpi_rttvar;
    out->total_retrans = info.tcpi_total_retrans;
    out->state = info.tcpi_state;
    return 0;
}

/// The symbolic name of an errno value ("ECONNREFUSED"), or NULL when unknown.
const char *cprobe_errno_name(int e);

/// accept4(2) with SOCK_NONBLOCK | SOCK_CLOEXEC, no peer address wanted.
int cprobe_accept(int fd);

// --- ICMP ---

/// What cprobe_recvmsg learned besides the bytes.
typedef struct {
    /// Kernel receive timestamp (CLOCK_REALTIME), when has_timestamp is 1.
    int64_t timestamp_sec;
    int64_t timestamp_nsec;
    int has_timestamp;
    /// From an error queue: 1 when sock_extended_err was present.
    int has_error;
    uint8_t error_origin;  // SO_EE_ORIGIN_ICMP (2) or SO_EE_ORIGIN_ICMP6 (3); others are local
    uint8_t error_type;
    uint8_t error_code;
    uint32_t error_errno;
} cprobe_recv_info;

/// recvmsg(2) with MSG_DONTWAIT (and MSG_ERRQUEUE when `errqueue`), reading SCM_TIMESTAMPNS and
/// IP(V6)_RECVERR control messages into `info`. Returns the byte count or -1 with errno set.
long cprobe_recvmsg(int fd, void *buffer, unsigned long length, struct sockaddr_storage *from, int errqueue,
                    cprobe_recv_info *info);

/// Options for an ICMP socket: receive timestamps, error queue, a larger receive buffer, and
/// (raw sockets) a filter that passes only echo replies and errors. Returns 0 or -1 with errno.
int cprobe_icmp_configure(int fd, int v6, int raw);

// --- netsim: the simulated network's device and namespace set-up. Each returns 0 or -1 with errno. ---

/// Opens /dev/net/tun as a TUN device (IFF_TUN | IFF_NO_PI) named `name`; returns the fd or -1.
int cprobe_tun_open(const char *name);

/// Sets IFF_UP (and IFF_RUNNING) on interface `name`.
int cprobe_if_up(const char *name);

/// Adds IPv4 address `addr` (network byte order) with `prefix` bits to interface `name`.
int cprobe_if_addr4(const char *name, uint32_t addr, int prefix);

/// Adds IPv6 address `addr` (16 bytes) with `prefix` bits to interface `name`.
int cprobe_if_addr6(const char *name, const uint8_t *addr, int prefix);

/// unshare(CLONE_NEWNET): a new, empty network namespace for the calling thread.
int cprobe_unshare_net(void);

/// mallopt(M_MMAP_THRESHOLD, bytes): allocations of at least `bytes` are always their own
/// mapping, returned to the kernel when freed (glibc otherwise raises the threshold after the
/// first such free, and later large blocks stay in the heap). 1 on success.
int cprobe_fixed_mmap_threshold(int bytes);

/// unshare(CLONE_NEWNS) and make every mount private to it: bind mounts made after this are
/// seen by this process and its children only.
int cprobe_unshare_mounts(void);

/// mount --bind `source` onto `target` (in the calling process's mount namespace).
int cprobe_bind_mount(const char *source, const char *target);

/// pidfd_open(2): a descriptor that becomes readable when process `pid` exits.
int cprobe_pidfd_open(int pid);

/// Tries SCHED_FIFO at `priority` for the calling thread (needs root); 0 on success.
int cprobe_realtime(int priority);

/// The calling thread's errno, readable right after a failing call.
static inline int cprobe_errno(void) { return errno; }

#endif

/// Whether libcrypt (libxcrypt: bcrypt, sha512-crypt, ...) could be loaded.
int cprobe_crypt_available(void);
/// 1 when `password` hashes to `hash` (a crypt(3) string such as `$2y$10$...`, compared in
/// constant time), 0 when not, -1 when libcrypt is not available.
int cprobe_password_matches(const char *password, const char *hash);

/// pipe2(fds, O_CLOEXEC): both ends close on exec (a child spawned later never inherits them).
int cprobe_pipe_cloexec(int fds[2]);
/// pthread_setname_np for the calling thread (at most 15 bytes; longer fails with ERANGE).
int cprobe_set_thread_name(const char *name);

