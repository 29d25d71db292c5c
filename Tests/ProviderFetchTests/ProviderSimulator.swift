import FlyingFox
import FlyingSocks
import Foundation
@testable import ProviderFetch

/// All four provider APIs over real HTTP on 127.0.0.1, with faults to switch on. Tests start it;
/// it never talks to anything but its clients on loopback.
final class ProviderSimulator: @unchecked Sendable {
    struct Credentials {
        static let xmplusEmail = "me@example.org", xmplusPassword = "xm-Secret-Pa55", xmplusAPIKey = "xm-api-KEY-4242"
        static let vpnscriptUser = "me", vpnscriptPassword = "vs-Secret-Pa55"
        static let netmimicEmail = "me@example.org", netmimicPassword = "nm-Secret-Pa55"
        static let xpayUser = "me@example.org", xpaySecret = "xp-Secret-KEY-77"
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
    var vpnscriptPageSize = 2
    var port: UInt16 = 0
    /// Where the cross-origin faults point (a second listener that records what reaches it).
    var crossOrigin = "http://127.0.0.1:9"
    /// VPNScript's server list answers 301 to ``crossOrigin``.
    var redirectVPNScriptServers = false
    /// VPNScript's paginator hands back a next page on ``crossOrigin``.
    var crossOriginNextPage = false
    /// Errors echo what they were sent: VPNScript's login its request body, its server list the token.
    var echoSecrets = false

    init() throws {
        server = HTTPServer(address: try .inet(ip4: "127.0.0.1", port: 0), timeout: 30)
    }

    /// How many times `name` was called.
    func count(_ name: String) -> Int { lock.withLock { counters[name, default: 0] } }
    private func hit(_ name: String) -> Int { lock.withLock { counters[name, default: 0] += 1; return counters[name, default: 0] } }
    private func takeExpiry() -> Bool { lock.withLock { let value = expireTokens; expireTokens = false; return value } }

    var url: String { "http://127.0.0.1:\(port)" }

    func start() async throws {
        await routes()
        task = Task { try await server.run() }
        try await server.waitUntilListening(timeout: 10)
        guard case .ip4(_, let port)? = await server.listeningAddress else { throw CancellationError() }
        self.port = port
    }

    func stop() async {
        await server.stop(timeout: 1)
        task?.cancel()
    }

    static func json(_ text: String, status: HTTPStatusCode = .ok, headers: HTTPHeaders = [:]) -> HTTPResponse {
        var headers = headers
        headers[.contentType] = "application/json"
        return HTTPResponse(statusCode: status, headers: headers, body: Data(text.utf8))
    }

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
                return HTTPResponse(statusCode: .movedPermanently, headers: [.location: "\(self.crossOrigin)/api/servers"])
            }
            if self.echoSecrets {
                let token = request.headers[.authorization] ?? ""
                return Self.json(#"{"success":false,"message":"token \#(token) is not valid here"}"#, status: .forbidden)
            }
            if self.takeExpiry() || request.headers[.authorization]?.hasPrefix("Bearer 12|") != true {
                return Self.json(#"{"success":false,"message":"Unauthenticated."}"#, status: .unauthorized)
            }
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
            return Self.json(#"{"token":"nmTOKEN","device_id":"server-assigned-7"}"#)
        }
        await server.appendRoute("POST /api/servers") { request in
            _ = self.hit("netmimic.servers")
            guard request.headers[.authorization] == "Bearer nmTOKEN",
                  (try await Self.body(request))["device_id"]?.string == "server-assigned-7"
            else { return Self.json(#"{"error":"Unauthenticated"}"#, status: .unauthorized) }
            return Self.json(#"{"data":[{"id":"a","name":"Amsterdam","country":"NL","city":"Amsterdam","api_url":"http://127.0.2.1:8443/ping","active_connections":"12"},{"id":"b","ipaddr":"127.0.2.2","port":"443","connections":3}]}"#)
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
            return Self.json(#"{"success":{"data":{"items":[{"host":"127.0.3.1","port":"443","label":"XP one","region":"FR","load":"0.3"}]}}}"#)
        }
        // Faults.
        await server.appendRoute("GET /fault/500") { _ in
            _ = self.hit("fault.500")
            return Self.json(#"{"message":"boom"}"#, status: .internalServerError)
        }
        await server.appendRoute("GET /fault/slow") { _ in
            try await Task.sleep(for: .seconds(5))
            return Self.json("[]")
        }
        await server.appendRoute("GET /fault/malformed") { _ in Self.json(#"{"items": [{"host": "127.0.0.1",}"#) }
        await server.appendRoute("GET /fault/html") { _ in
            HTTPResponse(statusCode: .ok, headers: [.contentType: "text/html"], body: Data("<!DOCTYPE html><title>Just a moment...</title>".utf8))
        }
        await server.appendRoute("GET /fault/huge") { _ in
            HTTPResponse(statusCode: .ok, headers: [.contentType: "application/json"], body: Data(repeating: 0x20, count: (32 << 20) + 1024))
        }
        await server.appendRoute("/fault/redirect-cross-origin") { _ in
            HTTPResponse(statusCode: .found, headers: [.location: "\(self.crossOrigin)/api/servers"])
        }
        await server.appendRoute("/fault/redirect-same-origin") { _ in
            _ = self.hit("fault.redirect-same-origin")
            return HTTPResponse(statusCode: .temporaryRedirect, headers: [.location: "/fault/list"])
        }
        await server.appendRoute("/fault/redirect-loop") { _ in
            HTTPResponse(statusCode: .found, headers: [.location: "/fault/redirect-loop"])
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
