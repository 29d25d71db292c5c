/// The lenient decoding of the ranking's configuration types: each key is optional and takes its
/// default when missing. (Ranking imports nothing: the same helper as the other layers', its own copy.)
extension KeyedDecodingContainer {
    /// The value under `key`, or `fallback` when the key is missing or `null`.
    func value<T: Decodable>(_ key: Key, or fallback: @autoclosure () throws -> T) throws -> T {
        try decodeIfPresent(T.self, forKey: key) ?? fallback()
    }
}
