import CProbe
#if canImport(Glibc)
import Glibc
#endif

/// A thread of its own for blocking work (a sweep's reactor, blocking name lookups, a loopback
/// listener's accept loop): a detached POSIX thread, off Swift's cooperative pool. (Foundation's
/// `Thread` would bring ICU with it into the `probe` binary.)
package enum DetachedThread {
    private final class Work {
        let name: String
        let body: @Sendable () -> Void
        init(_ name: String, _ body: @escaping @Sendable () -> Void) {
            self.name = name
            self.body = body
        }
    }

    /// Runs `body` on a new detached thread; on the calling thread when no thread can be made
    /// (the work still runs, only later).
    /// `name` (at most 15 bytes shown) is what `ps -L` and debuggers show; `stackSize` in bytes
    /// (`nil`: the system's default).
    package static func start(name: String, stackSize: Int? = nil, _ body: @escaping @Sendable () -> Void) {
        let work = Unmanaged.passRetained(Work(name, body)).toOpaque()
        var attributes = pthread_attr_t()
        pthread_attr_init(&attributes)
        defer { pthread_attr_destroy(&attributes) }
        pthread_attr_setdetachstate(&attributes, Int32(PTHREAD_CREATE_DETACHED))
        if let stackSize { pthread_attr_setstacksize(&attributes, max(stackSize, 65_536)) }
        var thread = pthread_t()
        let created = pthread_create(&thread, &attributes, { raw in
            guard let raw else { return nil }
            let work = Unmanaged<Work>.fromOpaque(raw).takeRetainedValue()
            _ = cprobe_set_thread_name(String(work.name.utf8.prefix(15)) ?? "probe")
            work.body()
            return nil
        }, work)
        if created != 0 { Unmanaged<Work>.fromOpaque(work).takeRetainedValue().body() }
    }
}
