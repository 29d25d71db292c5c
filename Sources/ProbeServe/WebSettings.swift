import Foundation
import NIOSSL
import ProbeCommandLine
import ProbeKit
import Synchronization

/// `probe serve --web-config FILE` as the listener uses it: the basic-auth users and the TLS
/// certificate and key, read again on SIGHUP and `POST /-/reload` (a renewed certificate is used
/// from the next handshake, as exporter-toolkit does). A file that cannot be used keeps what was
/// in use. Whether the listener speaks TLS at all is fixed at start.
final class WebSettings: Sendable {
    private struct Current: @unchecked Sendable {
        var configuration: WebConfiguration
        var chain: [NIOSSLCertificateSource]
        var key: NIOSSLPrivateKeySource?
    }

    let path: String
    let cache = PasswordCache()
    private let current: Mutex<Current>

    /// Reads `path`; throws the one-line reason.
    init(path: String) throws {
        self.path = path
        current = Mutex(try Self.read(path))
    }

    private static func read(_ path: String) throws -> Current {
        let configuration: WebConfiguration
        do {
            configuration = try WebConfiguration.load(path: path)
        } catch {
            throw Failure(description: error.description)
        }
        if !configuration.users.isEmpty, !WebConfiguration.canVerify {
            throw Failure(description: "\(path): basic auth needs libcrypt (libcrypt.so.1), which cannot be loaded here")
        }
        var value = Current(configuration: configuration, chain: [], key: nil)
        if let tls = configuration.tls {
            do {
                value.chain = try NIOSSLCertificate.fromPEMFile(tls.certificateFile).map { .certificate($0) }
                value.key = .privateKey(try NIOSSLPrivateKey(file: tls.keyFile, format: .pem))
            } catch {
                throw Failure(description: "\(path): cannot use \(tls.certificateFile) and \(tls.keyFile): \(error)")
            }
        }
        return value
    }

    struct Failure: Error, CustomStringConvertible {
        var description: String
    }

    /// Whether the file configures TLS.
    var tls: Bool { current.withLock { $0.configuration.tls != nil } }

    /// Whether basic auth is on (some user is configured).
    var authenticates: Bool { current.withLock { !$0.configuration.users.isEmpty } }

    /// The listener's TLS: the certificate and key as read now, and on every handshake as last reloaded.
    func tlsConfiguration() -> TLSConfiguration? {
        let (settings, chain, key) = current.withLock { ($0.configuration.tls, $0.chain, $0.key) }
        guard let settings, let key else { return nil }
        var configuration = TLSConfiguration.makeServerConfiguration(certificateChain: chain, privateKey: key)
        configuration.minimumTLSVersion = settings.minimumVersion == "TLS13" ? .tlsv13 : .tlsv12
        if let ca = settings.clientCAFile, settings.requireClientCertificate {
            configuration.trustRoots = .file(ca)
            configuration.certificateVerification = .noHostnameVerification
        }
        configuration.sslContextCallback = { [self] _, promise in
            var override = NIOSSLContextConfigurationOverride()
            current.withLock { value in
                override.certificateChain = value.chain
                override.privateKey = value.key
            }
            promise.succeed(override)
        }
        return configuration
    }

    /// Whether a request's `Authorization` header names a configured user and password.
    /// What `authorization` calls for (a password check is left to the caller to run off the event loop).
    func quickCheck(authorization: String?) -> WebConfiguration.AuthCheck {
        let configuration = current.withLock { $0.configuration }
        return configuration.check(authorization: authorization, cache: cache)
    }

    func admits(authorization: String?) -> Bool {
        let configuration = current.withLock { $0.configuration }
        return configuration.admits(authorization: authorization, cache: cache)
    }

    /// Reads the file again: what is now in use (one line), or why the previous settings stay.
    func reload() -> Result<String, Failure> {
        do {
            let fresh = try Self.read(path)
            let started = tls
            if (fresh.configuration.tls != nil) != started {
                return .failure(Failure(description: "\(path): turning TLS \(started ? "off" : "on") needs a restart; keeping the previous web config"))
            }
            current.withLock { $0 = fresh }
            return .success("web config: \(fresh.configuration.users.count) user(s)" + (fresh.configuration.tls != nil ? ", certificate re-read" : ""))
        } catch let failure as Failure {
            return .failure(failure)
        } catch {
            return .failure(Failure(description: "\(error)"))
        }
    }
}
