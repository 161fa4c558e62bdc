import Foundation
import Hummingbird
import MedLoopDomain

/// What the prescribing and medicine-order pages share: a prescription's values in the page's language.
extension WebKit {
    /// A prescription as the API showed it, with its items' drug names and its findings' messages in
    /// the page's language, each finding numbered (`index`) for its override form, and `validUntilText`.
    func prescribingValues(_ prescription: [String: Any], context: AppContext) -> [String: Any] {
        let english = context.language == .english
        var prescription = prescription
        prescription["validUntilText"] = Self.chinaTime(prescription["validUntil"])
        prescription["items"] = (prescription["items"] as? [[String: Any]] ?? []).map { item in
            var item = item
            item["name"] = (english ? item["genericNameEn"] : item["genericNameZh"]) ?? ""
            return item
        }
        prescription["findings"] = (prescription["findings"] as? [[String: Any]] ?? []).enumerated().map { index, finding in
            var finding = finding
            finding["index"] = index
            finding["message"] = (english ? finding["messageEn"] : finding["messageZh"]) ?? ""
            return finding
        }
        return prescription
    }

    /// An instant the renderer leaves as it is (its key does not end in `At`), in China Standard Time.
    static func chinaTime(_ value: Any?) -> String? {
        (value as? String).flatMap(Timestamp.parse).map(ChinaTime.text)
    }
}
