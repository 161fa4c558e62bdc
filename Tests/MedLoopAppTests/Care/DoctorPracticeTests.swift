import Foundation
import HTTPTypes
import MedLoopDomain
import MedLoopStore
import MedLoopTestSupport
import NIOCore
import SQLKit
import Testing

@Suite("A doctor's own practice: the profile photo and their appointment slots")
struct DoctorPracticeTests {
    static let cardiologist = UUID.named("doctor:1")
    static let doctorPhone = "13900000001"
    static let otherDoctorPhone = "13900000002"
    /// Demo doctor 29 is still waiting for a regulator's approval, so their profile is not public.
    static let pendingDoctor = UUID.named("doctor:29")
    static let pendingDoctorPhone = "13900000029"

    // MARK: Photo fixtures

    static let pngHead: [UInt8] = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]
    static let jpegHead: [UInt8] = [0xFF, 0xD8, 0xFF, 0xE0]

    /// A small PNG as far as the server can tell (it checks the first bytes).
    static let aPNG: [UInt8] = {
        let body: [UInt8] = (0..<2000).map { UInt8(truncatingIfNeeded: $0 * 7) }
        return pngHead + body
    }()

    /// A small JPEG as far as the server can tell.
    static let aJPEG: [UInt8] = {
        let body: [UInt8] = (0..<1500).map { UInt8(truncatingIfNeeded: $0 * 13) }
        return jpegHead + body
    }()

    /// A WebP image: an image, but not one a profile shows.
    static let aWebP: [UInt8] = {
        let riff: [UInt8] = Array("RIFF".utf8) + [0x40, 0, 0, 0]
        let webp: [UInt8] = Array("WEBP".utf8) + [UInt8](repeating: 1, count: 64)
        return riff + webp
    }()

    /// Sends `bytes` as the caller's photo.
    static func uploadPhoto(_ app: Harness, token: String?, _ bytes: [UInt8], type: String = "image/png") async throws -> Reply {
        var headers: HTTPFields = [.contentType: type]
        if let token { headers[.authorization] = "Bearer \(token)" }
        let response = try await app.client.executeRequest(uri: "/api/v1/doctors/me/photo", method: .put, headers: headers,
                                                           body: ByteBuffer(bytes: bytes))
        return Reply(status: response.status, headers: response.headers, text: String(buffer: response.body))
    }

    /// The photo of `doctor` as anyone fetches it: status, media type and bytes.
    static func servedPhoto(_ app: Harness, of doctor: UUID) async throws -> (status: HTTPResponse.Status, mediaType: String?, bytes: [UInt8]) {
        let response = try await app.client.executeRequest(uri: "/api/v1/doctors/\(doctor.text)/photo", method: .get,
                                                           headers: [:], body: nil)
        return (response.status, response.headers[.contentType], Array(buffer: response.body))
    }

    /// The `photoURL` of a doctor's public profile.
    static func profilePhotoURL(_ app: Harness, of doctor: UUID) async throws -> String? {
        try await app.send(.get, "/api/v1/doctors/\(doctor.text)").string("photoURL")
    }

    /// Whether a photo file of `doctor` exists under the data folder.
    static func hasPhotoFile(_ app: Harness, of doctor: UUID) -> Bool {
        let file = URL(fileURLWithPath: app.services.configuration.dataDirectory)
            .appendingPathComponent("photos").appendingPathComponent(doctor.text)
        return FileManager.default.fileExists(atPath: file.path)
    }

    // MARK: Photo

    @Test("a doctor's uploaded photo appears on the profile and is served back byte for byte with its type; a new one replaces it")
    func photoRoundTrip() async throws {
        try await withApp { app in
            #expect(try await Self.profilePhotoURL(app, of: Self.cardiologist) == nil)
            #expect(try await Self.servedPhoto(app, of: Self.cardiologist).status == .notFound)

            let doctor = try await app.signIn(Self.doctorPhone)
            let uploaded = try await Self.uploadPhoto(app, token: doctor, Self.aPNG)
            #expect(uploaded.status == .ok, "\(uploaded.text)")
            let address = "/api/v1/doctors/\(Self.cardiologist.text)/photo"
            #expect(uploaded.string("photoURL") == address)
            #expect(uploaded.string("mediaType") == "image/png")
            #expect(try await Self.profilePhotoURL(app, of: Self.cardiologist) == address)
            let served = try await Self.servedPhoto(app, of: Self.cardiologist)
            #expect(served.status == .ok)
            #expect(served.mediaType == "image/png")
            #expect(served.bytes == Self.aPNG)

            #expect(try await Self.uploadPhoto(app, token: doctor, Self.aJPEG, type: "image/jpeg").status == .ok)
            let replaced = try await Self.servedPhoto(app, of: Self.cardiologist)
            #expect(replaced.mediaType == "image/jpeg")
            #expect(replaced.bytes == Self.aJPEG)
            #expect(try await app.auditCount(action: "doctor.photo.set", outcome: .success) == 2)
        }
    }

    @Test("a photo is public only as the profile is: an unknown doctor's or an unapproved doctor's photo is not found")
    func photoVisibility() async throws {
        try await withApp { app in
            #expect(try await Self.servedPhoto(app, of: UUID()).status == .notFound)
            let pending = try await app.signIn(Self.pendingDoctorPhone)
            #expect(try await Self.uploadPhoto(app, token: pending, Self.aPNG).status == .ok)
            let served = try await Self.servedPhoto(app, of: Self.pendingDoctor)
            #expect(served.status == .notFound)
            #expect(served.mediaType?.hasPrefix("application/json") == true)
        }
    }

    @Test("an upload that is not a JPEG or PNG image is refused with 400 and stores nothing, leaving an earlier photo in place")
    func photoNotAnImage() async throws {
        try await withApp { app in
            let doctor = try await app.signIn(Self.doctorPhone)
            for bytes in [Array("<html>not an image</html>".utf8), [], Self.aWebP] {
                let refused = try await Self.uploadPhoto(app, token: doctor, bytes)
                #expect(refused.status == .badRequest)
                #expect(refused.errorFields == ["image"])
                #expect(refused.isStandardError)
            }
            #expect(try await Self.profilePhotoURL(app, of: Self.cardiologist) == nil)
            #expect(!Self.hasPhotoFile(app, of: Self.cardiologist))
            #expect(try await app.auditCount(action: "doctor.photo.set") == 0)

            #expect(try await Self.uploadPhoto(app, token: doctor, Self.aPNG).status == .ok)
            #expect(try await Self.uploadPhoto(app, token: doctor, Array("GIF89a....".utf8), type: "image/gif").status == .badRequest)
            let kept = try await Self.servedPhoto(app, of: Self.cardiologist)
            #expect(kept.mediaType == "image/png")
            #expect(kept.bytes == Self.aPNG)
        }
    }

    @Test("a photo over 2 MiB is refused with 413 in the standard error shape and stores nothing; 2 MiB exactly is taken")
    func photoTooLarge() async throws {
        try await withApp { app in
            let doctor = try await app.signIn(Self.doctorPhone)
            let huge = Self.jpegHead + [UInt8](repeating: 0, count: DoctorPhotoRule.maximumBytes)
            let refused = try await Self.uploadPhoto(app, token: doctor, huge, type: "image/jpeg")
            #expect(refused.status == .contentTooLarge)
            #expect(refused.errorCode == "photo_too_large")
            #expect(refused.isStandardError)
            #expect(try await Self.profilePhotoURL(app, of: Self.cardiologist) == nil)
            #expect(!Self.hasPhotoFile(app, of: Self.cardiologist))

            let largest = Self.jpegHead + [UInt8](repeating: 0, count: DoctorPhotoRule.maximumBytes - Self.jpegHead.count)
            #expect(try await Self.uploadPhoto(app, token: doctor, largest, type: "image/jpeg").status == .ok)
            #expect(try await Self.servedPhoto(app, of: Self.cardiologist).bytes.count == DoctorPhotoRule.maximumBytes)
        }
    }

    @Test("only an account with a doctor profile uploads a photo: a patient gets 403, audited, and nothing is stored")
    func photoOnlyByDoctors() async throws {
        try await withApp { app in
            #expect(try await Self.uploadPhoto(app, token: nil, Self.aPNG).status == .unauthorized)
            let patient = try await app.signIn(Demo.patientPhone)
            let refused = try await Self.uploadPhoto(app, token: patient, Self.aPNG)
            #expect(refused.status == .forbidden)
            #expect(refused.errorCode == "forbidden")
            #expect(try await app.auditCount(action: "doctor.photo.set", outcome: .denied) == 1)
            #expect(try await app.auditCount(action: "doctor.photo.set", outcome: .success) == 0)
            let photosFolder = URL(fileURLWithPath: app.services.configuration.dataDirectory).appendingPathComponent("photos")
            #expect(!FileManager.default.fileExists(atPath: photosFolder.path))
        }
    }

    // MARK: Slot fixtures

    /// A slot as stored, whether or not the public list still shows it (begun and cancelled
    /// slots leave the list).
    struct StoredSlot: Equatable, Sendable {
        var capacity: Int
        var booked: Int
        var isCancelled: Bool
    }

    static func stored(_ app: Harness, slot id: String) async throws -> StoredSlot? {
        try await app.database.read { sql -> StoredSlot? in
            guard let row = try await sql.raw("""
                SELECT capacity, booked, cancelled_at FROM appointment_slots WHERE id = \(bind: id.lowercased())
                """).first() else { return nil }
            return StoredSlot(capacity: Int(try row.decode(column: "capacity", as: Int64.self)),
                              booked: Int(try row.decode(column: "booked", as: Int64.self)),
                              isCancelled: try row.decode(column: "cancelled_at", as: Int64?.self) != nil)
        }
    }

    /// Opens a slot of the calling doctor starting `after` seconds from now; returns its id.
    static func aSlot(_ app: Harness, token: String, capacity: Int, after seconds: TimeInterval = 2 * 86_400) async throws -> String {
        let opened = try await app.send(.post, "/api/v1/doctors/me/slots", token: token, json: [
            "startsAt": Timestamp.format(app.clock.now().addingTimeInterval(seconds)), "minutes": 30, "capacity": capacity,
        ])
        #expect(opened.status == .created, "\(opened.text)")
        return try #require(opened.string("id"))
    }

    /// The cardiologist's slot `id` as the public list shows it, if it does.
    static func listed(_ app: Harness, slot id: String) async throws -> [String: Any]? {
        try await app.send(.get, "/api/v1/doctors/\(cardiologist.text)/slots").items.first { $0["id"] as? String == id }
    }

    static func isListed(_ app: Harness, slot id: String) async throws -> Bool {
        try await listed(app, slot: id) != nil
    }

    /// A patient books a place in the cardiologist's slot `id`; returns the order id.
    static func book(_ app: Harness, patientPhone: String, slot id: String) async throws -> String {
        let patient = try await app.signIn(patientPhone)
        let booked = try await OrderRoutesTests.order(app, token: patient, service: "appointment", extra: ["slotId": id])
        #expect(booked.status == .created, "\(booked.text)")
        return try #require(booked.string("id"))
    }

    static func changeCapacity(_ app: Harness, token: String, slot id: String, to capacity: Any) async throws -> Reply {
        try await app.send(.patch, "/api/v1/doctors/me/slots/\(id)", token: token, json: ["capacity": capacity])
    }

    static func cancel(_ app: Harness, token: String, slot id: String) async throws -> Reply {
        try await app.send(.delete, "/api/v1/doctors/me/slots/\(id)", token: token)
    }

    // MARK: Slots

    @Test("a doctor raises and lowers a slot's capacity, down to the places already booked, and the list shows the new room")
    func capacityChanges() async throws {
        try await withApp { app in
            let doctor = try await app.signIn(Self.doctorPhone)
            let slot = try await Self.aSlot(app, token: doctor, capacity: 2)
            _ = try await Self.book(app, patientPhone: Demo.patientPhone, slot: slot)

            let raised = try await Self.changeCapacity(app, token: doctor, slot: slot, to: 5)
            #expect(raised.status == .ok, "\(raised.text)")
            #expect(raised.json["capacity"] as? Int == 5)
            #expect(raised.json["available"] as? Int == 4)
            #expect(try await Self.listed(app, slot: slot)?["available"] as? Int == 4)

            let lowered = try await Self.changeCapacity(app, token: doctor, slot: slot, to: 1)
            #expect(lowered.status == .ok)
            #expect(try await Self.listed(app, slot: slot)?["capacity"] as? Int == 1)
            #expect(try await Self.listed(app, slot: slot)?["available"] as? Int == 0)
            #expect(try await Self.stored(app, slot: slot) == StoredSlot(capacity: 1, booked: 1, isCancelled: false))
            #expect(try await app.auditCount(action: "doctor.slot.capacity", outcome: .success) == 2)
        }
    }

    @Test("a slot's capacity cannot go below the places already booked: 409 and the slot is unchanged")
    func capacityBelowBooked() async throws {
        try await withApp { app in
            let doctor = try await app.signIn(Self.doctorPhone)
            let slot = try await Self.aSlot(app, token: doctor, capacity: 3)
            _ = try await Self.book(app, patientPhone: Demo.patientPhone, slot: slot)
            _ = try await Self.book(app, patientPhone: Demo.otherPatientPhone, slot: slot)

            let refused = try await Self.changeCapacity(app, token: doctor, slot: slot, to: 1)
            #expect(refused.status == .conflict)
            #expect(refused.errorCode == "slot_capacity_below_booked")
            #expect(refused.isStandardError)
            #expect(try await Self.stored(app, slot: slot) == StoredSlot(capacity: 3, booked: 2, isCancelled: false))
            #expect(try await Self.listed(app, slot: slot)?["available"] as? Int == 1)
            #expect(try await app.auditCount(action: "doctor.slot.capacity") == 0)
        }
    }

    @Test("a capacity of zero or less, over 100, absurdly large or not a number is a 400 naming the field, and the slot is unchanged")
    func capacityValidation() async throws {
        try await withApp { app in
            let doctor = try await app.signIn(Self.doctorPhone)
            let slot = try await Self.aSlot(app, token: doctor, capacity: 2)
            let values: [Any] = [0, -1, 101, 1_000_000, "three"]
            for value in values {
                let refused = try await Self.changeCapacity(app, token: doctor, slot: slot, to: value)
                #expect(refused.status == .badRequest, "\(value)")
                #expect(refused.errorFields == ["capacity"], "\(value)")
            }
            // A number that is no whole number at all fails JSON decoding itself (Foundation gives no field).
            for value in [1e30, 2.5] {
                let refused = try await Self.changeCapacity(app, token: doctor, slot: slot, to: value)
                #expect(refused.status == .badRequest, "\(value)")
                #expect(refused.isStandardError, "\(value)")
            }
            let missing = try await app.send(.patch, "/api/v1/doctors/me/slots/\(slot)", token: doctor, json: [String: Any]())
            #expect(missing.errorFields == ["capacity"])
            #expect(try await Self.stored(app, slot: slot) == StoredSlot(capacity: 2, booked: 0, isCancelled: false))
        }
    }

    @Test("a doctor cancels an unbooked future slot: it leaves the list, cannot be booked, and cannot be changed or cancelled again")
    func cancelUnbooked() async throws {
        try await withApp { app in
            let doctor = try await app.signIn(Self.doctorPhone)
            let slot = try await Self.aSlot(app, token: doctor, capacity: 2)
            let kept = try await Self.aSlot(app, token: doctor, capacity: 2, after: 3 * 86_400)

            let cancelled = try await Self.cancel(app, token: doctor, slot: slot)
            #expect(cancelled.status == .noContent, "\(cancelled.text)")
            #expect(try await Self.isListed(app, slot: slot) == false)
            #expect(try await Self.isListed(app, slot: kept))
            #expect(try await Self.stored(app, slot: slot) == StoredSlot(capacity: 2, booked: 0, isCancelled: true))
            #expect(try await app.auditCount(action: "doctor.slot.cancel", outcome: .success) == 1)

            let patient = try await app.signIn(Demo.patientPhone)
            let booking = try await OrderRoutesTests.order(app, token: patient, service: "appointment", extra: ["slotId": slot])
            #expect(booking.status == .conflict)
            #expect(booking.errorCode == "slot_cancelled")
            #expect(try await Self.cancel(app, token: doctor, slot: slot).errorCode == "slot_cancelled")
            #expect(try await Self.changeCapacity(app, token: doctor, slot: slot, to: 3).errorCode == "slot_cancelled")
            #expect(try await Self.stored(app, slot: slot) == StoredSlot(capacity: 2, booked: 0, isCancelled: true))
        }
    }

    @Test("a slot somebody has booked cannot be cancelled and stays listed; once the booking is cancelled, the slot can be")
    func cancelBooked() async throws {
        try await withApp { app in
            let doctor = try await app.signIn(Self.doctorPhone)
            let slot = try await Self.aSlot(app, token: doctor, capacity: 2)
            let order = try await Self.book(app, patientPhone: Demo.patientPhone, slot: slot)

            let refused = try await Self.cancel(app, token: doctor, slot: slot)
            #expect(refused.status == .conflict)
            #expect(refused.errorCode == "slot_has_bookings")
            #expect(try await Self.listed(app, slot: slot)?["available"] as? Int == 1)
            #expect(try await Self.stored(app, slot: slot) == StoredSlot(capacity: 2, booked: 1, isCancelled: false))
            #expect(try await app.auditCount(action: "doctor.slot.cancel") == 0)

            let patient = try await app.signIn(Demo.patientPhone)
            #expect(try await app.send(.post, "/api/v1/orders/\(order)/cancel", token: patient, headers: OrderRoutesTests.key())
                .status == .ok)
            #expect(try await Self.cancel(app, token: doctor, slot: slot).status == .noContent)
            #expect(try await Self.isListed(app, slot: slot) == false)
        }
    }

    @Test("a slot that has begun can be neither changed nor cancelled: 409 and the slot is unchanged")
    func begunSlot() async throws {
        try await withApp { app in
            let doctor = try await app.signIn(Self.doctorPhone)
            let slot = try await Self.aSlot(app, token: doctor, capacity: 2, after: 3600)
            app.clock.advance(by: 2 * 3600)

            let cancel = try await Self.cancel(app, token: doctor, slot: slot)
            #expect(cancel.status == .conflict)
            #expect(cancel.errorCode == "slot_past")
            let change = try await Self.changeCapacity(app, token: doctor, slot: slot, to: 4)
            #expect(change.status == .conflict)
            #expect(change.errorCode == "slot_past")
            #expect(try await Self.stored(app, slot: slot) == StoredSlot(capacity: 2, booked: 0, isCancelled: false))
        }
    }

    @Test("another doctor's slot is not found for changes or cancelling, a patient is refused, and the slot stays as it was")
    func othersSlot() async throws {
        try await withApp { app in
            let doctor = try await app.signIn(Self.doctorPhone)
            let slot = try await Self.aSlot(app, token: doctor, capacity: 2)

            let other = try await app.signIn(Self.otherDoctorPhone)
            let change = try await Self.changeCapacity(app, token: other, slot: slot, to: 5)
            #expect(change.status == .notFound)
            #expect(change.isStandardError)
            #expect(try await Self.cancel(app, token: other, slot: slot).status == .notFound)
            #expect(try await Self.cancel(app, token: other, slot: UUID().uuidString).status == .notFound)

            let patient = try await app.signIn(Demo.patientPhone)
            #expect(try await Self.changeCapacity(app, token: patient, slot: slot, to: 5).status == .forbidden)
            #expect(try await Self.cancel(app, token: patient, slot: slot).status == .forbidden)
            #expect(try await app.auditCount(action: "doctor.slot.cancel", outcome: .denied) == 1)

            #expect(try await Self.stored(app, slot: slot) == StoredSlot(capacity: 2, booked: 0, isCancelled: false))
            #expect(try await Self.listed(app, slot: slot)?["capacity"] as? Int == 2)
        }
    }
}
