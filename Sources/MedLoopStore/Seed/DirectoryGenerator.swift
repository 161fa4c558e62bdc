import Foundation
import MedLoopDomain
import SQLKit

/// Fills the doctor directory with a large, realistic, reproducible population for load tests
/// (BENCHMARKS.md): hospitals in about forty real cities plus nationwide platforms, and doctors
/// whose departments, titles, menus and reputations follow the shapes of DOMAIN.md.
///
/// The rows are exactly those `DoctorStore.register` writes (doctor, practice sites, services,
/// conditions, search terms and, on SQLite, the trigram text row), written many rows per statement
/// and one transaction per batch. The same seed gives the same doctors; running again adds new
/// doctors (numbered after those already stored) to the same institutions.
public enum DirectoryGenerator {
    /// Doctors written per transaction. Each commit rewrites every index page its rows touched, so
    /// fewer, larger transactions load much faster (150,000 doctors: ~2,000 per commit is about
    /// a third faster than 500 on SQLite) while progress still moves every second or so.
    static let batchSize = 2000
    /// Bound values per statement: under SQLite's 32,766 and PostgreSQL's 65,535.
    static let maximumBinds = 30_000

    /// Generates `count` doctors into a migrated database and returns how many it wrote.
    /// `progress` is told the running total after each batch.
    public static func generate(doctors count: Int, into database: Database, seed: UInt64 = 2020, now: Date,
                                progress: @Sendable (Int) -> Void = { _ in }) async throws -> Int {
        let directory = try GeneratedDirectory(seed: seed)
        try await registerInstitutions(directory, seed: seed, count: count, into: database, now: now)
        guard count > 0 else { return 0 }
        // Doctors are numbered after every doctor already stored: a second run adds new ones.
        let offset = try await database.read { sql -> Int in
            let row = try await sql.raw("SELECT COUNT(*) AS n FROM doctors").first()
            return Int(try row?.int64("n") ?? 0)
        }
        let plan = BatchPlan(seed: seed, offset: offset, year: CalendarDate.shanghai(now).year,
                             createdAt: now.epochMillis, engine: database.engine, directory: directory)

        let saved = try await SQLiteBulkSettings.apply(to: database)
        try await setTermIndexes(present: false, in: database)
        let written: Int
        do {
            written = try await write(count, plan: plan, into: database, progress: progress)
        } catch {
            try? await setTermIndexes(present: true, in: database)
            try? await saved?.restore(to: database)
            throw error
        }
        try await setTermIndexes(present: true, in: database)
        try await saved?.restore(to: database)
        try await refreshStatistics(database)
        return written
    }

    /// The identifier of generated doctor `number` of `seed`. Laid out like the app's own
    /// time-ordered identifiers (version 7) with the doctor's number in place of the milliseconds,
    /// so that a run's doctors sort in the order they were made, as registered doctors do, and
    /// every index keyed by doctor fills at its end; the other bits hash seed and number.
    public static func doctorId(seed: UInt64, number: Int) -> UUID {
        var bytes = withUnsafeBytes(of: UUID.named("gen-doctor:\(seed):\(number)").uuid) { Array($0) }
        // 2020-01-01T00:00:00Z in Unix milliseconds, one millisecond per doctor.
        let stamp = UInt64(1_577_836_800_000) + UInt64(max(0, number))
        for index in 0..<6 { bytes[index] = UInt8(truncatingIfNeeded: stamp >> (8 * (5 - index))) }
        bytes[6] = (bytes[6] & 0x0F) | 0x70
        bytes[8] = (bytes[8] & 0x3F) | 0x80
        return UUID(uuid: (bytes[0], bytes[1], bytes[2], bytes[3], bytes[4], bytes[5], bytes[6], bytes[7],
                           bytes[8], bytes[9], bytes[10], bytes[11], bytes[12], bytes[13], bytes[14], bytes[15]))
    }

    /// Writes `count` doctors, one transaction per batch; the next batch is built while the
    /// current one is written.
    static func write(_ count: Int, plan: BatchPlan, into database: Database,
                      progress: @Sendable (Int) -> Void) async throws -> Int {
        let size = batchSize
        var written = 0
        var next: Task<Batch, Never>? = Task { plan.batch(from: 0, count: min(size, count)) }
        while let building = next {
            let batch = await building.value
            let end = batch.start + batch.count
            next = end < count ? Task { plan.batch(from: end, count: min(size, count - end)) } : nil
            do {
                try await database.unitOfWork { tx in
                    for statement in batch.statements { try await tx.sql.raw(statement).run() }
                }
            } catch {
                next?.cancel()
                throw error
            }
            written += batch.count
            progress(written)
        }
        return written
    }

    /// Drops the secondary indexes of `doctor_terms` before a bulk load, or builds them again after.
    static func setTermIndexes(present: Bool, in database: Database) async throws {
        try await database.unitOfWork { tx in
            for statement in Migrations.doctorTermIndexes {
                guard let name = statement.split(separator: " ").dropFirst(2).first else { continue }
                if present {
                    try await tx.sql.raw(SQLQueryString(statement.replacingOccurrences(of: "CREATE INDEX", with: "CREATE INDEX IF NOT EXISTS"))).run()
                } else {
                    try await tx.sql.raw("DROP INDEX IF EXISTS \(ident: String(name))").run()
                }
            }
        }
    }

    /// Registers the generated institutions that are not there yet, in one transaction.
    static func registerInstitutions(_ directory: GeneratedDirectory, seed: UInt64, count: Int, into database: Database,
                                     now: Date) async throws {
        let audit = AuditStore(database: database)
        let institutions = InstitutionStore(database: database, audit: audit, doctors: DoctorStore(database: database, audit: audit))
        try await database.unitOfWork { tx in
            let ids = directory.institutions.map { $0.id.text }
            let rows = try await tx.sql.raw("SELECT id FROM institutions WHERE id IN (\(binds: ids))").all()
            let existing = try Set(rows.map { try $0.text("id") })
            for (id, draft) in directory.institutions where !existing.contains(id.text) {
                _ = try await institutions.register(draft, id: id, at: now, in: tx)
            }
            try await audit.append(
                AuditRecord(action: "seed.directory", resourceType: "database", resourceId: "seed:\(seed) doctors:\(count)"),
                context: AuditContext(actorAccountId: nil, actorRole: nil, clientAddress: nil, requestId: nil, at: now), in: tx)
        }
    }

    /// Gives the query planners fresh statistics after a bulk load.
    static func refreshStatistics(_ database: Database) async throws {
        try await database.unitOfWork { tx in
            switch tx.engine {
            case .sqlite:
                try await tx.sql.raw("ANALYZE").run()
                try await tx.sql.raw("PRAGMA optimize").run()
            case .postgres:
                try await tx.sql.raw("ANALYZE doctors, doctor_terms, doctor_services, doctor_conditions").run()
            }
        }
    }
}

/// SQLite settings of the writer connection for a bulk load: a 64 MiB page cache (the default
/// 2 MiB makes every index insert a read) and checkpoints every 80 MiB of WAL rather than every
/// 4 MiB. Both are per-connection; the previous values are put back afterwards. Durability is
/// unchanged (PostgreSQL needs nothing of this).
struct SQLiteBulkSettings: Sendable {
    var cacheSize: Int64
    var walAutocheckpoint: Int64

    /// Applies the bulk settings on SQLite and returns the ones to restore; `nil` on PostgreSQL.
    static func apply(to database: Database) async throws -> SQLiteBulkSettings? {
        guard database.engine == .sqlite else { return nil }
        return try await database.unitOfWork { tx in
            let cache = try await tx.sql.raw("PRAGMA cache_size").first()?.int64("cache_size")
            let checkpoint = try await tx.sql.raw("PRAGMA wal_autocheckpoint").first()?.int64("wal_autocheckpoint")
            let saved = SQLiteBulkSettings(cacheSize: cache ?? -2000, walAutocheckpoint: checkpoint ?? 1000)
            try await SQLiteBulkSettings(cacheSize: -65536, walAutocheckpoint: 20000).set(in: tx)
            return saved
        }
    }

    func restore(to database: Database) async throws {
        try await database.unitOfWork { tx in try await set(in: tx) }
    }

    private func set(in tx: Transaction) async throws {
        try await tx.sql.raw(SQLQueryString("PRAGMA cache_size = " + String(cacheSize))).run()
        try await tx.sql.raw(SQLQueryString("PRAGMA wal_autocheckpoint = " + String(walAutocheckpoint))).run()
    }
}

// MARK: - Batches

/// One transaction's worth of doctors, as ready-to-run statements.
struct Batch: Sendable {
    var start: Int
    var count: Int
    var statements: [SQLQueryString]
}

/// What every batch of one run shares.
struct BatchPlan: Sendable {
    var seed: UInt64
    var offset: Int
    var year: Int
    var createdAt: Int64
    var engine: Engine
    var directory: GeneratedDirectory

    /// Doctors `start..<start+count` of this run (numbers `offset+start...`), as multi-row inserts.
    func batch(from start: Int, count: Int) -> Batch {
        var doctors = MultiRowInsert("""
            INSERT INTO doctors (id, account_id, name, title, department, specialties, training, practice_since,
                                 licence_number, bio, photo_url, qualification, hospital_id, city_code, patients_served,
                                 consultations, reply_seconds_total, replies, rating_total, rating_count, rank_score,
                                 search_text, created_at, updated_at) VALUES
            """, bindsPerRow: 12)
        var sites = MultiRowInsert("INSERT INTO doctor_practice_sites (doctor_id, institution_id) VALUES", bindsPerRow: 2)
        var services = MultiRowInsert("INSERT INTO doctor_services (doctor_id, kind, price_fen, paused, daily_cap) VALUES",
                                      bindsPerRow: 3)
        var conditions = MultiRowInsert("INSERT INTO doctor_conditions (doctor_id, icd10) VALUES", bindsPerRow: 2)
        var terms = MultiRowInsert("INSERT INTO doctor_terms (term, doctor_id, rank_score) VALUES", bindsPerRow: 2)
        var texts = MultiRowInsert("INSERT INTO doctor_text (doctor_id, search_text) VALUES", bindsPerRow: 2)

        for number in (offset + start)..<(offset + start + count) {
            let doctor = SyntheticDoctor.make(number: number, seed: seed, year: year, directory: directory)
            let id = doctor.id.text
            let codes = doctor.conditions.map(\.icd10)
            // The same index entries `DoctorStore.register` computes.
            let indexTerms = DoctorIndex.terms(name: doctor.name, department: doctor.department.code,
                                               specialties: doctor.specialties, conditions: codes,
                                               hospitalName: doctor.workplace.name)
            let text = DoctorIndex.text(terms: indexTerms, training: doctor.training)
            doctors.add("""
                (\(bind: id), NULL, \(bind: doctor.name), \(bind: doctor.title.rawValue), \(bind: doctor.department.code), \
                \(bind: doctor.specialties.joined(separator: "|")), \(bind: doctor.training), \(literal: doctor.practiceSince), \
                \(bind: doctor.licenceNumber), \(bind: doctor.bio), NULL, \(bind: doctor.qualification.rawValue), \
                \(bind: doctor.workplace.id.text), \(bind: doctor.workplace.cityCode), \(literal: doctor.patientsServed), \
                \(literal: doctor.consultations), \(literal: doctor.replySecondsTotal), \(literal: doctor.replies), \
                \(literal: doctor.ratingTotal), \(literal: doctor.ratingCount), \(literal: doctor.rankScore), \(bind: text), \
                \(literal: createdAt), \(literal: createdAt))
                """)
            for site in Set(doctor.practiceSites) {
                sites.add("(\(bind: id), \(bind: site.text))")
            }
            for offer in doctor.services {
                services.add("""
                    (\(bind: id), \(bind: offer.kind.rawValue), \(literal: offer.priceFen), \(bind: offer.isPaused), \
                    \(literal: offer.dailyCap))
                    """)
            }
            for code in Set(codes.map { $0.uppercased() }) {
                conditions.add("(\(bind: id), \(bind: code))")
            }
            for term in indexTerms {
                terms.add("(\(bind: term), \(bind: id), \(literal: doctor.rankScore))")
            }
            if engine == .sqlite {
                texts.add("(\(bind: id), \(bind: text))")
            }
        }
        // Doctors first: every other row refers to one.
        let statements = doctors.statements() + sites.statements() + services.statements() + conditions.statements()
            + terms.statements() + texts.statements()
        return Batch(start: start, count: count, statements: statements)
    }
}

/// Rows of one table gathered into `INSERT ... VALUES (...), (...)` statements, a new statement
/// whenever the next row would pass the bound-value limit.
struct MultiRowInsert {
    let head: String
    let bindsPerRow: Int
    private var finished: [SQLQueryString] = []
    private var pending: SQLQueryString = ""
    private var pendingRows = 0

    init(_ head: String, bindsPerRow: Int) {
        self.head = head
        self.bindsPerRow = bindsPerRow
    }

    mutating func add(_ row: SQLQueryString) {
        if pendingRows == 0 {
            pending = SQLQueryString(head + " ")
        } else {
            pending += ", "
        }
        pending += row
        pendingRows += 1
        if (pendingRows + 1) * bindsPerRow > DirectoryGenerator.maximumBinds { flush() }
    }

    mutating func statements() -> [SQLQueryString] {
        flush()
        return finished
    }

    private mutating func flush() {
        guard pendingRows > 0 else { return }
        finished.append(pending)
        pending = ""
        pendingRows = 0
    }
}

// MARK: - Institutions

/// A hospital or platform generated doctors work at.
struct Workplace: Sendable {
    var id: UUID
    var name: String
    var cityCode: String
    /// The level of a physical hospital; `nil` for a platform internet hospital.
    var level: HospitalLevel?
    /// The internet hospital its doctors consult under: the city's (tied to its tertiary
    /// hospital) for a physical hospital, the platform itself for a platform.
    var site: UUID
}

/// The generated institutions: in each city a tertiary, a secondary and a primary hospital and
/// the tertiary hospital's internet hospital; three nationwide platform internet hospitals.
struct GeneratedDirectory: Sendable {
    /// In registration order (a physical hospital before the internet hospital tied to it).
    var institutions: [(id: UUID, draft: InstitutionDraft)] = []
    /// Per city: tertiary, secondary, primary.
    var hospitals: [[Workplace]] = []
    var platforms: [Workplace] = []
    private var cityChoice = Weighted<Int>([])
    private let platformChoice = Weighted<Int>([(0, 45), (1, 35), (2, 20)])
    private let levelChoice = Weighted<Int>([(0, 55), (1, 30), (2, 15)])

    /// The known cities (`CityCatalogue`) weighted roughly by size: the municipalities and
    /// provincial capitals, and the policy cities of DOMAIN.md (Quzhou, Yichang, Wenzhou, ...).
    static let cityWeights: [String: Int] = [
        "110100": 10, "120100": 6, "310100": 10, "500100": 8, "130100": 4, "140100": 3, "150100": 2, "210100": 4,
        "210200": 3, "220100": 3, "230100": 4, "320100": 5, "320200": 3, "320500": 5, "330100": 6, "330200": 3,
        "330300": 3, "330800": 1, "340100": 4, "350100": 3, "350200": 2, "360100": 3, "370100": 4, "370200": 4,
        "410100": 5, "420100": 7, "420500": 1, "430100": 4, "440100": 8, "440300": 7, "440600": 3, "450100": 3,
        "460100": 1, "510100": 7, "520100": 3, "530100": 3, "540100": 1, "610100": 5, "620100": 2, "630100": 1,
        "640100": 1, "650100": 2,
    ]

    /// Nationwide platforms, registered where the company sits (Wuhan admitted the first one,
    /// DOMAIN.md mode 3).
    static let platformNames: [(name: String, code: String)] = [
        ("仁和互联网医院", "330100"), ("京康互联网医院", "110100"), ("楚天云医互联网医院", "420100"),
    ]

    init(seed: UInt64) throws {
        var cityWeights: [(Int, Int)] = []
        for (index, city) in CityCatalogue.all.enumerated() {
            let region = try RegionCode(city.code)
            let id = { (what: String) in UUID.named("gen:\(seed):\(city.code):\(what)") }
            let names: [(HospitalLevel, String)] = [
                (.tertiary, "\(city.nameZh)第一人民医院"), (.secondary, "\(city.nameZh)第二人民医院"),
                (.primary, "\(city.nameZh)人民路社区卫生服务中心"),
            ]
            let internet = id("internet")
            var workplaces: [Workplace] = []
            for (level, name) in names {
                let hospital = id(level.rawValue)
                let draft = InstitutionDraft(kind: .physicalHospital, name: name, regionCode: region, level: level,
                                             insuranceDesignated: true, internetHospitalLicensed: level == .tertiary)
                institutions.append((id: hospital, draft: draft))
                workplaces.append(Workplace(id: hospital, name: name, cityCode: region.city, level: level, site: internet))
            }
            let internetDraft = InstitutionDraft(kind: .internetHospital, name: "\(city.nameZh)第一人民医院互联网医院",
                                                 regionCode: region, physicalHospitalId: workplaces[0].id,
                                                 insuranceDesignated: true, internetHospitalLicensed: true)
            institutions.append((id: internet, draft: internetDraft))
            hospitals.append(workplaces)
            cityWeights.append((index, Self.cityWeights[city.code] ?? 1))
        }
        cityChoice = Weighted(cityWeights)
        for (index, platform) in Self.platformNames.enumerated() {
            let region = try RegionCode(platform.code)
            let id = UUID.named("gen:\(seed):platform:\(index)")
            let draft = InstitutionDraft(kind: .platformInternetHospital, name: platform.name, regionCode: region,
                                         insuranceDesignated: true, internetHospitalLicensed: true)
            institutions.append((id: id, draft: draft))
            platforms.append(Workplace(id: id, name: platform.name, cityCode: region.city, level: nil, site: id))
        }
    }

    /// Where a doctor works: about one in five on a platform, the rest at a city's hospital —
    /// bigger cities and tertiary hospitals more often.
    func pickWorkplace(using random: inout SplitMix64) -> Workplace {
        if random.chance(0.18) { return platforms[platformChoice.pick(using: &random)] }
        let city = cityChoice.pick(using: &random)
        let level = levelChoice.pick(using: &random)
        return hospitals[city][level]
    }
}
