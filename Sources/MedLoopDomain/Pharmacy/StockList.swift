import Foundation

/// One row of a pharmacy's stock list: a product code, the packages on hand and the price.
public struct StockImportRow: Sendable, Hashable {
    public let line: Int
    public let productCode: String
    public let onHand: Int
    public let priceFen: Int64

    public init(line: Int, productCode: String, onHand: Int, priceFen: Int64) {
        self.line = line
        self.productCode = productCode
        self.onHand = onHand
        self.priceFen = priceFen
    }
}

/// A stock list as a pharmacy exports it: CSV with a header naming `productCode`, `onHand` and
/// `priceFen` in any order (other columns are ignored).
public enum StockList {
    public static let maximumRows = 5000

    /// The rows that read well, and the line and reason of every one that does not.
    ///
    /// - Throws: 400 on `file` when the header lacks a column, or there are too many rows.
    public static func parse(_ text: String) throws(DomainError) -> (rows: [StockImportRow], refused: [(line: Int, reason: String)]) {
        let records = try CSV.records(text)
        guard let header = records.first?.fields.map({ $0.trimmingCharacters(in: .whitespaces) }),
              let code = header.firstIndex(of: "productCode"), let onHand = header.firstIndex(of: "onHand"),
              let price = header.firstIndex(of: "priceFen") else {
            throw .invalidField("file", code: "header", "The first line names the columns productCode, onHand and priceFen.")
        }
        guard records.count - 1 <= maximumRows else {
            throw .invalidField("file", code: "too_many_rows", "A stock list has at most \(maximumRows) rows.")
        }
        var rows: [StockImportRow] = []
        var refused: [(line: Int, reason: String)] = []
        for record in records.dropFirst() {
            guard record.fields.count == header.count else {
                refused.append((record.line, "column_count")); continue
            }
            let productCode = record.fields[code].trimmingCharacters(in: .whitespaces)
            guard productCode.count == 7, productCode.allSatisfy({ $0.isASCII && $0.isNumber }) else {
                refused.append((record.line, "product_code")); continue
            }
            guard let count = Int(record.fields[onHand].trimmingCharacters(in: .whitespaces)) else {
                refused.append((record.line, "on_hand")); continue
            }
            guard let fen = Int64(record.fields[price].trimmingCharacters(in: .whitespaces)) else {
                refused.append((record.line, "price_fen")); continue
            }
            rows.append(StockImportRow(line: record.line, productCode: productCode, onHand: count, priceFen: fen))
        }
        return (rows, refused)
    }
}
