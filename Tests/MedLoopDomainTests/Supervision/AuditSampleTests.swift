import Foundation
import PropertyBased
import Testing
@testable import MedLoopDomain

/// A readable prescription id: `00000000-0000-0000-0000-0000000000NN`.
private func rx(_ number: Int) -> UUID {
    UUID(uuidString: String(format: "00000000-0000-0000-0000-%012d", number))!
}

/// A population of `count` prescriptions, numbered from 1.
private func population(_ count: Int) -> [UUID] { (1...max(count, 1)).map(rx).prefix(count).map { $0 } }

private let hospitalA = UUID.named("institution:audit-a")
private let hospitalB = UUID.named("institution:audit-b")
private let pharmacyC = UUID.named("institution:audit-c")
/// Three pharmacists, one per institution, in account order (p1 < p2 < p3).
private let p1 = AuditReviewer(accountId: UUID(uuidString: "00000000-0000-0000-0000-0000000000a1")!, institutionId: hospitalA)
private let p2 = AuditReviewer(accountId: UUID(uuidString: "00000000-0000-0000-0000-0000000000a2")!, institutionId: hospitalB)
private let p3 = AuditReviewer(accountId: UUID(uuidString: "00000000-0000-0000-0000-0000000000a3")!, institutionId: pharmacyC)

private func item(_ number: Int, _ institutions: UUID...) -> AuditItemFacts {
    AuditItemFacts(prescriptionId: rx(number), prescriberInstitutions: Set(institutions))
}

/// A seed, a population size, a sample size and the sample SplitMix64 draws, written out.
struct DrawCase: Sendable, CustomTestStringConvertible {
    var seed: Int64
    var population: Int
    var size: Int
    var drawn: [Int]
    var testDescription: String { "seed \(seed): \(size) of \(population) → \(drawn)" }
}

/// A seed, the items' prescriber institutions, and who gets each item.
struct AssignCase: Sendable, CustomTestStringConvertible {
    var name: String
    var seed: Int64
    var items: [AuditItemFacts]
    var assignees: [UUID]
    var testDescription: String { name }
}

@Suite("Audit samples: a seeded, reproducible draw assigned outside the prescriber's institution")
struct AuditSampleTests {
    // MARK: Generator

    @Test("SplitMix64 gives the published sequence: seed 0 starts with 0xE220A8397B1DCDAF, seed 1234567 with 6457827717110365317")
    func splitMixIsTheReferenceGenerator() {
        var zero = SplitMix64(seed: 0)
        #expect(zero.next() == 0xE220_A839_7B1D_CDAF)
        var reference = SplitMix64(seed: 1_234_567)
        #expect((0..<5).map { _ in reference.next() } == [
            6_457_827_717_110_365_317, 3_203_168_211_198_807_973, 9_817_491_932_198_370_423,
            4_593_380_528_125_082_431, 16_408_922_859_458_223_821,
        ])
    }

    @Test("the output function alone gives the n-th output of a seed's sequence, and 0 maps to 0")
    func mixGivesTheSequence() async {
        #expect(SplitMix64.mix(0) == 0)
        #expect(SplitMix64.mix(SplitMix64.increment) == 0xE220_A839_7B1D_CDAF)
        await propertyCheck(input: Gen.uint64(in: 0...UInt64.max), Gen.int(in: 1...50)) { seed, count in
            var generator = SplitMix64(seed: seed)
            for n in 1...UInt64(count) {
                #expect(generator.next() == SplitMix64.mix(seed &+ n &* SplitMix64.increment))
            }
        }
    }

    @Test("a bounded draw stays below its bound and a bound of 1 always gives 0")
    func uniformStaysInRange() async {
        await propertyCheck(input: Gen.uint64(in: 0...UInt64.max), Gen.uint64(in: 1...UInt64.max)) { seed, bound in
            var generator = SplitMix64(seed: seed)
            #expect(generator.uniform(below: bound) < bound)
            #expect(generator.uniform(below: 1) == 0)
        }
    }

    // MARK: Draw

    static let draws: [DrawCase] = [
        DrawCase(seed: 0, population: 10, size: 3, drawn: [6, 2, 10]),
        DrawCase(seed: 42, population: 10, size: 3, drawn: [4, 3, 5]),
        DrawCase(seed: 42, population: 10, size: 10, drawn: [4, 3, 5, 6, 9, 8, 1, 10, 7, 2]),
        DrawCase(seed: 20_261_202, population: 50, size: 5, drawn: [2, 28, 15, 5, 20]),
        DrawCase(seed: 7, population: 1, size: 1, drawn: [1]),
    ]

    @Test("a seed draws the same sample forever (the numbers are written out)", arguments: Self.draws)
    func drawIsPinned(_ example: DrawCase) throws {
        let drawn = try AuditSampling.draw(from: population(example.population), size: example.size, seed: example.seed)
        #expect(drawn == example.drawn.map(rx))
    }

    @Test("the order the population was read in does not change the sample, nor do duplicates")
    func orderDoesNotMatter() throws {
        let sorted = population(40)
        let shuffled = sorted.reversed() + sorted.prefix(5)
        #expect(try AuditSampling.draw(from: Array(shuffled), size: 7, seed: 99) == AuditSampling.draw(from: sorted, size: 7, seed: 99))
    }

    @Test("a sample larger than the population is refused (422), and so is an empty one (400)")
    func sizeBounds() {
        #expect(outcome { () throws(DomainError) in try AuditSampling.draw(from: population(3), size: 4, seed: 1) }
            == "422 sample_larger_than_population")
        #expect(outcome { () throws(DomainError) in try AuditSampling.draw(from: [], size: 1, seed: 1) }
            == "422 sample_larger_than_population")
        #expect(outcome { () throws(DomainError) in try AuditSampling.draw(from: population(3), size: 0, seed: 1) }
            == "400 size/out_of_range")
        #expect(outcome { () throws(DomainError) in try AuditSampling.draw(from: population(3), size: 3, seed: 1) } == "ok")
    }

    @Test("for any seed and sizes: the same seed draws the same; every id is from the population, none twice, exactly the size")
    func drawLaws() async {
        await propertyCheck(input: Gen.int64(in: 0...AuditSampleRequest.maximumSeed), Gen.int(in: 1...300), Gen.int(in: 1...300)) { seed, total, wanted in
            let people = population(total)
            let size = min(wanted, total)
            guard let first = try? AuditSampling.draw(from: people, size: size, seed: seed),
                  let second = try? AuditSampling.draw(from: people.reversed(), size: size, seed: seed) else {
                Issue.record("a sample no larger than its population was refused"); return
            }
            #expect(first == second)
            #expect(first.count == size)
            #expect(Set(first).count == first.count)
            #expect(Set(first).isSubset(of: Set(people)))
        }
    }

    @Test("different seeds usually draw different samples: of 200 seeds drawing 5 of 1000, at most a couple collide")
    func seedsDiffer() throws {
        let people = population(1000)
        var seen = Set<[UUID]>()
        for seed in Int64(0)..<200 { seen.insert(try AuditSampling.draw(from: people, size: 5, seed: seed)) }
        #expect(seen.count >= 198)
    }

    // MARK: Assignment

    static let assignments: [AssignCase] = [
        // Seed 0 starts the turn at p1; nobody excluded: p1, p2, p3, p1.
        AssignCase(name: "in turn from the first", seed: 0,
                   items: [item(1, UUID.named("institution:elsewhere")), item(2), item(3), item(4)],
                   assignees: [p1.accountId, p2.accountId, p3.accountId, p1.accountId]),
        // Seed 4: 4 mod 3 = 1, the turn starts at p2.
        AssignCase(name: "the seed picks where the turn starts", seed: 4,
                   items: [item(1), item(2), item(3)], assignees: [p2.accountId, p3.accountId, p1.accountId]),
        // Prescribed at hospital A: p1 is skipped each time it is their turn.
        AssignCase(name: "the prescriber's institution is skipped", seed: 0,
                   items: [item(1, hospitalA), item(2, hospitalA), item(3, hospitalA)],
                   assignees: [p2.accountId, p3.accountId, p2.accountId]),
        // Hospitals A and B together (an internet hospital and the hospital behind it): only p3 qualifies.
        AssignCase(name: "every institution of the prescriber is skipped", seed: 2,
                   items: [item(1, hospitalA, hospitalB), item(2, hospitalB), item(3, hospitalA, hospitalB)],
                   assignees: [p3.accountId, p1.accountId, p3.accountId]),
    ]

    @Test("each item goes to the next pharmacist in turn outside its prescriber's institutions", arguments: Self.assignments)
    func assignment(_ example: AssignCase) throws {
        #expect(try AuditSampling.assign(example.items, to: [p3, p1, p2], seed: example.seed) == example.assignees)
    }

    @Test("when no pharmacist lies outside a prescriber's institutions, nothing is assigned (422)")
    func noEligibleReviewer() {
        #expect(outcome { () throws(DomainError) in
            try AuditSampling.assign([item(1), item(2, hospitalA, hospitalB, pharmacyC)], to: [p1, p2, p3], seed: 0)
        } == "422 no_eligible_reviewer")
        #expect(outcome { () throws(DomainError) in try AuditSampling.assign([item(1)], to: [], seed: 0) } == "422 no_eligible_reviewer")
        #expect(outcome { () throws(DomainError) in try AuditSampling.assign([], to: [], seed: 0) } == "ok")
    }

    @Test("for any seed and institutions, no item is ever assigned to a pharmacist of its prescriber's institution, and the same seed assigns the same")
    func assignmentLaws() async {
        let institutions = [hospitalA, hospitalB, pharmacyC]
        await propertyCheck(input: Gen.int64(in: 0...AuditSampleRequest.maximumSeed), Gen.int(in: 0...6).array(of: 1...40)) { seed, masks in
            // Each mask's bits say which of the three institutions the prescriber belongs to.
            let items = masks.enumerated().map { index, mask in
                AuditItemFacts(prescriptionId: rx(index + 1),
                               prescriberInstitutions: Set(institutions.indices.filter { mask & (1 << $0) != 0 }.map { institutions[$0] }))
            }
            let reviewers = [p1, p2, p3]
            guard let assigned = try? AuditSampling.assign(items, to: reviewers, seed: seed) else {
                Issue.record("an item with an eligible pharmacist was refused"); return
            }
            #expect(assigned.count == items.count)
            for (item, pharmacist) in zip(items, assigned) {
                let reviewer = reviewers.first { $0.accountId == pharmacist }!
                #expect(!item.prescriberInstitutions.contains(reviewer.institutionId))
            }
            #expect((try? AuditSampling.assign(items, to: reviewers.reversed(), seed: seed)) == assigned)
        }
    }

    // MARK: Request

    @Test("a request is checked field by field: seed, period, size, department, drug class")
    func requestValidation() throws {
        let from = Date(timeIntervalSince1970: 1_780_000_000)
        let to = from.addingTimeInterval(30 * 86_400)
        let valid = try AuditSampleRequest(seed: 1, from: from, to: to, department: " cardiology ", drugClass: "c08ca", size: 20)
        #expect(valid.drugClass == "C08CA")
        #expect(valid.department == "cardiology")
        #expect(fieldIssues { () throws(DomainError) in
            try AuditSampleRequest(seed: -1, from: to, to: from, drugClass: "C8", size: 0)
        } == ["seed/out_of_range", "to/before_from", "size/out_of_range", "drugClass/format"])
        #expect(fieldIssues { () throws(DomainError) in
            try AuditSampleRequest(seed: AuditSampleRequest.maximumSeed + 1, from: from, to: from.addingTimeInterval(367 * 86_400),
                                   department: "", size: 501)
        } == ["seed/out_of_range", "to/too_long", "size/out_of_range", "department/length"])
    }

    @Test("an ATC prefix is a code cut at a level", arguments: [
        ("C", true), ("C08", true), ("C08C", true), ("C08CA", true), ("C08CA01", true),
        ("", false), ("C0", false), ("C08CA0", false), ("C08CA011", false), ("808", false), ("CXX", false), ("c08", false),
    ])
    func atcPrefix(_ text: String, _ valid: Bool) {
        #expect(AuditSampleRequest.isATCPrefix(text) == valid)
    }

    // MARK: Verdicts

    @Test("a verdict: appropriate without a category; inappropriate with a category and notes")
    func judgementValidation() {
        #expect(outcome { () throws(DomainError) in try AuditJudgement(verdict: .appropriate, category: nil, notes: nil) } == "ok")
        #expect(fieldIssues { () throws(DomainError) in try AuditJudgement(verdict: .appropriate, category: .dose, notes: "") }
            == ["category/not_allowed"])
        #expect(fieldIssues { () throws(DomainError) in try AuditJudgement(verdict: .inappropriate, category: nil, notes: "  ") }
            == ["category/required", "notes/required"])
        #expect(fieldIssues { () throws(DomainError) in
            try AuditJudgement(verdict: .inappropriate, category: .dose, notes: String(repeating: "药", count: 2001))
        } == ["notes/length"])
        #expect(outcome { () throws(DomainError) in try AuditJudgement(verdict: .inappropriate, category: .indication, notes: "诊断不支持") } == "ok")
    }

    @Test("only the assigned pharmacist, outside the prescriber's institution, judges, and once")
    func judgeRules() {
        let check = { (reviewer: AuditReviewer, assignee: AuditReviewer, judged: Bool) in
            outcome { () throws(DomainError) in
                try AuditJudgement.checkJudge(reviewer, accountId: reviewer.accountId, assignee: assignee.accountId,
                                              prescriberInstitutions: [hospitalA], judged: judged)
            }
        }
        #expect(check(p2, p2, false) == "ok")
        #expect(check(p2, p2, true) == "409 audit_verdict_recorded")
        #expect(check(p3, p2, false) == "403 audit_item_not_assigned")
        #expect(check(p1, p2, false) == "403 reviewer_same_institution")
        // Even were it assigned to them by hand, a pharmacist of the prescriber's institution is refused.
        #expect(check(p1, p1, false) == "403 reviewer_same_institution")
    }

    // MARK: Results

    @Test("results per doctor add up the verdicts and give the inappropriate rate in basis points, rounded half up")
    func resultsPerDoctor() {
        let alice = UUID(uuidString: "00000000-0000-0000-0000-00000000d001")!
        let bob = UUID(uuidString: "00000000-0000-0000-0000-00000000d002")!
        let results = DoctorAuditResult.results(from: [
            AuditTally(doctorAccountId: bob, verdict: .appropriate, category: nil, count: 1),
            AuditTally(doctorAccountId: alice, verdict: .appropriate, category: nil, count: 4),
            AuditTally(doctorAccountId: alice, verdict: .inappropriate, category: .dose, count: 1),
            AuditTally(doctorAccountId: alice, verdict: .inappropriate, category: .indication, count: 1),
            AuditTally(doctorAccountId: alice, verdict: nil, category: nil, count: 3),
            AuditTally(doctorAccountId: bob, verdict: .inappropriate, category: .supply, count: 2),
        ])
        // Alice: 2 of 6 judged = 3333.33… bp → 3333; Bob: 2 of 3 = 6666.66… bp → 6667.
        #expect(results == [
            DoctorAuditResult(doctorAccountId: alice, sampled: 9, judged: 6, appropriate: 4, inappropriate: 2,
                              inappropriateRateBasisPoints: 3333, byCategory: [.dose: 1, .indication: 1]),
            DoctorAuditResult(doctorAccountId: bob, sampled: 3, judged: 3, appropriate: 1, inappropriate: 2,
                              inappropriateRateBasisPoints: 6667, byCategory: [.supply: 2]),
        ])
        #expect(DoctorAuditResult.results(from: [AuditTally(doctorAccountId: bob, verdict: nil, category: nil, count: 2)])
            .first?.inappropriateRateBasisPoints == 0)
    }

    @Test("for any tallies, each doctor's judged count is appropriate plus inappropriate, categories add up, and the rate is within 0…10000")
    func resultLaws() async {
        await propertyCheck(input: Gen.int(in: 0...2).array(of: 0...30), Gen.int(in: 0...5).array(of: 0...30)) { verdicts, counts in
            let doctors = [UUID.named("doctor:r1"), UUID.named("doctor:r2")]
            let tallies = zip(verdicts, counts).enumerated().map { index, pair in
                AuditTally(doctorAccountId: doctors[index % 2], verdict: [nil, .appropriate, .inappropriate][pair.0],
                           category: pair.0 == 2 ? RejectionReason.allCases[index % RejectionReason.allCases.count] : nil,
                           count: pair.1)
            }
            let results = DoctorAuditResult.results(from: tallies)
            #expect(results.map(\.sampled).reduce(0, +) == tallies.map(\.count).reduce(0, +))
            for result in results {
                #expect(result.judged == result.appropriate + result.inappropriate)
                #expect(result.byCategory.values.reduce(0, +) == result.inappropriate)
                #expect((0...10_000).contains(result.inappropriateRateBasisPoints))
                #expect(result.sampled >= result.judged)
            }
        }
    }
}
