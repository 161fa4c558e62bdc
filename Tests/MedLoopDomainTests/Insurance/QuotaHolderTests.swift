import Foundation
import Testing
@testable import MedLoopDomain

@Suite("Quotas: which institution's budget a bill's fund share draws on")
struct QuotaHolderTests {
    /// Kind of institution, policy shares quotas, fund share, across regions → the holder
    /// (`hospital` for the physical hospital, `institution` for the bill's own, `none`).
    @Test("the holder of a bill's quota", arguments: [
        (InstitutionKind.internetHospital, true, Int64(1750), false, "hospital"),
        (InstitutionKind.internetHospital, false, Int64(1750), false, "institution"),
        (InstitutionKind.pharmacy, true, Int64(1750), false, "institution"),
        (InstitutionKind.platformInternetHospital, true, Int64(1750), false, "institution"),
        (InstitutionKind.internetHospital, true, Int64(0), false, "none"),
        (InstitutionKind.internetHospital, true, Int64(1750), true, "none"),
    ])
    func holder(kind: InstitutionKind, shared: Bool, fundFen: Int64, crossRegion: Bool, expected: String) throws {
        var bill = try aFollowUp()
        bill.institutionKind = kind
        var policy = try aCoveragePolicy()
        policy.quotaSharedWithPhysicalHospital = shared
        let holder = InsuranceQuota.holder(of: bill, policy: policy, fundFen: fundFen, isCrossRegion: crossRegion)
        let name = switch holder {
        case coverageHospitalId: "hospital"
        case coverageInternetHospitalId: "institution"
        case nil: "none"
        default: "other"
        }
        #expect(name == expected)
    }

    @Test("an internet hospital with no physical hospital on record draws on its own quota even where quotas are shared")
    func noHospital() throws {
        var bill = try aFollowUp()
        bill.physicalHospitalId = nil
        #expect(InsuranceQuota.holder(of: bill, policy: try aCoveragePolicy(), fundFen: 1, isCrossRegion: false) == coverageInternetHospitalId)
    }
}
