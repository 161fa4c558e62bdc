import Foundation

/// An institution's insurance budget for a month (DOMAIN.md, "Quotas"): the fund's shares of the
/// bills it settles are drawn on it, and a share that would pass it leaves the bill self-paid.
public enum InsuranceQuota {
    /// The Asia/Shanghai month a quota is counted in (`2026-12`).
    public static func month(of day: CalendarDate) -> String {
        String(day.description.prefix(7))
    }

    /// Whether drawing `drawFen` keeps the quota within its budget (the store applies exactly this
    /// in its conditional update, so that concurrent draws never pass it).
    public static func admits(drawFen: Int64, usedFen: Int64, budgetFen: Int64) -> Bool {
        drawFen >= 0 && usedFen + drawFen <= budgetFen
    }

    /// Checks a month given as input (`YYYY-MM`).
    ///
    /// - Throws: 400 on `month` (`format`).
    public static func checkMonth(_ text: String) throws(DomainError) -> String {
        guard CalendarDate(iso: text + "-01") != nil, text.count == 7 else {
            throw .invalidField("month", code: "format", "A month is YYYY-MM.")
        }
        return text
    }

    /// The institution whose monthly quota a bill's fund share draws on, or `nil` when it draws on
    /// none: the fund pays nothing, or the bill is settled across regions (the visited
    /// institution's quota is its own region's budget). An internet hospital draws on its physical
    /// hospital's quota when the policy shares quotas (DOMAIN.md, "Quotas").
    public static func holder(of bill: BillFacts, policy: RegionPolicy?, fundFen: Int64, isCrossRegion: Bool) -> UUID? {
        guard fundFen > 0, !isCrossRegion else { return nil }
        if policy?.quotaSharedWithPhysicalHospital == true, bill.institutionKind == .internetHospital, let hospital = bill.physicalHospitalId {
            return hospital
        }
        return bill.institutionId
    }
}
