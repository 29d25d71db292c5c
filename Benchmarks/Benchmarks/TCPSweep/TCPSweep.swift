import Benchmark
import BenchmarkSupport

/// TCP-connect sweeps over loopback only (closed ports on 127.3.x.y answer with RST at once), and
/// the ranking of many measured servers.
let benchmarks: @Sendable () -> Void = {
    Benchmark.defaultConfiguration = .init(
        metrics: [.wallClock, .cpuTotal, .peakMemoryResident, .mallocCountTotal, .syscalls],
        maxDuration: .seconds(10),
        maxIterations: 20
    )

    for count in [1_000, 10_000] {
        let sweep = TCPSweepWorkload(count: count)
        Benchmark("TCP sweep, \(count) closed loopback ports, 1 sample, max-in-flight 256, rate unlimited") { benchmark in
            for _ in benchmark.scaledIterations {
                let results = await sweep.run()
                precondition(results == count)
                blackHole(results)
            }
        }
    }

    let ranking = RankingWorkload(count: 100_000, providerFigures: false)
    Benchmark("Ranking 100,000 candidates") { benchmark in
        for _ in benchmark.scaledIterations { blackHole(ranking.run()) }
    }

    // Issue 6's figure: 1,000,000 measured servers ranked (scores, filters, sort) in under 1 s.
    let million = RankingWorkload(count: 1_000_000, providerFigures: true)
    Benchmark("Ranking 1,000,000 candidates", configuration: .init(maxDuration: .seconds(30), maxIterations: 5)) { benchmark in
        for _ in benchmark.scaledIterations { blackHole(million.run()) }
    }
}
