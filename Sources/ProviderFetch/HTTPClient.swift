package import FoundationEssentials
import SafeText

/// What a provider answered.
package struct HTTPAnswer: Sendable {
    /// The HTTP status.
    package var status: Int
    /// The body (at most ``HTTPClient/maximumBodyBytes``).
    package var body: Data
    /// The Content-Type, lower-cased, when given.
    package var contentType: String?
    /// Seconds a 429 asked to wait (`Retry-After`), when it said.
    package var retryAfter: Double?
    /// Where a redirect (3xx) points, as given (`Location`).
    package var location: String?

    /// An answer.
    package init(status: Int, body: Data, contentType: String? = nil, retryAfter: Double? = nil) {
        self.status = status
        self.body = body
        self.contentType = contentType
        self.retryAfter = retryAfter
    }

    /// The body as JSON; an HTML page or broken JSON is a one-line error.
    package func json() throws(ProviderError) -> JSONValue {
        let start = body.prefix(64).drop { $0 == 0x20 || $0 == 0x0A || $0 == 0x0D || $0 == 0x09 }
        if contentType?.contains("html") == true || start.first == UInt8(ascii: "<") {
            throw ProviderError(.notJSON, "the answer is an HTML page, not JSON (a login or challenge page?)")
        }
        if body.isEmpty { throw ProviderError(.malformedJSON, "the answer is empty (HTTP \(status))") }
        return try JSONValue.parse(body)
    }
}

/// HTTP for providers: libcurl driven directly (``CurlTransfer``), a per-request timeout over the
/// whole exchange, a cap on body size enforced on the decoded bytes while the body streams in (a
/// gzip bomb stops at the cap, never inflated past it), bounded retries of 429 (honouring Retry-After) and 5xx, and redirects
/// followed by probe itself, only where the credentials may go (``Origin/admits(_:)``).
package struct HTTPClient: Sendable {
    /// Bodies larger than this are refused (the transfer is cancelled as soon as it is exceeded).
    package static let maximumBodyBytes = 32 << 20
    /// Retries of a 429 or 5xx answer, at most.
    package static let maximumRetries = 2
    /// Redirects followed for one request, at most.
    package static let maximumRedirects = 5
    /// `probe/VERSION`: names the program, never the account.
    package static let userAgent = "probe/\(ProbeVersion.current)"

    /// Per-request timeout.
    package var timeout: Duration
    /// Longest wait a Retry-After may ask for before probe gives up instead.
    package var maximumRetryAfter: Duration
    /// Where this provider's credentials belong (its configured URL's origin). Every request and
    /// every redirect must stay there; `nil`: the origin of each request's own URL.
    package var origin: Origin?

    /// A client.
    package init(timeout: Duration = .seconds(10), maximumRetryAfter: Duration = .seconds(10), origin: Origin? = nil) {
        self.timeout = timeout
        self.maximumRetryAfter = maximumRetryAfter
        self.origin = origin
    }

    /// Sends a request, retrying 429 and 5xx up to twice with backoff and following at most five
    /// redirects within the credentials' origin (or to https on its host); a redirect anywhere else,
    /// or from https to http, is not followed and is an error. The error never holds the request's
    /// headers or body (they carry credentials), nor a URL's query.
    package func send(
        _ method: String, _ url: URL, headers: [String: String] = [:], json body: JSONValue? = nil
    ) async throws(ProviderError) -> HTTPAnswer {
        guard let home = origin ?? Origin(url) else { throw ProviderError(.configuration, "\(Origin.display(url)) is not an http(s) URL") }
        guard home.admits(url) else { throw home.refusal(url, "not sent") }
        var attempt = 0
        var redirects = 0
        var method = method
        var url = url
        var body = body
        while true {
            let answer = try await once(method, url, headers: headers, body: body)
            if [301, 302, 303, 307, 308].contains(answer.status), let location = answer.location {
                guard let next = URL(string: location, relativeTo: url)?.absoluteURL else {
                    throw ProviderError(.redirect, "redirected to an unreadable location: not followed")
                }
                guard home.admits(next) else { throw home.refusal(next, "redirected to") }
                redirects += 1
                guard redirects <= Self.maximumRedirects else {
                    throw ProviderError(.redirect, "more than \(Self.maximumRedirects) redirects: not followed further")
                }
                // As browsers and curl do: 303 (and 301/302 after a POST) continue as GET without a body.
                if answer.status == 303 || (method == "POST" && (answer.status == 301 || answer.status == 302)) {
                    method = "GET"
                    body = nil
                }
                url = next
                continue
            }
            let retryable = answer.status == 429 || (500...599).contains(answer.status)
            guard retryable, attempt < Self.maximumRetries else { return answer }
            attempt += 1
            var wait = Duration.milliseconds(250 << attempt)  // 500 ms, then 1 s
            if answer.status == 429, let after = retryAfter(answer) {
                guard after <= maximumRetryAfter else { return answer }
                wait = after
            }
            do {
                try await Task.sleep(for: wait)
            } catch {
                throw ProviderError(.timeout, "cancelled while waiting to retry")
            }
        }
    }

    private func once(_ method: String, _ url: URL, headers: [String: String], body: JSONValue?) async throws(ProviderError) -> HTTPAnswer {
        var fields: [(String, String)] = [("Accept", "application/json"), ("User-Agent", Self.userAgent)]
        if body != nil { fields.append(("Content-Type", "application/json")) }
        for (name, value) in headers.sorted(by: { $0.key < $1.key }) {
            // A header value with a line break would be a second header (or a second request).
            guard !name.contains(where: { $0.isControlCharacter || $0 == ":" }), !value.contains(where: { $0.isControlCharacter }) else {
                throw ProviderError(.configuration, "header \(SafeText.quoted(name, limit: 40)): a line break or control character in it")
            }
            fields.removeAll { $0.0.lowercased() == name.lowercased() }
            fields.append((name, value))
        }
        let request = CurlTransfer.Request(
            method: method, url: url.absoluteString, headers: fields, body: body?.serialized(), timeout: timeout,
            maximumBody: Self.maximumBodyBytes, decode: true)
        return try await CurlTransfer.perform(request).get()
    }

    /// `Retry-After` as seconds, or an HTTP date turned into seconds from now.
    static func retryAfter(_ value: String) -> Double? {
        if let seconds = Double(value.trimmingSpaces()) { return seconds.isFinite ? max(0, seconds) : nil }
        // An absolute date in the header: wall-clock time is what it is written in.
        return UTCTime.httpDate(value.trimmingSpaces()).map { max(0, Double($0) - UTCTime.now()) }
    }

    private func retryAfter(_ answer: HTTPAnswer) -> Duration? {
        // A hostile header (`1e300`, `inf`, `nan`) must not trap: anything beyond a day is "too long".
        guard let seconds = answer.retryAfter, seconds.isFinite, seconds >= 0 else { return nil }
        return .milliseconds(Int64((min(seconds, 86_400) * 1_000).rounded()))
    }
}

extension JSONValue {
    /// JSON bytes.
    /// The value as a request body (the same writer as ``text(pretty:)``: whole numbers stay whole).
    func serialized() -> Data { Data(text(pretty: false).utf8) }
}
