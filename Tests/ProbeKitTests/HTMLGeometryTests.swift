import Foundation
import Testing
import TestPacing
@testable import ProbeKit

/// The HTML page as a person sees it (issue 29), in headless Chromium: with one round, 30 rounds
/// and 300 servers, every spread band lies inside its plot, the tick labels of each axis are
/// distinct, the choice's colours are labelled and never red, and the servers' table comes
/// before the charts. A screenshot of the fullest page goes to the temporary directory (its path in
/// the output).
@Suite(.enabled(if: Tools.chromium != nil, "chromium is missing: install Debian's 'chromium' package"))
struct HTMLGeometryTests {
    static let left = 52.0, right = 760.0 - 12.0

    /// The attributes of every `<tag ...>` whose class attribute contains `className`.
    static func elements(_ dom: String, tag: String, className: String) -> [[String: String]] {
        var found: [[String: String]] = []
        for piece in dom.components(separatedBy: "<\(tag) ").dropFirst() {
            guard let end = piece.firstIndex(of: ">") else { continue }
            var attributes: [String: String] = [:]
            let text = String(piece[..<end])
            var rest = Substring(text)
            while let equals = rest.firstIndex(of: "=") {
                let name = rest[..<equals].trimmingCharacters(in: .whitespaces)
                let afterEquals = rest.index(after: equals)
                guard afterEquals < rest.endIndex, rest[afterEquals] == "\"" else { break }
                let valueStart = rest.index(after: afterEquals)
                guard let close = rest[valueStart...].firstIndex(of: "\"") else { break }
                attributes[name] = String(rest[valueStart..<close])
                rest = rest[rest.index(after: close)...]
            }
            if attributes["class"]?.split(separator: " ").contains(Substring(className)) == true { found.append(attributes) }
        }
        return found
    }

    /// The text of every `<text class="CLASS">`, grouped by the `<svg>` it is in.
    static func labels(_ dom: String, className: String) -> [[String]] {
        dom.components(separatedBy: "<svg ").dropFirst().map { svg in
            svg.components(separatedBy: "class=\"\(className)\">").dropFirst().compactMap { $0.split(separator: "<", maxSplits: 1).first.map(String.init) }
        }.filter { !$0.isEmpty }
    }

    @Test(arguments: [(1, 20, 60), (30, 20, 60), (30, 300, 60), (30, 20, 1)])
    func bandsInsideAndTicksDistinct(rounds: Int, servers: Int, secondsApart: Int) async throws {
        let page = try await OffPool.run {
            var html = HTMLReport()
            for index in 0..<rounds {
                _ = html.add(try ReportRendererTests.bigRound(index: index, count: servers, answering: servers * 9 / 10), timestamp: 1_795_456_800 + Double(index * secondsApart))
            }
            return html.render()
        }
        let (dom, log) = try await ReportRendererTests.browse(page)
        #expect(dom.contains("data-rendered="), "the script did not finish: \(log.suffix(400))")
        let bands = Self.elements(dom, tag: "rect", className: "smoke")
        #expect(!bands.isEmpty)
        for band in bands {
            let x = Double(band["x"] ?? "") ?? -1, width = Double(band["width"] ?? "") ?? -1
            #expect(x >= Self.left - 0.01 && x + width <= Self.right + 0.01 && width > 0, "a band at x \(x), width \(width), outside \(Self.left)...\(Self.right)")
        }
        for axis in Self.labels(dom, className: "rtt-tick") + Self.labels(dom, className: "time-tick") {
            #expect(Set(axis).count == axis.count, "repeated tick labels: \(axis)")
        }
        // The choice's colours: never a red, each with a legend entry naming the server.
        let legend = dom.components(separatedBy: "data-colour=\"hsl(").dropFirst().compactMap { Double($0.split(separator: ",").first ?? "") }
        #expect(!legend.isEmpty && legend.allSatisfy { $0 >= 20 && $0 <= 340 }, "hues \(legend)")
        // The table before the charts.
        let table = try #require(dom.range(of: "id=\"servers\""))
        let charts = try #require(dom.range(of: "id=\"charts\""))
        #expect(table.lowerBound < charts.lowerBound)
        // One screenshot, of the fullest page (Chromium is the suite's heaviest program).
        if rounds == 30, servers == 300 {
            let shot = NSTemporaryDirectory() + "probe-html-\(rounds)r-\(servers)s-\(secondsApart).png"
            _ = try await ReportRendererTests.browse(page, screenshot: shot, size: "1000,1400")
            print("screenshot: \(shot)")
        }
    }

    @Test func serveRootReloadsAndLinksItsEndpoints() throws {
        var html = HTMLReport()
        _ = html.add(try ReportRendererTests.bigRound(index: 0, count: 3, answering: 3), timestamp: 1_795_456_800)
        let page = html.render(live: HTMLReport.Live(refreshSeconds: 30))
        #expect(page.contains("<meta http-equiv=\"refresh\" content=\"30\">"))
        for link in ["/best", "/metrics", "/report", "/healthz"] { #expect(page.contains("<a href=\"\(link)\">")) }
        #expect(!html.render().contains("http-equiv=\"refresh\""))
    }
}
