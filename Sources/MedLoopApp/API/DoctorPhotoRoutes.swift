import Foundation
import Hummingbird
import MedLoopDomain
import MedLoopStore

/// Doctors' profile photos: a doctor uploads their own (the raw JPEG or PNG as the body); anyone
/// may see the photo of a doctor whose profile is public.
struct DoctorPhotoRoutes {
    let photos: DoctorPhotoStore
    let doctors: DoctorStore
    let cache: DirectoryCache
    let authorizer: Authorizer
    let clock: any MedLoopClock

    func register(public group: RouterGroup<AppContext>, authenticated: RouterGroup<AppContext>) {
        group.get("doctors/:id/photo", use: show)
        authenticated.put("doctors/me/photo", use: upload)
    }

    /// Where a doctor's photo is served; the profile's `photoURL`.
    static func url(of doctor: UUID) -> String { "/api/v1/doctors/\(doctor.text)/photo" }

    struct PhotoView: APIView, Encodable {
        var doctorId: UUID
        var photoURL: String
        var mediaType: String
    }

    /// The body is the photo itself (JPEG or PNG, at most 2 MiB); it replaces any earlier one.
    @Sendable func upload(_ request: Request, context: AppContext) async throws -> PhotoView {
        let (_, doctor) = try await authorizer.requireDoctor(context, doctors: doctors, action: "doctor.photo.set")
        let bytes = try await request.uploadedBytes(upTo: DoctorPhotoRule.maximumBytes,
                                                    tooLarge: AppError(.contentTooLarge, code: "photo_too_large",
                                                                       message: "A photo is at most 2 MiB."))
        let url = Self.url(of: doctor)
        let mediaType = try await photos.setPhoto(bytes, doctor: doctor, url: url, context: context.auditContext(at: clock.now()))
        cache.forget(doctor, .photo)
        return PhotoView(doctorId: doctor, photoURL: url, mediaType: mediaType)
    }

    /// The photo of an approved doctor; like the profile, anyone else's is not found.
    @Sendable func show(_ request: Request, context: AppContext) async throws -> Response {
        guard let photo = try await photos.photo(of: try context.parameters.uuid("id")), photo.qualification.isListed else {
            throw AppError.notFound("photo")
        }
        // Public, but revalidated: a new upload keeps the same address.
        return .file(photo.data, mediaType: photo.mediaType, cacheControl: "public, no-cache")
    }
}
