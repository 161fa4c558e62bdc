import Foundation

/// How far a figure lies above its peers, measured against the median and the median absolute
/// deviation (Iglewicz and Hoaglin's modified z-score), so that one extreme peer does not hide
/// another: `0.6745 × (x − median) / MAD`. When more than half the peers share one figure (MAD is
/// 0) the mean absolute deviation stands in (`(x − median) / (1.2533 × meanAD)`); when every peer
/// has the same figure, anything above it is infinitely far and anything else is 0.
public enum RobustZScore {
    /// The median of `values` (the mean of the middle two for an even count); 0 for none.
    public static func median(_ values: [Double]) -> Double {
        guard !values.isEmpty else { return 0 }
        let sorted = values.sorted()
        let middle = sorted.count / 2
        return sorted.count % 2 == 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2
    }

    /// The median absolute deviation from the median.
    public static func medianAbsoluteDeviation(_ values: [Double]) -> Double {
        let centre = median(values)
        return median(values.map { abs($0 - centre) })
    }

    /// The modified z-score of `value` among `peers`; positive above the peers' median, negative
    /// below, 0 at it or without peers.
    public static func score(of value: Double, among peers: [Double]) -> Double {
        guard !peers.isEmpty else { return 0 }
        let centre = median(peers)
        let distance = value - centre
        if distance == 0 { return 0 }
        let mad = medianAbsoluteDeviation(peers)
        if mad > 0 { return 0.6745 * distance / mad }
        let meanDeviation = peers.map { abs($0 - centre) }.reduce(0, +) / Double(peers.count)
        if meanDeviation > 0 { return distance / (1.253314 * meanDeviation) }
        return distance > 0 ? .infinity : -.infinity
    }
}
