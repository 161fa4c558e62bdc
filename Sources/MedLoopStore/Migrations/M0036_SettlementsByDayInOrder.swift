/// An institution's clearing day in time order (issue 21). The rule on settlements just under
/// the threshold reads the newest few of the institution's day after each settlement; the day's
/// index ended at the institution, so every settlement of its day was read and sorted to find
/// them: 1,460 rows for a busy one under the loop benchmark, 6 ms on each settlement. The index
/// keeps its name and its first columns, which the clearing and the monitor walk, and adds the
/// time and the id, so the rule reads its few rows backwards from `created_at` and stops.
extension Migrations {
    static let settlementsByDayInOrder = Migration(version: 36, name: "settlements_by_day_in_order") { _ in
        [
            "DROP INDEX settlements_by_day",
            "CREATE INDEX settlements_by_day ON settlements (clearing_day, region, institution_id, created_at, id)",
        ]
    }
}
