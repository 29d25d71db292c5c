package import SafeText

/// Outside text made safe to print (``SafeText``), for the `probe` command.
package typealias SafeLine = SafeText
