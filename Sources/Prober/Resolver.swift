import Foundation
import Synchronization
#if canImport(Glibc)
import Glibc
#endif
import CProbe

/// The address a target resolved to, or why it did not.
struct Resolution: Sendable {
    var address: SocketAddress?
    var milliseconds: Double?
    var error: String?
}

/// Resolves host names once, before probing, on threads of its own: never on the reactor
/// thread and never on Swift's cooperative pool (getaddrinfo blocks).
enum Resolver {
    /// Most lookups at once.
    static let maxThreads = 16

    /// Resolves every target; numeric addresses are parsed without a lookup.
    /// Blocks the calling thread until all are done.
    static func resolve(_ targets: [ProbeTarget]) -> [Resolution] {
        var results = [Resolution](repeating: Resolution(), count: targets.count)
        var lookups: [Int] = []  // one index per distinct host name
        var sameHost: [String: [Int]] = [:]
        for (index, target) in targets.enumerated() {
            if let address = SocketAddress(numericHost: target.host, port: target.port) {
                results[index] = Resolution(address: address)
            } else {
                let key = target.host.lowercased()
                if sameHost[key] == nil { lookups.append(index) }
                sameHost[key, default: []].append(index)
            }
        }
        guard !lookups.isEmpty else { return results }
        let shared = Mutex(results)
        let next = Atomic<Int>(0)
        let group = DispatchGroup()
        let threads = min(maxThreads, lookups.count)
        let work = lookups
        let names = targets
        for _ in 0..<threads {
            group.enter()
            let thread = Thread {
                while true {
                    let slot = next.wrappingAdd(1, ordering: .relaxed).oldValue
                    guard slot < work.count else { break }
                    let index = work[slot]
                    let resolution = lookup(names[index])
                    shared.withLock { $0[index] = resolution }
                }
                group.leave()
            }
            thread.name = "probe-resolver"
            thread.start()
        }
        group.wait()
        results = shared.withLock { $0 }
        // Every other target with the same name shares the one lookup, with its own port.
        for first in lookups {
            let resolved = results[first]
            for index in sameHost[targets[first].host.lowercased(), default: []] where index != first {
                results[index] = Resolution(
                    address: resolved.address?.withPort(targets[index].port), milliseconds: resolved.milliseconds,
                    error: resolved.error)
            }
        }
        return results
    }

    /// One `getaddrinfo` call, timed on the monotonic clock; the first address returned wins
    /// (getaddrinfo orders them by RFC 6724).
    static func lookup(_ target: ProbeTarget) -> Resolution {
        var hints = addrinfo()
        hints.ai_family = AF_UNSPEC
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        var list: UnsafeMutablePointer<addrinfo>?
        let start = MonotonicInstant.now()
        let status = getaddrinfo(target.host, nil, &hints, &list)
        let elapsed = MonotonicInstant.now().milliseconds(since: start)
        defer { if list != nil { freeaddrinfo(list) } }
        guard status == 0 else {
            let reason = status == EAI_SYSTEM ? Errno.current.description : String(cString: gai_strerror(status))
            return Resolution(milliseconds: elapsed, error: "cannot resolve '\(target.host)': \(reason)")
        }
        var cursor = list
        while let entry = cursor {
            if let address = SocketAddress(entry.pointee) {
                return Resolution(address: address.withPort(target.port), milliseconds: elapsed)
            }
            cursor = entry.pointee.ai_next
        }
        return Resolution(milliseconds: elapsed, error: "cannot resolve '\(target.host)': no IPv4 or IPv6 address")
    }
}
