import Foundation
import Synchronization
import Prober
#if canImport(Glibc)
import Glibc
#endif
import CProbe
import ProbeSystem

/// Runs a command inside a private network namespace whose 198.18.0.0/15 and 2001:db8::/32
/// are a TUN device served by a ``Responder``: real packets, real delays, nothing reaching
/// any real network.
public enum NetSimulator {
    /// The exit status when netsim cannot run here (no root, no /dev/net/tun): the usual "skipped".
    public static let unavailableStatus: Int32 = 77
    /// The TUN device's name inside the namespace.
    public static let deviceName = "netsim0"

    /// Why netsim cannot run on this machine, or `nil` when it can.
    public static func unavailableReason() -> String? {
        if geteuid() != 0 { return "netsim needs root (to create a network namespace and a TUN device)" }
        if access("/dev/net/tun", R_OK | W_OK) != 0 { return "netsim needs /dev/net/tun, which this machine lacks" }
        return nil
    }

    /// How a run goes.
    public struct Options: Sendable {
        /// Seed for loss and jitter.
        public var seed: UInt64 = 1
        /// Where to write the statistics as JSON, if anywhere.
        public var statsPath: String?
        /// Print the one-line summary on stderr at exit.
        public var printSummary = true
        /// Where to write the arrival time (monotonic ns) of every probe start it received (a
        /// TCP SYN or an ICMP echo request), one per line: how a probe run paced itself.
        public var arrivalsPath: String?
        /// The world file: SIGHUP reads it again and its hosts and names answer from then on (a test
        /// changes the world between a long-running command's rounds). A bad file keeps the world.
        public var worldPath: String?
        /// Options with defaults.
        public init() {}
    }

    /// Sets up the namespace and device on the calling (main) thread, runs `command` in it,
    /// serves packets until it exits, and returns its exit status (128 + signal when killed).
    /// Must be called before the process starts other threads that open sockets.
    public static func run(world: World, command: [String], options: Options) -> Int32 {
        if let reason = unavailableReason() {
            FileHandle.standardError.write(Data("netsim: \(reason); skipped\n".utf8))
            return unavailableStatus
        }
        let tun: Int32
        do {
            tun = try setUpNamespace()
        } catch {
            FileHandle.standardError.write(Data("netsim: \(error.description); skipped\n".utf8))
            return unavailableStatus
        }
        let loop: PacketLoop
        do {
            loop = try PacketLoop(tun: tun, world: world, seed: options.seed)
        } catch {
            FileHandle.standardError.write(Data("netsim: cannot start the packet loop: \(error)\n".utf8))
            return 1
        }
        loop.start()
        if let path = options.worldPath { WorldReload.install(loop: loop, path: path) }
        let status = spawnAndWait(command)
        WorldReload.uninstall()
        let stats = loop.stop()
        Glibc.close(tun)
        if let path = options.arrivalsPath {
            let text = loop.arrivals.map(String.init).joined(separator: "\n") + "\n"
            if (try? text.write(toFile: path, atomically: true, encoding: .utf8)) == nil {
                FileHandle.standardError.write(Data("netsim: cannot write arrivals to \(path)\n".utf8))
            }
        }
        if options.printSummary { FileHandle.standardError.write(Data((stats.summary + "\n").utf8)) }
        if let path = options.statsPath {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
            do {
                try encoder.encode(stats).write(to: URL(fileURLWithPath: path))
            } catch {
                FileHandle.standardError.write(Data("netsim: cannot write stats to \(path): \(error.localizedDescription)\n".utf8))
            }
        }
        return status
    }

    struct SetUpError: Error, CustomStringConvertible {
        var description: String
    }

    /// A new network namespace with `lo` up and the TUN device owning the simulated ranges.
    static func setUpNamespace() throws(SetUpError) -> Int32 {
        func check(_ result: Int32, _ what: String) throws(SetUpError) {
            if result != 0 { throw SetUpError(description: "\(what): \(Errno.current.description)") }
        }
        try check(cprobe_unshare_net(), "cannot create a network namespace")
        try check(cprobe_if_up("lo"), "cannot bring up lo")
        let tun = cprobe_tun_open(deviceName)
        if tun < 0 { throw SetUpError(description: "cannot create the TUN device: \(Errno.current.description)") }
        var v4 = in_addr()
        inet_pton(AF_INET, World.localIPv4, &v4)
        try check(cprobe_if_addr4(deviceName, v4.s_addr, 15), "cannot add \(World.localIPv4)/15")
        try check(cprobe_if_up(deviceName), "cannot bring up \(deviceName)")
        // IPv6 is optional: a kernel without it still runs every IPv4 world.
        writeSysctl("/proc/sys/net/ipv6/conf/\(deviceName)/accept_dad", "0")
        var v6 = in6_addr()
        inet_pton(AF_INET6, World.localIPv6, &v6)
        _ = withUnsafeBytes(of: &v6) { cprobe_if_addr6(deviceName, $0.bindMemory(to: UInt8.self).baseAddress, 32) }
        // Unprivileged ICMP (ping sockets) for every group, inside this namespace only.
        writeSysctl("/proc/sys/net/ipv4/ping_group_range", "0 2147483647")
        pointResolverAtWorld()
        return tun
    }

    /// The command resolves names through the world's name server: a private mount namespace in
    /// which `/etc/resolv.conf` is a bind mount of a file naming ``World/dnsIPv4`` and
    /// `/etc/nsswitch.conf` one that says `hosts: files dns` (no query can
    /// leave for the machine's own resolver, which the namespace cannot reach anyway). Without
    /// a mount namespace, names are not served; everything else still runs.
    static func pointResolverAtWorld() {
        guard cprobe_unshare_mounts() == 0 else {
            FileHandle.standardError.write(Data("netsim: no private mount namespace (\(Errno.current.description)); names are not served\n".utf8))
            return
        }
        let path = "\(NSTemporaryDirectory())/netsim-resolv-\(getpid()).conf"
        let text = "# netsim: the simulated network's name server\nnameserver \(World.dnsIPv4)\noptions timeout:1 attempts:2\n"
        guard (try? text.write(toFile: path, atomically: true, encoding: .utf8)) != nil,
              cprobe_bind_mount(path, "/etc/resolv.conf") == 0 else {
            FileHandle.standardError.write(Data("netsim: cannot bind a resolv.conf over /etc/resolv.conf (\(Errno.current.description)); names are not served\n".utf8))
            return
        }
        unlink(path)  // the mount keeps the file; nothing is left behind
        // The machine's nsswitch.conf may ask mDNS or systemd-resolved first (libnss-mdns on every
        // desktop): the world answers names through files and DNS alone, whatever the host has.
        let nsswitch = "\(NSTemporaryDirectory())/netsim-nsswitch-\(getpid()).conf"
        let switchText = "# netsim: names from /etc/hosts and the world's name server only\nhosts: files dns\n"
        guard (try? switchText.write(toFile: nsswitch, atomically: true, encoding: .utf8)) != nil,
              cprobe_bind_mount(nsswitch, "/etc/nsswitch.conf") == 0 else {
            FileHandle.standardError.write(Data("netsim: cannot bind an nsswitch.conf over /etc/nsswitch.conf (\(Errno.current.description)); the host's name services apply\n".utf8))
            return
        }
        unlink(nsswitch)
    }

    @discardableResult
    static func writeSysctl(_ path: String, _ value: String) -> Bool {
        let fd = open(path, O_WRONLY | O_CLOEXEC)
        guard fd >= 0 else { return false }
        defer { Glibc.close(fd) }
        return value.withCString { write(fd, $0, strlen($0)) } > 0
    }

    /// Runs `command` (searched on PATH) with this process's stdio and environment; returns its status.
    static func spawnAndWait(_ command: [String]) -> Int32 {
        guard !command.isEmpty else { return 0 }
        var argv: [UnsafeMutablePointer<CChar>?] = command.map { strdup($0) }
        argv.append(nil)
        defer { for pointer in argv { free(pointer) } }
        var pid: pid_t = 0
        let result = posix_spawnp(&pid, command[0], nil, nil, argv, environ)
        guard result == 0 else {
            FileHandle.standardError.write(Data("netsim: cannot run '\(command[0])': \(Errno(rawValue: result).description)\n".utf8))
            return 127
        }
        ForwardSignals.child = pid
        ForwardSignals.install()
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0, errno == EINTR {}
        ForwardSignals.child = 0
        let signal = status & 0x7f
        return signal == 0 ? (status >> 8) & 0xff : 128 + signal
    }
}

/// SIGINT and SIGTERM sent to netsim go to the command, and netsim ends when it does.
enum ForwardSignals {
    nonisolated(unsafe) static var child: pid_t = 0

    static func install() {
        let handler: @convention(c) (Int32) -> Void = { signal in
            if ForwardSignals.child > 0 { kill(ForwardSignals.child, signal) }
        }
        signal(SIGINT, handler)
        signal(SIGTERM, handler)
    }
}

/// SIGHUP: the packet loop reads the world file again (on its own thread: the handler only
/// raises a flag and writes to the loop's eventfd, both async-signal-safe).
enum WorldReload {
    nonisolated(unsafe) static var wakeFD: Int32 = -1
    static let requested = Atomic<Bool>(false)
    nonisolated(unsafe) static var path: String?

    static func install(loop: PacketLoop, path: String) {
        Self.path = path
        wakeFD = loop.wakeFD
        let handler: @convention(c) (Int32) -> Void = { _ in
            WorldReload.requested.store(true, ordering: .releasing)
            var one: UInt64 = 1
            _ = Glibc.write(WorldReload.wakeFD, &one, 8)
        }
        signal(SIGHUP, handler)
        // A parent that spawned netsim from a thread blocking signals (a test runner's) passed
        // that mask on: unblock SIGHUP on this (main) thread so the handler can run.
        var set = sigset_t()
        sigemptyset(&set)
        sigaddset(&set, SIGHUP)
        pthread_sigmask(SIG_UNBLOCK, &set, nil)
    }

    static func uninstall() {
        signal(SIGHUP, SIG_DFL)
        wakeFD = -1
    }
}

/// The packet loop: reads requests from the TUN device, schedules each reply at its due time
/// on a heap, and writes it then; one thread, one reactor, deadlines on the timerfd.
final class PacketLoop: @unchecked Sendable {
    private struct Scheduled: Comparable {
        var due: UInt64
        var order: UInt64
        var bytes: [UInt8]
        static func < (lhs: Scheduled, rhs: Scheduled) -> Bool {
            lhs.due != rhs.due ? lhs.due < rhs.due : lhs.order < rhs.order
        }
        static func == (lhs: Scheduled, rhs: Scheduled) -> Bool { lhs.due == rhs.due && lhs.order == rhs.order }
    }

    private let tun: Int32
    private let reactor: Reactor
    private var responder: Responder
    private var pending = Heap<Scheduled>()
    private var order: UInt64 = 0
    private var lateness: [UInt32] = []
    /// Arrival times of probe starts (SYNs and echo requests); read after ``stop()``.
    private(set) var arrivals: [UInt64] = []
    private let stopping = Atomic<Bool>(false)
    private let finished = DispatchSemaphore(value: 0)
    private var started = MonotonicInstant.now()

    init(tun: Int32, world: World, seed: UInt64) throws(Errno) {
        self.tun = tun
        reactor = try Reactor()
        responder = Responder(world: world, seed: seed)
        try reactor.add(tun, events: CPROBE_EPOLLIN, data: 1)
    }

    func start() {
        started = .now()
        let thread = Thread { [self] in
            _ = cprobe_realtime(10)  // replies on time even when the probe under test keeps the CPUs busy
            run()
            finished.signal()
        }
        thread.name = "netsim-packets"
        thread.start()
    }

    /// Stops the loop (replies still pending are dropped) and returns the figures.
    func stop() -> LatenessStats {
        stopping.store(true, ordering: .releasing)
        reactor.wake()
        finished.wait()
        reactor.close()
        return LatenessStats(lateness: lateness, counters: responder.counters,
                             durationSeconds: MonotonicInstant.now().milliseconds(since: started) / 1_000)
    }

    /// The eventfd that wakes the loop.
    var wakeFD: Int32 { reactor.wakeFD }

    private func run() {
        var buffer = [UInt8](repeating: 0, count: 65_536)
        while !stopping.load(ordering: .acquiring) {
            if WorldReload.requested.exchange(false, ordering: .acquiring), let path = WorldReload.path {
                do {
                    let world = try World.load(path: path)
                    responder.replaceWorld(world)
                } catch {
                    FileHandle.standardError.write(Data("netsim: SIGHUP: keeping the world: \(error.description)\n".utf8))
                }
            }
            readAll(&buffer)
            sendDue()
            do {
                try reactor.arm(pending.min.map { MonotonicInstant(nanoseconds: $0.due) })
                try reactor.wait { _, _ in }
            } catch {
                FileHandle.standardError.write(Data("netsim: packet loop failed: \(error)\n".utf8))
                return
            }
        }
    }

    private func readAll(_ buffer: inout [UInt8]) {
        while true {
            let count = buffer.withUnsafeMutableBytes { read(tun, $0.baseAddress, $0.count) }
            guard count > 0 else { return }
            let now = MonotonicInstant.now().nanoseconds
            if Self.isProbeStart(buffer, count: count) { arrivals.append(now) }
            if let reply = responder.respond(to: Array(buffer[0..<count]), at: now) {
                pending.insert(Scheduled(due: reply.due, order: order, bytes: reply.bytes))
                order += 1
            }
        }
    }

    /// A TCP SYN (without ACK) or an ICMP/ICMPv6 echo request.
    static func isProbeStart(_ bytes: [UInt8], count: Int) -> Bool {
        guard count >= 20 else { return false }
        if bytes[0] >> 4 == 4 {
            let header = Int(bytes[0] & 0x0F) * 4
            switch bytes[9] {
            case 6: return count > header + 13 && bytes[header + 13] & 0x12 == 0x02
            case 1: return count > header && bytes[header] == 8
            default: return false
            }
        }
        guard bytes[0] >> 4 == 6, count >= 41 else { return false }
        switch bytes[6] {
        case 6: return count > 53 && bytes[53] & 0x12 == 0x02
        case 58: return bytes[40] == 128
        default: return false
        }
    }

    private func sendDue() {
        while let next = pending.min {
            let now = MonotonicInstant.now().nanoseconds
            guard next.due <= now else { return }
            pending.removeMin()
            _ = next.bytes.withUnsafeBytes { write(tun, $0.baseAddress, $0.count) }
            lateness.append(UInt32(clamping: now - next.due))
        }
    }
}
