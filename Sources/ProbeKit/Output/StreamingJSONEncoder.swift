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

    /// Writes `value`. The types reports are made of (strings, numbers, booleans and optionals of
    /// them) are recognised by their metadata (a pointer comparison) and written directly, with no
    /// dynamic cast and no `Encoder` round trip; everything else goes through its `encode(to:)`.
    /// The coding path is not tracked: no `encode(to:)` of the schema reads it.
    func encodeValue<T: Encodable>(_ value: T, codingPath: [any CodingKey]) throws {
        if writePrimitive(value) { return }
        try value.encode(to: JSONStreamEncoder(sink: self, codingPath: []))
    }

    /// Writes `value` when it is a primitive or an optional primitive; whether it did.
    @inline(__always)
    func writePrimitive<T>(_ value: T) -> Bool {
        if T.self == String.self { writeString(unsafeBitCast(value, to: String.self)); return true }
        if T.self == Double.self { writeDouble(unsafeBitCast(value, to: Double.self)); return true }
        if T.self == Int.self { writeInt(unsafeBitCast(value, to: Int.self)); return true }
        if T.self == Bool.self { writeRaw(unsafeBitCast(value, to: Bool.self) ? "true" : "false"); return true }
        if T.self == String?.self {
            if let string = unsafeBitCast(value, to: String?.self) { writeString(string) } else { writeRaw("null") }
            return true
        }
        if T.self == Double?.self {
            if let double = unsafeBitCast(value, to: Double?.self) { writeDouble(double) } else { writeRaw("null") }
            return true
        }
        if T.self == Int?.self {
            if let int = unsafeBitCast(value, to: Int?.self) { writeInt(int) } else { writeRaw("null") }
            return true
        }
        return false
    }

    func writeRaw(_ text: StaticString) {
        text.withUTF8Buffer { bytes.append(contentsOf: $0) }
    }

    func writeRaw(_ text: String) { bytes.append(contentsOf: text.utf8) }

    /// Decimal digits straight into the buffer (no String made).
    func writeInt(_ value: Int) {
        if value < 0 { bytes.append(UInt8(ascii: "-")) }
        var magnitude = value.magnitude
        var digits: (UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8,
                     UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8) = (0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)
        var count = 0
        withUnsafeMutableBytes(of: &digits) { buffer in
            repeat {
                buffer[19 - count] = UInt8(ascii: "0") + UInt8(magnitude % 10)
                magnitude /= 10
                count += 1
            } while magnitude > 0
            bytes.append(contentsOf: buffer[(20 - count)...])
        }
    }

    func writeDouble(_ value: Double) {
        guard value.isFinite else { return writeRaw("null") }
        if value == value.rounded(), abs(value) < 1e15 { return writeInt(Int(value)) }
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
        sink.writeString(key.stringValue)  // keys are plain ASCII: the no-escape path
        sink.bytes.append(UInt8(ascii: ":"))
    }

    mutating func encodeNil(forKey key: Key) throws {
        self.key(key)
        sink.writeRaw("null")
    }

    mutating func encode<T: Encodable>(_ value: T, forKey key: Key) throws {
        self.key(key)
        try sink.encodeValue(value, codingPath: [])
    }

    mutating func encode(_ value: String, forKey key: Key) throws {
        self.key(key)
        sink.writeString(value)
    }

    mutating func encode(_ value: Double, forKey key: Key) throws {
        self.key(key)
        sink.writeDouble(value)
    }

    mutating func encode(_ value: Int, forKey key: Key) throws {
        self.key(key)
        sink.writeInt(value)
    }

    mutating func encode(_ value: Bool, forKey key: Key) throws {
        self.key(key)
        sink.writeRaw(value ? "true" : "false")
    }

    mutating func nestedContainer<NestedKey: CodingKey>(keyedBy keyType: NestedKey.Type, forKey key: Key)
        -> KeyedEncodingContainer<NestedKey>
    {
        self.key(key)
        return KeyedEncodingContainer(KeyedJSONContainer<NestedKey>(sink: sink, codingPath: []))
    }

    mutating func nestedUnkeyedContainer(forKey key: Key) -> any UnkeyedEncodingContainer {
        self.key(key)
        return UnkeyedJSONContainer(sink: sink, codingPath: [])
    }

    mutating func superEncoder() -> any Encoder { JSONStreamEncoder(sink: sink, codingPath: codingPath) }
    mutating func superEncoder(forKey key: Key) -> any Encoder {
        self.key(key)
        return JSONStreamEncoder(sink: sink, codingPath: [])
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
    mutating func encode(_ value: Int) throws { sink.writeInt(value) }
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
