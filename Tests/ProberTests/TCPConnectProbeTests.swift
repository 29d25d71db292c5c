import Foundation
import Testing
import TestPacing
@testable import Prober

/// Real sockets on loopback: listeners the tests start, ports that refuse, ports that never answer.
@Suite struct TCPConnectProbeTests {
    static let fast = ProbeOptions(rate: 0, timeoutMilliseconds: 1_000, samples: 3, intervalMilliseconds: 1)

    /// Refused sockets are recycled (connect(AF_UNSPEC)) for the next probe: a recycled socket
    /// must measure an open port, another refusal and a silent port exactly as a fresh one does.
    @Test func recycledSocketsMeasureLikeFreshOnes() async throws {
        let open = try LoopbackListener(kind: .open, host: "127.0.0.1")
        defer { open.close() }
        let closed = try LoopbackListener(kind: .closed, host: "127.0.0.1")
        defer { closed.close() }
        // 600 targets: refusals (on distinct loopback addresses) interleaved with the open port.
        let targets = (0..<600).map { index in
            index % 3 == 2 ? ProbeTarget(host: "127.0.0.1", port: open.address.port)
                : ProbeTarget(host: "127.0.\(index / 250 + 1).\(index % 250 + 1)", port: closed.address.port)
        }
        let report = await ProbeEngine(options: ProbeOptions(rate: 0, timeoutMilliseconds: 1_000, samples: 2, intervalMilliseconds: 0)).probe(targets)
        #expect(report.results.count == 600)
        for result in report.results {
            if result.target.port == open.address.port {
                #expect(result.state == .open && result.received == 2, "\(result.target): \(result.state)")
            } else {
                #expect(result.state == .refused && result.samples.allSatisfy { $0.outcome == .refused && $0.rttNanoseconds != nil })
            }
        }
    }

    @Test func openPortIsOpenWithKernelTiming() async throws {
        let listener = try LoopbackListener(kind: .open, host: "127.0.0.1")
        defer { listener.close() }
        let report = await ProbeEngine(options: Self.fast).probe([ProbeTarget(host: "127.0.0.1", port: listener.address.port)])
        let result = try #require(report.results.first)
        #expect(result.state == .open)
        #expect(result.sent == 3 && result.received == 3 && result.loss == 0)
        #expect(result.samples.allSatisfy { $0.outcome == .open })
        #expect(result.timing == .kernel)
        let rtt = try #require(result.rtt)
        #expect(rtt.min > 0 && rtt.min <= rtt.median && rtt.median <= rtt.p90 && rtt.p90 <= rtt.max)
        #expect(rtt.max < 100)  // loopback: well under 100 ms
        #expect(result.resolveMilliseconds == nil)  // numeric: no lookup
    }

    @Test func closedPortIsRefusedAndStillGivesAnRTT() async throws {
        let closed = try LoopbackListener(kind: .closed, host: "127.0.0.1")
        defer { closed.close() }
        let report = await ProbeEngine(options: Self.fast).probe([ProbeTarget(host: "127.0.0.1", port: closed.address.port)])
        let result = try #require(report.results.first)
        #expect(result.state == .refused)
        #expect(result.reachable)
        #expect(result.samples.allSatisfy { $0.outcome == .refused && $0.rttNanoseconds != nil })
        #expect(result.timing == .monotonic)
    }

    @Test func ipv6LoopbackWorks() async throws {
        guard let listener = try? LoopbackListener(kind: .open, host: "::1") else {
            // Not a failure of probe: this machine has no IPv6 loopback.
            print("skipped: IPv6 ::1 is not available on this machine")
            return
        }
        defer { listener.close() }
        let target = try ProbeTarget(parsing: "[::1]:\(listener.address.port)")
        let result = try #require(await ProbeEngine(options: Self.fast).probe([target]).results.first)
        #expect(result.address?.family == .inet6)
        #expect(result.state == .open)
    }

    @Test func unresponsivePortTimesOutAndCountsAsLost() async throws {
        let silent = try LoopbackListener(kind: .unresponsive, host: "127.0.0.1")
        defer { silent.close() }
        let options = ProbeOptions(rate: 0, timeoutMilliseconds: 150, samples: 2, intervalMilliseconds: 0)
        let start = MonotonicInstant.now()
        let result = try #require(await ProbeEngine(options: options).probe([ProbeTarget(host: "127.0.0.1", port: silent.address.port)]).results.first)
        let elapsed = MonotonicInstant.now().milliseconds(since: start)
        #expect(result.state == .timeout)
        #expect(result.loss == 1 && result.rtt == nil && !result.reachable)
        #expect(elapsed >= 150)  // never earlier than the timeout
    }

    @Test func refusedOpenAndTimeoutAreToldApartInOneSweep() async throws {
        let open = try LoopbackListener(kind: .open, host: "127.0.0.1")
        let closed = try LoopbackListener(kind: .closed, host: "127.0.0.1")
        let silent = try LoopbackListener(kind: .unresponsive, host: "127.0.0.1")
        defer { open.close(); closed.close(); silent.close() }
        let targets = [open, closed, silent].map { ProbeTarget(host: "127.0.0.1", port: $0.address.port) }
        let options = ProbeOptions(rate: 0, timeoutMilliseconds: 200, samples: 2, intervalMilliseconds: 0)
        let results = await ProbeEngine(options: options).probe(targets).results
        #expect(results.map(\.state) == [.open, .refused, .timeout])
        #expect(results.map(\.index) == [0, 1, 2])
    }

    @Test(arguments: [1, 8, 32])
    func manyTargetsNeverExceedMaxInFlight(maxInFlight: Int) async throws {
        // 300 closed ports on 127.1.x.y: every one answers with RST.
        let targets = (0..<300).map { ProbeTarget(host: "127.1.\($0 / 250).\($0 % 250 + 1)", port: 9) }
        let options = ProbeOptions(maxInFlight: maxInFlight, rate: 0, timeoutMilliseconds: 1_000, samples: 2, intervalMilliseconds: 0)
        let report = await ProbeEngine(options: options).probe(targets)
        #expect(report.results.count == 300)
        #expect(report.results.allSatisfy { $0.state == .refused && $0.sent == 2 })
        #expect(report.summary.peakInFlight <= maxInFlight)
        #expect(report.summary.peakInFlight >= 1)
        #expect(report.summary.probesStarted == 600)
    }

    @Test func resultsStreamAsEachTargetIsFinal() async throws {
        let open = try LoopbackListener(kind: .open, host: "127.0.0.1")
        let silent = try LoopbackListener(kind: .unresponsive, host: "127.0.0.1")
        defer { open.close(); silent.close() }
        // The silent target keeps the sweep going for 120 s; the open one must arrive long before
        // (at once alone; a loaded 2-core machine has held the test back for 35 s).
        let engine = ProbeEngine(options: ProbeOptions(rate: 0, timeoutMilliseconds: 120_000, samples: 1))
        let start = MonotonicInstant.now()
        var first: TargetResult?
        for await result in engine.results(for: [
            ProbeTarget(host: "127.0.0.1", port: silent.address.port), ProbeTarget(host: "127.0.0.1", port: open.address.port),
        ]) {
            first = result
            break  // leaving the loop cancels the rest of the sweep
        }
        let elapsed = MonotonicInstant.now().milliseconds(since: start)
        #expect(first?.state == .open)
        #expect(first?.index == 1)
        #expect(elapsed < 90_000)  // it came while the sweep still waited on the silent one
    }

    @Test func cancellationStopsSendingAndClosesEverySocket() async throws {
        let silent = try LoopbackListener(kind: .unresponsive, host: "127.0.0.1")
        defer { silent.close() }
        let port = silent.address.port
        // 2,000 probes at 20 per second would take 100 s; each would wait 10 s for an answer. (Long
        // enough that the cancel comes first even when a loaded full suite keeps this test waiting
        // for its turn on the cooperative pool for tens of seconds, as CI once did.)
        let targets = (0..<1_000).map { _ in ProbeTarget(host: "127.0.0.1", port: port) }
        let options = ProbeOptions(rate: 20, timeoutMilliseconds: 10_000, samples: 2)
        let baseline = await Self.synSent(toPort: port)  // the listener's own queue fillers
        let began = MonotonicInstant.now()
        let task = Task { await ProbeEngine(options: options).probe(targets) }
        // Wait until the sweep has probes in flight (the machine may be busy with other tests).
        for _ in 0..<333 {
            guard await Self.synSent(toPort: port) <= baseline else { break }
            try await Task.sleep(for: .milliseconds(30))
        }
        let inFlight = await Self.synSent(toPort: port)
        #expect(inFlight > baseline, "sockets to the port: \(Self.states(toPort: port)), baseline \(baseline)")
        let start = MonotonicInstant.now()
        let ranFor = start.milliseconds(since: began) / 1_000
        task.cancel()
        let report = await task.value
        // A guard, not a timing target: without the cancel the sweep would run 100 s more (each
        // probe waiting 10 s); a loaded CI machine took 1.8 s to wind down the debug build's sockets.
        #expect(MonotonicInstant.now().milliseconds(since: start) < 30_000)
        #expect(report.summary.cancelled)
        // Sending stopped at once: no more than the rate allowed until the cancel (plus a burst),
        // far from the 2,000 it would have sent.
        #expect(report.summary.probesStarted <= Int(ranFor * 20) + 10, "\(report.summary.probesStarted) probes in \(ranFor) s")
        #expect(report.summary.probesStarted < 2_000)
        // Give the kernel a moment, then no socket of ours may still be connecting to that port.
        try await Task.sleep(for: .milliseconds(50))
        let after = await Self.synSent(toPort: port)
        #expect(after == baseline)
    }

    /// /proc/net/tcp, read to its end (String(contentsOfFile:) stops after one page of a proc file).
    static func procNetTCP() -> String {
        guard let handle = FileHandle(forReadingAtPath: "/proc/net/tcp") else { return "" }
        defer { try? handle.close() }
        return String(decoding: handle.readDataToEndOfFile(), as: UTF8.self)
    }

    /// The TCP states of every socket to or from `port` on 127.0.0.1 (for failure messages).
    static func states(toPort port: UInt16) -> [String: Int] {
        let table = procNetTCP()
        let needle = String(format: "0100007F:%04X", port)
        var counts: [String: Int] = [:]
        for line in table.split(separator: "\n") {
            let fields = line.split(separator: " ")
            if fields.count > 3, fields[1] == needle || fields[2] == needle { counts["\(fields[1] == needle ? "local" : "remote")-\(fields[3])", default: 0] += 1 }
        }
        return counts
    }

    /// ``synSentSockets(toPort:)`` on a thread of its own: the table holds every socket of the
    /// machine (thousands while the suite runs), too long to parse on the cooperative pool.
    static func synSent(toPort port: UInt16) async -> Int {
        (try? await OffPool.run { synSentSockets(toPort: port) }) ?? 0
    }

    /// Sockets in SYN_SENT towards `port` on 127.0.0.1, read from /proc/net/tcp.
    static func synSentSockets(toPort port: UInt16) -> Int {
        let table = procNetTCP()
        let remote = String(format: "0100007F:%04X", port)
        return table.split(separator: "\n").filter { line in
            let fields = line.split(separator: " ")
            return fields.count > 3 && fields[2] == remote && fields[3] == "02"
        }.count
    }
}
