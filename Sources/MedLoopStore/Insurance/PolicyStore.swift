import Foundation
import MedLoopDomain
import SQLKit

/// Region policy versions (INSURANCE.md, "Policy documents"). A version's document is written once;
/// superseding a version only sets the last day of one that had none, so a settlement always finds
/// the terms it used.
public struct PolicyStore: Sendable {
    let database: Database
    let audit: AuditStore

    public init(database: Database, audit: AuditStore) {
        self.database = database
        self.audit = audit
    }

    /// Stores each shipped policy whose version the region does not have yet (start-up, seeding).
    public func syncShipped(_ policies: [RegionPolicy], at now: Date) async throws {
        try await database.unitOfWork { tx in
            for policy in policies {
                try await insert(policy, at: now, ifMissing: true, in: tx)
            }
        }
    }

    /// The versions of `region`, newest start first.
    public func versions(of region: RegionCode) async throws -> [RegionPolicy] {
        try await database.read { sql in try await Self.versions(of: region, in: sql) }
    }

    public func version(_ version: String, of region: RegionCode) async throws -> RegionPolicy? {
        try await database.read { sql in
            try await sql.raw("""
                SELECT document FROM insurance_policies WHERE region = \(bind: region.value) AND version = \(bind: version)
                """).first().map(Self.policy(from:))
        }
    }

    /// The version of `region` in force on `day`, read inside a unit of work.
    func inForce(_ region: RegionCode, on day: CalendarDate, in sql: any SQLDatabase) async throws -> RegionPolicy? {
        RegionPolicy.inForce(on: day, among: try await Self.versions(of: region, in: sql))
    }

    /// Adds a version that starts after `today` and overlaps no other (the issue: a version in use
    /// is never edited). With `superseding`, the version named there, open-ended or ending later,
    /// ends the day before the new one starts.
    ///
    /// - Throws: 400 on `version` (`taken`), `effectiveFrom` (`not_in_future`, `overlap`); 404 when
    ///   the superseded version does not exist; 409 `policy_ended` when it ends before the new start.
    public func add(_ policy: RegionPolicy, superseding old: String?, today: CalendarDate, context: AuditContext) async throws -> RegionPolicy {
        try await database.unitOfWork { tx in
            // Adding versions of one region runs one at a time: the overlap check sees every other.
            try await Self.lockRegion(policy.region, in: tx)
            var others = try await Self.versions(of: policy.region, in: tx.sql)
            if let old {
                guard let index = others.firstIndex(where: { $0.version == old }) else { throw DomainError.notFound(resource: "policy") }
                let ended = try others[index].ending(on: policy.effectiveFrom.adding(days: -1))
                others[index] = ended
                try await tx.sql.raw("""
                    UPDATE insurance_policies SET effective_to = \(bind: ended.effectiveTo?.description),
                        document = \(bind: try Self.json(ended))
                    WHERE region = \(bind: policy.region.value) AND version = \(bind: old)
                    """).run()
            }
            try policy.checkJoins(others, today: today)
            try await insert(policy, at: context.at, ifMissing: false, in: tx)
            try await audit.append(AuditRecord(action: old == nil ? "policy.add" : "policy.supersede", resourceType: "policy",
                                               resourceId: "\(policy.region.value)/\(policy.version)"), context: context, in: tx)
            return policy
        }
    }

    private func insert(_ policy: RegionPolicy, at now: Date, ifMissing: Bool, in tx: Transaction) async throws {
        let conflict: SQLQueryString = ifMissing ? " ON CONFLICT (region, version) DO NOTHING" : ""
        try await tx.sql.raw("""
            INSERT INTO insurance_policies (region, version, effective_from, effective_to, document, created_at)
            VALUES (\(bind: policy.region.value), \(bind: policy.version), \(bind: policy.effectiveFrom.description),
                    \(bind: policy.effectiveTo?.description), \(bind: try Self.json(policy)), \(bind: now.epochMillis))\(conflict)
            """).run()
    }

    static func lockRegion(_ region: RegionCode, in tx: Transaction) async throws {
        guard tx.engine == .postgres else { return }  // SQLite has one writer at a time
        try await tx.sql.raw("SELECT pg_advisory_xact_lock(hashtext(\(bind: "policy:" + region.value)))").run()
    }

    static func versions(of region: RegionCode, in sql: any SQLDatabase) async throws -> [RegionPolicy] {
        try await sql.raw("""
            SELECT document FROM insurance_policies WHERE region = \(bind: region.value) ORDER BY effective_from DESC
            """).all().map(policy(from:))
    }

    static func json(_ policy: RegionPolicy) throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        return String(decoding: try encoder.encode(policy.document), as: UTF8.self)
    }

    static func policy(from row: any SQLRow) throws -> RegionPolicy {
        try RegionPolicy(document: try DocumentValue.json(Data(try row.text("document").utf8)))
    }
}
