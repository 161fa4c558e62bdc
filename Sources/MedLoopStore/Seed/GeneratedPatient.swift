import Foundation
import MedLoopDomain
import SQLKit

/// A generated patient, as the history (`medloop seed --history-days`) and `medloop seed --patients`
/// make them: an account that cannot sign in (`'!generated'` is no password hash), a patient record
/// with its national ID and phone sealed and hashed as real ones are, and for some an insured
/// person of one of the stored policies' regions, linked as verified coverage. Everything follows
/// from the family, the seed, the run and the number, so a seed gives the same patients again.
struct GeneratedPatient: Sendable {
    /// Keeps the generators' patients apart: their own identifiers, phones, national IDs and insured numbers.
    struct Family: Sendable {
        /// The name identifiers are hashed from.
        var key: String
        /// The first two digits of the phone number.
        var phonePrefix: String
        /// Added to `run × 10,000,000 + number` to give the national ID's region, birth day and sequence.
        var serialBase: Int64
        /// Runs wrap after this many, and then repeat identifiers: a run adds at most 10,000,000 patients.
        var runs: Int
        var insuredPrefix: String

        static let history = Family(key: "gen-patient", phonePrefix: "19", serialBase: 0, runs: 40, insuredPrefix: "G")
        static let seeded = Family(key: "seed-patient", phonePrefix: "17", serialBase: 400_000_000, runs: 60, insuredPrefix: "P")
    }

    var patient: String
    var account: String
    var insured: (id: String, region: String, version: String, scheme: InsuranceScheme)?
    let number: Int
    let family: Family
    let run: Int
    let nationalId: String
    let birth: CalendarDate

    /// Patient `number` (0...9,999,999) of `run`; insured with `HistoryShape.insuredChance` when there are policies.
    init(number: Int, family: Family, seed: UInt64, run: Int, policies: [(region: String, version: String)]) {
        let key = "\(family.key):\(seed):\(run):\(number)"
        patient = UUID.named(key).text
        account = UUID.named("account:\(key)").text
        self.number = number
        self.family = family
        self.run = run
        // Every run and patient number its own national ID: region, birth day and sequence spell it out.
        let serial = family.serialBase + Int64(run % family.runs) * 10_000_000 + Int64(number)
        let cities = CityCatalogue.all
        let city = cities[Int(serial / 25_567_000) % cities.count].code
        birth = ShanghaiDay.date(ofNumber: -7_305 + (serial / 1000) % 25_567)
        nationalId = NationalID.make(region: city, birth: birth, sequence: Int(serial % 1000))
        var mixer = SplitMix64(seed: UInt64(bitPattern: serial) ^ seed)
        if !policies.isEmpty, mixer.chance(HistoryShape.insuredChance) {
            let policy = policies[mixer.int(in: 0...(policies.count - 1))]
            insured = (UUID.named("insured:\(key)").text, policy.region, policy.version, mixer.chance(0.5) ? .employee : .resident)
        }
    }

    /// Adds the patient's account, record, insured person and coverage to `rows`.
    func add(to rows: inout HistoryRows, cipher: FieldCipher, now: Int64) {
        let phone = family.phonePrefix + String(format: "%02d%07d", run % 100, number)
        let sequence = Int(nationalId.dropLast().suffix(3)) ?? 0
        let sex = sequence % 2 == 1 ? "male" : "female"
        // Digits only: written into the statement as they are.
        let name = "患者\(number % 10_000)"
        let phoneCipher = (try? cipher.seal(phone, field: "phone")) ?? ""
        rows.accounts.add("""
            (\(bind: account), 'patient', \(bind: cipher.lookupHash(phone, field: "phone")), \(bind: phoneCipher), '!generated', \
            '\(unsafeRaw: name)', 'active', \(literal: now))
            """)
        let idCipher = (try? cipher.seal(nationalId, field: "national_id")) ?? ""
        let idHash = cipher.lookupHash(nationalId, field: "national_id")
        rows.patients.add("""
            (\(bind: patient), \(bind: account), '\(unsafeRaw: name)', \(bind: idCipher), \(bind: idHash), \
            \(bind: sex), \(bind: birth.description), \(bind: phoneCipher), \(literal: now), \(literal: now))
            """)
        if let insured {
            rows.insured.add("""
                (\(bind: insured.id), \(bind: insured.region), \(bind: idCipher), \(bind: idHash), \
                \(bind: family.insuredPrefix + String(format: "%02d%09d", run % 100, number)), \(bind: insured.scheme.rawValue), 'active', \
                \(literal: now), \(literal: now))
                """)
            rows.coverages.add("(\(bind: patient), \(bind: insured.id), \(literal: now))")
        }
    }
}
