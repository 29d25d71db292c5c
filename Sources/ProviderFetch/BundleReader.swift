import FoundationEssentials
import SafeText
#if canImport(Glibc)
import Glibc
import ProbeSystem
#endif

/// What users hold, read into entries: a folder (walked without following symlinks), a zip, a
/// single file, standard input, or the body of a subscription; each file's kind told from its
/// content (``SourceKind``). Bounded: at most ``maximumFiles`` files, each at most 32 MiB, and
/// ``ZipArchive``'s limits inside a zip. Bad entries are named one line each and cost only themselves.
package enum BundleReader {
    /// Files read from a folder at most.
    package static let maximumFiles = 100_000
    /// Folder depth walked at most.
    static let maximumDepth = 16
    /// File names a folder walk reads (others are passed over silently).
    static let extensions: Set<String> = ["conf", "ovpn", "yaml", "yml", "json", "txt", "zip", "sub"]

    /// The entries of the file, folder or zip at `path` (`-`: standard input), and what was wrong.
    package static func read(path: String) throws(ProviderError) -> ([BundleEntry], [String]) {
        if path == "-" {
            return entries(of: readStandardInput(), path: "stdin")
        }
        let status: stat
        do {
            status = try Syscall.status(path, followingLinks: false)
        } catch {
            throw ProviderError(.configuration, "\(SafeText.quoted(path)): \(error)")
        }
        if status.st_mode & S_IFMT == S_IFDIR {
            var entries: [BundleEntry] = []
            var problems: [String] = []
            var files = 0
            walk(path, relative: "", depth: 0, files: &files, entries: &entries, problems: &problems)
            return (entries, problems)
        }
        guard let data = AtomicFile.readRegular(path) else {
            throw ProviderError(.configuration, "\(SafeText.quoted(path)) is not a regular file that can be read")
        }
        guard data.count <= HTTPClient.maximumBodyBytes else { throw ProviderError(.tooLarge, "\(SafeText.quoted(path)) is larger than 32 MiB") }
        // A zip given itself: its entries' ids are their paths inside it.
        return entries(of: Array(data), path: path.lastPathComponent, zipNamesOnly: true)
    }

    /// Standard input to its end (or just past the size cap, which the caller then refuses).
    static func readStandardInput() -> [UInt8] {
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 1 << 16)
        while bytes.count <= HTTPClient.maximumBodyBytes {
            let count = Glibc.read(0, &chunk, chunk.count)
            if count < 0, errno == EINTR { continue }
            guard count > 0 else { break }
            bytes += chunk.prefix(count)
        }
        return bytes
    }

    private static func walk(_ root: String, relative: String, depth: Int, files: inout Int, entries: inout [BundleEntry], problems: inout [String]) {
        let folder = relative.isEmpty ? root : root + "/" + relative
        guard depth <= maximumDepth, let names = try? FileManager.default.contentsOfDirectory(atPath: folder) else { return }
        for name in names.sorted() where !name.hasPrefix(".") {
            let path = relative.isEmpty ? name : relative + "/" + name
            guard let status = try? Syscall.status(root + "/" + path, followingLinks: false) else { continue }
            switch status.st_mode & S_IFMT {
            case S_IFDIR: walk(root, relative: path, depth: depth + 1, files: &files, entries: &entries, problems: &problems)
            case S_IFREG:
                guard extensions.contains(name.pathExtension.lowercased()) else { continue }
                files += 1
                guard files <= maximumFiles else {
                    if files == maximumFiles + 1 { problems.append("\(SafeText.escaped(root, limit: 120)): more than \(maximumFiles) files: the rest are skipped") }
                    return
                }
                guard Int(status.st_size) <= HTTPClient.maximumBodyBytes, let data = AtomicFile.readRegular(root + "/" + path) else {
                    problems.append("\(SafeText.escaped(path, limit: 120)): cannot be read, or larger than 32 MiB: skipped")
                    continue
                }
                let (found, wrong) = Self.entries(of: Array(data), path: path)
                entries += found
                problems += wrong
            default: continue  // symlinks (never followed out of the folder), sockets, devices
            }
        }
    }

    /// The entries of one file's bytes, its kind told from its content.
    package static func entries(of bytes: [UInt8], path: String, insideZip: Bool = false, zipNamesOnly: Bool = false) -> ([BundleEntry], [String]) {
        let shown = SafeText.escaped(path, limit: 120)
        guard let kind = SourceKind.detect(bytes) else {
            return ([], ["\(shown): not a wg-quick file, OpenVPN profile, subscription, Clash or sing-box configuration, or zip: skipped"])
        }
        if kind != .zip, bytes.contains(0) { return ([], ["\(shown): holds NUL bytes: skipped"]) }
        let text = String(decoding: bytes, as: UTF8.self)
        switch kind {
        case .wireguard: return WireGuardBundle.entries(text, path: path)
        case .openvpn: return OpenVPNBundle.entries(text, path: path)
        case .subscription: return ShareLink.subscription(text, source: path)
        case .clash: return ProxyDocuments.clash(text, source: path)
        case .singBox: return ProxyDocuments.singBox(text, source: path)
        case .zip:
            guard !insideZip else { return ([], ["\(shown): a zip inside a zip is not opened: skipped"]) }
            do throws(ProviderError) {
                let archive = try ZipArchive(bytes, source: path)
                var entries: [BundleEntry] = []
                var problems = archive.problems
                for entry in archive.entries {
                    let (found, wrong) = Self.entries(of: entry.data, path: zipNamesOnly ? entry.name : path + "/" + entry.name, insideZip: true)
                    entries += found
                    problems += wrong
                }
                return (entries, problems)
            } catch {
                return ([], [error.message])
            }
        }
    }

    /// A source's name: `NAME=SOURCE`'s name, else the file's name without its extension, or the
    /// subscription's host.
    package static func name(of source: String) -> (name: String, source: String) {
        if let equals = source.firstIndex(of: "="), !source[..<equals].isEmpty,
           source[..<equals].allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || "_.-".contains($0)) }) {
            return (String(source[..<equals]), String(source[source.index(after: equals)...]))
        }
        if source == "-" { return ("stdin", source) }
        if let url = URL(string: source), let scheme = url.scheme?.lowercased(), scheme == "http" || scheme == "https", let host = url.host {
            return (host, source)
        }
        var base = source.lastPathComponent
        if base.isEmpty || base == "/" { base = "files" }
        let stripped = base.deletingPathExtension
        return (stripped.isEmpty ? base : stripped, source)
    }

    /// `source` as a provider: a subscription for an http(s) URL, else files.
    package static func spec(_ argument: String, baseDirectory: String) -> ProviderSpec {
        let (name, source) = name(of: argument)
        let isURL = source.lowercased().hasPrefix("http://") || source.lowercased().hasPrefix("https://")
        var path = source
        if path.hasPrefix("~/"), let home = ProcessInfo.processInfo.environment["HOME"] { path = home + path.dropFirst(1) }
        if !isURL, path != "-", !path.hasPrefix("/") { path = baseDirectory + "/" + path }
        let fields: JSONValue = .object(["type": .string(isURL ? "subscription" : "files"), "name": .string(name), (isURL ? "url" : "path"): .string(path)])
        return ProviderSpec(type: isURL ? "subscription" : "files", name: name, fields: fields, timeoutSeconds: 10, enabled: true)
    }
}
