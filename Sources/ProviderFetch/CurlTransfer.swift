import CLazyCurl
import FoundationEssentials
import Glibc
import ProbeSystem

/// One HTTP exchange through libcurl (loaded on first use), on a thread of its own so that the
/// blocking transfer never holds one of Swift's cooperative threads.
///
/// The body is counted as it arrives, after decoding, and the transfer stops the moment it
/// passes the cap: a gzip bomb or an endless body never costs more memory than the cap.
enum CurlTransfer {
    /// The request as the client builds it.
    struct Request: Sendable {
        var method: String
        var url: String
        var headers: [(String, String)]
        var body: Data?
        var timeout: Duration
        var maximumBody: Int
        var decode: Bool
    }

    /// Performs `request`; cancelling the task stops the transfer.
    static func perform(_ request: Request) async -> Result<HTTPAnswer, ProviderError> {
        let flag = CancelFlag()
        return await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<Result<HTTPAnswer, ProviderError>, Never>) in
                DetachedThread.start(name: "probe-http", stackSize: 512 << 10) { continuation.resume(returning: run(request, flag: flag)) }
            }
        } onCancel: {
            flag.set()
        }
    }

    /// The cancel flag libcurl's progress callback reads.
    final class CancelFlag: @unchecked Sendable {
        let pointer: UnsafeMutablePointer<Int32>
        init() {
            pointer = .allocate(capacity: 1)
            pointer.initialize(to: 0)
        }
        func set() { pointer.pointee = 1 }
        deinit { pointer.deallocate() }
    }

    private static func run(_ request: Request, flag: CancelFlag) -> Result<HTTPAnswer, ProviderError> {
        let lines = request.headers.map { "\($0.0): \($0.1)" }
        let milliseconds = max(1, request.timeout.components.seconds * 1_000 + request.timeout.components.attoseconds / 1_000_000_000_000_000)
        var answer = clazycurl_answer()
        let body = request.body ?? Data()
        withCStrings(lines) { headers in
            request.method.withCString { method in
                request.url.withCString { url in
                    body.withUnsafeBytes { bytes in
                        var spec = clazycurl_request(
                            method: method, url: url, headers: headers.baseAddress, header_count: Int32(lines.count),
                            body: request.body == nil ? nil : bytes.baseAddress, body_length: body.count,
                            timeout_ms: Int(milliseconds), maximum_body: request.maximumBody, decode: request.decode ? 1 : 0)
                        clazycurl_perform(&spec, &answer, flag.pointer)
                    }
                }
            }
        }
        defer { clazycurl_answer_free(&answer) }
        let reason = withUnsafeBytes(of: answer.error) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
        switch answer.failure {
        case 0: break
        case 1: return .failure(ProviderError(.tooLarge, "the answer is larger than \(request.maximumBody >> 20) MiB\(request.decode ? " (counted after decompression)" : ""): refused"))
        case 2: return .failure(ProviderError(.timeout, "no answer in time"))
        case 3: return .failure(ProviderError(.timeout, "cancelled"))
        case 4: return .failure(ProviderError(.network, "cannot connect (connection refused)"))
        case 5: return .failure(ProviderError(.network, "cannot resolve the host"))
        case 6: return .failure(ProviderError(.network, "TLS failed"))
        case 7: return .failure(ProviderError(.network, "the connection was lost"))
        case 8: return .failure(ProviderError(.malformedJSON, "the answer's compression is broken"))
        case 10: return .failure(ProviderError(.network, reason))
        default: return .failure(ProviderError(.network, "network error (libcurl \(answer.curl_code))"))
        }
        func text(_ pointer: UnsafeMutablePointer<CChar>?) -> String? { pointer.map { String(cString: $0) } }
        var result = HTTPAnswer(
            status: answer.status, body: answer.body.map { Data(bytes: $0, count: answer.body_length) } ?? Data(),
            contentType: text(answer.content_type)?.lowercased())
        result.retryAfter = text(answer.retry_after).flatMap(HTTPClient.retryAfter)
        result.location = text(answer.location)
        return .success(result)
    }

    /// `strings` as a C array of C strings for the length of `body`.
    private static func withCStrings<R>(_ strings: [String], _ body: (UnsafeBufferPointer<UnsafePointer<CChar>?>) -> R) -> R {
        let copies = strings.map { strdup($0) }
        defer { copies.forEach { free($0) } }
        let pointers = copies.map { UnsafePointer<CChar>($0) }
        return pointers.withUnsafeBufferPointer(body)
    }
}
