import Foundation
import MedLoopDomain
import SQLKit

/// A doctor's profile photo as it is served.
public struct DoctorPhoto: Sendable {
    public var doctorId: UUID
    public var mediaType: String
    public var data: Data
    /// The photo is public only while its doctor's profile is (approved doctors).
    public var qualification: QualificationStatus
}

/// Doctors' profile photos: the bytes live under the data folder as `photos/<doctor id>`, and the
/// doctor row holds the address they are served at (`photo_url`, shown on the profile).
public struct DoctorPhotoStore: Sendable {
    let database: Database
    let audit: AuditStore
    let photos: FileFolder

    public init(database: Database, cipher: FieldCipher, dataDirectory: URL, audit: AuditStore) {
        self.database = database
        self.audit = audit
        self.photos = FileFolder(dataDirectory: dataDirectory, name: "photos", cipher: cipher)
    }

    /// Checks `bytes` (`DoctorPhotoRule`) and makes them `doctor`'s photo, served at `url`; a new
    /// photo replaces the old one. Returns the photo's media type.
    public func setPhoto(_ bytes: [UInt8], doctor: UUID, url: String, context: AuditContext) async throws -> String {
        let mediaType = try DoctorPhotoRule.check(bytes)
        try await database.unitOfWork { tx in
            let updated = try await tx.sql.raw("""
                UPDATE doctors SET photo_url = \(bind: url), updated_at = \(bind: context.at.epochMillis)
                WHERE id = \(bind: doctor.text) RETURNING id
                """).first()
            guard updated != nil else { throw DomainError.notFound(resource: "doctor") }
            try await audit.append(AuditRecord(action: "doctor.photo.set", resourceType: "doctor", resourceId: doctor.text),
                                   context: context, in: tx)
            try await EventStore.append(.doctorChanged(doctor, .photo, at: context.at), in: tx)
            // The file is written last, inside the transaction: if writing fails, the row and the
            // audit entry roll back and the old photo stays as it was.
            try await photos.write(bytes, named: doctor.text)
        }
        return mediaType
    }

    /// Encrypts photos stored before files were encrypted (at start-up); returns how many.
    public func encryptEarlierFiles() async throws -> Int {
        try await photos.encryptEarlierFiles()
    }

    /// The photo of `doctor`, if they have one.
    public func photo(of doctor: UUID) async throws -> DoctorPhoto? {
        guard let row = try await database.read({ sql in
            try await sql.raw("SELECT photo_url, qualification FROM doctors WHERE id = \(bind: doctor.text)").first()
        }), try row.optionalText("photo_url") != nil else { return nil }
        // Only checked images are stored, so their first bytes name their type again.
        guard let data = try await photos.read(doctor.text), let mediaType = ImageRule.mediaType(of: data) else { return nil }
        return DoctorPhoto(doctorId: doctor, mediaType: mediaType, data: data,
                           qualification: try row.value("qualification", as: QualificationStatus.self))
    }
}
