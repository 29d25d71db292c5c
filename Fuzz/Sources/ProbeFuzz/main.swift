import Foundation
import ProviderFetch

/// The harness `PROBE_FUZZ` names: `json` (the JSON parser, then every provider decoder on the
/// same document). Harnesses for the Prober target (ICMP codec, target parser) do not link yet:
/// its C target breaks the fuzzer link (gold's internal error), see the README.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOne(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    decodeEverything(Data(bytes: data, count: size))
    return 0
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
    _ = try? ProviderDecoders.netmimicLogin(json, status: 200, sentDeviceID: "d")
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
