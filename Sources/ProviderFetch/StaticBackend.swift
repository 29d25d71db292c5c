import FoundationEssentials
import SafeText

/// A static list: a JSON array of servers in the normalised shape, or CSV with a header row,
/// read from a file relative to the configuration.
struct StaticBackend: ProviderBackend {
    let fetcher: ProviderFetcher
    let spec: ProviderSpec

    func fetch(_ problems: ServerProblems) async throws(ProviderError) -> ([Server], AccountState?) {
        guard let path = spec.fields["path"]?.string else { throw ProviderError(.configuration, "missing 'path'", provider: spec.name) }
        let full = path.hasPrefix("/") ? path : fetcher.baseDirectory + "/" + path
        guard let data = FileManager.default.contents(atPath: full) else {
            throw ProviderError(.configuration, "cannot read \(path)", provider: spec.name)
        }
        guard data.count <= HTTPClient.maximumBodyBytes else { throw ProviderError(.tooLarge, "\(path) is larger than 32 MiB") }
        return (try ProviderDecoders.staticServers(data, provider: spec.name, problems: problems), nil)
    }
}
