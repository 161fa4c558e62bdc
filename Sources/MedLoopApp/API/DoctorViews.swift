import Foundation
import MedLoopDomain
import MedLoopStore

/// A search result line.
struct DoctorSummaryView: APIView, Encodable {
    var id: UUID
    var name: String
    var title: DoctorTitle
    var department: String
    var hospitalId: UUID
    var hospitalName: String
    var cityCode: String
    var yearsOfPractice: Int
    var patientsServed: Int64
    var ratingAverage: Double?
    var ratingCount: Int64
    var priceFen: Int64?

    init(_ summary: DoctorSummary, year: Int) {
        id = summary.id
        name = summary.name
        title = summary.title
        department = summary.department
        hospitalId = summary.hospitalId
        hospitalName = summary.hospitalName
        cityCode = summary.cityCode
        yearsOfPractice = max(0, year - summary.practiceSince)
        patientsServed = summary.patientsServed
        ratingAverage = summary.ratingAverage
        ratingCount = summary.ratingCount
        priceFen = summary.priceFen
    }
}

/// A doctor's public profile.
struct DoctorProfileView: APIView, Encodable {
    var id: UUID
    var name: String
    var title: DoctorTitle
    var department: String
    var specialties: [String]
    var training: String
    var yearsOfPractice: Int
    var licenceNumber: String
    var bio: String
    var photoURL: String?
    var hospitalId: UUID
    var hospitalName: String
    var cityCode: String
    var practiceSites: [UUID]
    var conditions: [String]
    var counters: DoctorCounters
    var services: [ServiceOffer]
    var isBookable: Bool

    init(_ profile: DoctorProfile, year: Int) {
        let doctor = profile.doctor
        id = doctor.id
        name = doctor.name
        title = doctor.title
        department = doctor.department
        specialties = doctor.specialties
        training = doctor.training
        yearsOfPractice = doctor.yearsOfPractice(in: year)
        licenceNumber = doctor.licenceNumber
        bio = doctor.bio
        photoURL = doctor.photoURL
        hospitalId = doctor.hospitalId
        hospitalName = profile.hospitalName
        cityCode = doctor.cityCode
        practiceSites = doctor.practiceSites
        conditions = doctor.conditions
        counters = doctor.counters
        services = profile.services
        isBookable = (try? doctor.checkBookable(in: year)) != nil
    }
}
