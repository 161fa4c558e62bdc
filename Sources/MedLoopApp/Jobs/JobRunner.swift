import Foundation
import Logging
import MedLoopDomain
import MedLoopStore
import ServiceLifecycle

/// A periodic background job.
struct Job: Sendable {
    let name: String
    let every: Duration
    let work: @Sendable (Date) async throws -> Void
}

/// Runs MedLoop's background jobs in every server; each run first takes the job's lease, so
/// across servers a job runs once per period. Stops at graceful shutdown.
struct JobRunner: Service {
    let jobs: [Job]
    let leases: LeaseStore
    let clock: any MedLoopClock
    let logger: Logger
    /// This server's name in the lease table.
    let holder = "server-\(UUID().uuidString.prefix(8))"

    func run() async throws {
        // Shutdown cancels the loops at once, even mid-sleep, rather than after the longest period.
        try? await cancelWhenGracefulShutdown {
            await withTaskGroup(of: Void.self) { group in
                for job in jobs {
                    group.addTask { await loop(job) }
                }
            }
        }
    }

    private func loop(_ job: Job) async {
        while !Task.isCancelled {
            await runOnce(job)
            do { try await Task.sleep(for: job.every) } catch { return }
        }
    }

    /// Runs `job` now if this server gets its lease.
    func runOnce(_ job: Job) async {
        let now = clock.now()
        do {
            let seconds = Double(job.every.components.seconds)
            guard try await leases.acquire(job.name, holder: holder, now: now, duration: max(5, seconds * 0.9)) else { return }
            try await job.work(now)
        } catch where error is CancellationError || Task.isCancelled {
            // Shutting down (however the database client words it): the run is left for the
            // next start, nothing failed.
        } catch {
            logger.error("job failed", metadata: ["job": .string(job.name), "error": .string(String(describing: error))])
        }
    }
}

extension Job {
    /// Refunds paid consultations nobody accepted within 24 hours (care issue).
    static func refundUnaccepted(_ consultations: ConsultationStore, logger: Logger) -> Job {
        Job(name: "refund-unaccepted-consultations", every: .seconds(60)) { now in
            let context = AuditContext(actorAccountId: nil, actorRole: nil, clientAddress: nil, requestId: "job", at: now)
            let refunded = try await consultations.refundUnaccepted(
                queuedBefore: now.addingTimeInterval(-Consultation.acceptanceDeadline), context: context)
            if refunded > 0 { logger.info("refunded unaccepted consultations", metadata: ["count": "\(refunded)"]) }
        }
    }

    /// Returns the stock of medicine orders left unpaid past their 30 minutes (issue 17).
    static func releaseExpiredReservations(_ orders: MedicineOrderStore, logger: Logger) -> Job {
        Job(name: "release-expired-reservations", every: .seconds(30)) { now in
            let context = AuditContext(actorAccountId: nil, actorRole: nil, clientAddress: nil, requestId: "job", at: now)
            let expired = try await orders.releaseExpired(now: now, context: context)
            if expired > 0 { logger.info("released expired medicine reservations", metadata: ["count": "\(expired)"]) }
        }
    }

    /// Expires prescriptions whose validity ended before a pharmacy filled them (issue 17).
    static func expirePrescriptions(_ prescriptions: PrescriptionStore, logger: Logger) -> Job {
        Job(name: "expire-prescriptions", every: .seconds(60)) { now in
            let context = AuditContext(actorAccountId: nil, actorRole: nil, clientAddress: nil, requestId: "job", at: now)
            let expired = try await prescriptions.expireLapsed(now: now, context: context)
            if expired > 0 { logger.info("expired lapsed prescriptions", metadata: ["count": "\(expired)"]) }
        }
    }

    /// Confirms cross-region settlements left reserved at home: step 2 of a payment whose server
    /// stopped between the steps (the payment's own request confirms at once otherwise).
    static func confirmCrossRegion(_ settlements: SettlementStore, logger: Logger) -> Job {
        Job(name: "confirm-cross-region-settlements", every: .seconds(30)) { now in
            let context = AuditContext(actorAccountId: nil, actorRole: nil, clientAddress: nil, requestId: "job", at: now)
            let confirmed = try await settlements.confirmPendingCrossRegion(context: context)
            if confirmed > 0 { logger.info("confirmed cross-region settlements", metadata: ["count": "\(confirmed)"]) }
        }
    }

    /// Forgets what is kept only for a while: `Idempotency-Key` answers after twice the 24 hours
    /// API.md promises, and throttle counts that have been quiet longer than the throttle remembers.
    static func forgetExpired(idempotency: IdempotencyStore, throttle: ThrottleStore, logger: Logger) -> Job {
        Job(name: "forget-expired-keys-and-counts", every: .seconds(600)) { now in
            let keys = try await idempotency.purge(before: now.addingTimeInterval(-2 * IdempotencyStore.retention))
            let counts = try await throttle.purge(now: now)
            if keys + counts > 0 {
                logger.info("forgot expired idempotency keys and throttle counts", metadata: ["keys": "\(keys)", "counts": "\(counts)"])
            }
        }
    }
}
