import Foundation
@testable import ProbeKit
@testable import Prober
@testable import ProviderFetch
@testable import ProbeServe

/// The parsers are `package` API of probe: `@testable import` reaches them from this debug build.
/// The harness `PROBE_FUZZ` names:
/// - `json`: the JSON parser, then every provider decoder on the same document;
/// - `icmp`: the ICMP codec (echo replies and errors, v4 and v6, with and without the IP header,
///   and the error-queue parser);
/// - `targets`: the targets-file parser (bytes as read from a file, lines and all);
/// - `duration`: the duration parser of `--every` and config files;
/// - `dns`: the DNS codec (answers and queries as the network hands them over) and the lookup
///   state machine fed the bytes as an answer to its own outstanding queries;
/// - `webconfig`: `probe serve`'s web-config reader (its YAML subset and JSON) and the
///   configuration file's label rules;
/// - `material`: the hand-over's gate (wg-quick and OpenVPN sanitizers, share URIs and keys), with
///   its promise checked: nothing it lets through runs a program;
/// - `bundle`: what users hold (`--from`): kind detection, wg-quick, OpenVPN, share links and
///   subscriptions, Clash YAML, sing-box JSON, zip (through zlib), and the chosen-remote profile.
let harness = ProcessInfo.processInfo.environment["PROBE_FUZZ"] ?? "json"

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOne(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = UnsafeBufferPointer(start: data, count: size)
    switch harness {
    case "icmp": parseICMP(Array(bytes))
    case "targets": _ = TargetList.parse(bytes: bytes, source: "fuzz")
    case "duration": _ = DurationText.parse(String(decoding: bytes, as: UTF8.self))
    case "dns": parseDNS(Array(bytes))
    case "webconfig":
        _ = try? WebConfiguration.parse(String(decoding: bytes, as: UTF8.self), source: "fuzz", directory: "/nonexistent")
        _ = try? ProviderConfiguration.parse(Data(bytes))
    case "material": sanitizeMaterial(String(decoding: bytes, as: UTF8.self))
    case "bundle": readBundle(Array(bytes))
    default: decodeEverything(Data(bytes))
    }
    return 0
}

func parseICMP(_ bytes: [UInt8]) {
    for v6 in [false, true] {
        for header in [false, true] {
            _ = ICMPCodec.parse(bytes[...], v6: v6, includesIPHeader: header)
            _ = ICMPCodec.parse(bytes[...], v6: v6, includesIPHeader: header, verifyChecksum: false)
        }
        let error = ICMPCodec.ICMPError(v6: v6, type: bytes.first ?? 3, code: bytes.dropFirst().first ?? 1)
        _ = ICMPCodec.parseQueuedError(bytes[...], error: error)
        _ = error.name
    }
    // A slice that does not start at index 0, as the receive buffer hands them out.
    if bytes.count > 3 { _ = ICMPCodec.parse(bytes[3...], v6: false, includesIPHeader: true, verifyChecksum: false) }
}

func parseDNS(_ bytes: [UInt8]) {
    _ = DNSMessage.parseAnswer(bytes)
    _ = DNSMessage.parseQuery(bytes)
    _ = ResolverConfiguration.parse(resolvConf: String(decoding: bytes, as: UTF8.self), hosts: String(decoding: bytes, as: UTF8.self))
    // The bytes as an answer from server 0 to a lookup in flight, with the first two bytes set to
    // one of its query ids (so the parser goes past the id check).
    var configuration = ResolverConfiguration(servers: [SocketAddress(numericHost: "127.0.0.1", port: 53)].compactMap { $0 })
    configuration.search = ["fuzz.test"]
    var lookups = NameLookups(configuration: configuration, timeoutMilliseconds: 1_000, seed: 1)
    let (_, actions) = lookups.start(NameLookups.Request(name: "vpn.fuzz.test"), now: 0)
    for action in actions {
        guard case .send(let query, _) = action, bytes.count >= 2 else { continue }
        var answer = bytes
        answer[0] = query[0]
        answer[1] = query[1]
        _ = lookups.receive(answer, from: 0, now: 1)
    }
    _ = lookups.expire(now: 2_000_000_000)
}

func sanitizeMaterial(_ text: String) {
    let wireguard = WireGuardSanitizer(text)
    // No hook key may survive (wg-quick runs PreUp/PostUp/PreDown/PostDown as root).
    for line in wireguard.text.split(whereSeparator: \.isNewline) {
        let key = line.split(separator: "=", maxSplits: 1).first?.trimmingCharacters(in: .whitespaces).lowercased() ?? ""
        if ["preup", "postup", "predown", "postdown", "saveconfig", "table"].contains(key) { fatalError("wg-quick hook kept: \(line)") }
    }
    _ = WireGuardSanitizer(text, allowScripts: true)
    let openvpn = OpenVPNSanitizer(text)
    // Options only: the lines of an inline block (`<ca>` ... `</ca>`) are data to OpenVPN; a
    // `<connection>` block holds options.
    var inline: String?
    for line in openvpn.text.split(whereSeparator: \.isNewline) {
        let trimmed = line.trimmingCharacters(in: .whitespaces)
        if let tag = inline {
            if trimmed.lowercased() == "</\(tag)>" { inline = nil }
            continue
        }
        if trimmed.hasPrefix("<"), trimmed.hasSuffix(">"), !trimmed.hasPrefix("</") {
            let tag = String(trimmed.dropFirst().dropLast()).lowercased()
            if tag != "connection" { inline = tag }
            continue
        }
        let option = line.split(whereSeparator: { $0 == " " || $0 == "\t" }).first.map { $0.lowercased() } ?? ""
        if ["up", "down", "plugin", "script-security", "route-up", "tls-verify", "ipchange", "client-connect", "learn-address",
            "auth-user-pass-verify", "cd", "config", "log", "log-append", "status", "writepid"].contains(option) {
            fatalError("openvpn option kept: \(line)")
        }
    }
    _ = OpenVPNSanitizer(text, allowScripts: true)
    for kind in ["wireguard", "openvpn", "uri", "key"] {
        let material = ConnectionMaterial(protocol: kind, host: "127.0.0.1", files: [MaterialFile(kind: kind, name: "f", contents: text)])
        _ = try? MaterialPolicy.apply(material, allowScripts: false)
    }
}

func readBundle(_ bytes: [UInt8]) {
    let (entries, _) = BundleReader.entries(of: bytes, path: "fuzz", zipNamesOnly: true)
    for entry in entries.prefix(8) {
        // The keys a handshake probe reads from it (issue 26).
        _ = ServiceKeys.of(entry.server(provider: "fuzz"))
        if case .openvpn(let text, let remote) = entry.material { _ = OpenVPNBundle.profile(text, keeping: remote) }
        if case .proxy(let fields) = entry.material, let outbound = ProxyOutbound(fields: fields) {
            _ = outbound.uri
            _ = outbound.xray
            _ = outbound.singBox
            _ = outbound.mihomo
        }
    }
    let text = String(decoding: bytes, as: UTF8.self)
    _ = ShareLink.entry(text)
    _ = ProxyDocuments.clash(text, source: "fuzz")
    _ = ProxyDocuments.singBox(text, source: "fuzz")
    _ = WireGuardBundle.entries(text, path: "fuzz")
    _ = OpenVPNBundle.entries(text, path: "fuzz")
    _ = ServiceKeys.openVPNProtection(text)
    _ = ServiceKeys.wireguard(text, host: "192.0.2.1", port: 51_820)
    _ = HandoverExtras.gluetun(wireguard: text, address: "192.0.2.1")
    _ = HandoverExtras.mihomo(wireguard: text, name: "fuzz")
}

func decodeEverything(_ bytes: Data) {
    _ = try? ProviderDecoders.staticServers(bytes, provider: "f")
    guard let json = try? JSONValue.parse(bytes) else { return }
    _ = try? ProviderDecoders.xmplusServers(json, provider: "f")
    _ = try? ProviderDecoders.xmplusToken(json)
    _ = try? ProviderDecoders.xmplusAccount(json)
    _ = try? ProviderDecoders.vpnscriptServers(json, provider: "f")
    _ = try? ProviderDecoders.vpnscriptToken(json, status: 200)
    _ = try? ProviderDecoders.vpnscriptAccount(json)
    _ = try? ProviderDecoders.netmimicLogin(json, status: 200, sentDeviceID: .string("d"))
    _ = try? ProviderDecoders.netmimicServers(json, provider: "f", fields: .lenient)
    _ = try? ProviderDecoders.genericServers(json, items: "data", provider: "f", fields: .lenient)
    _ = try? ProviderDecoders.xpayToken(json)
}

@_silgen_name("LLVMFuzzerRunDriver")
func runDriver(
    _ argc: UnsafeMutablePointer<CInt>, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?>,
    _ callback: @convention(c) (UnsafePointer<UInt8>, Int) -> CInt
) -> CInt

/// SwiftPM renames an executable's `main` to `<Target>_main`: hand the process to libFuzzer's driver.
@_cdecl("ProbeFuzz_main")
func fuzzMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> CInt {
    var count = argc
    var arguments = argv
    return runDriver(&count, &arguments) { data, size in fuzzOne(data, size) }
}
