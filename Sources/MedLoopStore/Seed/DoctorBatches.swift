import Foundation
import MedLoopDomain
import SQLKit

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
        var services = MultiRowInsert("""
            INSERT INTO doctor_services (doctor_id, kind, price_fen, paused, daily_cap, city_code, department) VALUES
            """, bindsPerRow: 5)
        var conditions = MultiRowInsert("INSERT INTO doctor_conditions (doctor_id, icd10) VALUES", bindsPerRow: 2)
        var terms = MultiRowInsert("""
            INSERT INTO doctor_terms (term, doctor_id, rank_score, qualification, department, city_code, patients_served) VALUES
            """, bindsPerRow: 5)

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
                    \(literal: offer.dailyCap), \(bind: doctor.workplace.cityCode), \(bind: doctor.department.code))
                    """)
            }
            for code in Set(codes.map { $0.uppercased() }) {
                conditions.add("(\(bind: id), \(bind: code))")
            }
            for term in indexTerms {
                terms.add("""
                    (\(bind: term), \(bind: id), \(literal: doctor.rankScore), \(bind: doctor.qualification.rawValue), \
                    \(bind: doctor.department.code), \(bind: doctor.workplace.cityCode), \(literal: doctor.patientsServed))
                    """)
            }
        }
        // Doctors first: every other row refers to one. On SQLite the batch's doctors, the ones
        // without a search key yet, get their row ids as keys and their trigram entries (M0030).
        var texts: [SQLQueryString] = []
        if engine == .sqlite {
            texts = [
                "INSERT INTO doctor_text (rowid, doctor_id, search_text) SELECT rowid, id, search_text FROM doctors WHERE search_key IS NULL",
                "UPDATE doctors SET search_key = rowid WHERE search_key IS NULL",
            ]
        }
        let statements = doctors.statements() + sites.statements() + services.statements() + conditions.statements()
            + terms.statements() + texts
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
