import Crypto
import Foundation
@testable import ProbeKit
import Prober
import Testing

/// A WireGuard server whose private key a local interface holds is left alone: a handshake would
/// move the server's idea of that peer's endpoint away from the live tunnel (issue 26).
@Suite struct HandshakeGuardTests {
    static func target(_ privateKey: [UInt8]) throws -> ProbeTarget {
        var target = ProbeTarget(host: "198.18.1.1", port: 443, portKnown: false)
        let keys = try #require(WireGuardKeys(privateKey: privateKey, serverPublicKey: Array(repeating: 9, count: 32)))
        target.handshake = HandshakeService(port: 51_820, material: .wireguard(keys))
        return target
    }

    @Test func aKeyALocalInterfaceHoldsIsNotHandshaked() throws {
        let held = Curve25519.KeyAgreement.PrivateKey()
        let other = Curve25519.KeyAgreement.PrivateKey()
        var targets = [try Self.target(Array(held.rawRepresentation)), try Self.target(Array(other.rawRepresentation))]
        let output = "wg0\t\(held.publicKey.rawRepresentation.base64EncodedString())\nwg1\t(none)\n"
        let note = HandshakeTargets.guardLocalInterfaces(&targets, methods: [.tcp, .icmp, .wireguard], anyway: false) {
            .keys(LocalWireGuard.parse(output))
        }
        #expect(targets[0].handshake?.refusal?.contains("local WireGuard interface wg0 holds this private key") == true)
        #expect(targets[1].handshake?.refusal == nil)
        #expect(note?.contains("1 WireGuard server(s) measured without a handshake") == true)
        // The refusal never shows the key.
        let shown = String(held.publicKey.rawRepresentation.base64EncodedString().prefix(10))
        let refusal = targets[0].handshake?.refusal ?? ""
        #expect(!refusal.contains(shown))
    }

    @Test func unreadableInterfacesLeaveEveryWireGuardServerAloneUnlessAsked() throws {
        let key = Array(Curve25519.KeyAgreement.PrivateKey().rawRepresentation)
        var targets = [try Self.target(key)]
        let reading = LocalWireGuard.Reading.unreadable("a local WireGuard interface is up and `wg show` could not read its key (it needs root)")
        _ = HandshakeTargets.guardLocalInterfaces(&targets, methods: [.wireguard], anyway: false) { reading }
        #expect(targets[0].handshake?.refusal?.contains("needs root") == true)
        // --handshake-anyway, or a method without handshakes: nothing is read or changed.
        var anyway = [try Self.target(key)]
        #expect(HandshakeTargets.guardLocalInterfaces(&anyway, methods: [.wireguard], anyway: true) { Issue.record("read"); return reading } == nil)
        #expect(anyway[0].handshake?.refusal == nil)
        var tcp = [try Self.target(key)]
        #expect(HandshakeTargets.guardLocalInterfaces(&tcp, methods: [.tcp, .icmp], anyway: false) { Issue.record("read"); return reading } == nil)
        // No interface here: nothing to guard.
        var none = [try Self.target(key)]
        #expect(HandshakeTargets.guardLocalInterfaces(&none, methods: [.wireguard], anyway: false) { .none } == nil)
        #expect(none[0].handshake?.refusal == nil)
    }

    @Test func handshakeKeysAreNeverEncodedOrShown() throws {
        let key = Array(Curve25519.KeyAgreement.PrivateKey().rawRepresentation)
        let target = try Self.target(key)
        let encoded = try String(decoding: JSONEncoder().encode(target), as: UTF8.self)
        #expect(!encoded.contains("handshake") && !encoded.contains("wireguard"), "\(encoded)")
        #expect("\(target.handshake?.material as Any)".contains("withheld"))
        var dumped = ""
        dump(target, to: &dumped)
        #expect(!dumped.contains("privateKey") && !dumped.contains("\(key[0]), \(key[1]), \(key[2])"), "\(dumped)")
    }
}
