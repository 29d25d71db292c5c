/// A binary min-heap (the standard library has none, and Prober takes no package).
package struct Heap<Element: Comparable> {
    private var storage: [Element]

    /// A heap from elements already in ascending order (which is a valid heap).
    package init(sortedElements: [Element]) { storage = sortedElements }

    /// An empty heap.
    package init() { storage = [] }

    /// The smallest element.
    package var min: Element? { storage.first }

    /// The number of elements.
    package var count: Int { storage.count }

    /// Adds an element in O(log n).
    package mutating func insert(_ element: Element) {
        storage.append(element)
        var child = storage.count - 1
        while child > 0 {
            let parent = (child - 1) / 2
            guard storage[child] < storage[parent] else { break }
            storage.swapAt(child, parent)
            child = parent
        }
    }

    /// Removes and returns the smallest element in O(log n).
    @discardableResult
    package mutating func removeMin() -> Element? {
        guard !storage.isEmpty else { return nil }
        storage.swapAt(0, storage.count - 1)
        let smallest = storage.removeLast()
        var parent = 0
        while true {
            let left = 2 * parent + 1
            let right = left + 1
            var candidate = parent
            if left < storage.count, storage[left] < storage[candidate] { candidate = left }
            if right < storage.count, storage[right] < storage[candidate] { candidate = right }
            if candidate == parent { break }
            storage.swapAt(parent, candidate)
            parent = candidate
        }
        return smallest
    }
}

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
