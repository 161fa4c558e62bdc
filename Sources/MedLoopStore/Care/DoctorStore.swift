import Foundation
import MedLoopDomain
import SQLKit

/// Where a new doctor works and what they sell.
public struct DoctorPlacement: Sendable {
    public var accountId: UUID?
    /// The physical hospital (or platform) the doctor works at.
    public var hospitalId: UUID
    /// Internet hospitals the doctor consults under.
    public var practiceSites: [UUID]
    public var services: [ServiceOffer]
    public var qualification: QualificationStatus

    public init(accountId: UUID?, hospitalId: UUID, practiceSites: [UUID], services: [ServiceOffer],
                qualification: QualificationStatus = .pending) {
        self.accountId = accountId
        self.hospitalId = hospitalId
        self.practiceSites = practiceSites
        self.services = services
        self.qualification = qualification
    }
}

/// A doctor's profile page: the doctor, their menu and where they work.
public struct DoctorProfile: Sendable {
    public var doctor: Doctor
    public var services: [ServiceOffer]
    public var hospitalName: String
}

/// One row of a search result.
public struct DoctorSummary: Sendable {
    public var id: UUID
    public var name: String
    public var title: DoctorTitle
    public var department: String
    public var hospitalId: UUID
    public var hospitalName: String
    public var cityCode: String
    public var practiceSince: Int
    public var patientsServed: Int64
    public var ratingAverage: Double?
    public var ratingCount: Int64
    /// The price of the service searched for (the text package by default), if offered.
    public var priceFen: Int64?
}

/// The doctor directory: profiles, menus, qualification and search.
public struct DoctorStore: Sendable {
    let database: Database
    let audit: AuditStore
    /// The most term entries a search by price gathers and sorts (`termPlan`).
    let mostGatheredEntries: Int64

    public init(database: Database, audit: AuditStore, mostGatheredEntries: Int64 = DoctorStore.mostGatheredEntries) {
        self.database = database
        self.audit = audit
        self.mostGatheredEntries = mostGatheredEntries
    }

    /// Registers a doctor with their placement, menu and search entries, in one transaction.
    public func register(_ draft: DoctorDraft, placement: DoctorPlacement, id: UUID? = nil,
                         context: AuditContext) async throws -> UUID {
        let id = id ?? .v7(at: context.at)
        try draft.validate(year: CalendarDate.shanghai(context.at).year)
        for offer in placement.services { try offer.validate() }
        return try await database.unitOfWork { tx in
            try await register(draft, placement: placement, id: id, at: context.at, in: tx)
            try await audit.append(AuditRecord(action: "doctor.create", resourceType: "doctor", resourceId: id.text),
                                   context: context, in: tx)
            try await EventStore.append(.doctorChanged(id, .registered, at: context.at), in: tx)
            return id
        }
    }

    /// Registers inside an open transaction (seeding registers many at once). `draft` and the
    /// offers must already be valid.
    func register(_ draft: DoctorDraft, placement: DoctorPlacement, id: UUID, at now: Date, in tx: Transaction) async throws {
        guard let hospital = try await tx.sql.raw("SELECT kind, name, region_code FROM institutions WHERE id = \(bind: placement.hospitalId.text)").first(),
              try hospital.value("kind", as: InstitutionKind.self).isHospital else {
            throw DomainError.invalidField("hospitalId", code: "not_a_hospital", "The doctor's workplace must be a registered hospital.")
        }
        for site in placement.practiceSites {
            let kind = try await tx.sql.raw("SELECT kind FROM institutions WHERE id = \(bind: site.text)").first()?
                .value("kind", as: InstitutionKind.self)
            guard kind == .internetHospital || kind == .platformInternetHospital else {
                throw DomainError.invalidField("practiceSites", code: "not_an_internet_hospital",
                                               "A practice site must be a registered internet hospital.")
            }
        }
        let region = try RegionCode(try hospital.text("region_code"))
        let terms = DoctorIndex.terms(name: draft.name, department: draft.department, specialties: draft.specialties,
                                      conditions: draft.conditions, hospitalName: try hospital.text("name"))
        let text = DoctorIndex.text(terms: terms, training: draft.training)
        do {
            try await tx.sql.raw("""
                INSERT INTO doctors (id, account_id, name, title, department, specialties, training, practice_since,
                                     licence_number, bio, photo_url, qualification, hospital_id, city_code, rank_score,
                                     search_text, created_at, updated_at)
                VALUES (\(bind: id.text), \(bind: placement.accountId?.text), \(bind: draft.name), \(bind: draft.title.rawValue),
                        \(bind: draft.department), \(bind: draft.specialties.joined(separator: "|")), \(bind: draft.training),
                        \(bind: draft.practiceSince), \(bind: draft.licenceNumber), \(bind: draft.bio), \(bind: String?.none),
                        \(bind: placement.qualification.rawValue), \(bind: placement.hospitalId.text), \(bind: region.city),
                        \(bind: DoctorIndex.rankScore(ratingTotal: 0, ratingCount: 0, patientsServed: 0)), \(bind: text),
                        \(bind: now.epochMillis), \(bind: now.epochMillis))
                """).run()
        } catch where isUniqueViolation(error) {
            throw DomainError.conflict(code: "doctor_exists", message: "A doctor with this account or licence number is already registered.")
        }
        try await countApproved(QualificationStatus.approvedCountChange(from: nil, to: placement.qualification),
                                in: draft.department, tx: tx)
        for site in Set(placement.practiceSites) {
            try await tx.sql.raw("INSERT INTO doctor_practice_sites (doctor_id, institution_id) VALUES (\(bind: id.text), \(bind: site.text))").run()
        }
        for offer in placement.services {
            try await upsert(offer, doctor: id, in: tx)
        }
        for code in Set(draft.conditions.map { $0.uppercased() }) {
            try await tx.sql.raw("INSERT INTO doctor_conditions (doctor_id, icd10) VALUES (\(bind: id.text), \(bind: code))").run()
        }
        try await insertTerms(terms, training: draft.training, of: id.text, in: tx)
        if tx.engine == .sqlite {
            // The doctor's search key is their row id now, and their row id in the trigram index (M0030).
            try await tx.sql.raw("UPDATE doctors SET search_key = rowid WHERE id = \(bind: id.text)").run()
            try await tx.sql.raw("""
                INSERT INTO doctor_text (rowid, doctor_id, search_text) SELECT search_key, id, search_text FROM doctors
                WHERE id = \(bind: id.text)
                """).run()
        }
    }

    private func upsert(_ offer: ServiceOffer, doctor: UUID, in tx: Transaction) async throws {
        try await tx.sql.raw("""
            INSERT INTO doctor_services (doctor_id, kind, price_fen, paused, daily_cap, city_code, department)
            SELECT id, \(bind: offer.kind.rawValue), \(bind: offer.priceFen), \(bind: offer.isPaused), \(bind: offer.dailyCap),
                   city_code, department
            FROM doctors WHERE id = \(bind: doctor.text)
            ON CONFLICT (doctor_id, kind) DO UPDATE SET price_fen = excluded.price_fen, paused = excluded.paused,
                daily_cap = excluded.daily_cap
            """).run()
    }

    /// Rebuilds the search entries (exact terms and substring text) of every doctor working at
    /// `hospital`, inside `tx`: the hospital's name is one of each doctor's terms, so a renamed
    /// hospital is found by its new name and no longer by the old one.
    func reindex(doctorsOf hospital: UUID, hospitalName: String, in tx: Transaction) async throws {
        let doctors = try await tx.sql.raw("""
            SELECT id, name, department, specialties, training FROM doctors WHERE hospital_id = \(bind: hospital.text)
            """).all()
        for row in doctors {
            let id = try row.text("id")
            let conditions = try await tx.sql.raw("SELECT icd10 FROM doctor_conditions WHERE doctor_id = \(bind: id)").all()
                .map { try $0.text("icd10") }
            let specialties = try row.text("specialties")
            let terms = DoctorIndex.terms(name: try row.text("name"), department: try row.text("department"),
                                          specialties: specialties.isEmpty ? [] : specialties.components(separatedBy: "|"),
                                          conditions: conditions, hospitalName: hospitalName)
            let text = DoctorIndex.text(terms: terms, training: try row.text("training"))
            try await tx.sql.raw("""
                UPDATE search_vocabulary SET entries = entries - 1 WHERE term IN (SELECT term FROM doctor_terms WHERE doctor_id = \(bind: id))
                """).run()
            try await tx.sql.raw("DELETE FROM doctor_terms WHERE doctor_id = \(bind: id)").run()
            try await insertTerms(terms, training: try row.text("training"), of: id, in: tx)
            try await tx.sql.raw("UPDATE doctors SET search_text = \(bind: text) WHERE id = \(bind: id)").run()
            if tx.engine == .sqlite {
                try await tx.sql.raw("""
                    UPDATE doctor_text SET search_text = \(bind: text) WHERE rowid = (SELECT search_key FROM doctors WHERE id = \(bind: id))
                    """).run()
            }
        }
    }

    /// Writes a doctor's search terms, each with what searches filter and order them by, copied
    /// from the doctor's row (M0032), and adds the terms and the training to the search vocabulary
    /// (M0033), inside `tx`.
    private func insertTerms(_ terms: Set<String>, training: String, of doctor: String, in tx: Transaction) async throws {
        for term in terms {
            try await tx.sql.raw("""
                INSERT INTO doctor_terms (term, doctor_id, rank_score, qualification, department, city_code, patients_served)
                SELECT \(bind: term), id, rank_score, qualification, department, city_code, patients_served FROM doctors
                WHERE id = \(bind: doctor)
                """).run()
            try await tx.sql.raw("""
                INSERT INTO search_vocabulary (term, entries) VALUES (\(bind: term), 1)
                ON CONFLICT (term) DO UPDATE SET entries = search_vocabulary.entries + 1
                """).run()
        }
        guard !training.isEmpty else { return }
        try await tx.sql.raw("""
            INSERT INTO search_vocabulary (term, in_training) VALUES (\(bind: training), \(bind: true))
            ON CONFLICT (term) DO UPDATE SET in_training = \(bind: true)
            """).run()
    }

    /// Sets a doctor's standing, in their row and in every search term of theirs (searches list
    /// approved doctors only), inside `tx`.
    func setQualification(_ standing: QualificationStatus, of doctor: UUID, at time: Date, in tx: Transaction) async throws {
        let lock: SQLQueryString = tx.engine == .postgres ? " FOR UPDATE" : ""
        guard let row = try await tx.sql.raw("SELECT qualification, department FROM doctors WHERE id = \(bind: doctor.text)" + lock)
            .first() else { return }
        try await countApproved(QualificationStatus.approvedCountChange(from: try row.value("qualification", as: QualificationStatus.self),
                                                                        to: standing),
                                in: try row.text("department"), tx: tx)
        try await tx.sql.raw("""
            UPDATE doctors SET qualification = \(bind: standing.rawValue), updated_at = \(bind: time.epochMillis)
            WHERE id = \(bind: doctor.text)
            """).run()
        try await tx.sql.raw("""
            UPDATE doctor_terms SET qualification = \(bind: standing.rawValue) WHERE doctor_id = \(bind: doctor.text)
            """).run()
    }

    /// Adds `change` to the department's count of approved doctors (M0037), inside `tx`.
    private func countApproved(_ change: Int, in department: String, tx: Transaction) async throws {
        guard change != 0 else { return }
        try await tx.sql.raw("""
            INSERT INTO department_doctors (department, approved) VALUES (\(bind: department), \(bind: Int64(change)))
            ON CONFLICT (department) DO UPDATE SET approved = department_doctors.approved + excluded.approved
            """).run()
    }

    /// Recomputes a doctor's rank score from their counters, in the doctor row and in every
    /// search term of theirs with their patients served, inside `tx` (after a rating or a consultation).
    func refreshRank(of doctor: UUID, in tx: Transaction) async throws {
        guard let row = try await tx.sql.raw("""
            SELECT rating_total, rating_count, patients_served FROM doctors WHERE id = \(bind: doctor.text)
            """).first() else { return }
        let score = DoctorIndex.rankScore(ratingTotal: try row.int64("rating_total"), ratingCount: try row.int64("rating_count"),
                                          patientsServed: try row.int64("patients_served"))
        let served = try row.int64("patients_served")
        // Only rows whose values change: an update that sets the same values still rewrites the
        // row's index entries, and most refreshes change nothing (a returning patient, a rating
        // that keeps the average). The terms' indexes were 15 % of the pages the `loop` benchmark
        // wrote (BENCHMARKS.md).
        try await tx.sql.raw("""
            UPDATE doctors SET rank_score = \(bind: score) WHERE id = \(bind: doctor.text) AND rank_score <> \(bind: score)
            """).run()
        try await tx.sql.raw("""
            UPDATE doctor_terms SET rank_score = \(bind: score), patients_served = \(bind: served)
            WHERE doctor_id = \(bind: doctor.text) AND (rank_score <> \(bind: score) OR patients_served <> \(bind: served))
            """).run()
    }

    /// Sets one line of a doctor's menu (a new price, a pause, a cap).
    public func setService(_ offer: ServiceOffer, doctor: UUID, context: AuditContext) async throws {
        try offer.validate()
        try await database.unitOfWork { tx in
            guard try await tx.sql.raw("SELECT id FROM doctors WHERE id = \(bind: doctor.text)").first() != nil else {
                throw DomainError.notFound(resource: "doctor")
            }
            try await upsert(offer, doctor: doctor, in: tx)
            try await audit.append(AuditRecord(action: "doctor.service.set", resourceType: "doctor", resourceId: doctor.text),
                                   context: context, in: tx)
            try await EventStore.append(.doctorChanged(doctor, .menu, at: context.at), in: tx)
        }
    }

    /// The doctor record of a doctor account.
    public func doctorId(account: UUID) async throws -> UUID? {
        try await database.read { sql in
            try await sql.raw("SELECT id FROM doctors WHERE account_id = \(bind: account.text)").first()?.uuid("id")
        }
    }

    /// A doctor's whole profile.
    /// The columns of a profile's doctor row, as `profile(_:)` reads them.
    static let profileColumns = [
        "d.id", "d.account_id", "d.name", "d.title", "d.department", "d.specialties", "d.training", "d.practice_since",
        "d.licence_number", "d.bio", "d.photo_url", "d.qualification", "d.hospital_id", "d.city_code", "d.patients_served",
        "d.consultations", "d.reply_seconds_total", "d.replies", "d.rating_total", "d.rating_count", "i.name AS hospital_name",
    ]

    /// A doctor's practice sites, conditions and menu lines as parts 1–3 of `profile(_:)`'s rows;
    /// `padded`, with an empty column for each of `profileColumns` before the part's own.
    static func profileParts(of id: UUID, padded: Bool) -> SQLQueryString {
        let none = padded ? SQLQueryString(Array(repeating: "NULL, ", count: profileColumns.count).joined()) : ""
        return """
            SELECT 1 AS part, \(none)institution_id AS value, 0 AS price_fen, 0 AS paused, 0 AS daily_cap
            FROM doctor_practice_sites WHERE doctor_id = \(bind: id.text)
            UNION ALL
            SELECT 2, \(none)icd10, 0, 0, 0 FROM doctor_conditions WHERE doctor_id = \(bind: id.text)
            UNION ALL
            SELECT 3, \(none)kind, price_fen, CASE WHEN paused THEN 1 ELSE 0 END, daily_cap
            FROM doctor_services WHERE doctor_id = \(bind: id.text)
            """
    }

    public func profile(_ id: UUID) async throws -> DoctorProfile? {
        try await database.readPrepared { sql in
            // The doctor's shown columns (part 0), then their practice sites, conditions and menu
            // lines (parts 1–3): a profile not in the cache is read on every visit to it.
            let shown: SQLQueryString = """
                SELECT 0 AS part, \(unsafeRaw: Self.profileColumns.joined(separator: ", ")),
                       NULL AS value, 0 AS price_fen, 0 AS paused, 0 AS daily_cap
                FROM doctors d JOIN institutions i ON i.id = d.hospital_id WHERE d.id = \(bind: id.text)
                """
            let rows: [any SQLRow]
            switch database.engine {
            case .postgres:
                // One statement, one round trip to the server; the doctor's columns are empty on
                // the other parts' rows (measured: 10–15 % more profiles a second than two statements).
                rows = try await sql.raw(shown + " UNION ALL " + Self.profileParts(of: id, padded: true)).all()
            case .sqlite:
                // No round trip to save, and padded rows cost more to read: two statements.
                rows = try await sql.raw(shown).all() + (try await sql.raw(Self.profileParts(of: id, padded: false)).all())
            }
            guard let row = try rows.first(where: { try $0.int64("part") == 0 }) else { return nil }
            var sites: [UUID] = []
            var conditions: [String] = []
            var services: [ServiceOffer] = []
            for part in rows {
                switch try part.int64("part") {
                case 0: break
                case 1: sites.append(try part.uuid("value"))
                case 2: conditions.append(try part.text("value"))
                default:
                    services.append(ServiceOffer(kind: try part.value("value", as: ServiceKind.self), priceFen: try part.int64("price_fen"),
                                                 isPaused: try part.int64("paused") != 0, dailyCap: Int(try part.int64("daily_cap"))))
                }
            }
            sites.sort { $0.text < $1.text }
            conditions.sort()
            services.sort { ServiceKind.allCases.firstIndex(of: $0.kind)! < ServiceKind.allCases.firstIndex(of: $1.kind)! }
            let ratingCount = try row.int64("rating_count")
            let replies = try row.int64("replies")
            let counters = DoctorCounters(
                patientsServed: Int(try row.int64("patients_served")), consultations: Int(try row.int64("consultations")),
                averageReplySeconds: replies == 0 ? nil : Int(try row.int64("reply_seconds_total") / replies),
                ratingAverage: Rating.averageStars(total: try row.int64("rating_total"), count: ratingCount),
                ratingCount: Int(ratingCount))
            let specialties = try row.text("specialties")
            let doctor = Doctor(
                id: try row.uuid("id"), accountId: try row.optionalUUID("account_id"), name: try row.text("name"),
                title: try row.value("title", as: DoctorTitle.self), department: try row.text("department"),
                specialties: specialties.isEmpty ? [] : specialties.components(separatedBy: "|"),
                training: try row.text("training"), practiceSince: Int(try row.int64("practice_since")),
                licenceNumber: try row.text("licence_number"), bio: try row.text("bio"),
                photoURL: try row.optionalText("photo_url"),
                qualification: try row.value("qualification", as: QualificationStatus.self),
                hospitalId: try row.uuid("hospital_id"), cityCode: try row.text("city_code"), practiceSites: sites,
                conditions: conditions, counters: counters)
            return DoctorProfile(doctor: doctor, services: services, hospitalName: try row.text("hospital_name"))
        }
    }
}

extension DoctorStore {
    /// What `medloop check` asks of the search terms: each keeps its doctor's standing, department,
    /// city, rank and patients served (M0032), as searches filter and order by them.
    static func termProblems(in database: Database) async throws -> [String] {
        try await database.read { sql in
            // A database part-way through its migrations has no copies yet.
            guard try await sql.raw("SELECT version FROM schema_migrations WHERE version = \(bind: Migrations.termPlaces.version)")
                .first() != nil else { return [] }
            let rows = try await sql.raw("""
                SELECT t.doctor_id, COUNT(*) AS n FROM doctor_terms t JOIN doctors d ON d.id = t.doctor_id
                WHERE t.qualification <> d.qualification OR t.department <> d.department OR t.city_code <> d.city_code
                   OR t.rank_score <> d.rank_score OR t.patients_served <> d.patients_served
                GROUP BY t.doctor_id ORDER BY t.doctor_id LIMIT 20
                """).all()
            var problems = try rows.map { row in
                "doctor \(try row.text("doctor_id")): \(try row.int64("n")) search terms disagree with the doctor's standing, place, rank or patients served"
            }
            guard try await sql.raw("SELECT version FROM schema_migrations WHERE version = \(bind: Migrations.searchVocabulary.version)")
                .first() != nil else { return problems }
            // Every term and training is a piece of the vocabulary, each term with its count of entries,
            // or a word in it would not be found, or not walked the cheapest way (M0033).
            let missing = try await sql.raw("""
                SELECT t.term AS piece FROM doctor_terms t WHERE NOT EXISTS (SELECT 1 FROM search_vocabulary v WHERE v.term = t.term)
                UNION
                SELECT v.term AS piece FROM search_vocabulary v
                WHERE v.entries <> (SELECT COUNT(*) FROM doctor_terms t WHERE t.term = v.term)
                UNION
                SELECT d.training AS piece FROM doctors d
                WHERE d.training <> '' AND NOT EXISTS (SELECT 1 FROM search_vocabulary v WHERE v.term = d.training AND v.in_training = \(bind: true))
                ORDER BY piece LIMIT 20
                """).all()
            problems += try missing.map { row in "search term or training \"\(try row.text("piece"))\" is missing from the search vocabulary, or its count of entries is wrong" }
            guard try await sql.raw("""
                SELECT version FROM schema_migrations WHERE version = \(bind: Migrations.approvedDoctorsByDepartment.version)
                """).first() != nil else { return problems }
            // Each department's kept count of approved doctors (M0037), which the volume rule reads.
            let counts = try await sql.raw("""
                SELECT d.department, COUNT(*) AS n, MIN(k.approved) AS kept FROM doctors d
                LEFT JOIN department_doctors k ON k.department = d.department
                WHERE d.qualification = 'approved' GROUP BY d.department
                HAVING COUNT(*) <> COALESCE(MIN(k.approved), 0)
                UNION ALL
                SELECT k.department, 0 AS n, k.approved AS kept FROM department_doctors k
                WHERE k.approved <> 0 AND NOT EXISTS (SELECT 1 FROM doctors d WHERE d.department = k.department AND d.qualification = 'approved')
                ORDER BY department LIMIT 20
                """).all()
            problems += try counts.map { row in
                "department \(try row.text("department")) has \(try row.int64("n")) approved doctors, but \(try row.optionalInt64("kept") ?? 0) are counted"
            }
            return problems
        }
    }
}
