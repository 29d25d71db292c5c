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

/// The one conversion from the options' milliseconds to the reactor's nanoseconds.
package enum Nanoseconds {
    /// `milliseconds`, at least `floor`, in nanoseconds (a timeout of 0 ms would expire before it
    /// started: timeouts take a floor of 1 ms; intervals may be 0).
    @inline(__always)
    package static func from(milliseconds: Int, atLeast floor: Int = 1) -> UInt64 {
        UInt64(max(floor, milliseconds)) * 1_000_000
    }
}

extension ProbeOptions {
    /// The per-probe timeout on the reactor's clock.
    package var timeoutNanoseconds: UInt64 { Nanoseconds.from(milliseconds: timeoutMilliseconds) }
    /// The interval between two samples of one target on the reactor's clock (may be 0).
    package var intervalNanoseconds: UInt64 { Nanoseconds.from(milliseconds: intervalMilliseconds, atLeast: 0) }
}
