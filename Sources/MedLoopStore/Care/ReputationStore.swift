import Foundation
import MedLoopDomain
import SQLKit

/// A rating as a profile shows it.
public struct RatingRecord: Sendable {
    public var efficiency: Int
    public var attitude: Int
    public var professionalism: Int
    public var stars: Int
    public var comment: String?
    public var ratedAt: Date
}

/// A doctor's reputation summary: averages per dimension (to a tenth of a star,
/// `Rating.averageTenths`), counts, recent comments and gifts.
public struct ReputationSummary: Sendable {
    public var ratings: Int
    public var efficiency: Double?
    public var attitude: Double?
    public var professionalism: Double?
    public var recent: [RatingRecord]
    public var gifts: [GiftKind: Int]
}

/// One line of the yearly top list.
public struct TopDoctor: Sendable {
    public var doctorId: UUID
    public var name: String
    public var department: String
    public var ratings: Int64
    public var starsTotal: Int64
    public var gifts: Int64
    public var score: Int64

    /// The mean stars of the year's ratings, to a tenth (`Rating.averageTenths`).
    public var averageStars: Double { Rating.averageStars(total: starsTotal, count: ratings) ?? 0 }
}

extension Rating {
    /// The mean of `count` scores adding up to `total` as stored rows report it: in stars, to the
    /// tenth `averageTenths` rounds to; `nil` when there is nothing to average.
    static func averageStars(total: Int64, count: Int64) -> Double? {
        averageTenths(total: total, count: count).map { Double($0) / 10 }
    }
}

/// Ratings, gifts and the yearly top list.
public struct ReputationStore: Sendable {
    let database: Database
    let consultations: ConsultationStore
    let audit: AuditStore
    let ledger: LedgerStore
    let doctors: DoctorStore

    public init(database: Database, consultations: ConsultationStore, audit: AuditStore, ledger: LedgerStore,
                doctors: DoctorStore) {
        self.database = database
        self.consultations = consultations
        self.audit = audit
        self.ledger = ledger
        self.doctors = doctors
    }

    /// The patient rates a completed consultation, once.
    public func rate(_ consultation: UUID, by account: UUID, rating: Rating, context: AuditContext) async throws {
        try await database.unitOfWork { tx in
            let found = try await finishedConsultation(consultation, account: account, in: tx)
            if try await tx.sql.raw("SELECT consultation_id FROM ratings WHERE consultation_id = \(bind: consultation.text)").first() != nil {
                throw DomainError.conflict(code: "already_rated", message: "This consultation has been rated already.")
            }
            do {
                try await tx.sql.raw("""
                    INSERT INTO ratings (consultation_id, doctor_id, account_id, efficiency, attitude, professionalism, stars, comment,
                                         rated_at, rated_year)
                    VALUES (\(bind: consultation.text), \(bind: found.doctorId.text), \(bind: account.text), \(bind: rating.efficiency),
                            \(bind: rating.attitude), \(bind: rating.professionalism), \(bind: rating.stars), \(bind: rating.comment),
                            \(bind: context.at.epochMillis), \(bind: CalendarDate.shanghai(context.at).year))
                    """).run()
            } catch where isUniqueViolation(error) {
                throw DomainError.conflict(code: "already_rated", message: "This consultation has been rated already.")
            }
            try await tx.sql.raw("""
                UPDATE doctors SET rating_total = rating_total + \(bind: Int64(rating.stars)), rating_count = rating_count + 1
                WHERE id = \(bind: found.doctorId.text)
                """).run()
            try await doctors.refreshRank(of: found.doctorId, in: tx)
            try await audit.append(AuditRecord(action: "consultation.rate", resourceType: "consultation",
                                               resourceId: consultation.text, patientId: found.patientId), context: context, in: tx)
            try await EventStore.append(.doctorChanged(found.doctorId, .counters, at: context.at), in: tx)
        }
    }

    /// The patient sends a paid virtual gift after a completed consultation: the price leaves the
    /// wallet and is shared like a fee.
    public func sendGift(_ kind: GiftKind, for consultation: UUID, by account: UUID, context: AuditContext) async throws -> UUID {
        try await database.unitOfWork { tx in
            let found = try await finishedConsultation(consultation, account: account, in: tx)
            let id = UUID.v7(at: context.at)
            try await tx.sql.raw("""
                INSERT INTO gifts (id, consultation_id, doctor_id, account_id, kind, price_fen, sent_at, sent_year)
                VALUES (\(bind: id.text), \(bind: consultation.text), \(bind: found.doctorId.text), \(bind: account.text),
                        \(bind: kind.rawValue), \(bind: kind.priceFen), \(bind: context.at.epochMillis),
                        \(bind: CalendarDate.shanghai(context.at).year))
                """).run()
            let rate = try await tx.sql.raw("""
                SELECT i.commission_rate_bp FROM doctors d JOIN institutions i ON i.id = d.hospital_id
                WHERE d.id = \(bind: found.doctorId.text)
                """).first()?.int64("commission_rate_bp") ?? Int64(CommissionSplit.defaultRateBasisPoints)
            let split = try CommissionSplit(feeFen: kind.priceFen, rateBasisPoints: Int(rate))
            var lines = [LedgerLine(.wallet(account), -kind.priceFen)]
            if split.commissionFen > 0 { lines.append(LedgerLine(.platformCommission, split.commissionFen)) }
            if split.doctorFen > 0 { lines.append(LedgerLine(.doctorEarnings(found.doctorId), split.doctorFen)) }
            try await ledger.post(try JournalEntry(kind: .charge, lines: lines), at: context.at, in: tx)
            try await audit.append(AuditRecord(action: "consultation.gift", resourceType: "consultation",
                                               resourceId: consultation.text, patientId: found.patientId), context: context, in: tx)
            return id
        }
    }

    /// Averages, counts, the latest comments and gifts of a doctor.
    public func summary(of doctor: UUID, recent: Int = 5) async throws -> ReputationSummary {
        try await database.read { sql in
            // Integer sums, cast so that both engines read them as Int64 (as LedgerStore.problems does).
            let totals = try await sql.raw("""
                SELECT COUNT(*) AS n, CAST(COALESCE(SUM(efficiency), 0) AS BIGINT) AS e,
                       CAST(COALESCE(SUM(attitude), 0) AS BIGINT) AS a, CAST(COALESCE(SUM(professionalism), 0) AS BIGINT) AS p
                FROM ratings WHERE doctor_id = \(bind: doctor.text)
                """).first()
            let latest = try await sql.raw("""
                SELECT * FROM ratings WHERE doctor_id = \(bind: doctor.text) AND comment IS NOT NULL
                ORDER BY rated_at DESC LIMIT \(literal: recent)
                """).all().map { row in
                    RatingRecord(efficiency: Int(try row.int64("efficiency")), attitude: Int(try row.int64("attitude")),
                                 professionalism: Int(try row.int64("professionalism")), stars: Int(try row.int64("stars")),
                                 comment: try row.optionalText("comment"), ratedAt: try row.instant("rated_at"))
                }
            var gifts: [GiftKind: Int] = [:]
            for row in try await sql.raw("SELECT kind, COUNT(*) AS n FROM gifts WHERE doctor_id = \(bind: doctor.text) GROUP BY kind").all() {
                gifts[try row.value("kind", as: GiftKind.self)] = Int(try row.int64("n"))
            }
            let count = try totals?.int64("n") ?? 0
            let average = { (column: String) throws -> Double? in
                Rating.averageStars(total: try totals?.int64(column) ?? 0, count: count)
            }
            return ReputationSummary(ratings: Int(count), efficiency: try average("e"), attitude: try average("a"),
                                     professionalism: try average("p"), recent: latest, gifts: gifts)
        }
    }

    /// The top doctors of a year (optionally of one department) by `TopDoctors.score`.
    public func top(year: Int, department: String?, limit: Int) async throws -> [TopDoctor] {
        var filter: SQLQueryString = "r.rated_year = \(bind: year)"
        if let department { filter += " AND d.department = \(bind: department)" }
        let whereClause = filter
        let rows = try await database.read { sql in
            try await sql.raw("""
                SELECT d.id, d.name, d.department, COUNT(*) AS ratings, CAST(SUM(r.stars) AS BIGINT) AS stars_total,
                       (SELECT COUNT(*) FROM gifts g WHERE g.doctor_id = d.id AND g.sent_year = \(bind: year)) AS gifts
                FROM ratings r JOIN doctors d ON d.id = r.doctor_id
                WHERE \(whereClause) AND d.qualification = \(bind: QualificationStatus.approved.rawValue)
                GROUP BY d.id, d.name, d.department
                """).all()
        }
        return try rows.map { row in
            let ratings = try row.int64("ratings"), stars = try row.int64("stars_total"), gifts = try row.int64("gifts")
            return TopDoctor(doctorId: try row.uuid("id"), name: try row.text("name"), department: try row.text("department"),
                             ratings: ratings, starsTotal: stars, gifts: gifts,
                             score: TopDoctors.score(starsTotal: stars, ratings: ratings, gifts: gifts))
        }
        .sorted { ($0.score, $1.doctorId.text) > ($1.score, $0.doctorId.text) }
        .prefix(limit).map { $0 }
    }

    /// What a doctor has earned: the balance of their earnings account.
    public func earnings(of doctor: UUID) async throws -> Int64 {
        try await ledger.balance(of: .doctorEarnings(doctor))
    }

    private func finishedConsultation(_ id: UUID, account: UUID, in tx: Transaction) async throws -> Consultation {
        let consultation = try await consultations.participantConsultation(id, account: account, in: tx)
        guard consultation.accountId == account else {
            throw DomainError.forbidden(code: "forbidden", message: "Only the patient rates a consultation or sends a gift.")
        }
        guard consultation.state == .completed else {
            throw DomainError.conflict(code: "consultation_not_finished", message: "Rate or thank the doctor once the consultation has ended.")
        }
        return consultation
    }
}
