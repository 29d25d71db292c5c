import CBuildInfo

/// probe's version: in `User-Agent`, `probe --version` and every report.
package enum ProbeVersion {
    /// The release this source is (the repository's `VERSION` file says the same; a test checks).
    package static let release = "0.12.0"

    /// The version as built: what scripts/build-release stamped (`0.12.0`, on a tag `v0.12.0`;
    /// `0.12.0+5.g1a2b3c4` five commits after it; `-dirty` with uncommitted changes), else ``release``.
    package static let current: String = {
        let stamped = String(cString: probe_build_version())
        return stamped.isEmpty ? release : stamped
    }()
}
