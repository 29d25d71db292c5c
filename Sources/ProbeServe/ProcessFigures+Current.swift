package import ProbeKit
import Foundation
#if canImport(Glibc)
import Glibc
#endif

extension PrometheusMetrics.ProcessFigures {
    /// This process's figures, read from `/proc/self` as Prometheus's own client libraries read
    /// them (`nil` where `/proc` is not mounted).
    package static func current() -> Self? {
        guard let stat = try? String(contentsOfFile: "/proc/self/stat", encoding: .utf8),
              let close = stat.lastIndex(of: ")") else { return nil }
        // Fields after the command name (which may hold spaces): field 3 (state) is the first.
        let fields = stat[stat.index(after: close)...].split(separator: " ")
        func field(_ number: Int) -> Double { fields.count > number - 3 ? Double(fields[number - 3]) ?? 0 : 0 }
        let ticks = Double(max(1, sysconf(Int32(_SC_CLK_TCK))))
        let page = Double(max(1, sysconf(Int32(_SC_PAGESIZE))))
        var boot = 0.0
        if let text = try? String(contentsOfFile: "/proc/stat", encoding: .utf8),
           let line = text.split(separator: "\n").first(where: { $0.hasPrefix("btime ") }) {
            boot = Double(line.dropFirst(6).trimmingCharacters(in: .whitespaces)) ?? 0
        }
        let open = (try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/fd").count) ?? 0
        var limit = rlimit()
        let maximum = getrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit) == 0 ? Int(clamping: limit.rlim_cur) : 0
        return Self(
            cpuSeconds: (field(14) + field(15)) / ticks, residentBytes: field(24) * page, virtualBytes: field(23),
            openDescriptors: max(0, open - 1),  // the directory listing's own descriptor
            maximumDescriptors: maximum, startTimeSeconds: boot + field(22) / ticks)
    }
}
