import FoundationEssentials
import SafeText
import Synchronization

/// Every secret this process knows (passwords, API keys, tokens, `md5(apiKey)`), so that any text
/// can be cleaned of them before it is printed or written: a provider that echoes the request
/// body or the token in its error message never gets it onto the terminal or into a report.
package enum Redaction {
    /// What a secret is replaced with.
    package static let mask = "[redacted]"
    /// Shorter values are not treated as secrets (they would blank ordinary words).
    static let minimumLength = 4
    private static let known = Mutex<(set: Set<String>, longestFirst: [String])>(([], []))

    /// Remembers `secret` (and the forms it takes in JSON and in a URL) for ``redact(_:)``.
    package static func register(_ secret: String) {
        guard secret.count >= minimumLength else { return }
        var forms: Set<String> = [secret]
        // The forms JSON writers give it (with and without `\/`), and the percent-encoded one.
        for options in [JSONEncoder.OutputFormatting(), .withoutEscapingSlashes] {
            let encoder = JSONEncoder()
            encoder.outputFormatting = options
            if let data = try? encoder.encode(secret), let json = String(data: data, encoding: .utf8), json.count > 2 {
                forms.insert(String(json.dropFirst().dropLast()))  // "..." -> the escaped inside
            }
        }
        forms.insert(secret.percentEncoded { $0.isASCIIAlphanumeric })
        known.withLock { known in
            let before = known.set.count
            known.set.formUnion(forms)
            if known.set.count != before { known.longestFirst = known.set.sorted { $0.count > $1.count } }
        }
    }

    /// `text` with every known secret replaced by ``mask``, longest first (so a secret that
    /// contains another is masked whole).
    package static func redact(_ text: String) -> String {
        let secrets = known.withLock { $0.longestFirst }
        guard !secrets.isEmpty else { return text }
        var result = text
        // Matched byte for byte (`String.contains` compares characters and would miss a secret
        // whose last character a combining mark extends).
        for secret in secrets { result = result.replacingAll(secret, with: mask) }
        return result
    }
}
