import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import Prober
import Testing

/// Operating `probe serve` as the exporters people run are operated: custom labels from the
/// configuration, SIGHUP and `POST /-/reload` (a bad file keeps the previous one), TLS and basic
/// auth from a web-config file, and probe starts spread across the period.
@Suite struct ServeOperationsTests {
    typealias Serve = ServeCommandTests

    static func post(_ url: String) async throws -> Serve.Reply {
        var request = URLRequest(url: try #require(URL(string: url)))
        request.httpMethod = "POST"
        request.timeoutInterval = 20
        let (data, response) = try await URLSession.shared.data(for: request)
        let http = try #require(response as? HTTPURLResponse)
        return Serve.Reply(status: http.statusCode, headers: [:], body: String(decoding: data, as: UTF8.self))
    }

    /// Polls `url` (100 ms apart, at most 60 times) until `accept` says yes; the last reply.
    static func poll(_ url: String, until accept: (Serve.Reply) -> Bool) async throws -> Serve.Reply? {
        var last: Serve.Reply?
        for _ in 0..<60 {
            if let reply = try? await Serve.get(url) {
                last = reply
                if accept(reply) { return reply }
            }
            try await Task.sleep(for: .milliseconds(100))
        }
        return last
    }

    @Test func labelsFromTheConfigurationAndReloadsThatKeepAGoodConfiguration() async throws {
        let alpha = try LoopbackListener(kind: .open), beta = try LoopbackListener(kind: .open), gamma = try LoopbackListener(kind: .open)
        defer { alpha.close(); beta.close(); gamma.close() }
        let servers = try CLIRunner.temporaryFile("""
            [{"id": "a", "name": "alpha", "host": "127.0.0.1", "port": \(alpha.address.port)},
             {"id": "b", "name": "beta", "host": "127.0.0.1", "port": \(beta.address.port)}]
            """, name: "servers.json")
        let directory = servers.deletingLastPathComponent()
        let config = directory.appendingPathComponent("config.json")
        func configuration(tier: String) -> String {
            """
            {"providers": [{"type": "static", "name": "lab", "path": "servers.json", "labels": {"tier": "\(tier)"}}],
             "labels": [{"match": "beta", "labels": {"site": "fra"}}, {"match": ["127.0.0.1:\(gamma.address.port)"], "labels": {"site": "ams", "rack": 7}}]}
            """
        }
        try configuration(tier: "gold").write(to: config, atomically: true, encoding: .utf8)
        let targets = directory.appendingPathComponent("targets.txt")
        try "# none yet\n".write(to: targets, atomically: true, encoding: .utf8)
        let port = try Serve.freePort()
        let base = "http://127.0.0.1:\(port)"
        let serve = try Serve.ServeProcess(["serve", "--config", config.path, "--targets", targets.path, "--listen", "127.0.0.1:\(port)",
                                            "--every", "200ms", "--method", "tcp", "--samples", "1"])
        defer { serve.kill() }

        let first = try #require(try await Self.poll("\(base)/metrics") { $0.body.contains("probe_up{") })
        #expect(first.body.contains("probe_up{target=\"127.0.0.1:\(alpha.address.port)\",address=\"127.0.0.1\",method=\"tcp\",provider=\"lab\",name=\"alpha\",country=\"\",tier=\"gold\"} 1"), "\(first.body)")
        #expect(first.body.contains("name=\"beta\",country=\"\",site=\"fra\",tier=\"gold\"} 1"))
        let report = try await Serve.get("\(base)/report")
        #expect(report.body.contains("\"labels\":{\"site\":\"fra\",\"tier\":\"gold\"}"), "\(report.body.prefix(2_000))")

        // Both files change; SIGHUP reads them: the new tier, and the new target with its labels.
        try configuration(tier: "silver").write(to: config, atomically: true, encoding: .utf8)
        try "127.0.0.1:\(gamma.address.port)\n".write(to: targets, atomically: true, encoding: .utf8)
        kill(serve.process.processIdentifier, SIGHUP)
        let reloaded = try #require(try await Self.poll("\(base)/metrics") { $0.body.contains("tier=\"silver\"") && $0.body.contains("rack=\"7\"") })
        // The old label set's series go once they have been missing for 10 rounds (2 s here).
        let stale = try await Self.poll("\(base)/metrics") { !$0.body.contains("tier=\"gold\"") }
        #expect(stale?.body.contains("tier=\"gold\"") == false)
        #expect(reloaded.body.contains("probe_up{target=\"127.0.0.1:\(gamma.address.port)\",address=\"127.0.0.1\",method=\"tcp\",rack=\"7\",site=\"ams\"} 1"), "\(reloaded.body)")

        // A broken file: POST /-/reload says why (500, one line) and the service goes on with the previous one.
        try "{\"providers\": [".write(to: config, atomically: true, encoding: .utf8)
        let broken = try await Self.post("\(base)/-/reload")
        #expect(broken.status == 500 && broken.body.contains("keeping the previous configuration") && broken.body.contains("not valid JSON"), "\(broken.body)")
        #expect(broken.body.split(separator: "\n").count == 1)
        // A label probe's own metrics use is refused the same way.
        try """
            {"providers": [], "labels": [{"match": "*", "labels": {"instance": "x"}}]}
            """.write(to: config, atomically: true, encoding: .utf8)
        let clash = try await Self.post("\(base)/-/reload")
        #expect(clash.status == 500 && clash.body.contains("instance"), "\(clash.body)")
        try await Task.sleep(for: .milliseconds(500))
        let after = try await Serve.get("\(base)/metrics")
        #expect(after.body.contains("tier=\"silver\"") && after.body.contains("name=\"alpha\""), "the previous configuration was lost: \(after.body)")
        #expect(try await Serve.get("\(base)/healthz").status == 200)
        // And a good file again: 200.
        try configuration(tier: "bronze").write(to: config, atomically: true, encoding: .utf8)
        let good = try await Self.post("\(base)/-/reload")
        #expect(good.status == 200 && good.body.contains("1 provider(s)"), "\(good.body)")
        #expect(try await Self.poll("\(base)/metrics") { $0.body.contains("tier=\"bronze\"") }?.body.contains("tier=\"bronze\"") == true)
        #expect(await serve.terminate() == 143)
        let errors = serve.stderr.split(separator: "\n")
        #expect(errors.contains { $0.contains("reloaded (SIGHUP)") }, "\(serve.stderr)")
        #expect(errors.contains { $0.contains("reload (POST /-/reload) failed, keeping the previous configuration") })
    }

    static let tools: Bool = ["/usr/bin/openssl", "/usr/bin/curl"].allSatisfy { FileManager.default.isExecutableFile(atPath: $0) }

    /// TLS and basic auth from an exporter-toolkit web-config file, checked with curl against the
    /// certificate openssl made: no credentials or a wrong password get 401, the right ones the
    /// metrics; plain HTTP gets no answer.
    @Test(.enabled(if: ServeOperationsTests.tools, "openssl and curl are needed"))
    func tlsAndBasicAuthFromAWebConfigFile() async throws {
        let key = try CLIRunner.temporaryFile("", name: "key.pem")
        let directory = key.deletingLastPathComponent().path
        let made = try await CLIRunner.run([], shell: """
            cd '\(directory)' && openssl req -x509 -newkey rsa:2048 -nodes -keyout key.pem -out cert.pem -days 1 \
              -subj /CN=localhost -addext subjectAltName=IP:127.0.0.1 2>&1
            """)
        #expect(made.status == 0, "\(made.stdout)")
        // bcrypt of "secret" (as `htpasswd -nbBC 10 prometheus secret` writes them).
        try """
            # probe serve's listener, as node_exporter's web-config.yml
            tls_server_config:
              cert_file: cert.pem
              key_file: "key.pem"
            basic_auth_users:
              prometheus: '$2b$10$abcdefghijklmnopqrstuuqflPDzB6gcMhKa1rZqKiun2YGL5sa2u'
            """.write(toFile: directory + "/web.yml", atomically: true, encoding: .utf8)
        let port = try Serve.freePort()
        let serve = try Serve.ServeProcess(["serve", "--demo", "--listen", "127.0.0.1:\(port)", "--web-config", directory + "/web.yml", "--every", "200ms", "--quiet"])
        defer { serve.kill() }
        func curl(_ flags: String, _ path: String, scheme: String = "https") async throws -> String {
            try await CLIRunner.run([], shell: "curl -s -o /dev/null -w '%{http_code}' --max-time 5 --cacert '\(directory)/cert.pem' \(flags) '\(scheme)://127.0.0.1:\(port)\(path)'").stdout
        }
        var ready = false
        for _ in 0..<600 where !ready {  // a guard (60 s)
            ready = try await curl("-u prometheus:secret", "/-/ready") == "200"
            if !ready { try await Task.sleep(for: .milliseconds(100)) }
        }
        #expect(ready, "stderr: \(serve.stderr)")
        #expect(try await curl("", "/metrics") == "401")
        #expect(try await curl("-u prometheus:wrong", "/metrics") == "401")
        #expect(try await curl("-u nobody:secret", "/metrics") == "401")
        #expect(try await curl("-u prometheus:secret", "/metrics") == "200")
        #expect(try await curl("-u prometheus:secret", "/best") == "200")
        let body = try await CLIRunner.run([], shell: "curl -s --max-time 5 --cacert '\(directory)/cert.pem' -u prometheus:secret https://127.0.0.1:\(port)/metrics").stdout
        #expect(body.contains("probe_best{"))
        #expect(try await curl("", "/metrics", scheme: "http") != "200")

        // Renewed certificate and a new user: SIGHUP, and the next handshake uses the new one.
        func fingerprint() async throws -> String {
            try await CLIRunner.run([], shell: "openssl s_client -connect 127.0.0.1:\(port) </dev/null 2>/dev/null | openssl x509 -noout -fingerprint -sha256").stdout
        }
        let before = try await fingerprint()
        let renewed = try await CLIRunner.run([], shell: """
            cd '\(directory)' && openssl req -x509 -newkey rsa:2048 -nodes -keyout key.new -out cert.new -days 2 \
              -subj /CN=renewed -addext subjectAltName=IP:127.0.0.1 2>&1 && mv key.new key.pem && mv cert.new cert.pem
            """)
        #expect(renewed.status == 0)
        try (try String(contentsOfFile: directory + "/web.yml", encoding: .utf8) + "\n  grafana: $2b$10$abcdefghijklmnopqrstuuqflPDzB6gcMhKa1rZqKiun2YGL5sa2u\n")
            .write(toFile: directory + "/web.yml", atomically: true, encoding: .utf8)
        kill(serve.process.processIdentifier, SIGHUP)
        var after = before
        for _ in 0..<50 where after == before {
            try await Task.sleep(for: .milliseconds(100))
            after = try await fingerprint()
        }
        #expect(after != before && after.contains("Fingerprint"), "the certificate served after SIGHUP: \(after)")
        #expect(try await curl("-u grafana:secret", "/metrics") == "200")
        // A broken web config keeps the previous one (the listener goes on serving).
        try "tls_server_config:\n  cert_file: /nonexistent.pem\n  key_file: key.pem\n".write(toFile: directory + "/web.yml", atomically: true, encoding: .utf8)
        let refused = try await CLIRunner.run([], shell: "curl -s --max-time 5 --cacert '\(directory)/cert.pem' -u grafana:secret -X POST https://127.0.0.1:\(port)/-/reload")
        #expect(refused.stdout.contains("keeping the previous configuration") && refused.stdout.contains("cannot read"), "\(refused.stdout)")
        #expect(try await curl("-u grafana:secret", "/metrics") == "200")
        #expect(await serve.terminate() == 143)
    }

    @Test(arguments: [
        ("tls_server_config:\n  cert_file: /nonexistent.pem\n  key_file: /nonexistent.key\n", "cannot read"),
        ("tls_server_config:\n  cert_file: a.pem\n", "needs both cert_file and key_file"),
        ("basic_auth_users:\n  alice: plaintext\n", "must be a password hash"),
        ("web_listen: yes\n", "unknown key"),
        ("tls_server_config:\n  - cert_file: a\n", "expected 'key: value'"),
    ])
    func aBadWebConfigIsAOneLineUsageError(_ text: String, _ reason: String) async throws {
        let file = try CLIRunner.temporaryFile(text, name: "web.yml")
        let run = try await CLIRunner.run(["serve", "--demo", "--web-config", file.path, "--listen", "127.0.0.1:\(try Serve.freePort())"])
        #expect(run.status == 64, "\(run.stderr)")
        #expect(run.stderr.contains(reason) && run.stderr.trimmingCharacters(in: .whitespacesAndNewlines).split(separator: "\n").count == 1, "\(run.stderr)")
    }

    /// With --every 2s and a 200 ms timeout, 20 targets × 3 samples go out over about 0.8 s
    /// (half the period, less the timeout), not in one burst; --no-spread sends them at once.
    @Test func probeStartsAreSpreadAcrossThePeriod() async throws {
        var listeners: [LoopbackListener] = []
        defer { for listener in listeners { listener.close() } }
        for _ in 0..<20 { listeners.append(try LoopbackListener(kind: .open)) }
        let targets = listeners.map { "127.0.0.1:\($0.address.port)" }
        func probeMilliseconds(_ extra: [String]) async throws -> Double {
            let port = try Serve.freePort()
            let serve = try Serve.ServeProcess(["serve", "--listen", "127.0.0.1:\(port)", "--every", "2s", "--timeout", "200", "--method", "tcp", "--quiet"] + extra + targets)
            defer { serve.kill() }
            let report = try #require(try await Self.poll("http://127.0.0.1:\(port)/report") { $0.status == 200 })
            _ = await serve.terminate()
            let json = try #require(try JSONSerialization.jsonObject(with: Data(report.body.utf8)) as? [String: Any])
            let sweep = try #require(json["sweep"] as? [String: Any])
            return try #require(sweep["probe_ms"] as? Double)
        }
        let spread = try await probeMilliseconds([])
        let burst = try await probeMilliseconds(["--no-spread"])
        #expect(spread >= 700 && spread <= 1_600, "spread over \(spread) ms")
        #expect(burst < 500 && burst < spread / 2, "a burst took \(burst) ms")
    }
}

/// The example web config as the field's tools read it: `promtool check web-config` accepts it,
/// probe serve runs with it, and a real Prometheus scrapes probe over TLS with basic auth.
@Suite(.enabled(if: ServeCommandTests.promtool != nil && ServeOperationsTests.tools, "promtool, openssl and curl are needed"))
struct WebConfigExampleTests {
    static let prometheus: String? = ["/usr/bin/prometheus", "/usr/local/bin/prometheus"].first { FileManager.default.isExecutableFile(atPath: $0) }

    @Test func aRealPrometheusScrapesProbeOverTLSWithBasicAuth() async throws {
        let example = FleetExampleTests.directory.appendingPathComponent("web-config.yml")
        let password = try CLIRunner.temporaryFile("change-me", name: "password.txt")
        let directory = password.deletingLastPathComponent().path
        try FileManager.default.copyItem(atPath: example.path, toPath: directory + "/web-config.yml")
        let made = try await CLIRunner.run([], shell: """
            cd '\(directory)' && openssl req -x509 -newkey rsa:2048 -nodes -keyout probe.key -out probe.crt -days 1 \
              -subj /CN=localhost -addext subjectAltName=IP:127.0.0.1 2>&1 && '\(try #require(ServeCommandTests.promtool))' check web-config web-config.yml 2>&1
            """)
        #expect(made.status == 0 && made.stdout.contains("SUCCESS"), "\(made.stdout)")
        let port = try ServeCommandTests.freePort()
        let serve = try ServeCommandTests.ServeProcess(["serve", "--demo", "--listen", "127.0.0.1:\(port)", "--web-config", directory + "/web-config.yml",
                                                         "--every", "500ms", "--quiet"])
        defer { serve.kill() }
        guard let prometheus = Self.prometheus else { return }
        let web = try ServeCommandTests.freePort()
        try """
            global: {scrape_interval: 1s}
            scrape_configs:
              - job_name: probe
                scheme: https
                tls_config: {ca_file: probe.crt}
                basic_auth: {username: prometheus, password_file: password.txt}
                static_configs: [{targets: ['127.0.0.1:\(port)']}]
            """.write(toFile: directory + "/prometheus.yml", atomically: true, encoding: .utf8)
        let run = try await CLIRunner.run([], shell: """
            cd '\(directory)'
            '\(prometheus)' --config.file=prometheus.yml --storage.tsdb.path=tsdb --web.listen-address=127.0.0.1:\(web) >prom.log 2>&1 & p=$!
            i=0; while [ $i -lt 150 ]; do
              curl -s -G --data-urlencode 'query=probe_best' http://127.0.0.1:\(web)/api/v1/query | grep -q '"target"' && break
              sleep 0.1; i=$((i+1)); done
            echo "tries $i"
            curl -s -G --data-urlencode 'query=up{job="probe"}' http://127.0.0.1:\(web)/api/v1/query; echo
            kill -TERM $p; wait $p
            """, timeout: 60)
        #expect(run.stdout.contains("\"value\":[") && run.stdout.contains("\"1\"]"), "up: \(run.stdout)")
        #expect(!run.stdout.contains("tries 150"), "Prometheus never scraped probe_best over TLS: \(run.stdout)")
        #expect(await serve.terminate() == 143)
    }
}
