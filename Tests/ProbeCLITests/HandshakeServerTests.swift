import Foundation
import Testing

/// The handshake probes against the real servers of the field (issue 26), each in a network
/// namespace the test creates: a `wireguard-go` server and `openvpn` servers (plain, tls-auth
/// SHA1 and SHA256, tls-crypt over UDP and TCP) in one namespace, the probe in another, a veth
/// pair between them (198.18.200.0/24). The installed `probe` binary runs as a user would, with
/// `--from` a folder of the files users hold.
/// Needs root, /dev/net/tun, `ip`, `wireguard-go`, `wg`, `openvpn` and `openssl` (CI has them all).
@Suite(.serialized, .enabled(if: HandshakeLab.unavailable == nil, "needs root, /dev/net/tun, ip, wireguard-go, wg, openvpn, openssl"))
struct HandshakeServerTests {
    @Test func wireguardHandshakesAreTimedVerifiedAndRecordedByTheServer() async throws {
        let lab = try await HandshakeLab.start()
        defer { lab.stop() }
        let directory = lab.directory
        // Clients: a registered key, another with a preshared key, a stranger's key, a port where
        // nothing listens, and a third registered key through a relay that adds 20 ms (a peer of
        // its own: the server drops a peer's initiations that come within 20 ms of each other).
        let bundle = directory.appendingPathComponent("wg")
        try FileManager.default.createDirectory(at: bundle, withIntermediateDirectories: true)
        func conf(_ key: String, psk: String? = nil, endpoint: String) -> String {
            "[Interface]\nPrivateKey = \(key)\nAddress = 198.19.77.2/32\n\n[Peer]\nPublicKey = \(lab.serverPublic)\n"
                + (psk.map { "PresharedKey = \($0)\n" } ?? "") + "AllowedIPs = 0.0.0.0/0\nEndpoint = \(endpoint)\n"
        }
        try conf(lab.clientKey, endpoint: "198.18.200.2:51820").write(to: bundle.appendingPathComponent("one.conf"), atomically: true, encoding: .utf8)
        try conf(lab.pskClientKey, psk: lab.psk, endpoint: "198.18.200.2:51820").write(to: bundle.appendingPathComponent("psk.conf"), atomically: true, encoding: .utf8)
        try conf(lab.strangerKey, endpoint: "198.18.200.2:51820").write(to: bundle.appendingPathComponent("stranger.conf"), atomically: true, encoding: .utf8)
        try conf(lab.clientKey, endpoint: "198.18.200.2:51999").write(to: bundle.appendingPathComponent("closed.conf"), atomically: true, encoding: .utf8)
        try conf(lab.relayedKey, endpoint: "127.0.0.1:\(HandshakeLab.relayPort)")
            .write(to: bundle.appendingPathComponent("relayed.conf"), atomically: true, encoding: .utf8)

        let run = try await lab.probe("rank --from '\(bundle.path)' --samples 5 --json --no-sticky")
        #expect(run.status == 0, "\(run.stderr)")
        let entries = try Self.entries(run.stdout)
        for name in ["one", "psk"] {
            let entry = try #require(entries[name], "\(entries.keys)")
            #expect(entry["method"] as? String == "wireguard" && entry["state"] as? String == "open", "\(name): \(entry)")
            #expect(entry["received"] as? Int == 5 && entry["timing"] as? String == "kernel", "\(name): \(entry)")
            #expect(entry["target"] as? String == "198.18.200.2:51820" && entry["port"] as? Int == 51_820, "\(name): \(entry)")
        }
        // A stranger's key gets no answer (the server is silent to it); a closed port says so.
        #expect(entries["stranger"]?["reachable"] as? Bool == false && entries["stranger"]?["state"] as? String == "timeout", "\(entries["stranger"] ?? [:])")
        #expect(entries["closed"]?["reachable"] as? Bool == false && entries["closed"]?["state"] as? String == "unreachable", "\(entries["closed"] ?? [:])")
        // The relay's 20 ms is measured within 1 ms: against what the relay itself saw of each
        // exchange (the initiation's kernel receive timestamp to the response's send: its 20 ms,
        // the server's turnaround and its own lateness), beside the direct handshake for the record.
        let direct = try #require(Self.median(entries["psk"]), "\(entries["psk"] ?? [:])")
        let relayed = try #require(Self.median(entries["relayed"]), "\(entries["relayed"] ?? [:])")
        let holds = try String(contentsOf: directory.appendingPathComponent("relay-holds.log"), encoding: .utf8).split(separator: "\n")
        func median(_ kind: String) -> Double {
            let values = holds.filter { $0.hasPrefix(kind + " ") }.compactMap { Double($0.dropFirst(2)) }.sorted()
            return values.isEmpty ? .nan : values[values.count / 2]
        }
        let seen = median("t")
        #expect(median("f") >= 20 && abs(relayed - seen) < 1, "relayed \(relayed) ms, the relay saw \(seen) ms")
        // (Not against the direct handshake: measured at another moment, wireguard-go's own
        // turnaround moved from 0.3 to 4.5 ms when CI loaded the machine.)
        print("handshake through the 20 ms relay: \(relayed) ms; the relay saw \(seen) ms (error \(relayed - seen) ms); direct \(direct) ms")
        // The server consumed each initiation (its endpoint for the peer is the probe's namespace,
        // 148-byte initiations in, 92-byte responses out) and holds no session in use: its latest
        // handshake stays 0, because the probe never sends the transport data that confirms one.
        let show = try await lab.server("wg show \(lab.interface) dump")
        let peers = show.stdout.split(separator: "\n").dropFirst().map { $0.split(separator: "\t").map(String.init) }
        let client = try #require(peers.first { $0.first == lab.clientPublic }, "\(show.stdout)")
        let psk = try #require(peers.first { $0.first == lab.pskClientPublic }, "\(show.stdout)")
        #expect(client[2].hasPrefix("198.18.200.1:") && psk[2].hasPrefix("198.18.200.1:"), "\(show.stdout)")
        #expect(client[4] == "0" && psk[4] == "0", "latest handshake: \(show.stdout)")
        let (received, sent) = (Int(client[5]) ?? 0, Int(client[6]) ?? 0)
        #expect(received > 0 && received % 148 == 0 && sent > 0 && sent % 92 == 0, "\(show.stdout)")
        #expect(Int(psk[5]) == 148 * 5 && Int(psk[6]) == 92 * 5, "psk: 5 samples: \(show.stdout)")

        // --best answers on the handshake, and --method openvpn has nothing to speak to a WireGuard server.
        let best = try await lab.probe("--best --from '\(bundle.path)' --json --no-sticky")
        let object = try #require(try JSONSerialization.jsonObject(with: Data(best.stdout.utf8)) as? [String: Any], "\(best.stderr)")
        #expect((object["best"] as? [String: Any])?["method"] as? String == "wireguard", "\(best.stdout)")
        // --explain says what measured the score.
        let explained = try await lab.probe("--best --from '\(bundle.path)' --explain --no-sticky")
        #expect(explained.stdout.contains("by its WireGuard handshake") && explained.stdout.contains(", wireguard, kernel timing"), "\(explained.stdout)")
        let wrong = try await lab.probe("rank --from '\(bundle.path)' --method openvpn --json --no-sticky")
        let unmeasured = try Self.entries(wrong.stdout)
        #expect(unmeasured["one"]?["state"] as? String == "unmeasurable", "\(wrong.stdout)")
        #expect(((unmeasured["one"]?["handshake"] as? [String: Any])?["unavailable"] as? String)?.contains("no OpenVPN profile") == true, "\(unmeasured["one"] ?? [:])")

        // A local WireGuard interface holding the client's key: its handshake is skipped (ICMP
        // measures the host), unless --handshake-anyway.
        try await lab.localInterface(holding: lab.clientKey)
        let guarded = try Self.entries(try await lab.probe("rank --from '\(bundle.path)' --samples 1 --json --no-sticky").stdout)
        #expect(guarded["one"]?["method"] as? String == "icmp", "\(guarded["one"] ?? [:])")
        #expect(((guarded["one"]?["handshake"] as? [String: Any])?["unavailable"] as? String)?.contains("holds this private key") == true, "\(guarded["one"] ?? [:])")
        #expect(guarded["psk"]?["method"] as? String == "wireguard", "\(guarded["psk"] ?? [:])")
        let explainedGuard = try await lab.probe("rank --from '\(bundle.path)' --samples 1 --explain --no-sticky")
        #expect(explainedGuard.stdout.contains("no handshake: one (198.18.200.2:51820)") && explainedGuard.stdout.contains("holds this private key"),
                "\(explainedGuard.stdout)")
        let anyway = try Self.entries(try await lab.probe("rank --from '\(bundle.path)' --samples 1 --json --no-sticky --handshake-anyway").stdout)
        #expect(anyway["one"]?["method"] as? String == "wireguard" && anyway["one"]?["state"] as? String == "open", "\(anyway["one"] ?? [:])")
    }

    @Test func openvpnResetsAreAnsweredWithEachProtection() async throws {
        let lab = try await HandshakeLab.start()
        defer { lab.stop() }
        let profiles = lab.directory.appendingPathComponent("ovpn")
        try FileManager.default.createDirectory(at: profiles, withIntermediateDirectories: true)
        let ca = try String(contentsOf: lab.directory.appendingPathComponent("ca.crt"), encoding: .utf8)
        let ta = try String(contentsOf: lab.directory.appendingPathComponent("ta.key"), encoding: .utf8)
        let tc = try String(contentsOf: lab.directory.appendingPathComponent("tc.key"), encoding: .utf8)
        let wrong = try String(contentsOf: lab.directory.appendingPathComponent("wrong.key"), encoding: .utf8)
        func profile(_ name: String, proto: String, port: Int, _ extra: String) throws {
            try "client\ndev tun\nproto \(proto)\nremote 198.18.200.2 \(port)\nauth-user-pass\n<ca>\n\(ca)</ca>\n\(extra)"
                .write(to: profiles.appendingPathComponent("\(name).ovpn"), atomically: true, encoding: .utf8)
        }
        try profile("plain", proto: "udp", port: 1194, "")
        try profile("auth", proto: "udp", port: 1195, "key-direction 1\n<tls-auth>\n\(ta)</tls-auth>\n")
        try profile("auth256", proto: "udp", port: 1198, "key-direction 1\nauth SHA256\n<tls-auth>\n\(ta)</tls-auth>\n")
        try profile("crypt", proto: "udp", port: 1196, "<tls-crypt>\n\(tc)</tls-crypt>\n")
        try profile("crypttcp", proto: "tcp", port: 1197, "<tls-crypt>\n\(tc)</tls-crypt>\n")
        try profile("wrongauth", proto: "udp", port: 1195, "key-direction 1\n<tls-auth>\n\(wrong)</tls-auth>\n")
        try profile("v2", proto: "udp", port: 1196, "<tls-crypt-v2>\n\(tc)</tls-crypt-v2>\n")
        let run = try await lab.probe("rank --from '\(profiles.path)' --samples 3 --json --no-sticky")
        #expect(run.status == 0, "\(run.stderr)")
        let entries = try Self.entries(run.stdout)
        for name in ["plain", "auth", "auth256", "crypt", "crypttcp"] {
            let entry = try #require(entries[name], "\(entries.keys)")
            #expect(entry["method"] as? String == "openvpn" && entry["state"] as? String == "open" && entry["received"] as? Int == 3, "\(name): \(entry)")
            #expect(entry["timing"] as? String == "kernel", "\(name): \(entry)")
            #expect((Self.median(entry) ?? 99) < 20, "\(name): \(entry)")
        }
        // A wrong tls-auth key: the server drops the reset, nothing answers.
        #expect(entries["wrongauth"]?["reachable"] as? Bool == false && entries["wrongauth"]?["state"] as? String == "timeout")
        // tls-crypt-v2 is named as not supported, and the host is measured otherwise.
        let v2 = try #require(entries["v2"])
        #expect(((v2["handshake"] as? [String: Any])?["unavailable"] as? String)?.contains("tls-crypt-v2 is not supported yet") == true, "\(v2)")
        #expect(v2["method"] as? String == "icmp")
        // The servers saw resets and nothing more: no TLS, no credentials.
        let logs = try await lab.server("cat '\(lab.directory.path)'/openvpn-*.log")
        #expect(logs.stdout.contains("TLS: Initial packet from"), "\(logs.stdout)")
        #expect(!logs.stdout.contains("Peer Connection Initiated"), "\(logs.stdout)")
    }

    /// `ranked` entries by the server's name (the file name without its extension).
    static func entries(_ json: String) throws -> [String: [String: Any]] {
        let object = try #require(try JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any], "\(json)")
        var out: [String: [String: Any]] = [:]
        for entry in object["ranked"] as? [[String: Any]] ?? [] {
            guard let name = (entry["server"] as? [String: Any])?["name"] as? String else { continue }
            out[name] = entry
        }
        return out
    }

    static func median(_ entry: [String: Any]?) -> Double? { (entry?["rtt_ms"] as? [String: Any])?["median"] as? Double }
}

/// Two namespaces joined by a veth pair, with a wireguard-go server and openvpn servers in one,
/// and a UDP relay that delays what goes to the WireGuard server by 20 ms in the other.
final class HandshakeLab: @unchecked Sendable {
    let id: String
    let directory: URL
    var client: String { "pc\(id)" }
    var serverSide: String { "ps\(id)" }
    var interface: String { "wgs\(id)" }
    static let relayPort = 51_821

    /// Why the lab cannot run here, or `nil`.
    static let unavailable: String? = {
        guard getuid() == 0 else { return "not root" }
        guard FileManager.default.fileExists(atPath: "/dev/net/tun") else { return "no /dev/net/tun" }
        for tool in ["ip", "wireguard-go", "wg", "openvpn", "openssl", "python3"] where which(tool) == nil { return "no \(tool)" }
        return nil
    }()
    let clientKey: String, clientPublic: String, pskClientKey: String, pskClientPublic: String
    let strangerKey: String, serverPublic: String, psk: String, relayedKey: String

    static func which(_ tool: String) -> String? {
        for directory in ["/usr/sbin", "/usr/bin", "/sbin", "/bin", "/usr/local/bin", "/usr/local/sbin"] {
            let path = "\(directory)/\(tool)"
            if FileManager.default.isExecutableFile(atPath: path) { return path }
        }
        return nil
    }

    private init(id: String, directory: URL, keys: [String: String]) {
        self.id = id
        self.directory = directory
        clientKey = keys["c.key"] ?? ""
        clientPublic = keys["c.pub"] ?? ""
        pskClientKey = keys["c2.key"] ?? ""
        pskClientPublic = keys["c2.pub"] ?? ""
        strangerKey = keys["x.key"] ?? ""
        relayedKey = keys["c3.key"] ?? ""
        serverPublic = keys["s.pub"] ?? ""
        psk = keys["psk"] ?? ""
    }

    static func start() async throws -> HandshakeLab {
        let id = String(UUID().uuidString.prefix(6)).lowercased()
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("probe-handshake-\(id)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        try FileManager.default.setAttributes([.posixPermissions: 0o700], ofItemAtPath: directory.path)
        let d = directory.path
        let (pc, ps, wgs) = ("pc\(id)", "ps\(id)", "wgs\(id)")
        let script = """
        set -e
        cd '\(d)'
        umask 077
        ip netns add \(pc); ip netns add \(ps)
        ip link add vc\(id) type veth peer name vs\(id)
        ip link set vc\(id) netns \(pc); ip link set vs\(id) netns \(ps)
        ip -n \(pc) addr add 198.18.200.1/24 dev vc\(id); ip -n \(ps) addr add 198.18.200.2/24 dev vs\(id)
        for ns in \(pc) \(ps); do ip -n $ns link set lo up; done
        ip -n \(pc) link set vc\(id) up; ip -n \(ps) link set vs\(id) up
        for k in s c c2 c3 x; do wg genkey > $k.key; wg pubkey < $k.key > $k.pub; done
        wg genpsk > psk
        """
        let configure = """
        set -e
        cd '\(d)'
        for i in $(seq 300); do [ -S /var/run/wireguard/\(wgs).sock ] && break; sleep 0.1; done
        ip netns exec \(ps) wg set \(wgs) listen-port 51820 private-key s.key peer "$(cat c.pub)" allowed-ips 198.19.77.2/32 peer "$(cat c2.pub)" preshared-key psk allowed-ips 198.19.77.3/32 peer "$(cat c3.pub)" allowed-ips 198.19.77.4/32
        ip -n \(ps) link set \(wgs) up
        """
        let certificates = """
        set -e
        cd '\(d)'
        umask 077
        openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -keyout ca.key -out ca.crt -days 2 -subj /CN=probe-test-ca 2>/dev/null
        openssl req -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -keyout server.key -out server.csr -subj /CN=server 2>/dev/null
        openssl x509 -req -in server.csr -CA ca.crt -CAkey ca.key -CAcreateserial -out server.crt -days 2 2>/dev/null
        openvpn --genkey secret ta.key; openvpn --genkey secret tc.key; openvpn --genkey secret wrong.key
        n=0
        for spec in "1194 udp none" "1195 udp auth" "1196 udp crypt" "1197 tcp-server crypt" "1198 udp auth256"; do
          set -- $spec; n=$((n+1))
          printf 'mode server\\ntls-server\\ndev tun%s\\ndev-type tun\\ntopology subnet\\nifconfig 198.19.%s.1 255.255.255.0\\nproto %s\\nlocal 198.18.200.2\\nport %s\\nca %s/ca.crt\\ncert %s/server.crt\\nkey %s/server.key\\ndh none\\nverb 4\\n' "$n" "$((250 - n))" "$2" "$1" '\(d)' '\(d)' '\(d)' > openvpn-$1.conf
          case $3 in
            auth) echo "tls-auth \(d)/ta.key 0" >> openvpn-$1.conf ;;
            auth256) printf 'tls-auth %s/ta.key 0\\nauth SHA256\\n' '\(d)' >> openvpn-$1.conf ;;
            crypt) echo "tls-crypt \(d)/tc.key" >> openvpn-$1.conf ;;
          esac
        done
        cat > relay.py <<'PY'
        import heapq, select, socket, struct, sys, time
        # Holds what goes to the server 20 ms and logs what it really held each packet, both ways,
        # from the kernel's receive timestamp to its own send (this relay is late under load too).
        TS = getattr(socket, "SO_TIMESTAMPNS", 35)
        delay = 0.020
        log = open("relay-holds.log", "a", buffering=1)
        def receive(sock):
            data, ancillary, _, source = sock.recvmsg(65536, 64)
            stamp = time.time()
            for level, kind, raw in ancillary:
                if level == socket.SOL_SOCKET and kind == TS and len(raw) >= 16:
                    seconds, nanoseconds = struct.unpack("qq", raw[:16]); stamp = seconds + nanoseconds / 1e9
            return data, source, stamp
        listen = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); listen.setsockopt(socket.SOL_SOCKET, TS, 1)
        listen.bind(("127.0.0.1", \(relayPort)))
        upstream = {}; owners = {}; queue = []; order = 0
        poller = select.epoll(); poller.register(listen.fileno(), select.EPOLLIN); sockets = {listen.fileno(): listen}
        def forget(up):
            # One exchange per probe socket: the upstream goes once it has answered (or after 5 s).
            source = owners.pop(up)[0]
            upstream.pop(source, None); poller.unregister(up.fileno()); sockets.pop(up.fileno(), None); up.close()
        end = time.monotonic() + 600
        while time.monotonic() < end:
            timeout = max(0, queue[0][0] - time.monotonic()) if queue else 1.0
            for fd, _ in poller.poll(timeout):
                sock = sockets.get(fd)
                if sock is None:
                    continue
                try:
                    data, source, stamp = receive(sock)
                except OSError:
                    continue
                if sock is listen:
                    if source not in upstream:
                        up = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); up.setsockopt(socket.SOL_SOCKET, TS, 1)
                        up.connect(("198.18.200.2", 51820)); upstream[source] = up; owners[up] = (source, time.monotonic(), stamp)
                        poller.register(up.fileno(), select.EPOLLIN); sockets[up.fileno()] = up
                    order += 1
                    owners[upstream[source]] = (source, owners[upstream[source]][1], stamp)
                    heapq.heappush(queue, (time.monotonic() + (stamp + delay - time.time()), order, upstream[source], data, stamp))
                elif sock in owners:
                    listen.sendto(data, owners[sock][0]); now = time.time()
                    log.write("r %.4f\\nt %.4f\\n" % ((now - stamp) * 1000, (now - owners[sock][2]) * 1000))
                    forget(sock)
            while queue and queue[0][0] <= time.monotonic():
                _, _, up, data, stamp = heapq.heappop(queue)
                if up in owners:
                    up.send(data); log.write("f %.4f\\n" % ((time.time() - stamp) * 1000))
            for up in [up for up, (_, born, _) in owners.items() if time.monotonic() - born > 5]:
                forget(up)
        PY
        """
        // Each server up within 30 s (a loaded CI starts Python and openvpn slowly), or the lab fails
        // saying which one was not: never a probe of a port that is not listening yet.
        let ready = """
        cd '\(d)'
        wait_for() { for i in $(seq 300); do ip netns exec "$1" ss "$2" | grep -q ":$3 " && return 0; sleep 0.1; done; echo "not listening: $3 in $1" >&2; exit 1; }
        for port in 51820 1194 1195 1196 1198; do wait_for \(ps) -lun $port; done
        wait_for \(ps) -ltn 1197
        wait_for \(pc) -lun \(relayPort)
        """
        var failures: [String] = []
        func step(_ name: String, _ text: String) async throws {
            try text.write(to: directory.appendingPathComponent("\(name).sh"), atomically: true, encoding: .utf8)
            let result = try await CLIRunner.run([], shell: "bash '\(d)/\(name).sh'", timeout: 60)
            if result.status != 0 { failures.append("\(name): \(result.stderr)") }
        }
        try await step("network", script)
        let lab0 = HandshakeLab(id: id, directory: directory, keys: [:])
        lab0.spawn(namespace: ps, ["wireguard-go", "-f", wgs], log: "wireguard-go.log")
        try await step("configure", configure)
        try await step("certificates", certificates)
        for port in [1194, 1195, 1196, 1197, 1198] {
            lab0.spawn(namespace: ps, ["openvpn", "--config", "\(d)/openvpn-\(port).conf"], log: "openvpn-\(port).log")
        }
        lab0.spawn(namespace: pc, ["python3", "\(d)/relay.py"], log: "relay.log")
        try await step("ready", ready)
        var keys: [String: String] = [:]
        for name in ["s.pub", "c.key", "c.pub", "c2.key", "c2.pub", "c3.key", "x.key", "psk"] {
            keys[name] = (try? String(contentsOf: directory.appendingPathComponent(name), encoding: .utf8))?.trimmingCharacters(in: .whitespacesAndNewlines)
        }
        let lab = HandshakeLab(id: id, directory: directory, keys: keys)
        lab.processes = lab0.processes
        if !failures.isEmpty {
            lab.stop()
            throw CLIRunner.CLIError("handshake lab setup failed: \(failures)")
        }
        return lab
    }

    /// The servers and the relay, stopped by ``stop()``.
    var processes: [Process] = []

    /// Starts `arguments` in `namespace`, its output to `log` in the lab's directory.
    func spawn(namespace: String, _ arguments: [String], log: String) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: HandshakeLab.which("ip") ?? "/usr/sbin/ip")
        process.arguments = ["netns", "exec", namespace] + arguments
        process.currentDirectoryURL = directory
        _ = FileManager.default.createFile(atPath: directory.appendingPathComponent(log).path, contents: nil)
        let handle = FileHandle(forWritingAtPath: directory.appendingPathComponent(log).path)
        process.standardOutput = handle
        process.standardError = handle
        let input = Pipe()
        try? input.fileHandleForWriting.close()
        process.standardInput = input
        if (try? process.run()) != nil { processes.append(process) }
    }

    /// Runs `probe ARGS` in the probe's namespace.
    func probe(_ arguments: String) async throws -> CLIRunner.Output {
        try await CLIRunner.run([], shell: "ip netns exec \(client) \"$PROBE\" \(arguments)", timeout: 120)
    }

    /// Runs a shell command in the servers' namespace.
    func server(_ command: String) async throws -> CLIRunner.Output {
        try await CLIRunner.run([], shell: "ip netns exec \(serverSide) \(command)", timeout: 30)
    }

    /// A wireguard-go interface in the probe's namespace holding `key` (as a live tunnel would).
    func localInterface(holding key: String) async throws {
        let d = directory.path
        let name = "wgc\(id)"
        spawn(namespace: client, ["wireguard-go", "-f", name], log: "local.log")
        _ = try await CLIRunner.run([], shell: """
            cd '\(d)' && umask 077 && printf '%s' '\(key)' > local.key && \
            for i in $(seq 300); do [ -S /var/run/wireguard/\(name).sock ] && break; sleep 0.1; done && \
            ip netns exec \(client) wg set \(name) private-key local.key
            """, timeout: 30)
    }

    /// Stops every server and removes the namespaces and files.
    func stop() {
        // SIGTERM, then SIGKILL after 3 s; never an unbounded wait.
        for process in processes where process.isRunning { process.terminate() }
        for _ in 0..<30 where processes.contains(where: \.isRunning) { usleep(100_000) }
        for process in processes where process.isRunning { kill(process.processIdentifier, SIGKILL) }
        let d = directory.path
        let script = """
            rm -f /var/run/wireguard/wgs\(id).sock /var/run/wireguard/wgc\(id).sock
            ip netns del pc\(id) 2>/dev/null; ip netns del ps\(id) 2>/dev/null
            rm -rf '\(d)'
            true
            """
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/sh")
        process.arguments = ["-c", script]
        try? process.run()
        process.waitUntilExit()
    }
}
