/// The DNS wire format (RFC 1035, RFC 3596), as much as a stub resolver and the simulated
/// network's server need: a query for one name's A or AAAA records, and its answer.
///
/// Pure and total: every length and pointer in a message from the network is checked, name
/// compression loops are bounded, and anything malformed decodes to `nil`, never a trap.
package enum DNSMessage {
    /// Record types used here.
    package enum RecordType: UInt16, Sendable, Hashable {
        /// An IPv4 address.
        case a = 1
        /// An alias.
        case cname = 5
        /// An IPv6 address.
        case aaaa = 28
    }

    /// Response codes used here.
    package enum ResponseCode: UInt8, Sendable {
        case noError = 0
        case formatError = 1
        case serverFailure = 2
        case nameError = 3  // NXDOMAIN
        case notImplemented = 4
        case refused = 5
    }

    /// A question: one name and type (class IN).
    package struct Question: Hashable, Sendable {
        /// The name, lower case, without the trailing dot.
        package var name: String
        /// The raw type number (A = 1, AAAA = 28).
        package var type: UInt16
        /// The query's id.
        package var id: UInt16
        /// Whether recursion was asked for.
        package var recursionDesired: Bool
    }

    /// What an answer says about its question.
    package struct Answer: Hashable, Sendable {
        /// The id it answers.
        package var id: UInt16
        /// The response code (raw: unknown codes stay visible).
        package var rcode: UInt8
        /// Whether it was truncated (TC): a UDP answer that did not fit.
        package var truncated: Bool
        /// The question it repeats (lower case), if it repeats one.
        package var question: Question?
        /// Addresses (4 or 16 bytes each) owned by the question's name or an alias it leads to,
        /// in answer order, with their TTLs in seconds.
        package var addresses: [(bytes: [UInt8], ttl: UInt32)]

        package static func == (lhs: Answer, rhs: Answer) -> Bool {
            lhs.id == rhs.id && lhs.rcode == rhs.rcode && lhs.truncated == rhs.truncated && lhs.question == rhs.question
                && lhs.addresses.map(\.bytes) == rhs.addresses.map(\.bytes) && lhs.addresses.map(\.ttl) == rhs.addresses.map(\.ttl)
        }

        package func hash(into hasher: inout Hasher) {
            hasher.combine(id)
            hasher.combine(question)
            hasher.combine(addresses.map(\.bytes))
        }
    }

    /// Largest UDP message either side handles (RFC 1035's 512 bytes is what a query without EDNS gets).
    package static let maximumSize = 4_096

    /// A name's labels, or `nil` when it cannot be sent: an empty label, a label over 63 bytes,
    /// more than 253 bytes in all, or a byte outside letters, digits, `-` and `_`.
    package static func labels(of name: String) -> [Substring]? {
        var name = Substring(name)
        if name.hasSuffix(".") { name = name.dropLast() }
        guard !name.isEmpty, name.utf8.count <= 253 else { return nil }
        let labels = name.split(separator: ".", omittingEmptySubsequences: false)
        for label in labels {
            guard (1...63).contains(label.utf8.count) else { return nil }
            for byte in label.utf8 {
                let ok = (0x30...0x39).contains(byte) || (0x41...0x5A).contains(byte) || (0x61...0x7A).contains(byte)
                    || byte == UInt8(ascii: "-") || byte == UInt8(ascii: "_")
                guard ok else { return nil }
            }
        }
        return labels
    }

    /// A recursive query for `name`'s records of `type`, or `nil` when the name cannot be sent.
    package static func query(id: UInt16, name: String, type: RecordType) -> [UInt8]? {
        guard let labels = labels(of: name) else { return nil }
        var bytes: [UInt8] = []
        bytes.reserveCapacity(18 + name.utf8.count)
        append16(&bytes, id)
        append16(&bytes, 0x0100)  // standard query, recursion desired
        append16(&bytes, 1)  // one question
        append16(&bytes, 0)
        append16(&bytes, 0)
        append16(&bytes, 0)
        appendName(&bytes, labels)
        append16(&bytes, type.rawValue)
        append16(&bytes, 1)  // class IN
        return bytes
    }

    /// The question of a query (a server's side), or `nil` when `bytes` is no well-formed query
    /// with exactly one question of class IN.
    package static func parseQuery(_ bytes: [UInt8]) -> Question? {
        guard bytes.count >= 12, bytes.count <= maximumSize else { return nil }
        let flags = read16(bytes, 2)
        guard flags & 0x8000 == 0, (flags >> 11) & 0xF == 0, read16(bytes, 4) == 1 else { return nil }
        var offset = 12
        guard let name = readName(bytes, &offset), offset + 4 <= bytes.count, read16(bytes, offset + 2) == 1 else { return nil }
        return Question(name: name, type: read16(bytes, offset), id: read16(bytes, 0), recursionDesired: flags & 0x0100 != 0)
    }

    /// The answer to `question` (a server's side): `rcode`, and `addresses` (4 or 16 bytes each,
    /// matching the question's type) as records of the question's name with `ttl`.
    package static func answer(to question: Question, rcode: ResponseCode, addresses: [[UInt8]], ttl: UInt32) -> [UInt8] {
        var bytes: [UInt8] = []
        append16(&bytes, question.id)
        // Response, recursion desired (copied) and available, authoritative.
        append16(&bytes, 0x8000 | 0x0400 | (question.recursionDesired ? 0x0100 : 0) | 0x0080 | UInt16(rcode.rawValue))
        append16(&bytes, 1)
        let records = addresses.filter { $0.count == (question.type == RecordType.aaaa.rawValue ? 16 : 4) }
        let count = min(records.count, 64)
        append16(&bytes, UInt16(count))
        append16(&bytes, 0)
        append16(&bytes, 0)
        appendName(&bytes, labels(of: question.name) ?? [])
        append16(&bytes, question.type)
        append16(&bytes, 1)
        for record in records.prefix(count) {
            append16(&bytes, 0xC00C)  // the question's name
            append16(&bytes, question.type)
            append16(&bytes, 1)
            append16(&bytes, UInt16(truncatingIfNeeded: ttl >> 16))
            append16(&bytes, UInt16(truncatingIfNeeded: ttl))
            append16(&bytes, UInt16(record.count))
            bytes += record
        }
        return bytes
    }

    /// Decodes an answer (a resolver's side), or `nil` when `bytes` is no well-formed response.
    /// Only records of class IN in the answer section count; an address counts when its owner is
    /// the question's name or an alias reached from it through the message's CNAME records.
    package static func parseAnswer(_ bytes: [UInt8]) -> Answer? {
        guard bytes.count >= 12, bytes.count <= maximumSize else { return nil }
        let flags = read16(bytes, 2)
        guard flags & 0x8000 != 0 else { return nil }
        let questions = Int(read16(bytes, 4))
        let answers = Int(read16(bytes, 6))
        var offset = 12
        var question: Question?
        for index in 0..<min(questions, 16) {
            guard let name = readName(bytes, &offset), offset + 4 <= bytes.count else { return nil }
            if index == 0 {
                question = Question(name: name, type: read16(bytes, offset), id: read16(bytes, 0), recursionDesired: flags & 0x0100 != 0)
            }
            offset += 4
        }
        var owners: Set<String> = question.map { [$0.name] } ?? []
        var aliases: [(from: String, to: String)] = []
        var records: [(owner: String, bytes: [UInt8], ttl: UInt32)] = []
        for _ in 0..<min(answers, 256) {
            guard let owner = readName(bytes, &offset), offset + 10 <= bytes.count else { return nil }
            let type = read16(bytes, offset)
            let rclass = read16(bytes, offset + 2)
            let ttl = UInt32(read16(bytes, offset + 4)) << 16 | UInt32(read16(bytes, offset + 6))
            let length = Int(read16(bytes, offset + 8))
            offset += 10
            guard offset + length <= bytes.count else { return nil }
            if rclass == 1 {
                switch type {
                case RecordType.a.rawValue where length == 4, RecordType.aaaa.rawValue where length == 16:
                    records.append((owner, Array(bytes[offset..<offset + length]), ttl))
                case RecordType.cname.rawValue:
                    var target = offset
                    guard let alias = readName(bytes, &target), target == offset + length else { return nil }
                    aliases.append((owner, alias))
                default:
                    break
                }
            }
            offset += length
        }
        // Follow the aliases from the question's name (a chain in any order, bounded by its length).
        for _ in 0..<aliases.count {
            let grown = aliases.filter { owners.contains($0.from) && !owners.contains($0.to) }
            if grown.isEmpty { break }
            for alias in grown { owners.insert(alias.to) }
        }
        let wanted = question.map(\.type)
        let addresses = records.filter { record in
            owners.contains(record.owner) && (wanted == nil || wanted == (record.bytes.count == 4 ? RecordType.a : RecordType.aaaa).rawValue)
        }.map { (bytes: $0.bytes, ttl: $0.ttl) }
        return Answer(id: read16(bytes, 0), rcode: UInt8(flags & 0xF), truncated: flags & 0x0200 != 0, question: question, addresses: addresses)
    }

    // MARK: - Wire helpers

    private static func append16(_ bytes: inout [UInt8], _ value: UInt16) {
        bytes.append(UInt8(value >> 8))
        bytes.append(UInt8(value & 0xFF))
    }

    private static func appendName(_ bytes: inout [UInt8], _ labels: [Substring]) {
        for label in labels {
            bytes.append(UInt8(label.utf8.count))
            bytes += label.utf8
        }
        bytes.append(0)
    }

    private static func read16(_ bytes: [UInt8], _ offset: Int) -> UInt16 {
        UInt16(bytes[offset]) << 8 | UInt16(bytes[offset + 1])
    }

    /// Reads a (possibly compressed) name at `offset`, lower-cased, and moves `offset` past it.
    /// Pointers must point backwards (so they cannot loop); at most 128 labels, 255 bytes.
    static func readName(_ bytes: [UInt8], _ offset: inout Int) -> String? {
        var cursor = offset
        var end: Int?
        var name: [UInt8] = []
        var labels = 0
        while true {
            guard cursor < bytes.count else { return nil }
            let length = Int(bytes[cursor])
            if length == 0 {
                cursor += 1
                break
            }
            switch length & 0xC0 {
            case 0xC0:
                guard cursor + 1 < bytes.count else { return nil }
                let target = (length & 0x3F) << 8 | Int(bytes[cursor + 1])
                guard target < cursor else { return nil }  // only backwards: no loops
                if end == nil { end = cursor + 2 }
                cursor = target
            case 0:
                guard cursor + 1 + length <= bytes.count else { return nil }
                labels += 1
                guard labels <= 128, name.count + length + 1 <= 255 else { return nil }
                if !name.isEmpty { name.append(UInt8(ascii: ".")) }
                for byte in bytes[(cursor + 1)..<(cursor + 1 + length)] {
                    name.append((0x41...0x5A).contains(byte) ? byte + 32 : byte)
                }
                cursor += 1 + length
            default:
                return nil  // extended label types are not used
            }
        }
        offset = end ?? cursor
        return String(decoding: name, as: UTF8.self)
    }
}
