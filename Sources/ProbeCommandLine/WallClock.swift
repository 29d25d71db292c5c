#if canImport(Glibc)
import Glibc
#endif

/// The wall clock, for the timestamps reports carry (a label; durations use monotonic clocks).
package enum WallClock {
    package static func now() -> Double {
        var time = timespec()
        clock_gettime(CLOCK_REALTIME, &time)
        return Double(time.tv_sec) + Double(time.tv_nsec) / 1e9
    }
}
