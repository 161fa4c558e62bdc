import Foundation
import PropertyBased
import Testing
@testable import MedLoopDomain

private let submissionDay = CalendarDate(year: 2026, month: 3, day: 2)!
private let registeredHospital = UUID.named("institution:tertiary")
private let otherSite = UUID.named("institution:internet")
private let aCertificate = UUID.named("file:1")

/// A draft that passes every check, changed by `change`.
private func aDraft(_ kind: CredentialHolderKind = .doctor, _ change: (inout CredentialDraft) -> Void = { _ in }) -> CredentialDraft {
    var draft = CredentialDraft(
        holderKind: kind, licenceNumber: kind == .doctor ? "110330800000001" : "浙AA5700123",
        certificateFiles: [aCertificate], practiceSites: kind == .pharmacy ? [] : [PracticeSiteClaim(institutionId: registeredHospital, consentReference: nil)],
        yearsOfPractice: 12, licenceExpiresOn: CalendarDate(year: 2030, month: 12, day: 31)!)
    change(&draft)
    return draft
}

/// A draft and the fields (and codes) its validation must name, or none.
struct DraftCase: Sendable, CustomTestStringConvertible {
    var name: String
    var draft: CredentialDraft
    var issues: [String]
    var testDescription: String { name }
}

/// One decision on a credential in one state, and the state after (`nil`: refused).
struct CredentialMove: Sendable, CustomTestStringConvertible {
    var from: CredentialState
    var decision: CredentialDecision
    var to: CredentialState?
    var testDescription: String { "\(from) + \(decision) → \(to.map(\.rawValue) ?? "refused")" }
}

/// Every state against every decision, written out.
private let everyCredentialMove: [CredentialMove] = [
    CredentialMove(from: .submitted, decision: .approve, to: .approved),
    CredentialMove(from: .submitted, decision: .reject, to: .rejected),
    CredentialMove(from: .submitted, decision: .suspend, to: nil),
    CredentialMove(from: .submitted, decision: .reinstate, to: nil),
    CredentialMove(from: .submitted, decision: .supersede, to: nil),
    CredentialMove(from: .approved, decision: .approve, to: nil),
    CredentialMove(from: .approved, decision: .reject, to: nil),
    CredentialMove(from: .approved, decision: .suspend, to: .suspended),
    CredentialMove(from: .approved, decision: .reinstate, to: nil),
    CredentialMove(from: .approved, decision: .supersede, to: .superseded),
    CredentialMove(from: .rejected, decision: .approve, to: nil),
    CredentialMove(from: .rejected, decision: .reject, to: nil),
    CredentialMove(from: .rejected, decision: .suspend, to: nil),
    CredentialMove(from: .rejected, decision: .reinstate, to: nil),
    CredentialMove(from: .rejected, decision: .supersede, to: nil),
    CredentialMove(from: .suspended, decision: .approve, to: nil),
    CredentialMove(from: .suspended, decision: .reject, to: nil),
    CredentialMove(from: .suspended, decision: .suspend, to: nil),
    CredentialMove(from: .suspended, decision: .reinstate, to: .approved),
    CredentialMove(from: .suspended, decision: .supersede, to: .superseded),
    CredentialMove(from: .superseded, decision: .approve, to: nil),
    CredentialMove(from: .superseded, decision: .reject, to: nil),
    CredentialMove(from: .superseded, decision: .suspend, to: nil),
    CredentialMove(from: .superseded, decision: .reinstate, to: nil),
    CredentialMove(from: .superseded, decision: .supersede, to: nil),
]

/// A licence's expiry, the day the job runs, whether it reminded already, and what is due.
struct ExpiryCase: Sendable, CustomTestStringConvertible {
    var expiresOn: CalendarDate
    var today: CalendarDate
    var state: CredentialState
    var reminded: Bool
    var due: LicenceExpiryAction
    var testDescription: String { "expires \(expiresOn), on \(today), \(state), reminded \(reminded) → \(due)" }
}

private func aDay(_ text: String) -> CalendarDate { CalendarDate(iso: text)! }

@Suite("Credentials: what a holder submits, how a regulator decides, and when a licence runs out")
struct CredentialTests {
    static let drafts: [DraftCase] = [
        DraftCase(name: "a complete doctor's credential", draft: aDraft(), issues: []),
        DraftCase(name: "a pharmacy's licence with a province character", draft: aDraft(.pharmacy), issues: []),
        DraftCase(name: "a pharmacist's registration", draft: aDraft(.pharmacist), issues: []),
        DraftCase(name: "a doctor's licence number of 14 digits", draft: aDraft { $0.licenceNumber = "11033080000000" },
                  issues: ["licenceNumber/format"]),
        DraftCase(name: "a doctor's licence number with a letter", draft: aDraft { $0.licenceNumber = "11033080000000A" },
                  issues: ["licenceNumber/format"]),
        DraftCase(name: "a pharmacy licence of 5 characters", draft: aDraft(.pharmacy) { $0.licenceNumber = "浙AA57" },
                  issues: ["licenceNumber/format"]),
        DraftCase(name: "a pharmacy licence with a space", draft: aDraft(.pharmacy) { $0.licenceNumber = "浙AA 5700123" },
                  issues: ["licenceNumber/format"]),
        DraftCase(name: "no certificate image", draft: aDraft { $0.certificateFiles = [] }, issues: ["certificateFiles/count"]),
        DraftCase(name: "six certificate images", draft: aDraft { $0.certificateFiles = (1...6).map { UUID.named("file:\($0)") } },
                  issues: ["certificateFiles/count"]),
        DraftCase(name: "the same image twice", draft: aDraft { $0.certificateFiles = [aCertificate, aCertificate] },
                  issues: ["certificateFiles/duplicate"]),
        DraftCase(name: "another site without the registeredHospital institution's consent",
                  draft: aDraft { $0.practiceSites.append(PracticeSiteClaim(institutionId: otherSite, consentReference: "  ")) },
                  issues: ["practiceSites[1].consentReference/required"]),
        DraftCase(name: "another site with the registeredHospital institution's consent",
                  draft: aDraft { $0.practiceSites.append(PracticeSiteClaim(institutionId: otherSite, consentReference: "衢人医〔2026〕12号")) },
                  issues: []),
        DraftCase(name: "the same site twice",
                  draft: aDraft { $0.practiceSites = [PracticeSiteClaim(institutionId: registeredHospital, consentReference: nil),
                                                      PracticeSiteClaim(institutionId: registeredHospital, consentReference: nil)] },
                  issues: ["practiceSites/duplicate"]),
        DraftCase(name: "a pharmacy naming practice sites",
                  draft: aDraft(.pharmacy) { $0.practiceSites = [PracticeSiteClaim(institutionId: registeredHospital, consentReference: nil)] },
                  issues: ["practiceSites/not_allowed"]),
        DraftCase(name: "minus one year of practice", draft: aDraft { $0.yearsOfPractice = -1 }, issues: ["yearsOfPractice/range"]),
        DraftCase(name: "71 years of practice", draft: aDraft { $0.yearsOfPractice = 71 }, issues: ["yearsOfPractice/range"]),
        DraftCase(name: "70 years of practice", draft: aDraft { $0.yearsOfPractice = 70 }, issues: []),
        DraftCase(name: "a licence expiring today", draft: aDraft { $0.licenceExpiresOn = submissionDay }, issues: ["licenceExpiresOn/past"]),
        DraftCase(name: "a licence expiring tomorrow", draft: aDraft { $0.licenceExpiresOn = aDay("2026-03-03") }, issues: []),
        DraftCase(name: "a licence expiring in 11 years", draft: aDraft { $0.licenceExpiresOn = aDay("2037-03-02") },
                  issues: ["licenceExpiresOn/range"]),
        DraftCase(name: "every field wrong at once",
                  draft: aDraft { $0.licenceNumber = "x"; $0.certificateFiles = []; $0.yearsOfPractice = 99; $0.licenceExpiresOn = aDay("2020-01-01") },
                  issues: ["licenceNumber/format", "certificateFiles/count", "yearsOfPractice/range", "licenceExpiresOn/past"]),
    ]

    @Test("a credential is accepted only when every field holds, and every bad field is named at once", arguments: drafts)
    func validation(_ example: DraftCase) {
        let result = Result { () throws(DomainError) in try example.draft.validate(today: submissionDay, registeredInstitution: registeredHospital) }
        switch result {
        case .success:
            #expect(example.issues.isEmpty, "accepted, expected \(example.issues)")
        case .failure(.invalid(let issues)):
            #expect(issues.map { "\($0.field)/\($0.code)" } == example.issues)
        case .failure(let other):
            Issue.record("refused otherwise: \(other)")
        }
    }

    @Test("a certificate is an image: a PNG passes, a PDF or an empty file is refused under the field file")
    func certificateFiles() throws {
        #expect(try CertificateFileRule.check([0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A, 0, 0]) == "image/png")
        #expect(try CertificateFileRule.check([0xFF, 0xD8, 0xFF, 0xE0]) == "image/jpeg")
        for bytes in [Array("%PDF-1.7".utf8), []] {
            #expect(throws: DomainError.self) { try CertificateFileRule.check(bytes) }
            do { _ = try CertificateFileRule.check(bytes) } catch {
                #expect(error == .invalid([FieldIssue(field: "file", code: "not_an_image", message: "Send a JPEG, PNG or WebP image.")]))
            }
        }
    }

    @Test("each decision on each credential state gives the state written in the table, or a credential_state conflict",
          arguments: everyCredentialMove)
    func move(_ move: CredentialMove) {
        let result = Result { () throws(DomainError) in try move.from.after(move.decision) }
        switch result {
        case .success(let state): #expect(state == move.to)
        case .failure(let error):
            #expect(move.to == nil, "refused: \(error)")
            if case .conflict(let code, _) = error { #expect(code == "credential_state") } else { Issue.record("not a conflict: \(error)") }
        }
    }

    @Test("the table covers every pair of state and decision once, and rejected and superseded credentials accept nothing")
    func tableIsComplete() async {
        #expect(everyCredentialMove.count == CredentialState.allCases.count * CredentialDecision.allCases.count)
        #expect(Set(everyCredentialMove.map { "\($0.from)+\($0.decision)" }).count == everyCredentialMove.count)
        let legal = Dictionary(uniqueKeysWithValues: everyCredentialMove.map { ("\($0.from)+\($0.decision)", $0.to) })
        await propertyCheck(input: Gen<CredentialState>.case, Gen<CredentialDecision>.case) { state, decision in
            #expect((try? state.after(decision)) == legal["\(state)+\(decision)"] ?? nil)
            if state == .rejected || state == .superseded { #expect(state.next.isEmpty) }
        }
    }

    @Test("a decision needs a reason of 1 to 500 characters, trimmed")
    func reasons() throws {
        #expect(try CredentialRules.reason("  证书与注册信息一致 ") == "证书与注册信息一致")
        #expect(try CredentialRules.reason(String(repeating: "字", count: 500)).count == 500)
        for bad in [nil, "", "   \n", String(repeating: "字", count: 501)] as [String?] {
            #expect(throws: DomainError.self) { try CredentialRules.reason(bad) }
        }
    }

    static let regulator = UUID.named("account:13500000001")
    static let regulatorInstitution = UUID.named("institution:regulator")
    static let quzhou = try! RegionCode("330800")

    @Test("a regulator decides only on others' credentials, of other institutions, inside its region", arguments: [
        // holder account, holder institution, holder region, reviewer region, refusal code
        (UUID.named("account:13900000001"), registeredHospital, "330802", "330800", nil),
        (UUID.named("account:13900000001"), registeredHospital, "330803", "330000", nil),
        (UUID.named("account:13900000001"), registeredHospital, "330800", "330800", nil),
        (regulator, registeredHospital, "330802", "330800", "own_credentials"),
        (UUID.named("account:13900000001"), regulatorInstitution, "330802", "330800", "own_institution"),
        (UUID.named("account:13900000001"), registeredHospital, "440104", "330800", "outside_region"),
        (UUID.named("account:13900000001"), registeredHospital, "330900", "330800", "outside_region"),
        (UUID.named("account:13900000001"), registeredHospital, "330800", "330802", "outside_region"),
    ] as [(UUID, UUID, String, String, String?)])
    func reviewer(holder: UUID, institution: UUID, region: String, reviewerRegion: String, refusal: String?) throws {
        let result = Result { () throws(DomainError) in
            try CredentialRules.checkReviewer(Self.regulator, reviewerInstitution: Self.regulatorInstitution,
                                              reviewerRegion: try RegionCode(reviewerRegion), holderAccounts: [holder],
                                              holderInstitution: institution, holderRegion: try RegionCode(region))
        }
        switch result {
        case .success: #expect(refusal == nil)
        case .failure(.forbidden(let code, _)): #expect(code == refusal)
        case .failure(let other): Issue.record("refused otherwise: \(other)")
        }
    }

    @Test("a reviewer without a regulator's region decides on nothing")
    func noRegion() {
        #expect(throws: DomainError.self) {
            try CredentialRules.checkReviewer(Self.regulator, reviewerInstitution: nil, reviewerRegion: nil,
                                              holderAccounts: [UUID.named("account:x")], holderInstitution: registeredHospital,
                                              holderRegion: Self.quzhou)
        }
    }

    static let expiries: [ExpiryCase] = [
        // 2026-04-01 expiry: reminders from 2026-03-02 (30 days before), suspension on the day.
        ExpiryCase(expiresOn: aDay("2026-04-01"), today: aDay("2026-03-01"), state: .approved, reminded: false, due: .none),
        ExpiryCase(expiresOn: aDay("2026-04-01"), today: aDay("2026-03-02"), state: .approved, reminded: false, due: .remind),
        ExpiryCase(expiresOn: aDay("2026-04-01"), today: aDay("2026-03-02"), state: .approved, reminded: true, due: .none),
        ExpiryCase(expiresOn: aDay("2026-04-01"), today: aDay("2026-03-31"), state: .approved, reminded: false, due: .remind),
        ExpiryCase(expiresOn: aDay("2026-04-01"), today: aDay("2026-04-01"), state: .approved, reminded: true, due: .suspend),
        ExpiryCase(expiresOn: aDay("2026-04-01"), today: aDay("2026-04-01"), state: .approved, reminded: false, due: .suspend),
        ExpiryCase(expiresOn: aDay("2026-04-01"), today: aDay("2026-05-20"), state: .approved, reminded: true, due: .suspend),
        ExpiryCase(expiresOn: aDay("2026-04-01"), today: aDay("2026-04-01"), state: .suspended, reminded: true, due: .none),
        ExpiryCase(expiresOn: aDay("2026-04-01"), today: aDay("2026-03-15"), state: .submitted, reminded: false, due: .none),
        // Across a leap day: 2028-03-30 minus 30 days is 2028-02-29.
        ExpiryCase(expiresOn: aDay("2028-03-30"), today: aDay("2028-02-28"), state: .approved, reminded: false, due: .none),
        ExpiryCase(expiresOn: aDay("2028-03-30"), today: aDay("2028-02-29"), state: .approved, reminded: false, due: .remind),
        // Across the year: 2027-01-15 minus 30 days is 2026-12-16.
        ExpiryCase(expiresOn: aDay("2027-01-15"), today: aDay("2026-12-15"), state: .approved, reminded: false, due: .none),
        ExpiryCase(expiresOn: aDay("2027-01-15"), today: aDay("2026-12-16"), state: .approved, reminded: false, due: .remind),
    ]

    @Test("a licence's holder is reminded from 30 days before it expires, once, and suspended on the day", arguments: expiries)
    func expiry(_ example: ExpiryCase) {
        #expect(LicenceExpiry.due(expiresOn: example.expiresOn, today: example.today, state: example.state,
                                  reminded: example.reminded) == example.due)
    }

    @Test("for any licence and day, suspension is due exactly from the expiry day and a reminder only in the 30 days before it")
    func expiryLaw() async {
        await propertyCheck(input: Gen.int(in: 0...20_000), Gen.int(in: -400...400), Gen.bool) { start, offset, reminded in
            let expiresOn = CalendarDate(year: 2000, month: 1, day: 1)!.adding(days: start)
            let runDay = expiresOn.adding(days: offset)
            let due = LicenceExpiry.due(expiresOn: expiresOn, today: runDay, state: .approved, reminded: reminded)
            #expect((due == .suspend) == (offset >= 0))
            #expect((due == .remind) == (!reminded && (-30...(-1)).contains(offset)))
            // Only an approved credential is ever acted on.
            for state in CredentialState.allCases where state != .approved {
                #expect(LicenceExpiry.due(expiresOn: expiresOn, today: runDay, state: state, reminded: reminded) == .none)
            }
        }
    }

    @Test("each role holds its own kind of credential; other roles hold none", arguments: Role.allCases)
    func holderKinds(role: Role) {
        let expected: [Role: CredentialHolderKind] = [.doctor: .doctor, .pharmacist: .pharmacist, .pharmacyStaff: .pharmacy]
        #expect(CredentialHolderKind.of(role) == expected[role])
    }

    @Test("only an approved doctor takes consultations; a suspended pharmacist reviews nothing; a suspended pharmacy takes no orders")
    func standing() {
        #expect(throws: Never.self) { try CredentialRules.checkPractising(.approved) }
        for status in [QualificationStatus.pending, .suspended, nil] as [QualificationStatus?] {
            #expect(throws: DomainError.forbidden(code: "doctor_not_qualified", message: "Only a qualified doctor takes consultations.")) {
                try CredentialRules.checkPractising(status)
            }
        }
        #expect(throws: DomainError.self) { try CredentialRules.checkReviewing(isSuspended: true) }
        #expect(throws: Never.self) { try CredentialRules.checkReviewing(isSuspended: false) }
        #expect(throws: DomainError.self) { try CredentialRules.checkTakingOrders(.suspended) }
        #expect(throws: Never.self) { try CredentialRules.checkTakingOrders(.approved) }
    }
}
