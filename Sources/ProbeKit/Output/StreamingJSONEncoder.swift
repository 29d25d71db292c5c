/// A small, fast JSON encoder that writes straight into a byte buffer, keys in the order the
/// `Encodable` implementation encodes them (the schema's order, not a hash order).
///
/// It drives the same `encode(to:)` implementations as Foundation's `JSONEncoder`, so the
/// schema lives in one place; it only supports what reports need (no `superEncoder`, and
/// nested containers must be filled before the next key is written, which is how
/// synthesized and hand-written `encode(to:)` use them).
package struct StreamingJSONEncoder {
    /// A JSON encoder.
    package init() {}

    /// The JSON text of `value`.
    package func encode(_ value: some Encodable) throws -> String {
        var bytes: [UInt8] = []
        try encode(value, into: &bytes)
        return String(decoding: bytes, as: UTF8.self)
    }

    /// Appends the JSON text of `value` to `bytes`.
    package func encode(_ value: some Encodable, into bytes: inout [UInt8]) throws {
        let sink = JSONSink()
        swap(&sink.bytes, &bytes)
        defer { swap(&sink.bytes, &bytes) }
        try sink.encodeValue(value, codingPath: [])
    }
}

/// The shared output buffer and the state of open containers.
final class JSONSink {
    var bytes: [UInt8] = []

    func encodeValue(_ value: some Encodable, codingPath: [any CodingKey]) throws {
        switch value {
        case let string as String: writeString(string)
        case let double as Double: writeDouble(double)
        case let int as Int: writeRaw(String(int))
        case let bool as Bool: writeRaw(bool ? "true" : "false")
        default: try value.encode(to: JSONStreamEncoder(sink: self, codingPath: codingPath))
        }
    }

    func writeRaw(_ text: String) { bytes.append(contentsOf: text.utf8) }

    func writeDouble(_ value: Double) {
        guard value.isFinite else { return writeRaw("null") }
        if value == value.rounded(), abs(value) < 1e15 { return writeRaw(String(Int64(value))) }
        writeRaw(value.description)
    }

    func writeString(_ string: String) {
        bytes.append(UInt8(ascii: "\""))
        if !string.utf8.contains(where: { $0 < 0x20 || $0 == UInt8(ascii: "\"") || $0 == UInt8(ascii: "\\") }) {
            bytes.append(contentsOf: string.utf8)  // the common case: nothing to escape
            bytes.append(UInt8(ascii: "\""))
            return
        }
        for byte in string.utf8 {
            switch byte {
            case UInt8(ascii: "\""): bytes.append(contentsOf: [92, 34])
            case UInt8(ascii: "\\"): bytes.append(contentsOf: [92, 92])
            case 0x0A: bytes.append(contentsOf: [92, UInt8(ascii: "n")])
            case 0x0D: bytes.append(contentsOf: [92, UInt8(ascii: "r")])
            case 0x09: bytes.append(contentsOf: [92, UInt8(ascii: "t")])
            case 0..<0x20:
                let hex = Array("0123456789abcdef".utf8)
                bytes.append(contentsOf: [92, UInt8(ascii: "u"), 48, 48, hex[Int(byte >> 4)], hex[Int(byte & 15)]])
            default: bytes.append(byte)
            }
        }
        bytes.append(UInt8(ascii: "\""))
    }
}

struct JSONStreamEncoder: Encoder {
    let sink: JSONSink
    var codingPath: [any CodingKey]
    var userInfo: [CodingUserInfoKey: Any] { [:] }

    func container<Key: CodingKey>(keyedBy type: Key.Type) -> KeyedEncodingContainer<Key> {
        KeyedEncodingContainer(KeyedJSONContainer<Key>(sink: sink, codingPath: codingPath))
    }

    func unkeyedContainer() -> any UnkeyedEncodingContainer {
        UnkeyedJSONContainer(sink: sink, codingPath: codingPath)
    }

    func singleValueContainer() -> any SingleValueEncodingContainer {
        SingleJSONContainer(sink: sink, codingPath: codingPath)
    }
}

/// Writes `{` when created and `}` when the last reference goes away (the value is complete).
final class ContainerCloser {
    let sink: JSONSink
    let close: UInt8
    var count = 0
    init(sink: JSONSink, open: UInt8, close: UInt8) {
        self.sink = sink
        self.close = close
        sink.bytes.append(open)
    }
    deinit { sink.bytes.append(close) }
}

struct KeyedJSONContainer<Key: CodingKey>: KeyedEncodingContainerProtocol {
    let sink: JSONSink
    var codingPath: [any CodingKey]
    let state: ContainerCloser

    init(sink: JSONSink, codingPath: [any CodingKey]) {
        self.sink = sink
        self.codingPath = codingPath
        state = ContainerCloser(sink: sink, open: UInt8(ascii: "{"), close: UInt8(ascii: "}"))
    }

    private func key(_ key: Key) {
        if state.count > 0 { sink.bytes.append(UInt8(ascii: ",")) }
        state.count += 1
        sink.writeString(key.stringValue)
        sink.bytes.append(UInt8(ascii: ":"))
    }

    mutating func encodeNil(forKey key: Key) throws {
        self.key(key)
        sink.writeRaw("null")
    }

    mutating func encode<T: Encodable>(_ value: T, forKey key: Key) throws {
        self.key(key)
        try sink.encodeValue(value, codingPath: codingPath + [key])
    }

    mutating func nestedContainer<NestedKey: CodingKey>(keyedBy keyType: NestedKey.Type, forKey key: Key)
        -> KeyedEncodingContainer<NestedKey>
    {
        self.key(key)
        return KeyedEncodingContainer(KeyedJSONContainer<NestedKey>(sink: sink, codingPath: codingPath + [key]))
    }

    mutating func nestedUnkeyedContainer(forKey key: Key) -> any UnkeyedEncodingContainer {
        self.key(key)
        return UnkeyedJSONContainer(sink: sink, codingPath: codingPath + [key])
    }

    mutating func superEncoder() -> any Encoder { JSONStreamEncoder(sink: sink, codingPath: codingPath) }
    mutating func superEncoder(forKey key: Key) -> any Encoder {
        self.key(key)
        return JSONStreamEncoder(sink: sink, codingPath: codingPath + [key])
    }
}

struct UnkeyedJSONContainer: UnkeyedEncodingContainer {
    let sink: JSONSink
    var codingPath: [any CodingKey]
    let state: ContainerCloser
    var count: Int { state.count }

    init(sink: JSONSink, codingPath: [any CodingKey]) {
        self.sink = sink
        self.codingPath = codingPath
        state = ContainerCloser(sink: sink, open: UInt8(ascii: "["), close: UInt8(ascii: "]"))
    }

    private func separator() {
        if state.count > 0 { sink.bytes.append(UInt8(ascii: ",")) }
        state.count += 1
    }

    mutating func encodeNil() throws {
        separator()
        sink.writeRaw("null")
    }

    mutating func encode<T: Encodable>(_ value: T) throws {
        separator()
        try sink.encodeValue(value, codingPath: codingPath)
    }

    mutating func nestedContainer<NestedKey: CodingKey>(keyedBy keyType: NestedKey.Type) -> KeyedEncodingContainer<NestedKey> {
        separator()
        return KeyedEncodingContainer(KeyedJSONContainer<NestedKey>(sink: sink, codingPath: codingPath))
    }

    mutating func nestedUnkeyedContainer() -> any UnkeyedEncodingContainer {
        separator()
        return UnkeyedJSONContainer(sink: sink, codingPath: codingPath)
    }

    mutating func superEncoder() -> any Encoder {
        separator()
        return JSONStreamEncoder(sink: sink, codingPath: codingPath)
    }
}

struct SingleJSONContainer: SingleValueEncodingContainer {
    let sink: JSONSink
    var codingPath: [any CodingKey]

    mutating func encodeNil() throws { sink.writeRaw("null") }
    mutating func encode(_ value: Bool) throws { sink.writeRaw(value ? "true" : "false") }
    mutating func encode(_ value: String) throws { sink.writeString(value) }
    mutating func encode(_ value: Double) throws { sink.writeDouble(value) }
    mutating func encode(_ value: Float) throws { sink.writeDouble(Double(value)) }
    mutating func encode(_ value: Int) throws { sink.writeRaw(String(value)) }
    mutating func encode(_ value: Int8) throws { sink.writeRaw(String(value)) }
    mutating func encode(_ value: Int16) throws { sink.writeRaw(String(value)) }
    mutating func encode(_ value: Int32) throws { sink.writeRaw(String(value)) }
    mutating func encode(_ value: Int64) throws { sink.writeRaw(String(value)) }
    mutating func encode(_ value: UInt) throws { sink.writeRaw(String(value)) }
    mutating func encode(_ value: UInt8) throws { sink.writeRaw(String(value)) }
    mutating func encode(_ value: UInt16) throws { sink.writeRaw(String(value)) }
    mutating func encode(_ value: UInt32) throws { sink.writeRaw(String(value)) }
    mutating func encode(_ value: UInt64) throws { sink.writeRaw(String(value)) }
    mutating func encode<T: Encodable>(_ value: T) throws { try sink.encodeValue(value, codingPath: codingPath) }
}
