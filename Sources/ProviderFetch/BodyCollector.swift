import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// Collects a response body up to a limit, cancelling the transfer once it is exceeded.
final class BodyCollector: NSObject, URLSessionDataDelegate, @unchecked Sendable {
    private let lock = NSLock()
    private let limit: Int
    private var data = Data()
    private var response: HTTPURLResponse?
    private var task: URLSessionDataTask?
    private var continuation: CheckedContinuation<Result<HTTPAnswer, ProviderError>, Never>?
    private var tooLarge = false
    private var cancelled = false
    private var timedOut = false
    private var compressed: String?

    init(limit: Int) { self.limit = limit }

    func start(_ task: URLSessionDataTask, continuation: CheckedContinuation<Result<HTTPAnswer, ProviderError>, Never>) {
        lock.withLock {
            self.task = task
            self.continuation = continuation
        }
        if lock.withLock({ cancelled }) { task.cancel() }
        task.resume()
    }

    func cancel() {
        let task = lock.withLock { () -> URLSessionDataTask? in
            cancelled = true
            return self.task
        }
        task?.cancel()
    }

    /// The request's time is up: cancel it and report a timeout (a no-op once it has finished).
    func timeOut() {
        let task = lock.withLock { () -> URLSessionDataTask? in
            guard continuation != nil else { return nil }
            timedOut = true
            return self.task
        }
        task?.cancel()
    }

    /// Redirects are never followed here: ``HTTPClient/send(_:_:headers:json:)`` decides, because
    /// URLSession would carry the credentials (headers and body) to wherever the answer points.
    func urlSession(_ session: URLSession, task: URLSessionTask, willPerformHTTPRedirection response: HTTPURLResponse,
                    newRequest request: URLRequest, completionHandler: @escaping @Sendable (URLRequest?) -> Void) {
        completionHandler(nil)
    }

    func urlSession(_ session: URLSession, dataTask: URLSessionDataTask, didReceive response: URLResponse,
                    completionHandler: @escaping @Sendable (URLSession.ResponseDisposition) -> Void) {
        let http = response as? HTTPURLResponse
        let declared = http?.expectedContentLength ?? -1
        lock.withLock { self.response = http }
        let encoding = http?.value(forHTTPHeaderField: "Content-Encoding")?.trimmingCharacters(in: .whitespaces).lowercased() ?? ""
        if !encoding.isEmpty, encoding != "identity" {
            lock.withLock { compressed = encoding }
            completionHandler(.cancel)
            return
        }
        if declared > limit {
            lock.withLock { tooLarge = true }
            completionHandler(.cancel)
            return
        }
        completionHandler(.allow)
    }

    func urlSession(_ session: URLSession, dataTask: URLSessionDataTask, didReceive data: Data) {
        let over = lock.withLock { () -> Bool in
            if tooLarge || compressed != nil { return true }
            self.data.append(data)
            if self.data.count > limit {
                tooLarge = true
                self.data = Data()
                return true
            }
            return false
        }
        if over { dataTask.cancel() }
    }

    func urlSession(_ session: URLSession, task: URLSessionTask, didCompleteWithError error: (any Error)?) {
        let (continuation, result) = lock.withLock { () -> (CheckedContinuation<Result<HTTPAnswer, ProviderError>, Never>?, Result<HTTPAnswer, ProviderError>) in
            let pending = self.continuation
            self.continuation = nil
            if let compressed {
                let shown = compressed.prefix(20).filter { $0.isLetter || $0.isNumber || $0 == "-" }
                return (pending, .failure(ProviderError(.tooLarge, "the answer is compressed (Content-Encoding: \(shown)) though probe asked for none: refused")))
            }
            if tooLarge {
                return (pending, .failure(ProviderError(.tooLarge, "the answer is larger than \(limit >> 20) MiB")))
            }
            if timedOut { return (pending, .failure(ProviderError(.timeout, "no answer in time"))) }
            if let error {
                let code = (error as NSError).code
                if code == NSURLErrorTimedOut { return (pending, .failure(ProviderError(.timeout, "no answer in time"))) }
                if cancelled || code == NSURLErrorCancelled { return (pending, .failure(ProviderError(.timeout, "cancelled"))) }
                return (pending, .failure(ProviderError(.network, Self.describe(error))))
            }
            guard let response else { return (pending, .failure(ProviderError(.network, "no HTTP response"))) }
            var answer = HTTPAnswer(status: response.statusCode, body: data,
                                    contentType: (response.value(forHTTPHeaderField: "Content-Type"))?.lowercased())
            answer.retryAfter = response.value(forHTTPHeaderField: "Retry-After").flatMap(Self.retryAfter)
            answer.location = response.value(forHTTPHeaderField: "Location")
            return (pending, .success(answer))
        }
        continuation?.resume(returning: result)
    }

    /// `Retry-After` as seconds, or an HTTP date turned into seconds from now.
    static func retryAfter(_ value: String) -> Double? {
        if let seconds = Double(value.trimmingCharacters(in: .whitespaces)) { return seconds.isFinite ? max(0, seconds) : nil }
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "GMT")
        formatter.dateFormat = "EEE, dd MMM yyyy HH:mm:ss zzz"
        // An absolute date in the header: wall-clock time is what it is written in.
        return formatter.date(from: value).map { max(0, $0.timeIntervalSinceNow) }
    }

    /// A one-line reason without the URL's query (which might carry a token).
    static func describe(_ error: any Error) -> String {
        let nsError = error as NSError
        switch nsError.code {
        case NSURLErrorCannotConnectToHost: return "cannot connect (connection refused)"
        case NSURLErrorCannotFindHost, NSURLErrorDNSLookupFailed: return "cannot resolve the host"
        case NSURLErrorNetworkConnectionLost: return "the connection was lost"
        case NSURLErrorSecureConnectionFailed, NSURLErrorServerCertificateUntrusted: return "TLS failed"
        default: return "network error \(nsError.code)"
        }
    }
}
