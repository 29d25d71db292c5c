#if canImport(Glibc)
import Glibc
#endif

/// How many more descriptors this process may open, from `RLIMIT_NOFILE`.
package enum FileDescriptorBudget {
    /// Descriptors kept free for everything else (stdio, DNS, the caller's own files).
    static let reserve = 16

    /// The soft `RLIMIT_NOFILE`, or `nil` when unlimited or unknown.
    package static func softLimit() -> Int? {
        var limit = rlimit()
        guard getrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit) == 0 else { return nil }
        if limit.rlim_cur > rlim_t(Int32.max) { return nil }  // RLIM_INFINITY included
        return Int(limit.rlim_cur)
    }

    /// Raises the soft `RLIMIT_NOFILE` to the hard limit (as nmap does; a process may, unprivileged);
    /// returns the soft limit now in force (`nil`: unlimited or unknown).
    @discardableResult
    package static func raiseSoftLimit() -> Int? {
        var limit = rlimit()
        guard getrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit) == 0 else { return nil }
        if limit.rlim_cur < limit.rlim_max {
            var raised = limit
            raised.rlim_cur = limit.rlim_max
            if setrlimit(Int32(RLIMIT_NOFILE.rawValue), &raised) == 0 { limit = raised }
        }
        return limit.rlim_cur > rlim_t(Int32.max) ? nil : Int(limit.rlim_cur)
    }

    /// Descriptors open in this process now (entries of /proc/self/fd), or `nil` when unknown.
    static func openCount() -> Int? {
        guard let dir = opendir("/proc/self/fd") else { return nil }
        defer { closedir(dir) }
        var count = 0
        while let entry = readdir(dir) {
            let isDot = withUnsafeBytes(of: entry.pointee.d_name) { name in
                name[0] == UInt8(ascii: ".") && (name[1] == 0 || (name[1] == UInt8(ascii: ".") && name[2] == 0))
            }
            if !isDot { count += 1 }
        }
        return max(0, count - 1)  // opendir's own descriptor
    }

    /// Descriptors one sweep needs beyond those already open: the reactor's epoll, eventfd and
    /// timerfd, an ICMP socket per family, one TCP socket, and two for name lookups.
    package static let sweepMinimum = 8

    /// When `RLIMIT_NOFILE` is too low for a run that needs `extra` descriptors beyond those open now
    /// (``sweepMinimum``, plus what HTTP needs when providers are fetched): the one line saying so,
    /// else `nil`. A run under such a limit could only fail every probe with EMFILE.
    package static func tooLow(extra: Int = sweepMinimum) -> String? {
        guard let limit = softLimit() else { return nil }
        let needed = (openCount() ?? 8) + extra
        guard limit < needed else { return nil }
        return "ulimit -n is \(limit): probe needs at least \(needed) open files (raise it: 'ulimit -n 1024')"
    }

    /// The in-flight cap that fits: `requested`, lowered to what `RLIMIT_NOFILE` leaves free, at least 1.
    static func cap(requested: Int) -> Int {
        guard let limit = softLimit() else { return max(1, requested) }
        let open = openCount() ?? 64
        return max(1, min(requested, limit - open - reserve))
    }
}
