import Foundation
import MedLoopDomain
@testable import MedLoopStore
import MedLoopTestSupport
import PropertyBased
import Testing

/// The audit chain as each engine seals it: in Swift on SQLite, in the database on PostgreSQL
/// (`medloop_audit_append`, M0035). Either way, `AuditChain.hash(of:)` must find every hash.
@Suite("Audit lines sealed by the database")
struct AuditSealingTests {
    /// Texts that could move across a field boundary or be read differently: separators, quotes,
    /// escapes, several bytes a character, the marker of an absent field.
    static let text = Gen.element(of: Array("a,:-'\"\\/ 0高血压😀\n{}")).compactMap { $0 }.array(of: 0...6).map { String($0) }
    static let optionalText = text.optional(valueRate: 0.6)

    @Test("audit lines with any text, written with events in the same unit or without, are sealed as AuditChain hashes them")
    func anyLineIsSealedAsSwiftHashesIt() async throws {
        try await withTestDatabase { database in
            let audit = AuditStore(database: database)
            var written = 0
            await propertyCheck(count: 40, input: Self.text, Self.optionalText, Self.optionalText, Self.optionalText,
                                Gen.int(in: 0...2)) { action, resource, client, detail, events in
                let record = AuditRecord(action: action, resourceType: "test", resourceId: resource,
                                         patientId: resource == nil ? nil : UUID(), detail: detail)
                let context = AuditContext(actorAccountId: client == nil ? UUID() : nil, actorRole: client == nil ? .doctor : nil,
                                           clientAddress: client, requestId: detail, at: Date(epochMillis: 1_800_000_000_123))
                try await database.unitOfWork { tx in
                    for _ in 0..<events { try await EventStore.append(.institutionChanged(UUID(), at: Date()), in: tx) }
                    try await audit.append(record, context: context, in: tx)
                    try await audit.append(AuditRecord(action: "second", resourceType: "test"), context: context, in: tx)
                }
                let latest = try await audit.list(AuditFilter(limit: 2)).items
                #expect(latest.map(\.action) == ["second", action])
                #expect(latest.last?.resourceId == resource && latest.last?.detail == detail && latest.last?.clientAddress == client)
                written += 2
            }
            #expect(try await audit.firstBreak() == nil)
            let count = try await database.read { try await $0.raw("SELECT COUNT(*) AS n FROM audit_log").first()?.int64("n") }
            #expect(count == Int64(written))
        }
    }
}
