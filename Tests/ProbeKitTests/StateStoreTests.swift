import Foundation
import Testing
import ProbeKit
import Ranking

@Suite struct StateStoreTests {
    @Test func aCorruptOrMissingStateFileStartsAfreshWithOneLine() throws {
        let path = NSTemporaryDirectory() + "probe-state-\(UUID().uuidString)/state.json"
        let store = StateStore(path: path)
        let missing = store.load()
        #expect(missing.state == StickyState() && missing.warning == nil)
        #expect(store.save(StickyState(choice: "198.18.1.1:443")) == nil)
        #expect(store.load().state.choice == "198.18.1.1:443")
        try "{not json".write(toFile: path, atomically: true, encoding: .utf8)
        let corrupt = store.load()
        #expect(corrupt.state == StickyState())
        #expect(corrupt.warning?.contains("corrupt") == true && corrupt.warning?.contains("\n") == false)
        #expect(store.save(StickyState(choice: "x")) == nil)  // replaced
        #expect(store.load().state.choice == "x")
    }
}
