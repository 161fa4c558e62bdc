import Foundation
import MedLoopDomain
import SQLKit

/// One bill of an order with everything the settlement rule reads, gathered from the database:
/// the institution that charges, the condition, the prior visits, the lines.
struct BillSubject: Sendable {
    var orderId: UUID?
    var medicineOrderId: UUID?
    var patientId: UUID
    var accountId: UUID
    var facts: BillFacts
    /// The level of the institution whose ratio applies, before the policy is known: a physical
    /// hospital's level, or `nil` for a platform internet hospital (the policy's `platformLevel`).
    var hospitalLevel: HospitalLevel?
    /// The kind of institution the level comes from: the bill's own, or the prescribing one's for a pharmacy.
    var levelKind: InstitutionKind
    var lines: [ChargeLine]
    var escrow: LedgerAccount
}

/// A bill with its coverage and the policy that decides it.
struct PreparedBill: Sendable {
    var subject: BillSubject
    var coverage: Coverage
    var policy: RegionPolicy?
    var request: SettlementRequest
}

extension SettlementStore {
    /// The bill of a consultation order: its fee at the internet hospital the order was booked at.
    /// `nil` for an order with no such bill (an in-person appointment, a free or metered service).
    func subject(ofOrder id: UUID, in sql: any SQLDatabase) async throws -> BillSubject? {
        guard let row = try await sql.raw("""
            SELECT o.*, i.kind AS site_kind, i.region_code AS site_region, i.insurance_designated AS site_designated,
                   i.physical_hospital_id AS site_hospital, h.level AS hospital_level, e.icd10 AS encounter_icd10,
                   p.diagnosis_icd10 AS refill_icd10
            FROM orders o
            JOIN institutions i ON i.id = o.site_id
            LEFT JOIN institutions h ON h.id = i.physical_hospital_id
            LEFT JOIN encounters e ON e.id = o.encounter_id
            LEFT JOIN prescriptions p ON p.id = o.refill_of_prescription_id
            WHERE o.id = \(bind: id.text)
            """).first() else { return nil }
        let order = try OrderStore.order(from: row)
        // Calls are billed by the minute used, known only at the end: they are paid without settlement.
        guard order.priceFen > 0, !order.service.isMetered else { return nil }
        let patient = order.patientId
        let kind = try row.value("site_kind", as: InstitutionKind.self)
        let condition = try (row.optionalText("encounter_icd10") ?? row.optionalText("refill_icd10")).flatMap { try? ICD10Code($0) }
        let facts = BillFacts(institutionKind: kind, institutionId: try row.uuid("site_id"),
                              institutionRegion: try RegionCode(try row.text("site_region")),
                              isDesignated: try row.bool("site_designated"), physicalHospitalId: try row.optionalUUID("site_hospital"),
                              condition: condition, serviceDay: CalendarDate.shanghai(order.createdAt))
        return BillSubject(orderId: id, medicineOrderId: nil, patientId: patient, accountId: order.accountId, facts: facts,
                           hospitalLevel: try row.optionalValue("hospital_level", as: HospitalLevel.self), levelKind: kind,
                           lines: [ChargeLine(kind: .consultation, amountFen: order.priceFen)], escrow: .escrow)
    }

    /// The bill of a medicine order: its drugs at the pharmacy, at the level of the institution
    /// that issued the prescription.
    func subject(ofMedicineOrder id: UUID, in sql: any SQLDatabase) async throws -> BillSubject? {
        guard let row = try await sql.raw("""
            SELECT m.account_id, m.patient_id, m.pharmacy_id, m.created_at, f.kind AS pharmacy_kind, f.region_code AS pharmacy_region,
                   f.insurance_designated AS pharmacy_designated, p.diagnosis_icd10, s.kind AS issuer_kind,
                   s.physical_hospital_id AS issuer_hospital, h.level AS hospital_level
            FROM medicine_orders m
            JOIN institutions f ON f.id = m.pharmacy_id
            JOIN prescriptions p ON p.id = m.prescription_id
            JOIN institutions s ON s.id = p.institution_id
            LEFT JOIN institutions h ON h.id = s.physical_hospital_id
            WHERE m.id = \(bind: id.text)
            """).first() else { return nil }
        let lines = try await sql.raw("""
            SELECT l.drug_id, l.quantity, l.amount_fen, l.insurance_class, d.reference_price_fen
            FROM medicine_order_lines l JOIN drugs d ON d.id = l.drug_id
            WHERE l.order_id = \(bind: id.text) ORDER BY l.position
            """).all().map { line in
                ChargeLine(kind: .drug(try line.value("insurance_class", as: InsuranceClass.self)), amountFen: try line.int64("amount_fen"),
                           referenceFen: try line.int64("reference_price_fen") * (try line.int64("quantity")), drugId: try line.uuid("drug_id"))
            }
        let facts = BillFacts(institutionKind: try row.value("pharmacy_kind", as: InstitutionKind.self),
                              institutionId: try row.uuid("pharmacy_id"), institutionRegion: try RegionCode(try row.text("pharmacy_region")),
                              isDesignated: try row.bool("pharmacy_designated"),
                              physicalHospitalId: try row.optionalUUID("issuer_hospital"),
                              condition: try? ICD10Code(try row.text("diagnosis_icd10")),
                              serviceDay: CalendarDate.shanghai(try row.instant("created_at")))
        return BillSubject(orderId: nil, medicineOrderId: id, patientId: try row.uuid("patient_id"), accountId: try row.uuid("account_id"),
                           facts: facts, hospitalLevel: try row.optionalValue("hospital_level", as: HospitalLevel.self),
                           levelKind: try row.value("issuer_kind", as: InstitutionKind.self), lines: lines, escrow: .medicineEscrow)
    }

    /// The bill with the patient's coverage and home policy applied, ready to settle; `nil` when
    /// the patient has linked no coverage (the bill is paid as before). `serviceDay` is the day
    /// the bill is settled.
    ///
    /// With `insuredPerson`, the bill is prepared under that person's coverage (a claim keeps the
    /// coverage it was filed under), not the one the patient has linked now.
    func prepare(_ found: BillSubject, on serviceDay: CalendarDate, insuredPerson: UUID? = nil,
                 in sql: any SQLDatabase) async throws -> PreparedBill? {
        let coverage: Coverage?
        if let insuredPerson {
            coverage = try await InsuredPersonStore.person(insuredPerson, in: sql, cipher: cipher).map {
                Coverage(patientId: found.patientId, person: $0, verifiedAt: Date(epochMillis: 0))
            }
        } else {
            coverage = try await InsuredPersonStore.coverage(of: found.patientId, in: sql, cipher: cipher)
        }
        guard let coverage else { return nil }
        var subject = found
        subject.facts.serviceDay = serviceDay
        let person = coverage.person
        let policy = try await policies.inForce(person.region, on: serviceDay, in: sql)
        // Only visits the policy's window can reach (by the patient's visits index).
        let earliest = serviceDay.adding(days: -(policy?.priorVisit?.windowDays ?? 0))
        let visits = try await sql.raw("""
            SELECT hospital_id, visit_date, icd10, source, prescribed FROM encounters
            WHERE patient_id = \(bind: subject.patientId.text) AND visit_date >= \(bind: earliest.description)
            """).all().compactMap { row -> PriorVisit? in
                guard let date = CalendarDate(iso: try row.text("visit_date")), let code = try? ICD10Code(try row.text("icd10")) else { return nil }
                return PriorVisit(hospitalId: try row.uuid("hospital_id"), date: date, icd10: code,
                                  source: try row.value("source", as: EncounterSource.self), prescribed: try row.bool("prescribed"))
            }
        var decision = CoverageRule.decide(subject.facts, status: person.status, policy: policy, priorVisits: visits)
        let level = policy.flatMap { SettlementLevel.of(subject.levelKind, physicalHospitalLevel: subject.hospitalLevel, policy: $0) }
        if decision.isCovered && level == nil { decision = .notCovered(.institutionNotAdmitted) }
        let yearToDate = try await sql.raw("""
            SELECT deductible_used_fen, fund_paid_fen FROM insurance_year_to_date
            WHERE insured_person_id = \(bind: person.id.text) AND year = \(bind: serviceDay.year)
            """).first().map { YearToDate(deductibleUsedFen: try $0.int64("deductible_used_fen"), fundPaidFen: try $0.int64("fund_paid_fen")) }
        // Without a policy in force the rule still shows the bill, wholly self-paid, under a stand-in.
        let terms = policy ?? Self.noPolicy(person.region, day: serviceDay)
        let request = SettlementRequest(lines: subject.lines, policy: terms, scheme: person.scheme, level: level ?? .tertiary,
                                        yearToDate: yearToDate ?? .zero, personalAccountBalanceFen: person.personalAccountFen,
                                        coverage: decision)
        return PreparedBill(subject: subject, coverage: coverage, policy: policy, request: request)
    }

    /// A policy that admits nothing: what a bill is shown under when its region has no version in force.
    static func noPolicy(_ region: RegionCode, day: CalendarDate) -> RegionPolicy {
        RegionPolicy(region: region, version: "none", effectiveFrom: day, effectiveTo: day,
                     name: LocalizedText(zh: "无生效政策", en: "no policy in force"), coveredConditions: [], admittedKinds: [],
                     onlyInstitutions: [], platformLevel: nil, priorVisit: nil, consultationFee: .fundPaysFixed(fen: 0),
                     classBSelfPayFirstBp: 0, deliveryCovered: false, schemes: [:], quotaSharedWithPhysicalHospital: false,
                     homeSettles: false)
    }
}
