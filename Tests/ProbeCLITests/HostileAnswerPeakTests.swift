import Foundation
import TestHTTP
import Testing

/// The built binary against hostile provider answers, under GNU time: its peak memory.
@Suite(.serialized) struct HostileAnswerPeakTests {
    /// The released binary's peak memory on each hostile answer (GNU time's maximum resident set):
    /// the body is counted as it arrives, so nothing is buffered past the 32 MiB cap.
    @Test(arguments: ["gzip-1g", "endless", "declared-4g"])
    func peakMemoryStaysBoundedOnAHostileAnswer(kind: String) async throws {
        guard FileManager.default.isExecutableFile(atPath: "/usr/bin/time") else {
            Issue.record("GNU time (Debian: time) is not installed: the peak was not measured")
            return
        }
        let bomb = kind == "gzip-1g" ? try await RawHTTPServer.gzipBomb(size: 1 << 30) : []
        let server = try RawHTTPServer { _, fd, server in
            switch kind {
            case "gzip-1g":
                RawHTTPServer.send(fd, "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Encoding: gzip\r\nContent-Length: \(bomb.count)\r\n\r\n")
                RawHTTPServer.send(fd, bomb)
            case "declared-4g":
                RawHTTPServer.send(fd, "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: \(4 << 30)\r\n\r\n[")
            default:
                RawHTTPServer.send(fd, "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n\r\n[")
                let chunk = Array(String(repeating: #"{"host":"127.0.0.1","port":443},"#, count: 2_048).utf8)
                let started = ContinuousClock.now
                // As fast as loopback takes it, until the client goes away (bounded at 60 s).
                while !server.isStopped, ContinuousClock.now - started < .seconds(60), RawHTTPServer.send(fd, chunk) {}
            }
        }
        defer { server.stop() }
        let directory = NSTemporaryDirectory() + "probe-hostile-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let config = directory + "/config.json"
        try #"{"providers":[{"type":"json","name":"h","url":"\#(server.url)","timeoutSeconds":60}]}"#.write(toFile: config, atomically: true, encoding: .utf8)
        let run = try await ConnectCLITests.split(["-f", "maxrss_kb=%M", SecretsTests.probe, "servers", "--config", config], directory,
                                                   executable: "/usr/bin/time")
        let text = run.stderr
        let peak = try #require(text.split(separator: "\n").last { $0.hasPrefix("maxrss_kb=") }.flatMap { Int($0.dropFirst(10)) }, "\(text)")
        #expect(text.contains("larger than 32 MiB"), "\(text)")
        // The issue's target: under 100 MB for every hostile answer (the cap is 32 MiB).
        #expect(peak < 100_000, "\(kind): peak RSS \(peak) kB")
        print("hostile answer \(kind): peak RSS \(peak / 1024) MB")
    }
}
