import Foundation

/// The shipped prescribing knowledge: the drug catalogue and the clinical checks over the
/// interaction table. Read once at start-up; a bad file stops start-up with its name.
public struct Formulary: Sendable {
    public let catalogue: DrugCatalogue
    public let checks: ClinicalChecks

    public init(catalogue: DrugCatalogue, table: InteractionTable) {
        self.catalogue = catalogue
        checks = ClinicalChecks(table: table)
    }

    /// The catalogue and table shipped in the MedLoopDomain resources.
    public static func loadShipped() throws(ShippedDataError) -> Formulary {
        Formulary(catalogue: try DrugCatalogue.loadShipped(), table: try InteractionTable.loadShipped())
    }
}
