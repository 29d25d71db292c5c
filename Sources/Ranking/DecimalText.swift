/// The one way a figure in a reason or a note is written: whole numbers without a point, the
/// rest to one decimal (`12`, `12.5`), so that a reason reads the same wherever it is made.
/// (Ranking imports nothing: this is its own, and ProbeKit's notes use it too.)
package enum DecimalText {
    /// `value` to one decimal, without `.0`; a value beyond any plausible figure (or not finite)
    /// is written as Swift writes it rather than trapping on the conversion to an integer.
    package static func oneDecimal(_ value: Double) -> String {
        let rounded = (value * 10).rounded() / 10
        if rounded == rounded.rounded(), abs(rounded) < 1e15 { return String(Int64(rounded)) }
        return String(rounded)
    }
}
