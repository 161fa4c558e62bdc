import Foundation
import PropertyBased
import Testing
@testable import MedLoopDomain

/// One record as the reader gives it: the line it starts on and its fields.
struct CSVRecordRead: Sendable, Equatable, CustomStringConvertible {
    var line: Int
    var fields: [String]

    init(_ line: Int, _ fields: [String]) {
        self.line = line
        self.fields = fields
    }

    var description: String { "\(line): \(fields.map { $0.debugDescription })" }
}

/// A CSV text and the records read by hand from it.
struct CSVReadCase: Sendable, CustomTestStringConvertible {
    var what: String
    var text: String
    var records: [CSVRecordRead]

    var testDescription: String { what }
}

/// A stock list and what it reads as: the good rows, and the line and reason of every bad one.
struct StockListCase: Sendable, CustomTestStringConvertible {
    var what: String
    var text: String
    var rows: [StockImportRow]
    var refused: [String]

    var testDescription: String { what }
}

/// The records of `text` as values that compare; a refusal fails the test.
private func read(_ text: String) throws -> [CSVRecordRead] {
    try CSV.records(text).map { CSVRecordRead($0.line, $0.fields) }
}

/// Writes records as CSV the way RFC 4180 asks: a field holding a comma, a quote or a line break
/// is quoted with its quotes doubled (and, with `quoteAll`, every field is quoted).
private func csvText(_ records: [[String]], separator: String, trailing: Bool, quoteAll: Bool) -> String {
    func written(_ field: String) -> String {
        let needsQuotes = field.contains { $0 == "," || $0 == "\"" || $0.isNewline }
        guard needsQuotes || quoteAll else { return field }
        return "\"" + field.replacingOccurrences(of: "\"", with: "\"\"") + "\""
    }
    let lines = records.map { $0.map(written).joined(separator: ",") }
    return lines.joined(separator: separator) + (trailing ? separator : "")
}

private let stockHeader = "productCode,onHand,priceFen"

/// A header and `count` good rows.
private func aStockList(rows count: Int) -> String {
    ([stockHeader] + Array(repeating: "8100002,12,1750", count: count)).joined(separator: "\n")
}

/// Fields with every character that needs care in CSV, and some that do not.
private let trickyCharacters: [Character] = ["a", "Z", "7", " ", "\t", ";", "-", "药", "é", ",", "\"", "\n", "\r", "\r\n"]

@Suite("CSV: RFC 4180 records with the line each starts on, and stock lists read from them")
struct CSVTests {
    static let readCases: [CSVReadCase] = [
        CSVReadCase(what: "plain fields on LF lines", text: "a,b,c\n1,2,3\n",
                    records: [CSVRecordRead(1, ["a", "b", "c"]), CSVRecordRead(2, ["1", "2", "3"])]),
        CSVReadCase(what: "no line break after the last record", text: "a,b\nc,d",
                    records: [CSVRecordRead(1, ["a", "b"]), CSVRecordRead(2, ["c", "d"])]),
        CSVReadCase(what: "a quoted field holding commas", text: "\"Kecheng, Quzhou, Zhejiang\",x\n",
                    records: [CSVRecordRead(1, ["Kecheng, Quzhou, Zhejiang", "x"])]),
        CSVReadCase(what: "doubled quotes inside a quoted field", text: "\"say \"\"hi\"\"\",b\n",
                    records: [CSVRecordRead(1, ["say \"hi\"", "b"])]),
        CSVReadCase(what: "a quoted empty field and a field that is one quote", text: "\"\",\"\"\"\"\n",
                    records: [CSVRecordRead(1, ["", "\""])]),
        CSVReadCase(what: "a LF inside quotes: the next record starts two lines on", text: "\"line one\nline two\",b\nnext,row\n",
                    records: [CSVRecordRead(1, ["line one\nline two", "b"]), CSVRecordRead(3, ["next", "row"])]),
        CSVReadCase(what: "a CRLF inside quotes on CRLF lines", text: "\"a\r\nb\",c\r\nd,e\r\n",
                    records: [CSVRecordRead(1, ["a\r\nb", "c"]), CSVRecordRead(3, ["d", "e"])]),
        CSVReadCase(what: "two multi-line fields in one record", text: "\"1\n2\n3\",\"x\ny\"\nz\n",
                    records: [CSVRecordRead(1, ["1\n2\n3", "x\ny"]), CSVRecordRead(5, ["z"])]),
        CSVReadCase(what: "CRLF line ends", text: "a,b\r\nc,d\r\n",
                    records: [CSVRecordRead(1, ["a", "b"]), CSVRecordRead(2, ["c", "d"])]),
        CSVReadCase(what: "lone CR line ends", text: "a,b\rc,d\r",
                    records: [CSVRecordRead(1, ["a", "b"]), CSVRecordRead(2, ["c", "d"])]),
        CSVReadCase(what: "CRLF, LF and CR mixed", text: "a\r\nb\nc\rd",
                    records: [CSVRecordRead(1, ["a"]), CSVRecordRead(2, ["b"]), CSVRecordRead(3, ["c"]), CSVRecordRead(4, ["d"])]),
        CSVReadCase(what: "a byte-order mark at the start is not part of the first field", text: "\u{FEFF}productCode,onHand\n1,2\n",
                    records: [CSVRecordRead(1, ["productCode", "onHand"]), CSVRecordRead(2, ["1", "2"])]),
        CSVReadCase(what: "a byte-order mark before a quoted field", text: "\u{FEFF}\"a,b\",c",
                    records: [CSVRecordRead(1, ["a,b", "c"])]),
        CSVReadCase(what: "blank lines are skipped but counted", text: "a\n\n\nb\r\n\r\nc\r\rd\n\n",
                    records: [CSVRecordRead(1, ["a"]), CSVRecordRead(4, ["b"]), CSVRecordRead(6, ["c"]), CSVRecordRead(8, ["d"])]),
        CSVReadCase(what: "blank lines before the first record", text: "\n\r\na,b",
                    records: [CSVRecordRead(3, ["a", "b"])]),
        CSVReadCase(what: "empty fields, and a record of two empty fields", text: "a,,c\n,\n",
                    records: [CSVRecordRead(1, ["a", "", "c"]), CSVRecordRead(2, ["", ""])]),
        CSVReadCase(what: "a trailing comma at the end of the text", text: "a,",
                    records: [CSVRecordRead(1, ["a", ""])]),
        CSVReadCase(what: "spaces belong to the field", text: " a , b \n",
                    records: [CSVRecordRead(1, [" a ", " b "])]),
        CSVReadCase(what: "Chinese text, quoted and not", text: "\"衢州百姓大药房（荷花店）\",苯磺酸氨氯地平片\n",
                    records: [CSVRecordRead(1, ["衢州百姓大药房（荷花店）", "苯磺酸氨氯地平片"])]),
        CSVReadCase(what: "an empty text", text: "", records: []),
        CSVReadCase(what: "only blank lines", text: "\n\r\n\r", records: []),
        CSVReadCase(what: "only a byte-order mark", text: "\u{FEFF}", records: []),
    ]

    @Test("each CSV text reads as exactly its records, each with the line it starts on", arguments: readCases)
    func reads(_ example: CSVReadCase) throws {
        #expect(try read(example.text) == example.records)
    }

    @Test("a lone CR inside a quoted field is a line break too, so the record after it starts on the right line")
    func loneCarriageReturnInsideQuotes() throws {
        // Lone CR ends a line outside quotes (the reader's own rule), so it must count inside them too.
        let text = "\"a\rb\",c\rnext\r"
        #expect(try read(text) == [CSVRecordRead(1, ["a\rb", "c"]), CSVRecordRead(3, ["next"])])
    }

    @Test("a field that begins with a combining mark is still its own field after the comma or quote before it")
    func combiningMarkAtFieldStart() throws {
        // U+0301 (combining acute) and U+200D (zero-width joiner) join the character before them
        // into one Swift Character; CSV's separators are bytes and must still separate.
        let afterComma = "a,\u{301}b\n"
        #expect(try read(afterComma) == [CSVRecordRead(1, ["a", "\u{301}b"])])
        let insideQuotes = "\"\u{200D}x\",y\n"
        #expect(try read(insideQuotes) == [CSVRecordRead(1, ["\u{200D}x", "y"])])
    }

    @Test("a quoted field that never closes is refused on file with unclosed_quote",
          arguments: ["\"abc", "a,\"b\nc\n", "\"a\"\"", "x,y\n\"y,z\nmore\n", "\u{FEFF}\"", "a\n\n\"b\"\"\n"])
    func unclosedQuote(_ text: String) {
        #expect(fieldIssues { () throws(DomainError) in try CSV.records(text) } == ["file/unclosed_quote"])
    }

    @Test("fields holding commas, quotes and line breaks, written with RFC 4180 quoting, read back the same")
    func roundTrip() async {
        let character = Gen<Character?>.element(of: trickyCharacters).map { $0! }
        // A record of one empty field is a blank line, which the reader skips by design.
        let record = character.string(of: 0...6).array(of: 1...4).filter { $0 != [""] }
        let separator = Gen<String?>.element(of: ["\n", "\r\n", "\r"]).map { $0! }
        await propertyCheck(input: record.array(of: 1...5), separator, Gen.bool, Gen.bool) { records, separator, trailing, quoteAll in
            let text = csvText(records, separator: separator, trailing: trailing, quoteAll: quoteAll)
            guard let read = try? CSV.records(text) else {
                Issue.record("well-quoted CSV was refused: \(text.debugDescription)"); return
            }
            #expect(read.map(\.fields) == records, "\(text.debugDescription)")
        }
    }

    // MARK: Stock lists

    static let stockLists: [StockListCase] = [
        StockListCase(what: "the columns in the usual order",
                      text: "productCode,onHand,priceFen\n8100002,12,1750\n8100064,3,990\n",
                      rows: [StockImportRow(line: 2, productCode: "8100002", onHand: 12, priceFen: 1750),
                             StockImportRow(line: 3, productCode: "8100064", onHand: 3, priceFen: 990)],
                      refused: []),
        StockListCase(what: "columns in another order, with extra columns ignored",
                      text: "name,priceFen,shelf,productCode,onHand\r\n\"氨氯地平片, 5 mg\",1750,A3,8100002,12\r\n",
                      rows: [StockImportRow(line: 2, productCode: "8100002", onHand: 12, priceFen: 1750)],
                      refused: []),
        StockListCase(what: "a byte-order mark, spaces around names and values, and quoted values",
                      text: "\u{FEFF} productCode , onHand,priceFen \n\"8100002\", 7 ,\"990\"\n",
                      rows: [StockImportRow(line: 2, productCode: "8100002", onHand: 7, priceFen: 990)],
                      refused: []),
        StockListCase(what: "a header and no rows", text: "productCode,onHand,priceFen\n", rows: [], refused: []),
        StockListCase(what: "a count below zero and a price of zero read well (the stock rule refuses them later)",
                      text: "productCode,onHand,priceFen\n8100002,-4,0\n",
                      rows: [StockImportRow(line: 2, productCode: "8100002", onHand: -4, priceFen: 0)],
                      refused: []),
        StockListCase(what: "a row after a multi-line note starts on its own line",
                      text: "productCode,onHand,priceFen,note\n8100002,1,100,\"two\nlines\"\n8100064,x,100,\n8100118,2,200,ok\n",
                      rows: [StockImportRow(line: 2, productCode: "8100002", onHand: 1, priceFen: 100),
                             StockImportRow(line: 5, productCode: "8100118", onHand: 2, priceFen: 200)],
                      refused: ["4 on_hand"]),
        StockListCase(what: "each bad row reported with its line and reason while the good rows are kept",
                      text: """
                      productCode,onHand,priceFen
                      8100002,12,1750
                      8100003,5
                      810000,5,100
                      81000021,5,100
                      81O0002,5,100
                      ８１００００２,5,100
                      8100006,2.5,100
                      8100006,,100
                      8100006,ten,100
                      8100006,3,12.50
                      8100006,3,¥100
                      8100006,3,
                      8100118,1,2,3

                      8100064,9,990
                      """,
                      rows: [StockImportRow(line: 2, productCode: "8100002", onHand: 12, priceFen: 1750),
                             StockImportRow(line: 16, productCode: "8100064", onHand: 9, priceFen: 990)],
                      refused: ["3 column_count", "4 product_code", "5 product_code", "6 product_code", "7 product_code",
                                "8 on_hand", "9 on_hand", "10 on_hand", "11 price_fen", "12 price_fen", "13 price_fen",
                                "14 column_count"]),
    ]

    @Test("a stock list reads as its good rows and the line and reason of each bad one", arguments: stockLists)
    func stockList(_ example: StockListCase) throws {
        let parsed = try StockList.parse(example.text)
        #expect(parsed.rows == example.rows)
        #expect(parsed.refused.map { "\($0.line) \($0.reason)" } == example.refused)
    }

    @Test("a stock list whose header lacks productCode, onHand or priceFen is refused on file with header",
          arguments: ["onHand,priceFen\n8100002,1,100", "productCode,priceFen\n8100002,100",
                      "productCode,onHand,price\n8100002,1,100", "product_code,on_hand,price_fen\n8100002,1,100",
                      "8100002,1,100\nproductCode,onHand,priceFen", "", "\n\n"])
    func missingColumn(_ text: String) {
        #expect(fieldIssues { () throws(DomainError) in try StockList.parse(text) } == ["file/header"])
    }

    @Test("a stock list with an unclosed quote is refused on file with unclosed_quote")
    func stockListUnclosedQuote() {
        let text = "productCode,onHand,priceFen\n8100002,\"1,100\n"
        #expect(fieldIssues { () throws(DomainError) in try StockList.parse(text) } == ["file/unclosed_quote"])
    }

    @Test("a stock list of 5000 rows is read whole; one of 5001 is refused on file with too_many_rows")
    func rowLimit() throws {
        #expect(StockList.maximumRows == 5000)
        let full = try StockList.parse(aStockList(rows: 5000))
        #expect(full.rows.count == 5000)
        #expect(full.refused.isEmpty)
        #expect(full.rows.last?.line == 5001)
        let over = aStockList(rows: 5001)
        #expect(fieldIssues { () throws(DomainError) in try StockList.parse(over) } == ["file/too_many_rows"])
        // Blank lines are not rows.
        let spaced = try StockList.parse(aStockList(rows: 5000) + "\n\n\n")
        #expect(spaced.rows.count == 5000)
    }
}
