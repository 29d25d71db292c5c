import Foundation
import NetSim
import Testing

extension SimulatedNetworks {
    /// `probe serve` in the simulated network, where round-trip times are real and known: a real
    /// Prometheus scraping two instances, the long poll answering a change of the world, and
    /// `--connect DIR` following the pick.
    @Suite struct SimulatedServeTests {
        static let prometheus: String? = ["/usr/bin/prometheus", "/usr/local/bin/prometheus"].first { FileManager.default.isExecutableFile(atPath: $0) }

        /// Lines `KEY VALUE...` the script printed, by key.
        static func marked(_ output: String, _ key: String) -> [String] {
            output.split(separator: "\n").compactMap { line in
                line.hasPrefix(key + " ") ? String(line.dropFirst(key.count + 1)) : nil
            }
        }

        static func world(_ hosts: [(String, Double)]) -> World {
            World(hosts: hosts.map { SimulatedHost(address: $0.0, rttMs: $0.1, tcpOpen: [443]) })
        }

        static func json(_ world: World) throws -> String {
            String(decoding: try JSONEncoder().encode(world), as: UTF8.self)
        }

        /// Two sites, each its own `probe serve`, scraped every second by a real Prometheus; read
        /// back through its HTTP API: the pick per site, the mean RTT from the histogram
        /// (`rate(_sum)/rate(_count)`) within 1 ms of the world's, and the median from
        /// `histogram_quantile` in the bucket that holds it.
        @Test(.enabled(if: SimulatedServeTests.prometheus != nil, "prometheus is missing: install Debian's 'prometheus' package"))
        func aRealPrometheusScrapesTwoSites() async throws {
            let prometheus = try #require(Self.prometheus)
            let world = Self.world([("198.18.30.1", 4), ("198.18.30.2", 9), ("198.18.30.3", 15), ("198.18.31.1", 12), ("198.18.31.2", 7), ("198.18.31.3", 20)])
            let directory = FileManager.default.temporaryDirectory.appendingPathComponent("probe-simprom-\(UUID().uuidString)")
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
            defer { try? FileManager.default.removeItem(at: directory) }
            try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: directory.path)
            try """
                global: {scrape_interval: 1s, evaluation_interval: 1s}
                scrape_configs:
                  - job_name: probe
                    static_configs:
                      - targets: ['127.0.0.1:19374']
                        labels: {site: a}
                      - targets: ['127.0.0.1:19375']
                        labels: {site: b}
                """.write(to: directory.appendingPathComponent("prometheus.yml"), atomically: true, encoding: .utf8)
            let probe = "'\(CLIRunner.binary.path)'"
            let common = "--every 500ms --method tcp --samples 3 --no-sticky --quiet"
            func query(_ key: String, _ expression: String) -> String {
                "printf '\(key) '; curl -s -G --data-urlencode 'query=\(expression)' http://127.0.0.1:19090/api/v1/query; echo"
            }
            let fastestA = "198.18.30.1", fastestB = "198.18.31.2"
            let script = """
                cd '\(directory.path)'
                XDG_STATE_HOME=state-a \(probe) serve --listen 127.0.0.1:19374 \(common) 198.18.30.1 198.18.30.2 198.18.30.3 2>a.err & a=$!
                XDG_STATE_HOME=state-b \(probe) serve --listen 127.0.0.1:19375 \(common) 198.18.31.1 198.18.31.2 198.18.31.3 2>b.err & b=$!
                '\(prometheus)' --config.file=prometheus.yml --storage.tsdb.path=tsdb --web.listen-address=127.0.0.1:19090 >prom.log 2>&1 & p=$!
                i=0; while [ $i -lt 150 ]; do
                  curl -s -G --data-urlencode 'query=count(probe_rtt_seconds_count) >= 6' http://127.0.0.1:19090/api/v1/query | grep -q '"value"' && break
                  sleep 0.1; i=$((i+1)); done
                echo "ready-after $i"
                sleep 5
                \(query("best", "probe_best"))
                \(query("mean-a", "rate(probe_rtt_seconds_sum{site=\"a\",target=\"\(fastestA)\"}[5s]) / rate(probe_rtt_seconds_count{site=\"a\",target=\"\(fastestA)\"}[5s])"))
                \(query("mean-b", "rate(probe_rtt_seconds_sum{site=\"b\",target=\"\(fastestB)\"}[5s]) / rate(probe_rtt_seconds_count{site=\"b\",target=\"\(fastestB)\"}[5s])"))
                \(query("median-a", "histogram_quantile(0.5, rate(probe_rtt_seconds_bucket{site=\"a\",target=\"\(fastestA)\"}[5s]))"))
                \(query("median-b", "histogram_quantile(0.5, rate(probe_rtt_seconds_bucket{site=\"b\",target=\"\(fastestB)\"}[5s]))"))
                kill -TERM $a $b; wait $a; echo "a-status $?"; wait $b; echo "b-status $?"
                kill -TERM $p; wait $p
                exit 0
                """
            let output = try await SimulatedNetwork.run(world, [], prefix: script + "\n:")
            let stdout = output.stdout
            let ready = Self.marked(stdout, "ready-after").first.flatMap { Int($0) } ?? 999
            #expect(ready < 150, "Prometheus never saw both instances: \(stdout) \(output.stderr)")
            #expect(Self.marked(stdout, "a-status") == ["143"] && Self.marked(stdout, "b-status") == ["143"], "\(stdout)")

            struct Answer: Decodable {
                struct Data: Decodable { var result: [Series] }
                struct Series: Decodable {
                    var metric: [String: String]
                    var value: [Value]
                }
                enum Value: Decodable {
                    case time(Double), text(String)
                    init(from decoder: any Decoder) throws {
                        let container = try decoder.singleValueContainer()
                        if let number = try? container.decode(Double.self) { self = .time(number) } else { self = .text(try container.decode(String.self)) }
                    }
                    var number: Double? { if case .text(let text) = self { Double(text) } else { nil } }
                }
                var status: String
                var data: Data
            }
            func answer(_ key: String) throws -> Answer {
                let text = try #require(Self.marked(stdout, key).first, "no \(key) in \(stdout)")
                return try JSONDecoder().decode(Answer.self, from: Data(text.utf8))
            }
            let best = try answer("best")
            let picks = Dictionary(best.data.result.map { ($0.metric["site"] ?? "?", $0.metric["target"] ?? "?") }, uniquingKeysWith: { first, _ in first })
            #expect(picks == ["a": fastestA, "b": fastestB], "probe_best: \(best.data.result.map(\.metric))")
            for (site, rtt) in [("a", 4.0), ("b", 7.0)] {
                let mean = try #require(try answer("mean-\(site)").data.result.first?.value.last?.number, "mean-\(site)")
                #expect(abs(mean * 1_000 - rtt) <= 1, "site \(site): mean RTT from the histogram \(mean * 1_000) ms, the world says \(rtt) ms")
                // smokeping_prober's buckets (50 µs doubling): 4 ms is in (3.2, 6.4], 7 ms in (6.4, 12.8].
                let median = try #require(try answer("median-\(site)").data.result.first?.value.last?.number, "median-\(site)")
                let bucket = rtt < 6.4 ? (0.0032, 0.0064) : (0.0064, 0.0128)
                #expect(median > bucket.0 && median <= bucket.1, "site \(site): histogram_quantile(0.5) \(median) s is not in \(bucket)")
            }
        }

        /// The world changes (the chosen server slows down) and netsim reads it again between two
        /// rounds: a `/best?wait=` long poll returns as soon as the round that sees it ends.
        @Test func theLongPollAnswersAChangeOfTheWorldAtOnce() async throws {
            let before = Self.world([("198.18.32.1", 3), ("198.18.32.2", 8)])
            let after = Self.world([("198.18.32.1", 30), ("198.18.32.2", 8)])
            let probe = "'\(CLIRunner.binary.path)'"
            let state = FileManager.default.temporaryDirectory.appendingPathComponent("probe-simpoll-\(UUID().uuidString)").path
            let script = """
                cd "$(dirname "$0")"
                world="$PWD/world.json"
                XDG_STATE_HOME='\(state)' \(probe) serve --listen 127.0.0.1:19376 --every 300ms --method tcp --samples 2 --timeout 200 --no-sticky --quiet 198.18.32.1 198.18.32.2 2>serve.err & s=$!
                i=0; while [ $i -lt 100 ]; do curl -sf http://127.0.0.1:19376/-/ready >/dev/null && break; sleep 0.1; i=$((i+1)); done
                etag=$(curl -s -D - -o /dev/null http://127.0.0.1:19376/best | tr -d '\\r' | sed -n 's/^[Ee][Tt]ag: //p')
                echo "etag $etag"
                curl -s -H "If-None-Match: $etag" 'http://127.0.0.1:19376/best?wait=20s' > poll.json & poll=$!
                sleep 0.5
                cat > "$world" <<'WORLD'
                \(try Self.json(after))
                WORLD
                echo "world-now $(cat "$world")"
                kill -HUP $PPID
                changed=$(date +%s%N)
                wait $poll
                returned=$(date +%s%N)
                echo "health $(curl -s http://127.0.0.1:19376/healthz)"
                echo "waited-ms $(( (returned - changed) / 1000000 ))"
                echo "poll $(cat poll.json)"
                echo "after $(curl -s http://127.0.0.1:19376/best | head -c 100) ppid $PPID $(cat /proc/$PPID/comm) $world"
                kill -TERM $s; wait $s; echo "status $?"
                rm -rf '\(state)'
                exit 0
                """
            let output = try await SimulatedNetwork.run(before, [], prefix: script + "\n:")
            let stdout = output.stdout
            #expect(Self.marked(stdout, "etag").first?.hasPrefix("\"g1.") == true, "\(stdout) \(output.stderr)")
            let poll = try #require(Self.marked(stdout, "poll").first, "\(stdout)")
            #expect(poll.contains("\"target\":\"198.18.32.2\""), "the poll answered \(poll); \(stdout) \(output.stderr)")
            // The poll returned as soon as the round that saw the change ended: that round's age
            // when the poll's reader asked was under 250 ms (under 100 ms unloaded; a poll that
            // waited for the next round would be at least a 300 ms period late)...
            let health = try #require(Self.marked(stdout, "health").first, "\(stdout)")
            let age = try #require(Double(health.replacingOccurrences(of: "ok: the last round completed ", with: "").replacingOccurrences(of: " s ago", with: "")))
            #expect(age < 0.25, "the poll returned \(age) s after the round that moved the choice ended")
            // ...and within two rounds (300 ms each, plus a round's own time) of the change.
            let waited = try #require(Self.marked(stdout, "waited-ms").first.flatMap { Int($0) })
            #expect(waited < 1_000, "the poll returned \(waited) ms after the world changed")
            #expect(Self.marked(stdout, "status") == ["143"])
        }
    }
}

extension SimulatedNetworks.SimulatedServeTests {
    /// `probe serve --connect DIR` follows the pick: the connection to the fastest VPNScript server
    /// (a WireGuard configuration it creates) is in DIR and in `/best`; when the world slows that
    /// server down, the long poll returns the new pick with its new connection, and the configuration
    /// created for the old one has been given back to the provider.
    @Test func connectFollowsThePickAndGivesBackTheOldConnection() async throws {
        func world(fastest: Double) -> World {
            World(hosts: [(1, 14.0), (2, 16), (3, 20), (4, fastest), (5, 24)].map { SimulatedHost(address: "198.18.20.\($0.0)", rttMs: $0.1, tcpOpen: []) })
        }
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("probe-simfollow-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: directory.path)
        try """
            {"providers": [{"type": "vpnscript", "name": "vs", "url": "http://127.0.0.1:18081", "username": "me", "password": "vs-Secret-Pa55"}]}
            """.write(to: directory.appendingPathComponent("config.json"), atomically: true, encoding: .utf8)
        let providersim = CLIRunner.binary.deletingLastPathComponent().appendingPathComponent("providersim").path
        let record = directory.appendingPathComponent("deleted.txt").path
        let maps = (1...5).map { "--map 127.0.1.\($0)=198.18.20.\($0)" }.joined(separator: " ")
        let environment = "XDG_CACHE_HOME='\(directory.path)/cache' XDG_STATE_HOME='\(directory.path)/state'"
        let probe = "'\(CLIRunner.binary.path)'"
        let config = "'\(directory.path)/config.json'"
        let connection = directory.appendingPathComponent("conn").path
        let script = """
            world="$(dirname "$0")/world.json"
            '\(providersim)' --port 18081 --record '\(record)' --lifetime 60 \(maps) 2>/dev/null & sim=$!
            i=0; while [ $i -lt 50 ]; do \(environment) \(probe) servers --config \(config) >/dev/null 2>&1 && break; sleep 0.1; i=$((i+1)); done
            \(environment) \(probe) serve --config \(config) --connect '\(connection)' --listen 127.0.0.1:19377 --every 500ms --no-sticky 2>'\(directory.path)/serve.err' & s=$!
            i=0; while [ $i -lt 100 ]; do curl -s http://127.0.0.1:19377/best | grep -q '"connection"' && break; sleep 0.1; i=$((i+1)); done
            etag=$(curl -s -D - -o '\(directory.path)/first.json' http://127.0.0.1:19377/best | tr -d '\\r' | sed -n 's/^[Ee][Tt]ag: //p')
            echo "first $(cat '\(directory.path)/first.json')"
            echo "first-manifest $(tr -d '\\n ' < '\(connection)/connection.json')"
            curl -s -H "If-None-Match: $etag" 'http://127.0.0.1:19377/best?wait=20s' > '\(directory.path)/poll.json' & poll=$!
            sleep 0.3
            cat > "$world" <<'WORLD'
            \(try Self.json(world(fastest: 40)))
            WORLD
            kill -HUP $PPID
            wait $poll
            echo "poll $(cat '\(directory.path)/poll.json')"
            echo "manifest $(tr -d '\\n ' < '\(connection)/connection.json')"
            echo "files $(ls '\(connection)' | tr '\\n' ' ')"
            kill -TERM $s; wait $s; echo "status $?"
            \(environment) \(probe) release --config \(config) '\(connection)' >/dev/null 2>&1; echo "release-status $?"
            kill -KILL $sim
            exit 0
            """
        let output = try await SimulatedNetwork.run(world(fastest: 3), [], prefix: script + "\n:")
        let stdout = output.stdout
        let serveErrors = (try? String(contentsOfFile: directory.path + "/serve.err", encoding: .utf8)) ?? ""
        let first = try #require(Self.marked(stdout, "first").first, "\(stdout) \(output.stderr)")
        #expect(first.contains("\"target\":\"198.18.20.4:443\"") && first.contains("\"connection\":{"), "\(first) \(serveErrors)")
        #expect(Self.marked(stdout, "first-manifest").first?.contains("\"protocol\":\"wireguard\"") == true, "\(stdout)")
        let poll = try #require(Self.marked(stdout, "poll").first)
        #expect(poll.contains("\"target\":\"198.18.20.1:443\""), "the pick after the change: \(poll) \(serveErrors)")
        let manifest = try #require(Self.marked(stdout, "manifest").first)
        #expect(manifest.contains("\"host\":\"198.18.20.1\"") && poll.contains("\"connection\":{"), "DIR holds \(manifest)")
        #expect(!poll.contains("PrivateKey") && !manifest.contains("PrivateKey"), "the material never leaves DIR's files")
        // The configuration created for server 4 was deleted at the provider when the pick moved.
        #expect(try String(contentsOfFile: record, encoding: .utf8).contains("wireguard-delete 41"), "\(serveErrors)")
        #expect(Self.marked(stdout, "status") == ["143"] && Self.marked(stdout, "release-status") == ["0"], "\(stdout)")
    }
}

extension SimulatedNetworks.SimulatedServeTests {
    /// Names are resolved again every round: a name that does not resolve is that target's error
    /// and the service goes on (smokeping_prober exits on one); when the name server starts
    /// answering it (or moves it to another address), the next round probes it there.
    @Test func aNameThatStopsOrStartsResolvingIsOnlyThatTargetsConcern() async throws {
        let hosts = [SimulatedHost(address: "198.18.33.1", rttMs: 6, tcpOpen: [443]), SimulatedHost(address: "198.18.33.2", rttMs: 3, tcpOpen: [443])]
        let before = World(hosts: hosts, names: [SimulatedName(name: "steady.example", addresses: ["198.18.33.1"], ttl: 1),
                                                 SimulatedName(name: "late.example", addresses: [], nxdomain: true, ttl: 1)])
        let after = World(hosts: hosts, names: [SimulatedName(name: "steady.example", addresses: ["198.18.33.1"], ttl: 1),
                                                SimulatedName(name: "late.example", addresses: ["198.18.33.2"], ttl: 1)])
        let probe = "'\(CLIRunner.binary.path)'"
        let state = FileManager.default.temporaryDirectory.appendingPathComponent("probe-simnames-\(UUID().uuidString)").path
        let script = """
            world="$(dirname "$0")/world.json"
            XDG_STATE_HOME='\(state)' \(probe) serve --listen 127.0.0.1:19378 --every 300ms --method tcp --samples 1 --no-sticky steady.example late.example 2>'\(state).err' & s=$!
            i=0; while [ $i -lt 100 ]; do curl -sf http://127.0.0.1:19378/-/ready >/dev/null && break; sleep 0.1; i=$((i+1)); done
            echo "before $(curl -s http://127.0.0.1:19378/best | head -c 200)"
            echo "errors $(curl -s http://127.0.0.1:19378/report | tr -d '\\n' | grep -o '"errors":\\[[^]]*\\]')"
            cat > "$world" <<'WORLD'
            \(try Self.json(after))
            WORLD
            kill -HUP $PPID
            sleep 1
            echo "after $(curl -s http://127.0.0.1:19378/best | head -c 200)"
            echo "alive $(kill -0 $s && echo yes)"
            kill -TERM $s; wait $s; echo "status $?"
            rm -rf '\(state)' '\(state).err'
            exit 0
            """
        let output = try await SimulatedNetwork.run(before, [], prefix: script + "\n:")
        let stdout = output.stdout
        #expect(Self.marked(stdout, "before").first?.contains("\"target\":\"steady.example\"") == true, "\(stdout) \(output.stderr)")
        #expect(Self.marked(stdout, "errors").first?.contains("late.example") == true, "the unresolved name is its target's error: \(stdout)")
        #expect(Self.marked(stdout, "after").first?.contains("\"target\":\"late.example\"") == true, "resolved again, and faster: \(stdout)")
        #expect(Self.marked(stdout, "alive") == ["yes"] && Self.marked(stdout, "status") == ["143"])
    }
}
