import Foundation
import NetSim
import Testing

/// The `netsim` command as tests and benchmarks use it.
@Suite struct NetsimCommandTests {
    static var netsim: String { SimulatedNetwork.netsim }

    @Test func genIsReproducibleAndValid() async throws {
        let first = try await CLIRunner.run([], shell: "exec '\(Self.netsim)' gen 50 --seed 3 --v6 5")
        let second = try await CLIRunner.run([], shell: "exec '\(Self.netsim)' gen 50 --seed 3 --v6 5")
        #expect(first.status == 0 && first.stdout == second.stdout)
        let world = try World.decode(Data(first.stdout.utf8))
        #expect(world.hosts.count == 50)
        #expect(world.hosts.filter { $0.address.contains(":") }.count == 5)
    }

    @Test func aBadWorldFileIsOneLineNamingTheHost() async throws {
        let file = try CLIRunner.temporaryFile(#"{"hosts":[{"address":"198.18.1.1","rtt_ms":5,"loss":2}]}"#, name: "bad.json")
        let run = try await CLIRunner.run([], shell: "exec '\(Self.netsim)' run '\(file.path)' -- true")
        #expect(run.status == 65)
        #expect(run.stderrLines.count == 1)
        #expect(run.stderr.contains("host 0 (198.18.1.1): loss must be between 0 and 1"))
    }

    @Test(.enabled(if: SimulatedNetwork.unavailable == nil, "netsim needs root and /dev/net/tun"))
    func exitsWithTheCommandsStatusAndNothingReachesOutside() async throws {
        let file = try CLIRunner.temporaryFile(#"{"hosts":[{"address":"198.18.1.1","rtt_ms":1}]}"#, name: "w.json")
        let run = try await CLIRunner.run([], shell: "exec '\(Self.netsim)' run '\(file.path)' --quiet -- /bin/sh -c 'exit 7'")
        #expect(run.status == 7)
        // Inside, only lo and the TUN device exist: no route anywhere else.
        let links = try await CLIRunner.run([], shell: "exec '\(Self.netsim)' run '\(file.path)' --quiet -- /bin/cat /proc/net/dev")
        let names = links.stdout.split(separator: "\n").dropFirst(2).compactMap { $0.split(separator: ":").first?.trimmingCharacters(in: .whitespaces) }
        #expect(Set(names) == ["lo", NetSimulator.deviceName])
        let routes = try await CLIRunner.run([], shell: "exec '\(Self.netsim)' run '\(file.path)' --quiet -- /bin/cat /proc/net/route")
        let defaultRoutes = routes.stdout.split(separator: "\n").dropFirst().filter { line in
            let fields = line.split(whereSeparator: { $0 == "\t" || $0 == " " })
            return fields.count > 7 && fields[1] == "00000000" && fields[7] == "00000000"
        }
        #expect(defaultRoutes.isEmpty)  // no default route: nothing can leave
        #expect(routes.stdout.contains("\(NetSimulator.deviceName)\t000012C6"))  // 198.18.0.0/15 via the TUN
    }

    @Test(.enabled(if: geteuid() == 0 && FileManager.default.isExecutableFile(atPath: "/usr/bin/setpriv"),
                   "needs root to drop privileges with setpriv"))
    func withoutRootItSaysSoInOneLineAndExits77() async throws {
        let file = try CLIRunner.temporaryFile(#"{"hosts":[{"address":"198.18.1.1","rtt_ms":1}]}"#, name: "w.json")
        try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: file.deletingLastPathComponent().path)
        try FileManager.default.setAttributes([.posixPermissions: 0o644], ofItemAtPath: file.path)
        let run = try await CLIRunner.run(
            [], shell: "exec /usr/bin/setpriv --reuid=65534 --regid=65534 --clear-groups '\(Self.netsim)' run '\(file.path)' -- true")
        #expect(run.status == 77)
        #expect(run.stderrLines.count == 1)
        #expect(run.stderr.contains("needs root"))
    }
}
