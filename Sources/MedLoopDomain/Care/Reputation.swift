import Foundation

/// A patient's rating of a finished consultation (care issue, reputation).
public struct Rating: Sendable, Equatable {
    public var efficiency: Int
    public var attitude: Int
    public var professionalism: Int
    public var comment: String?

    /// The scores a patient may give in each dimension.
    public static let scoreRange: ClosedRange<Int> = 1...5

    /// Each score is 1 to 5; a comment has at most 500 characters.
    public init(efficiency: Int, attitude: Int, professionalism: Int, comment: String?) throws(DomainError) {
        var validator = FieldValidator()
        for (field, score) in [("efficiency", efficiency), ("attitude", attitude), ("professionalism", professionalism)]
            where !Rating.scoreRange.contains(score) {
            validator.add(field, code: "range", "A score is from 1 to 5.")
        }
        let trimmed = comment?.trimmingCharacters(in: .whitespacesAndNewlines)
        if let trimmed, trimmed.count > 500 {
            validator.add("comment", code: "length", "A comment has at most 500 characters.")
        }
        try validator.finish()
        self.efficiency = efficiency
        self.attitude = attitude
        self.professionalism = professionalism
        self.comment = trimmed?.isEmpty == true ? nil : trimmed
    }

    /// The overall stars of this rating: the mean of the three scores, rounded half up.
    public var stars: Int { (efficiency + attitude + professionalism + 1) / 3 }

    /// The mean of `count` scores (or overall stars) that add up to `total`, in tenths of a star,
    /// rounded half up: 4.65 stars is 47. Exact for every `Int64` input, and always between ten
    /// times the lowest and ten times the highest of the scores averaged.
    ///
    /// - Returns: `nil` when there is nothing to average (`count` ≤ 0) or `total` cannot be the
    ///   sum of `count` scores of `scoreRange`.
    public static func averageTenths(total: Int64, count: Int64) -> Int? {
        guard count > 0 else { return nil }
        let (least, leastOverflows) = count.multipliedReportingOverflow(by: Int64(scoreRange.lowerBound))
        let (most, mostOverflows) = count.multipliedReportingOverflow(by: Int64(scoreRange.upperBound))
        guard !leastOverflows, total >= least, mostOverflows || total <= most else { return nil }
        // total / count = whole + remainder / count with 0 ≤ remainder < count; the tenths of the
        // fraction are computed in double width, so no count is too large.
        let whole = total / count
        let remainder = total % count
        let (tenth, rest) = count.dividingFullWidth(remainder.multipliedFullWidth(by: 10))
        let roundsUp = rest >= count - rest
        return Int(whole) * 10 + Int(tenth) + (roundsUp ? 1 : 0)
    }
}

/// Virtual gifts a patient may send a doctor after a consultation, with their prices.
public enum GiftKind: String, Codable, Sendable, CaseIterable {
    case thankYouCard, flowers, banner

    public var priceFen: Int64 {
        switch self {
        case .thankYouCard: return 300
        case .flowers: return 990
        case .banner: return 2000   // 锦旗
        }
    }

    public var nameZh: String {
        switch self {
        case .thankYouCard: return "感谢信"
        case .flowers: return "鲜花"
        case .banner: return "锦旗"
        }
    }
}

/// The yearly list of top doctors.
public enum TopDoctors {
    /// The documented score of a doctor for a year: the Bayesian average of the year's overall
    /// stars, pulled towards 4.0 with the weight of 10 ratings, in thousandths of a star; gifts
    /// break ties (one point per gift, at most 999).
    public static func score(starsTotal: Int64, ratings: Int64, gifts: Int64) -> Int64 {
        let average = (starsTotal * 1000 + 4000 * 10) / (ratings + 10)
        return average * 1000 + min(gifts, 999)
    }
}
