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
}
