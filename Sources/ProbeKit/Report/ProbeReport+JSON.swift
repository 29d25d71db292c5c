import ProviderFetch
/// The report's JSON, written once: `--json`, each `report --format jsonl` round and the library's
/// `Codable` all follow this schema and key order (the README's table).
extension ProbeReport {
    /// Streams the report as one JSON object: `ranked` one entry at a time (memory stays flat
    /// however many servers there are), handing bytes to `write` every 64 KiB. `pretty` puts each
    /// top-level key and each entry on a line of its own (`--json`); otherwise it is one line
    /// (`jsonl`), with `prefix` keys (already encoded, e.g. `"round":3,`) first.
    package func writeJSON(pretty: Bool = true, prefix: String = "", to write: (inout [UInt8]) -> Void) throws {
        let encoder = StreamingJSONEncoder()
        var bytes: [UInt8] = []
        bytes.reserveCapacity(1 << 16)
        let newline = pretty ? "\n  " : ""
        let space = pretty ? " " : ""
        var first = true
        func key(_ name: String) {
            bytes.append(contentsOf: ((first ? "{" + prefix : ",") + newline + "\"\(name)\":" + space).utf8)
            first = false
        }
        func value(_ encodable: some Encodable) throws { try encoder.encode(encodable, into: &bytes) }
        func null() { bytes.append(contentsOf: "null".utf8) }
        key("best")
        if let best { try value(best) } else { null() }
        key("ranked")
        bytes.append(UInt8(ascii: "["))
        for (index, entry) in ranked.enumerated() {
            if index > 0 { bytes.append(UInt8(ascii: ",")) }
            if pretty { bytes.append(contentsOf: "\n    ".utf8) }
            try value(entry)
            if bytes.count >= 1 << 16 { write(&bytes) }
        }
        if pretty, !ranked.isEmpty { bytes.append(contentsOf: "\n  ".utf8) }
        bytes.append(UInt8(ascii: "]"))
        key("errors")
        try value(errors)
        key("elapsed_ms")
        try value(elapsedMs)
        key("sweep")
        if let sweep { try value(sweep) } else { null() }
        if let sticky {
            key("sticky")
            try value(sticky)
        }
        if !notes.isEmpty {
            key("notes")
            try value(notes)
        }
        if let early {
            key("early")
            try value(early)
        }
        key("providers")
        try value(providers)
        key("durations")
        if let durations { try value(durations) } else { null() }
        if let connection {
            key("connection")
            try value(connection)
        }
        key("version")
        try value(ProbeVersion.current)
        bytes.append(contentsOf: (pretty ? "\n}\n" : "}").utf8)
        write(&bytes)
    }

    /// The report as JSON text (see ``writeJSON(pretty:prefix:to:)``).
    package func jsonText(pretty: Bool = true, prefix: String = "") -> String {
        var text: [UInt8] = []
        try? writeJSON(pretty: pretty, prefix: prefix) { bytes in
            text += bytes
            bytes.removeAll(keepingCapacity: true)
        }
        return String(decoding: text, as: UTF8.self)
    }
}
