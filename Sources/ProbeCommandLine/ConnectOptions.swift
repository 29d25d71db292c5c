import ArgumentParser
import FoundationEssentials
import Glibc
package import ProbeKit

/// How the connection is fetched and where it goes (`--best --connect DIR`, `probe connect`).
package struct ConnectOptions: ParsableArguments {
    package init() {}

    @Option(name: .customLong("connect-timeout"), help: ArgumentHelp("Seconds a WireGuard configuration may stay pending at the provider.", valueName: "SECONDS"))
    package var connectTimeout = 60.0

    @Flag(name: .customLong("allow-scripts"), help: "Keep the provider's script hooks in what is written (wg-quick's PreUp/PostUp/PreDown/PostDown, OpenVPN's up/down/plugin/...): only for a provider you trust. Without it they are removed and named on stderr.")
    package var allowScripts = false

    package func validate() throws {
        guard connectTimeout.isFinite, connectTimeout >= 1, connectTimeout <= 3_600 else {
            throw ValidationError("--connect-timeout must be between 1 and 3600 seconds, got \(connectTimeout)")
        }
    }

    package func options(protocol wanted: String?, directory: String? = nil) -> ProbeClient.ConnectOptions {
        ProbeClient.ConnectOptions(protocol: wanted, timeout: .milliseconds(Int64(connectTimeout * 1_000)), allowScripts: allowScripts, directory: directory)
    }
}
