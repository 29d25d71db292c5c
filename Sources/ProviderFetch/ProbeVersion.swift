/// probe's version: in `User-Agent`, `probe --version` and every report.
public enum ProbeVersion {
    /// The version, `MAJOR.MINOR.PATCH`.
    public static let current = "0.11.0"
}
