import Foundation

/// RFC 4180 CSV: fields separated by commas, records by CRLF or LF; a field in double quotes may
/// hold commas, line breaks and doubled quotes. A byte-order mark at the start is ignored.
public enum CSV {
    /// The records of `text`, each a list of fields, with the line each record starts on.
    ///
    /// - Throws: 400 on `file` when a quoted field is never closed.
    public static func records(_ text: String) throws(DomainError) -> [(line: Int, fields: [String])] {
        // Read by Unicode scalar, not by Character: a combining mark after a comma or a quote
        // would otherwise join it into one grapheme and hide the separator.
        var records: [(line: Int, fields: [String])] = []
        var fields: [String] = []
        var field = String.UnicodeScalarView()
        var inQuotes = false
        var line = 1
        var recordLine = 1
        var scalars = Array(text.unicodeScalars)[...]
        if scalars.first == "\u{FEFF}" { scalars = scalars.dropFirst() }
        func endRecord() {
            fields.append(String(field))
            field = String.UnicodeScalarView()
            // A blank line is no record.
            if !(fields.count == 1 && fields[0].isEmpty) { records.append((recordLine, fields)) }
            fields = []
        }
        while let scalar = scalars.popFirst() {
            if inQuotes {
                if scalar == "\"" {
                    if scalars.first == "\"" {
                        field.append("\"")
                        scalars.removeFirst()
                    } else {
                        inQuotes = false
                    }
                    continue
                }
                // CRLF, LF or a lone CR inside a field is one line break of the file.
                if scalar == "\n" || (scalar == "\r" && scalars.first != "\n") { line += 1 }
                field.append(scalar)
                continue
            }
            switch scalar {
            case "\"" where field.isEmpty: inQuotes = true
            case ",": fields.append(String(field)); field = String.UnicodeScalarView()
            case "\r", "\n":
                if scalar == "\r", scalars.first == "\n" { scalars.removeFirst() }
                endRecord()
                line += 1
                recordLine = line
            default: field.append(scalar)
            }
        }
        if inQuotes { throw .invalidField("file", code: "unclosed_quote", "A quoted field starting on line \(recordLine) never closes.") }
        if !field.isEmpty || !fields.isEmpty { endRecord() }
        return records
    }
}
