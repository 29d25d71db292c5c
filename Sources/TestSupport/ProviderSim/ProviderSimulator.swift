import FlyingFox
import FlyingSocks
import Foundation
import ProviderFetch
import Synchronization

/// All four provider APIs over real HTTP on 127.0.0.1, with faults to switch on. Tests start it
/// (and `providersim` runs it inside a simulated network); it never talks to anything but its
/// clients on loopback.
public final class ProviderSimulator: @unchecked Sendable {
    struct Credentials {
        static let xmplusEmail = "me@example.org", xmplusPassword = "xm-Secret-Pa55", xmplusAPIKey = "xm-api-KEY-4242"
        static let vpnscriptUser = "me", vpnscriptPassword = "vs-Secret-Pa55"
        static let netmimicEmail = "me@example.org", netmimicPassword = "nm-Secret-Pa55"
        static let xpayUser = "me@example.org", xpaySecret = "xp-Secret-KEY-77"
        /// Connection material: what must never reach a terminal, a log or an error.
        static let wireguardPrivateKey = "+IFYP0FRJn6bFdeTuwPCtNtpDR3on6+XxhCUlVUPSk0="
        static let wireguardPresharedKey = "7JQ6X6FYO6gVGlGsQzhFZuXfBIUkV1/5lerGZ0Htrww="
        static let openvpnPassword = "ovpn-Secret-HZov"
        static let xmplusUUID = "9d6023b1-0948-4827-b9e9-9849b0fb5062"
        static let xmplusPassword2 = "tro-Secret-PW-31"
        static let netmimicKey = "nm-KEY-Secret-5511"
        /// Every needle of the secrets tests.
        static let connectionSecrets = [wireguardPrivateKey, wireguardPresharedKey, openvpnPassword, xmplusUUID, xmplusPassword2, netmimicKey]
    }

    /// What a compromised panel would add to a wg-quick file: hooks wg-quick runs as root.
    public static let hostileWireGuardLines = """
        PreUp = touch /tmp/probe-pwned-preup
        postup = touch /tmp/probe-pwned-postup
        PREDOWN = touch /tmp/probe-pwned-predown
        PostDown=touch /tmp/probe-pwned-postdown
        SaveConfig = true
        Table = off
        """
    /// What a compromised panel would add to an OpenVPN profile: programs, plugins, files, a directory.
    public static let hostileOpenVPNLines = """
        script-security 2
        up /tmp/probe-pwned-up.sh
        down "/tmp/probe-pwned-down.sh"
        --route-up /tmp/probe-pwned-route-up.sh
        setenv opt tls-verify /tmp/probe-pwned-tls-verify.sh
        plugin /tmp/probe-pwned.so
        log /tmp/probe-pwned.log
        log-append /tmp/probe-pwned.log
        status /tmp/probe-pwned.status
        writepid /tmp/probe-pwned.pid
        cd /tmp
        config /etc/passwd
        ipchange /tmp/probe-pwned-ipchange.sh
        client-connect /tmp/probe-pwned-cc.sh
        learn-address /tmp/probe-pwned-la.sh
        auth-user-pass-verify /tmp/probe-pwned-aupv.sh via-env
        u\\p /tmp/probe-pwned-escaped.sh
        "up" /tmp/probe-pwned-quoted.sh
        management 127.0.0.1 7505
        ca /etc/ssl/certs/ca-certificates.crt
        """
    /// Hostile material on (the hand-over's files carry a compromised panel's commands).
    public var hostileMaterial = false

    /// A wg-quick configuration whose peer listens at `endpoint`.
    static func wireguardConfig(endpoint: String, hostile: Bool = false) -> String {
        """
        [Interface]
        PrivateKey = \(Credentials.wireguardPrivateKey)\(hostile ? "\n" + hostileWireGuardLines : "")
        Address = 198.18.66.2/32
        DNS = 198.18.0.53

        [Peer]
        PublicKey = OZ6GtNEINRnolfSMUZW5nHyi+QTc7L5WzwsllqN0wnM=
        PresharedKey = \(Credentials.wireguardPresharedKey)
        AllowedIPs = 0.0.0.0/0, ::/0
        Endpoint = \(endpoint)
        PersistentKeepalive = 25
        """
    }

    /// The documented OpenVPN profile, its `remote` at `remote`.
    static func openvpnProfile(remote: String, hostile: Bool = false) -> String {
        (hostile ? hostileOpenVPNLines + "\n" : "") + "client\ndev tun\nproto udp\nremote \(remote) 1194\nresolv-retry infinite\nnobind\npersist-tun\nauth-user-pass\nreneg-sec 0\nblock-outside-dns\ncipher AES-128-GCM\ntls-version-min 1.2\ntls-cipher TLS-ECDHE-ECDSA-WITH-AES-128-GCM-SHA256\nmute-replay-warnings\nverb 0\nclient-cert-not-required\nignore-unknown-option block-outside-dns\nsetenv opt block-outside-dns # Prevent Windows 10 DNS leak\n<ca>\n-----BEGIN CERTIFICATE-----\r\nMIIB2DCCAX2gAwIBAgIUOgwSKMY1IqPDbjvrVJ5S5/m5IrQwCgYIKoZIzj0EAwIw\r\nHjEcMBoGA1UEAwwTY25fenBnenhZa1J4b2dRNHJ0eTAeFw0yMTEyMjExNTU2MzVa\r\nFw0zMTEyMTkxNTU2MzVaMB4xHDAaBgNVBAMME2NuX3pwZ3p4WWtSeG9nUTRydHkw\r\nWTATBgcqhkjOPQIBBggqhkjOPQMBBwNCAAQ/BGhelZoeNxRn/ppaxxM0b3jZqbHv\r\ny0u8dXIhMWpfw+bM9zEFYxixP24Lqpt7RTiW0ML9pcBSQ/xKQGNQB3nao4GYMIGV\r\nMB0GA1UdDgQWBBSHNinCzJ65lMK0oKaanWtnfbYGvjBZBgNVHSMEUjBQgBSHNinC\r\nzJ65lMK0oKaanWtnfbYGvqEipCAwHjEcMBoGA1UEAwwTY25fenBnenhZa1J4b2dR\r\nNHJ0eYIUOgwSKMY1IqPDbjvrVJ5S5/m5IrQwDAYDVR0TBAUwAwEB/zALBgNVHQ8E\r\nBAMCAQYwCgYIKoZIzj0EAwIDSQAwRgIhAMMyz27x4tc1mWkkMqaPa7WCYJ2hAVCl\r\nsXnxlX+efW1dAiEA24iaSKjJKNsXyyzslTDegu9ktHg2AiHOVdrCIoD1Nk4=\r\n-----END CERTIFICATE-----\r\n\n</ca>\n"
    }

    private let server: HTTPServer
    private let lock = NSLock()
    private var counters: [String: Int] = [:]
    private var task: Task<Void, any Error>?
    /// Serve "token expired" to the next authenticated request of each provider.
    var expireTokens = false
    /// VPNScript logins answer 400 suspended.
    var suspendVPNScript = false
    /// XMPlus stats: traffic left and expiry.
    var xmplusRemaining = "99 G"
    var xmplusExpiry = "2220-04-15 08:18:51"
    /// Servers per VPNScript page (0: no pagination).
    public var vpnscriptPageSize = 2
    var port: UInt16 = 0
    /// Where the cross-origin faults point (a second listener that records what reaches it).
    var crossOrigin = "http://127.0.0.1:9"
    /// VPNScript's server list answers 301 to ``crossOrigin``.
    var redirectVPNScriptServers = false
    /// VPNScript's paginator hands back a next page on ``crossOrigin``.
    var crossOriginNextPage = false
    /// Errors echo what they were sent: VPNScript's login its request body, its server list the token.
    var echoSecrets = false
    /// VPNScript's connection endpoints answer 422 with this documented message ("Your service is expired.").
    var vpnscriptServiceProblem: String?
    /// Polls a new WireGuard configuration stays pending (status 0) before it is active.
    public var wireguardPendingPolls = 2
    /// A new WireGuard configuration fails with this reason.
    var wireguardFailReason: String?
    /// VPNScript servers that already have an active WireGuard configuration (server id -> config id).
    var activeWireGuard: [Int: Int] = [:]
    /// WireGuard configurations created (config id -> server id), and those deleted.
    private(set) var wireguardCreated: [Int: Int] = [:]
    private(set) var wireguardDeleted: [Int] = []
    private var wireguardPolls: [Int: Int] = [:]
    private var nextConfigID = 40
    /// XMPlus lists one server of each type (vmess, vless, trojan, shadowsocks) with every connection field.
    public var xmplusAllTypes = false
    /// NetMimic's login returns its device id as a JSON number (12345), which must come back as one.
    var netmimicNumericDevice = false
    /// The body of the last generic connect request.
    private(set) var lastConnectBody: String?
    /// The device ids NetMimic's `/api/key` received.
    private(set) var keyDeviceIDs: [ProviderFetch.JSONValue] = []
    /// Where VPNScript's OpenVPN `remote` and WireGuard `Endpoint` point (per server id).
    var vpnscriptServiceHost: (Int) -> String = { "127.0.1.\($0)" }

    public init(port: UInt16 = 0) throws {
        server = HTTPServer(address: try .inet(ip4: "127.0.0.1", port: port), timeout: 30)
    }

    /// How many times `name` was called.
    func count(_ name: String) -> Int { lock.withLock { counters[name, default: 0] } }
    private func hit(_ name: String) -> Int { lock.withLock { counters[name, default: 0] += 1; return counters[name, default: 0] } }
    private func takeExpiry() -> Bool { lock.withLock { let value = expireTokens; expireTokens = false; return value } }

    public var url: String { "http://127.0.0.1:\(port)" }

    public func start() async throws {
        await routes()
        task = Task { try await server.run() }
        try await server.waitUntilListening(timeout: 120)  // generous: under a full parallel suite on 2 cores the listener can take seconds
        guard case .ip4(_, let port)? = await server.listeningAddress else { throw CancellationError() }
        self.port = port
    }

    public func stop() async {
        await server.stop(timeout: 1)
        task?.cancel()
    }

    /// Server addresses as the answers name them (`127.0.1.4`) to the addresses they stand for
    /// (a host of the simulated network, `198.18.20.4`): every answer is rewritten with it.
    public static let addressMap = Mutex<[String: String]>([:])

    static func json(_ text: String, status: HTTPStatusCode = .ok, headers: HTTPHeaders = [:]) -> HTTPResponse {
        var headers = headers
        headers[.contentType] = "application/json"
        return HTTPResponse(statusCode: status, headers: headers, body: Data(remapped(text).utf8))
    }

    /// A response with one header.
    static func response(_ status: HTTPStatusCode, _ name: HTTPHeader, _ value: String, body: Data = Data()) -> HTTPResponse {
        var headers = HTTPHeaders()
        headers[name] = value
        return HTTPResponse(statusCode: status, headers: headers, body: body)
    }

    /// `text` with every mapped loopback address (a whole dotted quad) replaced.
    static func remapped(_ text: String) -> String {
        let map = addressMap.withLock { $0 }
        guard !map.isEmpty else { return text }
        var result = ""
        var rest = Substring(text)
        while let range = rest.range(of: #"(?<![0-9.])127\.0\.[0-9]+\.[0-9]+(?![0-9])"#, options: .regularExpression) {
            result += rest[..<range.lowerBound]
            let address = String(rest[range])
            result += map[address] ?? address
            rest = rest[range.upperBound...]
        }
        return result + rest
    }

    /// Server lists served instead of the built-in ones, by route: `xmplus.servers`,
    /// `vpnscript.servers`, `netmimic.servers`, `xpay.servers` (the JSON answer as text).
    public var answers: [String: String] = [:]

    /// Where each DELETE of a WireGuard configuration is recorded, one line each (`providersim --record`).
    public var recordFile: String?

    static func body(_ request: HTTPRequest) async throws -> ProviderFetch.JSONValue { try ProviderFetch.JSONValue.parse(try await request.bodyData) }

    /// A JWT whose payload says `exp`.
    static func jwt(exp: Double) -> String {
        let payload = Data(#"{"email":"me@example.org","exp":\#(Int(exp))}"#.utf8).base64EncodedString()
            .replacingOccurrences(of: "=", with: "").replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
        return "eyJ0eXAiOiJKV1QiLCJhbGciOiJIUzI1NiJ9.\(payload).c2lnbmF0dXJl"
    }

    private func routes() async {
        // XMPlus client API v2.
        await server.appendRoute("POST /api/v2/client/token") { request in
            _ = self.hit("xmplus.token")
            let body = try await Self.body(request)
            guard request.headers[HTTPHeader("XMPus-API-Token")] == MD5.hex(Credentials.xmplusAPIKey),
                  body["email"]?.string == Credentials.xmplusEmail, body["passwd"]?.string == Credentials.xmplusPassword
            else { return Self.json(#"{"ret":0,"msg":"Email or password wrong"}"#) }
            return Self.json(#"{"ret":1,"status":"success","data":{"token":"\#(Self.jwt(exp: Date().timeIntervalSince1970 + 3_600))"}}"#)
        }
        await server.appendRoute("POST /api/v2/client/servers") { request in
            _ = self.hit("xmplus.servers")
            if self.takeExpiry() { return Self.json(#"{"ret":0,"msg":"token expired"}"#) }
            guard (try await Self.body(request))["token"]?.string?.hasPrefix("eyJ") == true else { return Self.json(#"{"ret":0,"msg":"token invalid"}"#) }
            if let answer = self.answers["xmplus.servers"] { return Self.json(answer) }
            if self.xmplusAllTypes {
                let uuid = Credentials.xmplusUUID, password = Credentials.xmplusPassword2
                return Self.json(#"""
                    {"ret":1,"status":"success","servers":[
                     {"type":"vmess","remark":"🇬🇧 UK | vmess","address":"127.0.0.1","port":443,"network":"ws","password":"\#(uuid)","alterid":0,"encryption":"auto","sni":"uk.example","security":"tls","allowinsecure":true,"header":"none","fingerprint":"chrome","path":"/ray","host":"uk.example","uri":""},
                     {"type":"vless","remark":"🇩🇪 DE | vless","address":"127.0.0.2","port":8443,"network":"ws","password":"\#(uuid)","encryption":"none","sni":"de.example","security":"tls","allowinsecure":false,"fingerprint":"firefox","path":"/vl","uri":""},
                     {"type":"trojan","remark":"🇫🇷 FR | trojan","address":"127.0.0.3","port":443,"network":"tcp","password":"\#(password)","sni":"fr.example","security":"tls","allowinsecure":true,"fingerprint":"chrome","uri":""},
                     {"type":"shadowsocks","remark":"🇳🇱 NL | ss","address":"127.0.0.4","port":8388,"network":"tcp","password":"\#(password)","encryption":"aes-256-gcm","uri":""},
                     {"type":"hysteria9","remark":"🇯🇵 JP | future","address":"127.0.0.5","port":443,"password":"\#(password)","uri":"hysteria9://\#(password)@127.0.0.5:443"}]}
                    """#)
            }
            return Self.json(#"""
                {"ret":1,"status":"success","servers":[
                 {"type":"vmess","remark":"🇬🇧 UK | X1.5 | AMZ","address":"127.0.0.1","port":"8000-8999","network":"ws","uri":""},
                 {"type":"trojan","remark":"🇩🇪 DE","address":"","port":443,"uri":"vmess://eyJhZGQiOiIxMjcuMC4wLjIiLCJwb3J0IjoiNDQzIiwicHMiOiJERSJ9"}]}
                """#)
        }
        await server.appendRoute("POST /api/v2/client/stats") { _ in
            Self.json(#"{"ret":1,"info":{"onlineip":"0/2","expire_at":"\#(self.xmplusExpiry)"},"data":{"used":"1 G","remaining":"\#(self.xmplusRemaining)","total":"100 G"}}"#)
        }
        // VPNScript.
        await server.appendRoute("POST /api/auth/token") { request in
            _ = self.hit("vpnscript.login")
            if self.suspendVPNScript {
                return Self.json(#"{"status":false,"error":"Your account has been suspended.","suspend_reason":"unpaid"}"#, status: .badRequest)
            }
            if self.echoSecrets {
                let sent = String(decoding: try await request.bodyData, as: UTF8.self)
                return Self.json(#"{"success":false,"message":"The given data was invalid: \#(sent.replacingOccurrences(of: "\"", with: "\\\""))"}"#,
                                 status: .unprocessableContent)
            }
            let body = try await Self.body(request)
            guard body["username"]?.string == Credentials.vpnscriptUser, body["password"]?.string == Credentials.vpnscriptPassword else {
                return Self.json(#"{"success":false,"message":"The provided credentials are incorrect."}"#, status: .unprocessableContent)
            }
            return Self.json(#"{"success":true,"message":null,"token":"12|vsTOKEN\#(self.count("vpnscript.login"))"}"#)
        }
        await server.appendRoute("GET /api/servers") { request in
            _ = self.hit("vpnscript.servers")
            if self.redirectVPNScriptServers {
                return Self.response(.movedPermanently, .location, "\(self.crossOrigin)/api/servers")
            }
            if self.echoSecrets {
                let token = request.headers[.authorization] ?? ""
                return Self.json(#"{"success":false,"message":"token \#(token) is not valid here"}"#, status: .forbidden)
            }
            if self.takeExpiry() || request.headers[.authorization]?.hasPrefix("Bearer 12|") != true {
                return Self.json(#"{"success":false,"message":"Unauthenticated."}"#, status: .unauthorized)
            }
            if let answer = self.answers["vpnscript.servers"] { return Self.json(answer) }
            let all = (1...5).map { id in
                #"{"id":\#(id),"name":"VS \#(id)","country":"Germany","country_iso_code":"de","city":"","state":"Frankfurt","host":"","ipaddr":"127.0.1.\#(id)","protocol":"\#(id % 2 == 0 ? "wireguard" : "openvpn")","config_id":null,"wg_available_slots":\#(id == 2 ? 0 : 10),"wg_slots":10}"#
            }
            let size = self.vpnscriptPageSize
            guard size > 0 else { return Self.json(#"{"data":[\#(all.joined(separator: ","))]}"#) }
            let page = Int(request.query["page"] ?? "1") ?? 1
            let slice = all.dropFirst((page - 1) * size).prefix(size)
            let last = (all.count + size - 1) / size
            let nextOrigin = self.crossOriginNextPage ? self.crossOrigin : self.url
            let next = page < last ? #""\#(nextOrigin)/api/servers?page=\#(page + 1)""# : "null"
            return Self.json(#"{"current_page":\#(page),"data":[\#(slice.joined(separator: ","))],"last_page":\#(last),"next_page_url":\#(next),"per_page":"\#(size)","total":\#(all.count)}"#)
        }
        // VPNScript's hand-over: OpenVPN profile and credentials, WireGuard configurations.
        @Sendable func vsAuthorized(_ request: HTTPRequest) -> HTTPResponse? {
            request.headers[.authorization]?.hasPrefix("Bearer 12|") == true ? nil
                : Self.json(#"{"success":false,"message":"Unauthenticated."}"#, status: .unauthorized)
        }
        @Sendable func vsServer(_ request: HTTPRequest, protocol wanted: String) async throws -> (Int, HTTPResponse?) {
            if let problem = self.vpnscriptServiceProblem {
                return (0, Self.json(#"{"success":false,"message":"\#(problem)"}"#, status: .unprocessableContent))
            }
            var id = Int(request.query["server_id"] ?? "") ?? 0
            if id == 0, let body = try? await Self.body(request) { id = body["server_id"]?.int ?? 0 }
            guard (1...5).contains(id) else { return (id, Self.json(#"{"success":false,"message":"The server is not found or enabled."}"#, status: .notFound)) }
            let speaks = id % 2 == 0 ? "wireguard" : "openvpn"
            guard speaks == wanted else {
                let name = wanted == "openvpn" ? "OpenVPN" : "WireGuard"
                return (id, Self.json(#"{"success":false,"message":"The server is not using \#(name) protocol."}"#, status: .unprocessableContent))
            }
            return (id, nil)
        }
        await server.appendRoute("GET /api/openvpn/profile") { request in
            _ = self.hit("vpnscript.openvpn.profile")
            if let refused = vsAuthorized(request) { return refused }
            let (id, refused) = try await vsServer(request, protocol: "openvpn")
            if let refused { return refused }
            let profile = Self.openvpnProfile(remote: self.vpnscriptServiceHost(id), hostile: self.hostileMaterial)
            return Self.json(String(decoding: try JSONSerialization.data(withJSONObject: ["success": true, "data": profile] as [String: Any]), as: UTF8.self))
        }
        await server.appendRoute("GET /api/openvpn/auth") { request in
            _ = self.hit("vpnscript.openvpn.auth")
            if let refused = vsAuthorized(request) { return refused }
            let (_, refused) = try await vsServer(request, protocol: "openvpn")
            if let refused { return refused }
            return Self.json(#"{"success":true,"message":null,"data":{"id":1,"user_id":1,"service_id":1,"username":"vpnuser","password":"\#(Credentials.openvpnPassword)","devices":10,"enabled":1}}"#)
        }
        await server.appendRoute("GET /api/wireguard/configs") { request in
            _ = self.hit("vpnscript.wireguard.configs")
            if let refused = vsAuthorized(request) { return refused }
            let (id, refused) = try await vsServer(request, protocol: "wireguard")
            if let refused { return refused }
            var items: [String] = []
            if let active = self.activeWireGuard[id] {
                let config = Self.wireguardConfig(endpoint: "\(self.vpnscriptServiceHost(id)):51820", hostile: self.hostileMaterial)
                items.append(#"{"id":\#(active),"config":\#(ProviderFetch.JSONValue.string(config).text(pretty: false)),"status":1,"fail_reason":null}"#)
            }
            let mine = self.lock.withLock { self.wireguardCreated.filter { $0.value == id && !self.wireguardDeleted.contains($0.key) }.keys.sorted() }
            for configID in mine {
                let polls = self.lock.withLock { () -> Int in self.wireguardPolls[configID, default: 0] += 1; return self.wireguardPolls[configID, default: 0] }
                if let reason = self.wireguardFailReason {
                    items.append(#"{"id":\#(configID),"config":null,"status":0,"fail_reason":"\#(reason)"}"#)
                } else if polls <= self.wireguardPendingPolls {
                    items.append(#"{"id":\#(configID),"config":null,"status":0,"fail_reason":null}"#)
                } else {
                    let config = Self.wireguardConfig(endpoint: "\(self.vpnscriptServiceHost(id)):51820", hostile: self.hostileMaterial)
                    items.append(#"{"id":\#(configID),"config":\#(ProviderFetch.JSONValue.string(config).text(pretty: false)),"status":1,"fail_reason":null}"#)
                }
            }
            if items.isEmpty { return Self.json(#"{"success":false,"message":"No configuration found for this server."}"#, status: .notFound) }
            return Self.json(#"{"status":true,"message":null,"data":[\#(items.joined(separator: ","))]}"#)
        }
        await server.appendRoute("POST /api/wireguard/create") { request in
            _ = self.hit("vpnscript.wireguard.create")
            if let refused = vsAuthorized(request) { return refused }
            let (id, refused) = try await vsServer(request, protocol: "wireguard")
            if let refused { return refused }
            if id == 2 {  // wg_available_slots 0 in the list
                return Self.json(#"{"success":false,"message":"The server has reached the maximum allowed user limit. Please try again later or choose a different server."}"#, status: .unprocessableContent)
            }
            self.lock.withLock {
                self.nextConfigID += 1
                self.wireguardCreated[self.nextConfigID] = id
            }
            return Self.json(#"{"status":true,"message":"WireGuard configuration create job dispatched. It will be completed shortly."}"#)
        }
        await server.appendRoute("DELETE /api/wireguard/delete") { request in
            _ = self.hit("vpnscript.wireguard.delete")
            if let refused = vsAuthorized(request) { return refused }
            let configID = (try? await Self.body(request))?["config_id"]?.int ?? -1
            let known = self.lock.withLock { () -> Bool in
                guard self.wireguardCreated[configID] != nil, !self.wireguardDeleted.contains(configID) else { return false }
                self.wireguardDeleted.append(configID)
                return true
            }
            guard known else { return Self.json(#"{"success":false,"message":"The WireGuard configuration is not found."}"#, status: .notFound) }
            if let record = self.recordFile, let handle = FileHandle(forWritingAtPath: record) ?? {
                _ = FileManager.default.createFile(atPath: record, contents: nil)
                return FileHandle(forWritingAtPath: record)
            }() {
                handle.seekToEndOfFile()
                handle.write(Data("wireguard-delete \(configID)\n".utf8))
                try? handle.close()
            }
            return Self.json(#"{"success":true,"message":"WireGuard configuration delete job dispatched. It will be completed shortly."}"#)
        }
        await server.appendRoute("GET /api/account") { _ in
            Self.json(#"{"success":true,"data":{"status":2,"suspend_reason":null,"service":[{"id":1,"status":"Active","next_payment":"2030-01-01"}]}}"#)
        }
        // NetMimic.
        await server.appendRoute("POST /api/login") { request in
            _ = self.hit("netmimic.login")
            let body = try await Self.body(request)
            guard body["email"]?.string == Credentials.netmimicEmail, body["password"]?.string == Credentials.netmimicPassword else {
                return Self.json(#"{"error":"Неверный логин или пароль"}"#, status: .unauthorized)
            }
            if self.netmimicNumericDevice { return Self.json(#"{"token":"nmTOKEN","device_id":12345}"#) }
            return Self.json(#"{"token":"nmTOKEN","device_id":"server-assigned-7"}"#)
        }
        await server.appendRoute("POST /api/servers") { request in
            _ = self.hit("netmimic.servers")
            let device = (try await Self.body(request))["device_id"]
            guard request.headers[.authorization] == "Bearer nmTOKEN",
                  device == (self.netmimicNumericDevice ? .number(12345) : .string("server-assigned-7"))
            else { return Self.json(#"{"error":"Unauthenticated"}"#, status: .unauthorized) }
            if let answer = self.answers["netmimic.servers"] { return Self.json(answer) }
            return Self.json(#"{"data":[{"id":"a","name":"Amsterdam","country":"NL","city":"Amsterdam","api_url":"http://127.0.2.1:8443/ping","active_connections":"12"},{"id":"b","ipaddr":"127.0.2.2","port":"443","connections":3}]}"#)
        }
        await server.appendRoute("POST /api/key") { request in
            _ = self.hit("netmimic.key")
            guard request.headers[.authorization] == "Bearer nmTOKEN" else { return Self.json(#"{"message":"Unauthenticated."}"#, status: .unauthorized) }
            let body = try await Self.body(request)
            self.lock.withLock { self.keyDeviceIDs.append(body["device_id"] ?? .null) }
            switch body["server_id"] {
            case .string("a")?: return Self.json(#"{"key":"vless://\#(Credentials.netmimicKey)@127.0.2.1:8443?security=tls&type=tcp#Amsterdam"}"#)
            case .string("b")?: return Self.json(#"{"data":{"access_key":"\#(Credentials.netmimicKey)","server":"127.0.2.2","port":443}}"#)
            default: return Self.json(#"{"message":"Сервер не найден"}"#, status: .notFound)
            }
        }
        await server.appendRoute("GET /api/subscription") { _ in Self.json(#"{"data":{"status":"active","expires_at":"2031-01-01"}}"#) }
        await server.appendRoute("POST /api/logout") { _ in
            _ = self.hit("netmimic.logout")
            return Self.json(#"{"message":"ok"}"#)
        }
        // xpay.stream authentication, and a JSON provider behind it.
        await server.appendRoute("POST /client/authenticate") { request in
            _ = self.hit("xpay.auth")
            let body = try await Self.body(request)
            guard body["username"]?.string == Credentials.xpayUser, body["secretKey"]?.string == Credentials.xpaySecret else {
                return Self.json(#"{"error":{"message":"invalid credentials","data":{"invalid":true},"tag":"6181"},"uuid":"973e"}"#)
            }
            let expires = Int((Date().timeIntervalSince1970 + 3_600) * 1_000)
            return Self.json(#"{"success":{"message":"Authenticated","data":{"success":true,"expiresAt":\#(expires),"ticket":"t","access_token":"xpTOKEN"},"uuid":"u"}}"#)
        }
        await server.appendRoute("POST /client/servers") { request in
            if self.takeExpiry() { return Self.json(#"{"error":{"message":"token expired"}}"#, status: .unauthorized) }
            guard request.headers[.authorization] == "Bearer xpTOKEN" else { return Self.json(#"{"error":{"message":"no"}}"#, status: .unauthorized) }
            if let answer = self.answers["xpay.servers"] { return Self.json(answer) }
            return Self.json(#"{"success":{"data":{"items":[{"host":"127.0.3.1","port":"443","label":"XP one","region":"FR","load":"0.3"}]}}}"#)
        }
        await server.appendRoute("POST /client/connect/*") { request in
            guard request.headers[.authorization] == "Bearer xpTOKEN" else { return Self.json(#"{"error":{"message":"no"}}"#, status: .unauthorized) }
            let body = (try? await Self.body(request)) ?? .null
            self.lock.withLock { self.lastConnectBody = body.text(pretty: false) }
            let host = request.path.split(separator: "/").last.map(String.init) ?? ""
            let config = Self.wireguardConfig(endpoint: "\(host):51820", hostile: self.hostileMaterial)
            return Self.json(#"{"success":{"data":{"config":\#(ProviderFetch.JSONValue.string(config).text(pretty: false))}}}"#)
        }
        // Faults.
        await server.appendRoute("GET /fault/500") { _ in
            _ = self.hit("fault.500")
            return Self.json(#"{"message":"boom"}"#, status: .internalServerError)
        }
        await server.appendRoute("GET /fault/slow") { _ in
            // Far beyond every timeout and deadline a test sets (1 s): a loaded machine cannot blur them.
            try await Task.sleep(for: .seconds(60))
            return Self.json("[]")
        }
        await server.appendRoute("GET /fault/malformed") { _ in Self.json(#"{"items": [{"host": "127.0.0.1",}"#) }
        await server.appendRoute("GET /fault/html") { _ in
            Self.response(.ok, .contentType, "text/html", body: Data("<!DOCTYPE html><title>Just a moment...</title>".utf8))
        }
        await server.appendRoute("GET /fault/huge") { _ in
            Self.response(.ok, .contentType, "application/json", body: Data(repeating: 0x20, count: (32 << 20) + 1024))
        }
        await server.appendRoute("/fault/redirect-cross-origin") { _ in
            Self.response(.found, .location, "\(self.crossOrigin)/api/servers")
        }
        await server.appendRoute("/fault/redirect-same-origin") { _ in
            _ = self.hit("fault.redirect-same-origin")
            return Self.response(.temporaryRedirect, .location, "/fault/list")
        }
        await server.appendRoute("/fault/redirect-loop") { _ in
            Self.response(.found, .location, "/fault/redirect-loop")
        }
        await server.appendRoute("/fault/list") { request in
            _ = self.hit("fault.list")
            // What reached the end of a same-origin redirect: the bearer token went along.
            guard request.headers[.authorization] == "Bearer static-TOKEN-0011" else { return Self.json(#"{"message":"no token"}"#, status: .unauthorized) }
            return Self.json(#"[{"host":"127.0.4.2","port":443}]"#)
        }
        await server.appendRoute("GET /fault/429") { _ in
            if self.hit("fault.429") == 1 { return Self.json(#"{"message":"slow down"}"#, status: .tooManyRequests, headers: [HTTPHeader("Retry-After"): "1"]) }
            return Self.json(#"[{"host":"127.0.4.1","port":443}]"#)
        }
    }
}
