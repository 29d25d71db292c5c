/// The lenient decoding every configuration type shares: each key is optional and takes its
/// default when missing (a configuration names only what it changes).
extension KeyedDecodingContainer {
    /// The value under `key`, or `fallback` when the key is missing or `null`.
    package func value<T: Decodable>(_ key: Key, or fallback: @autoclosure () throws -> T) throws -> T {
        try decodeIfPresent(T.self, forKey: key) ?? fallback()
    }
}
