import Foundation
import TestPacing

/// Runs the built `probe` binary, as a user would.
struct CLIRunner {
    struct Output {
        var status: Int32
        var stdout: String
        var stderr: String
        var stderrLines: [Substring] { stderr.split(separator: "\n") }
        func json() throws -> [String: Any] {
            guard let object = try JSONSerialization.jsonObject(with: Data(stdout.utf8)) as? [String: Any] else {
                throw CLIError("stdout is not a JSON object: \(stdout)")
            }
            return object
        }
    }

    struct CLIError: Error, CustomStringConvertible {
        var description: String
        init(_ description: String) { self.description = description }
    }

    /// The `probe` binary next to the test bundle (or $PROBE_BIN).
    static var binary: URL {
        if let path = ProcessInfo.processInfo.environment["PROBE_BIN"] { return URL(fileURLWithPath: path) }
        let this = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath()
        return this.deletingLastPathComponent().appendingPathComponent("probe")
    }

    /// Runs `probe ARGS...` (or, with `shell`, `sh -c SHELL` with $PROBE set), killing it after `timeout` seconds.
    /// Waits without blocking a thread of Swift's cooperative pool, and for a slot first (a few
    /// programs at once: see ``ProcessSlots``); the timeout counts from the start. `queued: false`
    /// starts at once: for runs a test means to overlap.
    static func run(_ arguments: [String], shell: String? = nil, timeout: Double = 60, queued: Bool = true) async throws -> Output {
        guard queued else { return try await runNow(arguments, shell: shell, timeout: timeout) }
        return try await ProcessSlots.programs.run { try await runNow(arguments, shell: shell, timeout: timeout) }
    }

    private static func runNow(_ arguments: [String], shell: String?, timeout: Double) async throws -> Output {
        let process = Process()
        // Each run keeps its sticky choice in a state directory of its own: runs never share one.
        var environment = ProcessInfo.processInfo.environment
        let stateHome = NSTemporaryDirectory() + "probe-state-\(UUID().uuidString)"
        defer { try? FileManager.default.removeItem(atPath: stateHome) }  // tests leave nothing behind
        environment["XDG_STATE_HOME"] = stateHome
        if let shell {
            process.executableURL = URL(fileURLWithPath: "/bin/sh")
            process.arguments = ["-c", shell]
            environment["PROBE"] = binary.path
        } else {
            process.executableURL = binary
            process.arguments = arguments
        }
        process.environment = environment
        let out = Pipe(), err = Pipe()
        process.standardOutput = out
        process.standardError = err
        // A stdin of its own: the shared FileHandle.nullDevice must not be handed to Process, which
        // closes the handles it was given, and a later close of that number hits whatever reused it.
        let stdin = Pipe()
        try? stdin.fileHandleForWriting.close()
        process.standardInput = stdin
        let outData = ReadAll(out.fileHandleForReading)
        let errData = ReadAll(err.fileHandleForReading)
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            process.terminationHandler = { _ in continuation.resume() }
            do {
                try process.run()
            } catch {
                continuation.resume()
                return
            }
            // A guard against a hung child only, not a measurement.
            DispatchQueue.global().asyncAfter(deadline: .now() + timeout) { [process] in
                if process.isRunning { process.terminate() }
            }
        }
        let output = Output(status: process.terminationStatus, stdout: await outData.value(), stderr: await errData.value())
        if process.terminationReason == .uncaughtSignal {
            throw CLIError("probe \(arguments) was killed (hung for \(timeout) s?); stderr: \(output.stderr)")
        }
        return output
    }

    /// Reads a pipe to its end on a thread of its own, so a full pipe never blocks the child.
    final class ReadAll: Sendable {
        private let result: Task<Data, Never>
        init(_ handle: FileHandle) {
            let box = UncheckedBox(handle)
            result = Task.detached {
                await withCheckedContinuation { continuation in
                    Thread { continuation.resume(returning: box.value.readDataToEndOfFile()) }.start()
                }
            }
        }
        func value() async -> String { String(decoding: await result.value, as: UTF8.self) }
    }

    struct UncheckedBox<T>: @unchecked Sendable {
        let value: T
        init(_ value: T) { self.value = value }
    }

    /// A temporary file holding `text`.
    static func temporaryFile(_ text: String, name: String = "targets.txt") throws -> URL {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("probe-tests-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let url = directory.appendingPathComponent(name)
        try text.write(to: url, atomically: true, encoding: .utf8)
        return url
    }
}
