#if canImport(Glibc)
import Glibc
#endif

/// A point on `CLOCK_MONOTONIC`, in nanoseconds. probe never measures with wall-clock time.
package struct MonotonicInstant: Comparable, Hashable, Sendable {
    /// Nanoseconds since an arbitrary, fixed point (boot).
    package var nanoseconds: UInt64

    /// Wraps a nanosecond count.
    package init(nanoseconds: UInt64) { self.nanoseconds = nanoseconds }

    /// Reads `CLOCK_MONOTONIC` now.
    @inline(__always)
    package static func now() -> MonotonicInstant {
        var ts = timespec()
        clock_gettime(CLOCK_MONOTONIC, &ts)
        return MonotonicInstant(nanoseconds: UInt64(ts.tv_sec) &* 1_000_000_000 &+ UInt64(ts.tv_nsec))
    }

    /// This instant moved later by `ns` nanoseconds (saturating).
    @inline(__always)
    package func advanced(byNanoseconds ns: UInt64) -> MonotonicInstant {
        let (sum, overflow) = nanoseconds.addingReportingOverflow(ns)
        return MonotonicInstant(nanoseconds: overflow ? .max : sum)
    }

    /// Nanoseconds from `earlier` to this instant, 0 if `earlier` is later.
    @inline(__always)
    package func nanoseconds(since earlier: MonotonicInstant) -> UInt64 {
        nanoseconds >= earlier.nanoseconds ? nanoseconds - earlier.nanoseconds : 0
    }

    /// Milliseconds from `earlier` to this instant, as a `Double`.
    package func milliseconds(since earlier: MonotonicInstant) -> Double {
        Double(nanoseconds(since: earlier)) / 1_000_000
    }

    /// Earlier first.
    package static func < (lhs: MonotonicInstant, rhs: MonotonicInstant) -> Bool {
        lhs.nanoseconds < rhs.nanoseconds
    }
}
