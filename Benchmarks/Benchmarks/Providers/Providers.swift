import Benchmark
import BenchmarkSupport

/// Decoding and normalising a 50,000-server VPNScript answer (target: under 0.5 s and 200 MB).
let benchmarks: @Sendable () -> Void = {
    Benchmark.defaultConfiguration = .init(
        metrics: [.wallClock, .cpuTotal, .peakMemoryResident, .mallocCountTotal],
        maxDuration: .seconds(20),
        maxIterations: 10
    )
    let workload = VPNScriptDecodeWorkload(count: 50_000)
    Benchmark("VPNScript answer of 50,000 servers: parse and normalise") { benchmark in
        for _ in benchmark.scaledIterations {
            let servers = workload.run()
            precondition(servers == 50_000)
            blackHole(servers)
        }
    }
}
