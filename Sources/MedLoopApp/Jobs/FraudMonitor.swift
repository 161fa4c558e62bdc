import Foundation
import Logging
import MedLoopDomain
import MedLoopStore

extension Job {
    /// Evaluates the fraud and abuse rules on every new domain event, in outbox order, once
    /// across servers (issue 20, part 3).
    static func fraudMonitor(_ services: AppServices, logger: Logger) -> Job {
        let facts = FraudFacts(database: services.database)
        let rules = services.fraudRules
        let monitor = FraudMonitor(events: services.stores.events, alerts: services.stores.alerts) { event in
            try await facts.evaluate(event, rules: rules)
        }
        return Job(name: "fraud-monitor", every: .seconds(1)) { now in
            let raised = try await monitor.catchUp(now: now)
            if raised > 0 { logger.info("fraud monitor raised alerts", metadata: ["count": "\(raised)"]) }
        }
    }
}

/// Reads the outbox from where it stopped, asks the rules about each event and stores what they
/// raise together with its new place (`AlertStore.record`): a run that stops half-way leaves the
/// place where it was, and a second run on another server that evaluated the same events writes
/// nothing, so each event is evaluated into alerts exactly once.
struct FraudMonitor: Sendable {
    let events: EventStore
    let alerts: AlertStore
    /// The alerts the rules raise on one event (`FraudFacts.evaluate` under the loaded rules).
    let evaluate: @Sendable (DomainEvent) async throws -> [AlertDraft]
    /// Events evaluated per unit of work.
    let batchSize: Int
    /// Batches per run, so one run of the job stays short however far behind it is.
    let batchesPerRun: Int

    init(events: EventStore, alerts: AlertStore, batchSize: Int = 200, batchesPerRun: Int = 10,
         evaluate: @escaping @Sendable (DomainEvent) async throws -> [AlertDraft]) {
        self.events = events
        self.alerts = alerts
        self.batchSize = batchSize
        self.batchesPerRun = batchesPerRun
        self.evaluate = evaluate
    }

    /// Evaluates the events after the monitor's place, batch by batch; returns how many alerts
    /// were raised. An event the rules fail on stops the run after the events before it are
    /// stored, and is evaluated again by the next run.
    func catchUp(now: Date) async throws -> Int {
        let context = AuditContext(actorAccountId: nil, actorRole: nil, clientAddress: nil, requestId: "fraud-monitor", at: now)
        var raised = 0
        for _ in 0..<batchesPerRun {
            let position = try await alerts.monitorPosition()
            let batch = try await events.events(after: position, limit: batchSize)
            guard let last = batch.last else { break }
            var drafts: [EvaluatedDraft] = []
            var evaluatedTo = position
            var failure: (any Error)?
            for stored in batch {
                do {
                    drafts += try await evaluate(stored.event)
                        .map { EvaluatedDraft(draft: $0, eventSequence: stored.sequence) }
                    evaluatedTo = stored.sequence
                } catch {
                    failure = error
                    break
                }
            }
            if evaluatedTo > position {
                // `nil`: another server's run evaluated these events first; it carries on from there.
                guard let stored = try await alerts.record(drafts, evaluatedFrom: position, to: evaluatedTo, context: context) else {
                    break
                }
                raised += stored.count
            }
            if let failure { throw failure }
            if batch.count < batchSize || evaluatedTo < last.sequence { break }
        }
        return raised
    }
}
