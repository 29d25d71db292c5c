import ProbeKit

var configuration = ProbeClient.Configuration(
    targets: ["vpn1.example.net:443"],                      // explicit targets, optional
    providersFile: "/etc/probe/config.json",                // providers, as in the README above
    stateFile: "/var/lib/orchestrator/probe-state.json")    // sticky choice and history; nil: none
configuration.probing.filter = CandidateFilter(protocols: ["wireguard"])
configuration.probing.probe.samples = 5
let client = ProbeClient(configuration: configuration)

do {
    let report = try await client.best()                    // early answer; rank(): every server in full
    if let best = report.best {
        print("connect to \(best.server?.host ?? best.host):\(best.port)", report.sticky?.reason ?? "")
    }
    for error in report.errors { print("skipped:", error) } // a failing provider never sinks the run
} catch {
    print(error.message)                                    // unreadable providers file, no targets, cancelled
}

// The pick and the connection to it in one call: the report's `connection` is the manifest, and its
// `material` (in memory, never printed by `description`) what the client needs.
let picked = try await client.best(connect: true, options: .init(protocol: "wireguard", timeout: .seconds(60)))
if let connection = picked.connection {
    try ProbeClient.write(connection, to: "/run/orchestrator/vpn")     // 0700 directory, 0600 files
    // ... later, when done with it: give back what was created at the provider.
    _ = try await client.release(connection)
} else {
    print(picked.errors.map(\.description))                           // why no material could be had
}

// The servers you already hold, each source a provider of its own: a folder of wg-quick files, a
// zip of .ovpn profiles, a subscription URL (its token never printed).
let own = ProbeClient(configuration: ProbeClient.Configuration(sources: ["mullvad=/etc/vpn/mullvad", "https://sub.example/s?token=..."]))
if let mine = try await own.best().best { print("fastest of mine:", mine.server?.name ?? mine.target) }

// Periodic use: an AsyncSequence of rounds, on schedule (inject any Clock in tests).
for await round in client.rounds(every: .seconds(300)) {
    if case .success(let report) = round.result { print(round.index, report.best?.target ?? "-") }
}
