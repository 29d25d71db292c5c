import CZlib
import FoundationEssentials
import SafeText

/// The entries of a zip archive (a provider's bundle of `.conf` or `.ovpn` files), read from its
/// central directory: stored and deflate entries, inflated by zlib (never by hand), within
/// bounds: at most ``maximumEntries`` entries and ``maximumTotalBytes`` uncompressed in all, each
/// entry's inflation stopped at what is left of that budget (a zip bomb costs its budget, never
/// more memory). Names with `..`, an absolute path or a control character are skipped and said.
package struct ZipArchive: Sendable {
    /// Entries read at most.
    package static let maximumEntries = 100_000
    /// Uncompressed bytes in all, at most.
    package static let maximumTotalBytes = 64 << 20

    /// One file of the archive.
    package struct Entry: Sendable {
        /// Its path inside the archive.
        package var name: String
        /// Its contents.
        package var data: [UInt8]
    }

    /// The files, in the archive's order (directories left out).
    package var entries: [Entry] = []
    /// What was skipped, one line each (`bundle.zip: entry ../x.conf: ...`).
    package var problems: [String] = []

    /// Reads `bytes` (the whole archive); throws a one-line error when it is no zip at all.
    package init(_ bytes: [UInt8], source: String) throws(ProviderError) {
        let shown = SafeText.escaped(source, limit: 80)
        guard let end = Self.endOfCentralDirectory(bytes) else {
            throw ProviderError(.unexpectedShape, "\(shown): not a zip archive (no end of central directory)")
        }
        let count = Int(Self.u16(bytes, end + 10))
        var offset = Int(Self.u32(bytes, end + 16))
        guard count <= Self.maximumEntries else {
            throw ProviderError(.tooLarge, "\(shown): \(count) entries, more than \(Self.maximumEntries)")
        }
        var budget = Self.maximumTotalBytes
        for index in 0..<count {
            guard offset + 46 <= bytes.count, Self.u32(bytes, offset) == 0x0201_4B50 else {
                problems.append("\(shown): the central directory is cut at entry \(index + 1): the rest is skipped")
                break
            }
            let method = Self.u16(bytes, offset + 10)
            let compressed = Int(Self.u32(bytes, offset + 20))
            let size = Int(Self.u32(bytes, offset + 24))
            let nameLength = Int(Self.u16(bytes, offset + 28))
            let extraLength = Int(Self.u16(bytes, offset + 30))
            let commentLength = Int(Self.u16(bytes, offset + 32))
            let local = Int(Self.u32(bytes, offset + 42))
            let flags = Self.u16(bytes, offset + 8)
            guard offset + 46 + nameLength <= bytes.count else { break }
            let name = String(decoding: bytes[(offset + 46)..<(offset + 46 + nameLength)], as: UTF8.self)
            offset += 46 + nameLength + extraLength + commentLength
            if name.hasSuffix("/") { continue }  // a directory
            let label = "\(shown): entry \(SafeText.quoted(name, limit: 80))"
            guard Self.isSafe(name) else {
                problems.append("\(label): a name with '..', an absolute path or a control character: skipped")
                continue
            }
            guard flags & 1 == 0 else {
                problems.append("\(label): encrypted: skipped")
                continue
            }
            guard local + 30 <= bytes.count, Self.u32(bytes, local) == 0x0403_4B50 else {
                problems.append("\(label): its local header is missing: skipped")
                continue
            }
            let start = local + 30 + Int(Self.u16(bytes, local + 26)) + Int(Self.u16(bytes, local + 28))
            guard compressed >= 0, start + compressed <= bytes.count else {
                problems.append("\(label): its data runs past the end of the archive: skipped")
                continue
            }
            guard budget > 0 else {
                problems.append("\(shown): more than \(Self.maximumTotalBytes >> 20) MiB uncompressed: entries from \(SafeText.quoted(name, limit: 80)) on are skipped")
                break
            }
            let data = bytes[start..<(start + compressed)]
            switch method {
            case 0:
                guard compressed <= budget else {
                    problems.append("\(label): larger than what is left of the \(Self.maximumTotalBytes >> 20) MiB budget: skipped")
                    budget = 0
                    continue
                }
                entries.append(Entry(name: name, data: Array(data)))
                budget -= compressed
            case 8:
                switch Self.inflate(data, limit: size > 0 ? min(size, budget) : budget) {
                case .success(let inflated):
                    entries.append(Entry(name: name, data: inflated))
                    budget -= inflated.count
                case .failure(let failure):
                    problems.append("\(label): \(failure.reason): skipped")
                }
            default:
                problems.append("\(label): compression method \(method) (only stored and deflate are read): skipped")
            }
        }
    }

    struct Failure: Error { var reason: String }

    /// Raw deflate inflated by zlib, stopped at `limit` bytes of output.
    static func inflate(_ input: ArraySlice<UInt8>, limit: Int) -> Result<[UInt8], Failure> {
        var stream = z_stream()
        guard inflateInit2_(&stream, -MAX_WBITS, ZLIB_VERSION, Int32(MemoryLayout<z_stream>.size)) == Z_OK else {
            return .failure(Failure(reason: "zlib could not start"))
        }
        defer { inflateEnd(&stream) }
        var output: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 64 << 10)
        var input = Array(input)
        return input.withUnsafeMutableBufferPointer { source -> Result<[UInt8], Failure> in
            stream.next_in = source.baseAddress
            stream.avail_in = uInt(source.count)
            while true {
                let status = chunk.withUnsafeMutableBufferPointer { buffer -> Int32 in
                    stream.next_out = buffer.baseAddress
                    stream.avail_out = uInt(buffer.count)
                    return CZlib.inflate(&stream, Z_NO_FLUSH)
                }
                let produced = chunk.count - Int(stream.avail_out)
                guard output.count + produced <= limit else {
                    return .failure(Failure(reason: "inflates past its declared size or the \(maximumTotalBytes >> 20) MiB budget (a zip bomb?)"))
                }
                output += chunk[..<produced]
                switch status {
                case Z_STREAM_END: return .success(output)
                case Z_OK: if stream.avail_in == 0 && produced == 0 { return .failure(Failure(reason: "its deflate data is cut short")) }
                case Z_BUF_ERROR: if stream.avail_in == 0 { return .failure(Failure(reason: "its deflate data is cut short")) }
                default: return .failure(Failure(reason: "its deflate data is damaged"))
                }
            }
        }
    }

    /// Whether an entry's name stays inside the folder it is read into.
    static func isSafe(_ name: String) -> Bool {
        !name.isEmpty && !name.hasPrefix("/") && !name.hasPrefix("\\") && !name.contains(where: { $0.isControlCharacter })
            && !name.split(whereSeparator: { $0 == "/" || $0 == "\\" }).contains("..") && !(name.count > 1 && name.dropFirst().hasPrefix(":"))
    }

    /// Where the end-of-central-directory record starts (searched from the end, past a comment).
    static func endOfCentralDirectory(_ bytes: [UInt8]) -> Int? {
        guard bytes.count >= 22 else { return nil }
        var index = bytes.count - 22
        let lowest = max(0, bytes.count - 22 - 65_535)
        while index >= lowest {
            if bytes[index] == 0x50, bytes[index + 1] == 0x4B, bytes[index + 2] == 0x05, bytes[index + 3] == 0x06 { return index }
            index -= 1
        }
        return nil
    }

    static func u16(_ bytes: [UInt8], _ offset: Int) -> UInt16 {
        guard offset >= 0, offset + 2 <= bytes.count else { return 0 }
        return UInt16(bytes[offset]) | UInt16(bytes[offset + 1]) << 8
    }

    static func u32(_ bytes: [UInt8], _ offset: Int) -> UInt32 {
        guard offset >= 0, offset + 4 <= bytes.count else { return 0 }
        return UInt32(bytes[offset]) | UInt32(bytes[offset + 1]) << 8 | UInt32(bytes[offset + 2]) << 16 | UInt32(bytes[offset + 3]) << 24
    }
}
