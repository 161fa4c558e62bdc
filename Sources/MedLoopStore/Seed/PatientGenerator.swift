import Foundation
import MedLoopDomain
import SQLKit

/// Generates patients for benchmarks (`medloop seed --patients N`): `GeneratedPatient`s of their
/// own family, with no activity, so that the tables a patient's requests read are as large as a
/// city's. Rows are written many per statement, one transaction per chunk. The same seed gives
/// the same patients; running again adds N new ones (a new run number).
public enum PatientGenerator {
    /// Patients per transaction.
    static let chunkSize = 5000
    /// The most one run adds (its patient numbers have 7 digits).
    public static let maximumPerRun = 9_999_999

    /// Writes `count` patients; `progress` is told how many are written after each chunk.
    public static func generate(patients count: Int, into database: Database, cipher: FieldCipher, seed: UInt64 = 2020, now: Date,
                                progress: @Sendable (Int) -> Void = { _ in }) async throws -> Int {
        let count = min(max(0, count), maximumPerRun)
        let (run, policies) = try await database.read { sql in
            let run = Int(try await sql.raw("SELECT COUNT(*) AS n FROM audit_log WHERE action = 'seed.patients'").first()?.int64("n") ?? 0)
            return (run, try await HistoryWorld.latestPolicies(in: sql))
        }
        let millis = now.epochMillis
        let saved = try await SQLiteBulkSettings.apply(to: database)
        do {
            for start in stride(from: 0, to: count, by: chunkSize) {
                let end = min(count, start + chunkSize)
                var rows = HistoryRows()
                for number in start..<end {
                    GeneratedPatient(number: number, family: .seeded, seed: seed, run: run, policies: policies)
                        .add(to: &rows, cipher: cipher, now: millis)
                }
                let statements = rows.statements()
                try await database.unitOfWork { tx in
                    for statement in statements { try await tx.sql.raw(statement).run() }
                }
                progress(end)
            }
        } catch {
            try? await saved?.restore(to: database)
            throw error
        }
        try await saved?.restore(to: database)
        try await database.unitOfWork { tx in
            try await AuditStore(database: database).append(
                AuditRecord(action: "seed.patients", resourceType: "database", resourceId: "seed:\(seed) run:\(run) patients:\(count)"),
                context: AuditContext(actorAccountId: nil, actorRole: nil, clientAddress: nil, requestId: nil, at: now), in: tx)
        }
        return count
    }
}
