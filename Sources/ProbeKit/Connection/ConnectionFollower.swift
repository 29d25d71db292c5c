import FoundationEssentials
import ProviderFetch
import SafeText

/// `probe serve --connect DIR`: the connection to the current pick, kept in DIR, fetched again
/// only when the pick moves to another server.
///
/// On a switch the new material is fetched first; only once it is in hand is the previous
/// connection given back at its provider (what it created there, as `probe release` does) and
/// its files replaced, so DIR never holds two connections and the provider is never left with
/// an orphan. When the new material cannot be had, DIR keeps the previous connection and the
/// round's errors say why; the next round tries again. A manifest already in DIR for the pick
/// (probe restarted) is kept as it is.
package struct ConnectionFollower: Sendable {
    /// Where the connection is written (0700, files 0600).
    package let directory: String
    /// How it is fetched.
    package let options: ProbeClient.ConnectOptions
    private var current: Connection?
    /// The directory, held (locked) from the first round on, for as long as serve runs.
    private var reservation: ConnectionDirectory.Reservation?
    /// The pick (its candidate id) ``current`` was fetched for.
    private var currentPick: String?

    /// A follower writing into `directory`; a connection probe wrote there before is taken over.
    package init(directory: String, options: ProbeClient.ConnectOptions) {
        self.directory = directory
        self.options = options
        current = try? ConnectionDirectory.read(directory)
    }

    /// Puts the connection to `report`'s pick in its ``ProbeReport/connection`` (fetching and
    /// writing it when the pick moved) and returns what was done, a line each, for the log.
    package mutating func follow(_ report: inout ProbeReport, client: ProbeClient) async -> [String] {
        guard let best = report.best else { return [] }
        if let current, currentPick == best.candidateID {
            report.connection = current
            return []
        }
        if currentPick == nil, let current, let server = best.server, current.server.provider == server.provider, current.server.id == server.id {
            currentPick = best.candidateID
            report.connection = current
            return ["connection: \(SafeText.escaped(directory)) already holds \(current.description): kept"]
        }
        var lines: [String] = []
        report.connection = nil
        do {
            if reservation == nil { reservation = try ConnectionDirectory.Reservation(directory, for: .follow) }
            try await client.attachConnection(to: &report, options: options, reservation: reservation, writes: false)
        } catch {
            return ["connection: \(error.message)"]
        }
        guard let fresh = report.connection else { return lines }  // the report's errors say why; DIR keeps the previous one
        if let previous = current {
            if !previous.created.isEmpty {
                do {
                    lines += try await client.release(previous)
                } catch {
                    // Keep the previous connection (its files say what to release by hand); the new one
                    // is given back (nothing orphaned at its provider) and the next round tries again.
                    _ = try? await client.release(fresh)
                    report.connection = nil
                    report.errors.append(ReportError(source: "connect", message: "the previous connection was not released, so the new one is not written: \(error.message)"))
                    return lines
                }
            }
            _ = ConnectionDirectory.remove(previous, at: directory, keepDirectory: true)
        }
        do throws(ProbeClientError) {
            guard let reservation else { throw ProbeClientError(.connection, "\(SafeText.quoted(directory)) is not held") }
            try reservation.write(fresh)
        } catch {
            _ = try? await client.release(fresh)  // written nowhere: nothing may stay created for it
            reservation?.clearPending(provider: fresh.provider)
            current = nil
            currentPick = nil
            report.connection = nil
            report.errors.append(ReportError(source: "connect", message: error.message))
            return lines
        }
        current = fresh
        currentPick = best.candidateID
        var line = "connection: \(fresh.description) in \(SafeText.escaped(directory))"
        if let reason = fresh.fallbackReason { line += " (fallback: \(reason))" }
        lines.append(line)
        return lines
    }
}
