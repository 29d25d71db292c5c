/// probe's version: in `User-Agent`, `probe --version` and every report.
package enum ProbeVersion {
    /// The version, `MAJOR.MINOR.PATCH`.
    package static let current = "0.11.0"
}
