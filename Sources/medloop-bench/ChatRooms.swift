import Foundation

/// The consultations the chat scenario talks in: text consultations of the demo world's patients
/// with its doctors, booked, paid and accepted through the API before the sockets open, and
/// completed after they close, so that a later run (or the loop) may book the same pairs again.
struct ChatRoom: Sendable {
    var consultationId: String
    var patient: CareWorld.Patient
    var doctor: CareWorld.Doctor
}

enum ChatRooms {
    /// Sockets per consultation, half the patient's and half the doctor's (a phone, a tablet, the web app…).
    static let socketsPerRoom = 20
    /// What each patient's wallet is topped up with before booking: enough for every consultation it books.
    static let topUpFen = 200_000

    /// How many consultations `sockets` sockets spread over: one per `socketsPerRoom`, at least one,
    /// and at most one per patient and doctor pair.
    static func count(sockets: Int, world: CareWorld) -> Int {
        min(max(1, sockets / socketsPerRoom), world.patients.count * world.doctors.count)
    }

    /// Books, pays and has the doctor accept `count` text consultations, each of a patient and doctor
    /// pair of its own (pair `i`: doctor `i mod doctors`, patient `i / doctors + i`, so that patients and
    /// doctors both spread). A pair the server refuses (a doctor at the daily cap, a consultation of the
    /// pair still open from an interrupted run) is passed over for the next one.
    static func open(_ count: Int, world: CareWorld, api: SetupClient) async throws -> [ChatRoom] {
        for patient in world.patients {
            _ = try await api.json("POST", "/api/v1/wallet/top-ups", token: patient.token, body: ["amountFen": topUpFen],
                                   expect: 201)
        }
        let pairs = world.patients.count * world.doctors.count
        var rooms: [ChatRoom] = []
        var refusals: [String] = []
        var pair = 0
        while rooms.count < count && pair < pairs {
            let doctor = world.doctors[pair % world.doctors.count]
            let patient = world.patients[(pair / world.doctors.count + pair) % world.patients.count]
            pair += 1
            do {
                rooms.append(try await book(patient, with: doctor, api: api))
            } catch {
                refusals.append("\(error)")
            }
        }
        guard rooms.count == count else {
            throw BenchError("only \(rooms.count) of \(count) chat consultations could be opened; the last refusal: "
                             + (refusals.last ?? "none"))
        }
        return rooms
    }

    /// One text consultation, from the order to the doctor's acceptance.
    private static func book(_ patient: CareWorld.Patient, with doctor: CareWorld.Doctor, api: SetupClient) async throws -> ChatRoom {
        var order: [String: Any] = ["doctorId": doctor.doctorId, "service": "textPackage", "encounterId": patient.encounterId]
        if let site = doctor.siteId { order["siteId"] = site }
        let placed = try await api.json("POST", "/api/v1/orders", token: patient.token, body: order, expect: 201)
        var consultation = placed["consultationId"] as? String
        if placed["state"] as? String != "paid" {
            let paid = try await api.json("POST", "/api/v1/orders/\(placed["id"] as? String ?? "")/pay", token: patient.token,
                                          body: [:])
            consultation = paid["consultationId"] as? String
        }
        guard let consultation else { throw BenchError("the paid order names no consultation") }
        _ = try await api.json("POST", "/api/v1/consultations/\(consultation)/accept", token: doctor.token, body: [:])
        return ChatRoom(consultationId: consultation, patient: patient, doctor: doctor)
    }

    /// The doctor completes each consultation with its visit's diagnosis; a failure is reported, not thrown,
    /// so that the run's figures are still printed.
    static func close(_ rooms: [ChatRoom], api: SetupClient) async {
        for room in rooms {
            do {
                _ = try await api.json("POST", "/api/v1/consultations/\(room.consultationId)/complete", token: room.doctor.token,
                                       body: ["diagnosis": room.patient.icd10, "notes": "复诊，病情稳定。"])
            } catch {
                note("medloop-bench: chat: consultation \(room.consultationId) was left open: \(error)")
            }
        }
    }
}
