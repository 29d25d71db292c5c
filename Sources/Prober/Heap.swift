

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
