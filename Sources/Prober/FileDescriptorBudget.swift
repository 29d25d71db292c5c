#if canImport(Glibc)
import Glibc
#endif

/// How many more descriptors this process may open, from `RLIMIT_NOFILE`.
enum FileDescriptorBudget {
    /// Descriptors kept free for everything else (stdio, DNS, the caller's own files).
    static let reserve = 16

    /// The soft `RLIMIT_NOFILE`, or `nil` when unlimited or unknown.
    static func softLimit() -> Int? {
        var limit = rlimit()
        guard getrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit) == 0 else { return nil }
        if limit.rlim_cur > rlim_t(Int32.max) { return nil }  // RLIM_INFINITY included
        return Int(limit.rlim_cur)
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

    /// The in-flight cap that fits: `requested`, lowered to what `RLIMIT_NOFILE` leaves free, at least 1.
    static func cap(requested: Int) -> Int {
        guard let limit = softLimit() else { return max(1, requested) }
        let open = openCount() ?? 64
        return max(1, min(requested, limit - open - reserve))
    }
}
