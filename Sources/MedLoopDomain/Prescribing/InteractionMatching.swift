import Foundation

extension InteractionTable {
    /// The name of the shipped table in the MedLoopDomain resources.
    public static let shippedFileName = "interactions.json"

    /// Reads the table shipped with MedLoop. The app loads it once at start-up and refuses to
    /// start when it fails.
    public static func loadShipped() throws(ShippedDataError) -> InteractionTable {
        try validated(ShippedData.load(InteractionTable.self, from: shippedFileName))
    }

    /// `table` when every group it names exists and its ids are unique.
    ///
    /// - Throws: `ShippedDataError.unreadable` naming the first fault.
    public static func validated(_ table: InteractionTable) throws(ShippedDataError) -> InteractionTable {
        let groupIds = Set(table.groups.map(\.id))
        guard groupIds.count == table.groups.count else {
            throw .unreadable(file: shippedFileName, reason: "a group id is used twice")
        }
        guard Set(table.interactions.map(\.id)).count == table.interactions.count else {
            throw .unreadable(file: shippedFileName, reason: "an interaction id is used twice")
        }
        for interaction in table.interactions {
            for group in (interaction.a.groups ?? []) + (interaction.b.groups ?? []) where !groupIds.contains(group) {
                throw .unreadable(file: shippedFileName, reason: "interaction \(interaction.id) names the unknown group \(group)")
            }
        }
        return table
    }

    /// Whether `drug` is one of the products `selector` speaks of.
    public func matches(_ selector: DrugSelector, _ drug: Drug) -> Bool {
        if let names = selector.ingredients, drug.ingredients.contains(where: { names.contains($0.name) }) { return true }
        if let prefixes = selector.atc, prefixes.contains(where: { drug.atc.hasPrefix($0) }) { return true }
        if let groupIds = selector.groups {
            return groups.contains { groupIds.contains($0.id) && isMember(drug, of: $0) }
        }
        return false
    }

    /// Whether `drug` belongs to `group`, by ingredient or ATC prefix.
    public func isMember(_ drug: Drug, of group: DrugGroup) -> Bool {
        matches(DrugSelector(ingredients: group.ingredients, atc: group.atc), drug)
    }

    /// The interactions of the table between two different products, most serious first.
    public func interactions(between p: Drug, and q: Drug) -> [Interaction] {
        guard p.productCode != q.productCode else { return [] }
        return interactions
            .filter { (matches($0.a, p) && matches($0.b, q)) || (matches($0.a, q) && matches($0.b, p)) }
            .sorted { $0.severity > $1.severity }
    }

    /// The duplicate-therapy class listed for an ATC level-4 code, if two products of it at once
    /// are duplicate therapy.
    public func therapeuticClass(_ atcLevel4: String) -> TherapeuticClass? {
        therapeuticClasses.first { $0.atc == atcLevel4 }
    }
}
