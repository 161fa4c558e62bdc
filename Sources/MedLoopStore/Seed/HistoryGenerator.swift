import Foundation
import MedLoopDomain
import SQLKit

/// Generates days of past activity on the doctors already stored (`medloop seed --history-days N`,
/// issue 20 part 7): completed consultations and appointments with their orders, diagnoses,
/// prescriptions and pharmacist reviews, and insurance settlements, shaped by `HistoryShape`.
///
/// Everything it writes keeps the promises `ConsistencyCheck` asks of real activity: each paid
/// order has a balanced payment entry (gateway and fund into escrow) and a release entry (escrow
/// to the platform's commission and the doctor), so escrow holds nothing for a completed order;
/// each settlement adds up, its lines sum to its bill and the year to date follows it. It writes
/// no domain events: history is not news, and the live monitor and fraud rules never see it.
///
/// The same seed on the same directory gives the same history; running again adds new patients
/// and consultations (a new run number). Rows are written many per statement, one transaction
/// per chunk.
public enum HistoryGenerator {
    /// Consultations per transaction.
    static let chunkSize = 4000

    /// What a run wrote.
    public struct Summary: Sendable, Equatable {
        public var consultations = 0
        public var prescriptions = 0
        public var settlements = 0
        public var patients = 0
    }

    /// Generates `days` days of history ending yesterday (Asia/Shanghai) before `now`, on the
    /// approved doctors stored. `progress` is told the days done after each day.
    public static func generate(days: Int, into database: Database, cipher: FieldCipher, seed: UInt64 = 2020, now: Date,
                                progress: @Sendable (Int) -> Void = { _ in }) async throws -> Summary {
        let world = try await HistoryWorld.load(from: database, cipher: cipher, now: now)
        guard !world.doctors.isEmpty, days > 0 else { return Summary() }
        let run = try await database.read { sql -> Int in
            Int(try await sql.raw("SELECT COUNT(*) AS n FROM audit_log WHERE action = 'seed.history'").first()?.int64("n") ?? 0)
        }
        let today = ShanghaiDay.number(of: CalendarDate.shanghai(now))
        let expected = Double(world.doctors.count) * HistoryShape.consultationsPerDoctorDay * Double(days)
        var state = HistoryState(seed: seed, run: run, world: world, now: now.epochMillis,
                                 patientPool: max(20, min(9_999_999, Int(expected / 3))))
        var summary = Summary()
        // Every chunk of every day, in order; a chunk is built from the state the one before left.
        var jobs: [(day: Int64, start: Int, count: Int, lastOfDay: Int?)] = []
        for (index, day) in ((today - Int64(days))..<today).enumerated() {
            let volume = Int((Double(world.doctors.count) * HistoryShape.consultationsPerDoctorDay
                              * HistoryShape.dayFactor(isoWeekday: ShanghaiDay.isoWeekday(ofNumber: day))).rounded())
            for start in stride(from: 0, to: max(volume, 1), by: chunkSize) {
                let count = min(chunkSize, volume - start)
                jobs.append((day, start, max(0, count), start + chunkSize >= volume ? index + 1 : nil))
            }
        }
        let engine = database.engine
        let build = { @Sendable (state: HistoryState, job: (day: Int64, start: Int, count: Int, lastOfDay: Int?)) -> (HistoryState, HistoryChunk) in
            var next = state
            let chunk = next.chunk(day: job.day, from: job.start, count: job.count, engine: engine)
            return (next, chunk)
        }
        let saved = try await SQLiteBulkSettings.apply(to: database)
        // The next chunk is built while the current one is written.
        var building: Task<(HistoryState, HistoryChunk), Never>? = jobs.first.map { first in Task { [state] in build(state, first) } }
        var index = 0
        do {
            while let current = building {
                let (after, chunk) = await current.value
                state = after
                let job = jobs[index]
                index += 1
                building = index < jobs.count ? Task { [state, next = jobs[index]] in build(state, next) } : nil
                if !chunk.statements.isEmpty {
                    try await database.unitOfWork { tx in
                        for statement in chunk.statements { try await tx.sql.raw(statement).run() }
                    }
                }
                summary.consultations += job.count
                summary.prescriptions += chunk.prescriptions
                summary.settlements += chunk.settlements
                if let done = job.lastOfDay { progress(done) }
            }
        } catch {
            building?.cancel()
            try? await saved?.restore(to: database)
            throw error
        }
        try await saved?.restore(to: database)
        summary.patients = state.patientsCreated
        let what = "seed:\(seed) run:\(run) days:\(days) consultations:\(summary.consultations)"
        try await database.unitOfWork { tx in
            // The rows were written in bulk, not completed and signed one by one: their volumes are counted.
            for statement in Migrations.doctorDayVolumesFill(database.engine) { try await tx.sql.raw(SQLQueryString(statement)).run() }
            try await AuditStore(database: database).append(
                AuditRecord(action: "seed.history", resourceType: "database", resourceId: what),
                context: AuditContext(actorAccountId: nil, actorRole: nil, clientAddress: nil, requestId: nil, at: now), in: tx)
        }
        try await DirectoryGenerator.refreshStatistics(database)
        return summary
    }

    /// An identifier laid out like the app's time-ordered ones (version 7), its other bits a hash
    /// of `name`: reproducible, and every time-keyed index fills at its end.
    static func timeOrderedId(_ name: String, millis: Int64) -> UUID {
        var bytes = withUnsafeBytes(of: UUID.named(name).uuid) { Array($0) }
        let stamp = UInt64(max(0, millis))
        for index in 0..<6 { bytes[index] = UInt8(truncatingIfNeeded: stamp >> (8 * (5 - index))) }
        bytes[6] = (bytes[6] & 0x0F) | 0x70
        bytes[8] = (bytes[8] & 0x3F) | 0x80
        return UUID(uuid: (bytes[0], bytes[1], bytes[2], bytes[3], bytes[4], bytes[5], bytes[6], bytes[7],
                           bytes[8], bytes[9], bytes[10], bytes[11], bytes[12], bytes[13], bytes[14], bytes[15]))
    }
}

/// One transaction of history.
struct HistoryChunk: Sendable {
    var statements: [SQLQueryString]
    var prescriptions: Int
    var settlements: Int
}

/// The running state of a generation: the random stream, the patients made so far, and recent
/// (patient, doctor) pairs a patient may return to.
struct HistoryState: Sendable {
    let seed: UInt64
    let run: Int
    let world: HistoryWorld
    let now: Int64
    let patientPool: Int
    private var random: SplitMix64
    private var created: Set<Int> = []
    private var recent: [(patient: Int, doctor: Int)] = []
    private var recentNext = 0
    private let departments: Weighted<String>
    private var doctorsOf: [String: Weighted<Int>] = [:]
    var patientsCreated: Int { created.count }

    init(seed: UInt64, run: Int, world: HistoryWorld, now: Int64, patientPool: Int) {
        self.seed = seed
        self.run = run
        self.world = world
        self.now = now
        self.patientPool = patientPool
        random = SplitMix64(seed: seed &* 0x9E37_79B9_7F4A_7C15 ^ UInt64(run))
        var byDepartment: [String: [(Int, Int)]] = [:]
        for (index, doctor) in world.doctors.enumerated() {
            byDepartment[doctor.department, default: []].append((index, HistoryShape.titleReach[doctor.title] ?? 1))
        }
        departments = Weighted(byDepartment.keys.sorted().map { ($0, HistoryShape.departmentDemand[$0] ?? 5) })
        for (department, doctors) in byDepartment { doctorsOf[department] = Weighted(doctors) }
    }

    /// Consultations `start..<start+count` of day number `day`, as statements.
    mutating func chunk(day: Int64, from start: Int, count: Int, engine: Engine) -> HistoryChunk {
        var rows = HistoryRows()
        let dayStart = ShanghaiDay.startMillis(of: ShanghaiDay.date(ofNumber: day))
        let serviceDay = ShanghaiDay.date(ofNumber: day).description
        for number in start..<(start + count) {
            // A returning patient sees the same doctor; anyone else goes where demand leads.
            let patient: Int
            let doctorIndex: Int
            if !recent.isEmpty, random.chance(HistoryShape.repeatChance) {
                let visit = recent[random.int(in: 0...(recent.count - 1))]
                patient = visit.patient
                doctorIndex = visit.doctor
            } else {
                let department = departments.pick(using: &random)
                doctorIndex = doctorsOf[department]?.pick(using: &random) ?? 0
                patient = random.int(in: 0...(patientPool - 1))
            }
            remember(patient: patient, doctor: doctorIndex)
            let doctor = world.doctors[doctorIndex]
            let patientRow = ensurePatient(patient, into: &rows)
            let kind = HistoryShape.pickKind(from: doctor.offers.keys.sorted { $0.rawValue < $1.rawValue }, using: &random) ?? .textPackage
            let hour = HistoryShape.hours[doctor.title]?.pick(using: &random) ?? 12
            let paidAt = min(now - 3_600_000, dayStart + Int64(hour) * 3_600_000 + Int64(random.int(in: 0...3_599_999)))
            let name = "gen-order:\(seed):\(run):\(day):\(number)"
            let orderId = HistoryGenerator.timeOrderedId(name, millis: paidAt)
            let unit = doctor.offers[kind] ?? 0
            let minutes = kind == .voicePerMinute || kind == .videoPerMinute ? HistoryShape.callMinutes(using: &random) : nil
            let price = unit * Int64(minutes ?? 1)
            let accepted = min(now - 60_000, paidAt + Int64(HistoryShape.acceptMinutes(using: &random)) * 60_000)
            let completed = min(now - 1, accepted + Int64(minutes ?? HistoryShape.textMinutes(using: &random)) * 60_000)
            let site = kind == .appointment ? nil : doctor.site
            rows.orders.add("""
                (\(bind: orderId.text), \(bind: patientRow.account), \(bind: patientRow.patient), \(bind: doctor.id.text), \
                \(bind: kind.rawValue), \(literal: price), 'completed', \(bind: serviceDay), \(literal: paidAt - 60_000), \
                \(literal: paidAt), \(literal: completed), \(nullableInteger(minutes == nil ? nil : unit)), \(nullableInteger(minutes.map(Int64.init))), \
                \(bind: site?.text))
                """)
            var diagnosis: String?
            if kind != .appointment {
                diagnosis = doctor.conditions.isEmpty
                    ? ConditionCatalogue.all[random.int(in: 0...(ConditionCatalogue.all.count - 1))].icd10
                    : doctor.conditions[random.int(in: 0...(doctor.conditions.count - 1))]
                let consultationId = HistoryGenerator.timeOrderedId("gen-consultation:\(name)", millis: paidAt)
                let closes = kind == .textPackage ? accepted + 48 * 3_600_000 : completed
                let outcome: ConsultationOutcome = random.chance(HistoryShape.referralChance) ? .referred : .advised
                rows.consultations.add("""
                    (\(bind: consultationId.text), \(bind: orderId.text), \(bind: patientRow.account), \(bind: patientRow.patient), \
                    \(bind: doctor.id.text), \(bind: doctor.accountId.text), \(bind: kind.rawValue), 'completed', \(literal: paidAt), \
                    \(literal: accepted), \(literal: closes), \(literal: completed), \(bind: diagnosis), \(bind: outcome.rawValue))
                    """)
                if let chance = HistoryShape.prescriptionChance[kind], random.chance(chance), let site, !world.drugs.isEmpty {
                    addPrescription(name: name, consultation: consultationId, patient: patientRow.patient, doctor: doctor, site: site,
                                    diagnosis: diagnosis ?? "", signedAt: max(accepted, completed - 120_000), into: &rows)
                }
            }
            // Payment: the fund's share (when settled) and the rest from the payment provider into escrow.
            var fundFen: Int64 = 0
            var settlementId: UUID?
            if price > 0, kind == .textPackage || kind == .appointment, let insured = patientRow.insured {
                let ratio = HistoryShape.fundRatioBasisPoints(insured.scheme)
                fundFen = (price * Int64(ratio) + 5_000) / 10_000
                let id = HistoryGenerator.timeOrderedId("gen-settlement:\(name)", millis: paidAt)
                settlementId = id
                addSettlement(id: id, order: orderId, patient: patientRow, insured: insured, institution: site ?? doctor.hospitalId,
                              serviceDay: serviceDay, year: ShanghaiDay.date(ofNumber: day).year, ratio: ratio, price: price,
                              fundFen: fundFen, at: paidAt, into: &rows)
            }
            if price > 0 {
                let payment = HistoryGenerator.timeOrderedId("gen-payment:\(name)", millis: paidAt)
                var lines: [LedgerLine] = [LedgerLine(.escrow, price)]
                if price - fundFen > 0 { lines.append(LedgerLine(.sandboxGateway, -(price - fundFen))) }
                if fundFen > 0, let insured = patientRow.insured, let region = try? RegionCode(insured.region) {
                    lines.append(LedgerLine(.fundPayable(region, to: site ?? doctor.hospitalId), -fundFen))
                }
                rows.post(id: payment, kind: settlementId == nil ? .charge : .insuranceSettlement, order: orderId,
                          settlement: settlementId, lines: lines, at: paidAt)
                // Released on completion: 10 % to the platform (the default rate), the rest to the doctor.
                if let split = try? CommissionSplit(feeFen: price, rateBasisPoints: CommissionSplit.defaultRateBasisPoints),
                   let release = try? split.settlement(doctor: doctor.id, orderId: orderId) {
                    rows.post(id: HistoryGenerator.timeOrderedId("gen-release:\(name)", millis: completed), kind: .settlement,
                              order: orderId, settlement: nil, lines: release.lines, at: completed)
                }
            }
        }
        return HistoryChunk(statements: rows.statements(), prescriptions: rows.prescriptionCount, settlements: rows.settlementCount)
    }

    private mutating func remember(patient: Int, doctor: Int) {
        let limit = 20_000
        if recent.count < limit {
            recent.append((patient, doctor))
        } else {
            recent[recentNext] = (patient, doctor)
            recentNext = (recentNext + 1) % limit
        }
    }

    typealias PatientRow = GeneratedPatient

    private mutating func ensurePatient(_ number: Int, into rows: inout HistoryRows) -> PatientRow {
        let patient = GeneratedPatient(number: number, family: .history, seed: seed, run: run, policies: world.policies)
        if created.insert(number).inserted { patient.add(to: &rows, cipher: world.cipher, now: now) }
        return patient
    }

    private mutating func addPrescription(name: String, consultation: UUID, patient: String, doctor: HistoryDoctor, site: UUID,
                                          diagnosis: String, signedAt: Int64, into rows: inout HistoryRows) {
        let id = HistoryGenerator.timeOrderedId("gen-prescription:\(name)", millis: signedAt)
        let reviewedAt = signedAt + Int64(HistoryShape.reviewMinutes(using: &random)) * 60_000
        let reviewed = reviewedAt < now
        let rejected = reviewed && random.chance(HistoryShape.rejectionChance)
        let state = !reviewed ? "signed" : rejected ? "rejected" : "approved"
        let reviewer = reviewed ? world.pharmacists[site]?.text : nil
        rows.prescriptions.add("""
            (\(bind: id.text), \(bind: consultation.text), \(bind: patient), \(bind: doctor.accountId.text), \(bind: site.text), \
            \(bind: diagnosis), \(bind: state), 3, '[]', '[]', \(literal: signedAt - 60_000), \(literal: reviewed ? reviewedAt : signedAt), \
            \(literal: signedAt), \(literal: signedAt + 3 * 86_400_000), \(nullableInteger(reviewed ? reviewedAt : nil)), \(bind: reviewer), \
            \(bind: rejected ? RejectionReason.indication.rawValue : nil))
            """)
        let drug = world.drugs[random.int(in: 0...(world.drugs.count - 1))]
        let days = random.int(in: 3...14)
        rows.items.add("(\(bind: id.text), 0, \(bind: drug.text), 1, 'tablet', 3, 'oral', \(literal: days), \(literal: days * 3))")
        rows.prescriptionCount += 1
    }

    private func addSettlement(id: UUID, order: UUID, patient: PatientRow, insured: (id: String, region: String, version: String, scheme: InsuranceScheme),
                               institution: UUID, serviceDay: String, year: Int, ratio: Int, price: Int64, fundFen: Int64, at: Int64,
                               into rows: inout HistoryRows) {
        let selfShare = price - fundFen
        rows.settlements.add("""
            (\(bind: id.text), 'settlement', \(bind: order.text), \(bind: patient.patient), \(bind: patient.account), \(bind: insured.id), \
            \(bind: insured.region), \(bind: insured.version), \(bind: insured.scheme.rawValue), 'tertiary', \(bind: institution.text), \
            \(literal: year), \(bind: serviceDay), \(bind: serviceDay), \(bind: true), \(literal: ratio), \(literal: price), 0, 0, 0, \
            \(literal: price), 0, 0, \(literal: fundFen), \(literal: selfShare), 0, \(literal: selfShare), 0, \(literal: selfShare), '[]', \
            \(literal: at))
            """)
        rows.settlementLines.add("(\(bind: id.text), 0, 'consultation', \(literal: price), 0, 0, 0, \(literal: price), 0)")
        rows.yearToDate[YearKey(person: insured.id, year: year), default: 0] += fundFen
        rows.settlementCount += 1
    }
}
