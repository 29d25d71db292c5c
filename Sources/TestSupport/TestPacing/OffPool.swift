import Foundation

/// Long synchronous work (a fuzzing loop, a page of thousands of servers) on a thread of its own.
///
/// Swift's cooperative pool has one thread per core: two here. A test that computes for seconds
/// on it holds one of the two, and two such tests stop every other test in the process (a
/// cancellation, a long poll, a timer) for as long as they run. On a thread of its own the work
/// shares the CPUs through the kernel like any other, and the pool stays free.
public enum OffPool {
    /// Runs `body` on a new thread and returns what it returned (or throws what it threw).
    public static func run<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { continuation in
            let thread = Thread { continuation.resume(with: Result { try body() }) }
            thread.stackSize = 8 << 20
            thread.start()
        }
    }
}
