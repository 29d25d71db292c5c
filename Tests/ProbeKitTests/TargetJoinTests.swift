import Testing
@testable import ProbeKit

/// The client's targets from arguments, files and configuration, in that order; one source alone
/// is passed on as it is, not copied (a 10,000-target file is a megabyte held once, not twice).
@Suite struct TargetJoinTests {
    @Test func partsJoinInOrderAndALoneOneIsShared() {
        #expect(ProbeClient.joined([[1, 2], [], [3]]) == [1, 2, 3])
        #expect(ProbeClient.joined([[Int](), []]).isEmpty)
        let alone = Array(0..<10_000)
        let joined = ProbeClient.joined([[], alone, []])
        let same = alone.withUnsafeBufferPointer { a in joined.withUnsafeBufferPointer { b in a.baseAddress == b.baseAddress } }
        #expect(joined == alone && same, "one source alone is not copied")
    }
}
