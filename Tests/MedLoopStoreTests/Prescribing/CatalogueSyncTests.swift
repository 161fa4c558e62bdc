import Foundation
import MedLoopDomain
import MedLoopStore
import MedLoopTestSupport
import SQLKit
import Testing

@Suite("The drugs table follows the shipped catalogue")
struct CatalogueSyncTests {
    @Test("a migrated database holds the catalogue; a product changed or missing since is written at start-up, once")
    func sync() async throws {
        try await withTestDatabase { database in
            let formulary = try aFormulary()
            let stores = Stores(database: database, cipher: try aCipher(), dataDirectory: FileManager.default.temporaryDirectory,
                                formulary: formulary)
            let count = { @Sendable in
                try await database.read { try await $0.raw("SELECT COUNT(*) AS n FROM drugs").first()?.decode(column: "n", as: Int.self) ?? 0 }
            }
            #expect(try await count() == formulary.catalogue.drugs.count)
            #expect(try await stores.prescriptions.syncCatalogue() == 0)
            try await database.unitOfWork { tx in
                try await tx.sql.raw("UPDATE drugs SET generic_name_en = 'stale', document = '{}' WHERE product_code = '8100002'").run()
                try await tx.sql.raw("DELETE FROM drugs WHERE product_code = '8200205'").run()
            }
            #expect(try await stores.prescriptions.syncCatalogue() == 2)
            #expect(try await stores.prescriptions.syncCatalogue() == 0)
            #expect(try await count() == formulary.catalogue.drugs.count)
            let name = try await database.read {
                try await $0.raw("SELECT generic_name_en FROM drugs WHERE product_code = '8100002'").first()?.decode(column: "generic_name_en", as: String.self)
            }
            #expect(name == formulary.catalogue.drug(productCode: "8100002")?.genericNameEn)
        }
    }
}
