import FoundationEssentials

/// The results of a sweep, yielded as each target becomes final.
package struct ProbeResults: AsyncSequence, Sendable {
    /// A final target result.
    package typealias Element = TargetResult
    /// This sequence never throws.
    package typealias Failure = Never

    let targets: [ProbeTarget]
    let methods: Set<ProbeKind>
    let options: ProbeOptions

    /// Starts the sweep lazily, on the first call to `next()`.
    package func makeAsyncIterator() -> Iterator {
        Iterator(targets: targets, methods: methods, options: options)
    }

    /// Iterates a sweep's results.
    package struct Iterator: AsyncIteratorProtocol {
        let targets: [ProbeTarget]
        let methods: Set<ProbeKind>
        let options: ProbeOptions
        var base: AsyncStream<[SweepEvent]>.Iterator?
        var buffered: [TargetResult] = []
        var position = 0

        /// The next final result, or `nil` when every target is final or the task was cancelled.
        package mutating func next() async -> TargetResult? {
            if base == nil {
                base = SweepRunner.events(for: targets, methods: methods, options: options).makeAsyncIterator()
            }
            while position == buffered.count {
                guard let batch = await base?.next() else { return nil }
                buffered = batch.compactMap { event in
                    if case .result(let result) = event { return result }
                    return nil
                }
                position = 0
            }
            defer { position += 1 }
            return buffered[position]
        }
    }
}
