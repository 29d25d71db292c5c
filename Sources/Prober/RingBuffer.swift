

/// A growable FIFO queue with O(1) append and removeFirst.
struct RingBuffer<Element> {
    private var storage: [Element?]
    private var head = 0
    private(set) var count = 0

    /// An empty queue with room for `capacity` elements before it grows.
    init(capacity: Int) { storage = Array(repeating: nil, count: Swift.max(1, capacity)) }

    /// The oldest element.
    var first: Element? { count == 0 ? nil : storage[head] }

    /// Appends at the back, growing when full.
    mutating func append(_ element: Element) {
        if count == storage.count { grow() }
        storage[(head + count) % storage.count] = element
        count += 1
    }

    /// Removes the oldest element.
    @discardableResult
    mutating func removeFirst() -> Element? {
        guard count > 0 else { return nil }
        let element = storage[head]
        storage[head] = nil
        head = (head + 1) % storage.count
        count -= 1
        return element
    }

    private mutating func grow() {
        var bigger: [Element?] = Array(repeating: nil, count: storage.count * 2)
        for offset in 0..<count { bigger[offset] = storage[(head + offset) % storage.count] }
        storage = bigger
        head = 0
    }
}
