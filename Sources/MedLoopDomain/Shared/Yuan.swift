import Foundation

/// Money in words: fen as yuan with two decimals (`320` → `3.20`).
public enum Yuan {
    public static func text(_ fen: Int64) -> String {
        let sign = fen < 0 ? "-" : ""
        let magnitude = fen.magnitude
        let cents = magnitude % 100
        return "\(sign)\(magnitude / 100).\(cents < 10 ? "0" : "")\(cents)"
    }

    /// Basis points as a percentage (`1000` → `10%`, `6050` → `60.5%`).
    public static func percent(_ basisPoints: Int) -> String {
        let whole = basisPoints / 100
        var fraction = basisPoints % 100
        guard fraction != 0 else { return "\(whole)%" }
        var digits = fraction < 10 ? "0\(fraction)" : "\(fraction)"
        while fraction % 10 == 0 { fraction /= 10; digits.removeLast() }
        return "\(whole).\(digits)%"
    }

    /// The fen of an amount a person typed in yuan: ASCII digits with at most two decimals
    /// (`12`, `12.5`, `12.50`), more than zero and at most `limitFen`.
    ///
    /// - Throws: 400 on `field`: `format` when it is not such an amount, `range` when it is zero
    ///   or over the limit.
    public static func fen(_ text: String, field: String, limitFen: Int64) throws(DomainError) -> Int64 {
        let trimmed = text.trimmingCharacters(in: .whitespaces)
        let parts = trimmed.split(separator: ".", maxSplits: 1, omittingEmptySubsequences: false)
        guard let whole = parts.first, !whole.isEmpty, whole.count <= 12, whole.allSatisfy({ $0.isASCII && $0.isNumber }),
              parts.count == 1 || (1...2).contains(parts[1].count) && parts[1].allSatisfy({ $0.isASCII && $0.isNumber }),
              let yuan = Int64(whole) else {
            throw .invalidField(field, code: "format", "Write an amount in yuan, like 50 or 12.50.")
        }
        let decimals = parts.count == 2 ? String(parts[1]) : ""
        let fen = yuan * 100 + (Int64(decimals.padding(toLength: 2, withPad: "0", startingAt: 0)) ?? 0)
        guard fen > 0, fen <= limitFen else {
            throw .invalidField(field, code: "range", "The amount must be more than 0 and at most \(Yuan.text(limitFen)) yuan.")
        }
        return fen
    }
}
