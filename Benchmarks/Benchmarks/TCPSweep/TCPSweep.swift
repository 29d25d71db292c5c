import Benchmark
import Prober
import Ranking

/// TCP-connect sweeps over loopback only: closed ports on 127.3.x.y answer with RST at once.
let benchmarks: @Sendable () -> Void = {
    Benchmark.defaultConfiguration = .init(
        metrics: [.wallClock, .cpuTotal, .peakMemoryResident, .mallocCountTotal, .syscalls],
        maxDuration: .seconds(10),
        maxIterations: 20
    )

    for count in [1_000, 10_000] {
        let targets = (0..<count).map { ProbeTarget(host: "127.3.\($0 / 250).\($0 % 250 + 1)", port: 9) }
        Benchmark("TCP sweep, \(count) closed loopback ports, 1 sample, max-in-flight 256, rate unlimited") { benchmark in
            let engine = ProbeEngine(options: ProbeOptions(maxInFlight: 256, rate: 0, timeoutMilliseconds: 1_000, samples: 1))
            for _ in benchmark.scaledIterations {
                let report = await engine.probe(targets)
                precondition(report.results.count == count)
                blackHole(report)
            }
        }
    }

    var candidates: [Candidate] = []
    for index in 0..<100_000 {
        let median = Double((index &* 7_919) % 300)
        let p90 = median + Double(index % 50)
        let status: Candidate.Status = index % 7 == 0 ? .down : .up
        let loss = Double(index % 4) / 10
        candidates.append(Candidate(id: "s\(index)", status: status, medianMilliseconds: median,
                                    p90Milliseconds: p90, jitterMilliseconds: 1, loss: loss))
    }
    let ranked = candidates
    Benchmark("Ranking 100,000 candidates") { benchmark in
        for _ in benchmark.scaledIterations {
            blackHole(Ranker.rank(ranked))
        }
    }

    // Issue 6's figure: 1,000,000 measured servers ranked (scores, filters, sort) in under 1 s.
    var million: [Candidate] = []
    million.reserveCapacity(1_000_000)
    for index in 0..<1_000_000 {
        let median = Double((index &* 7_919) % 300) + Double(index % 97) / 100
        million.append(Candidate(
            id: "198.18.\(index / 65_536).\(index / 256 % 256).\(index % 256):443", status: index % 11 == 0 ? .down : .up,
            medianMilliseconds: median, p90Milliseconds: median + Double(index % 13), jitterMilliseconds: Double(index % 7),
            loss: Double(index % 5) / 20, provider: "p\(index % 4)", country: index % 3 == 0 ? "DE" : "NL",
            protocol: index % 2 == 0 ? "wireguard" : "openvpn", wgAvailableSlots: index % 250, wgSlots: 250,
            load: Double(index % 100) / 100))
    }
    let millionCandidates = million
    Benchmark("Ranking 1,000,000 candidates", configuration: .init(maxDuration: .seconds(30), maxIterations: 5)) { benchmark in
        for _ in benchmark.scaledIterations {
            blackHole(Ranker.order(millionCandidates, filter: CandidateFilter(protocols: ["wireguard"])))
        }
    }
}
