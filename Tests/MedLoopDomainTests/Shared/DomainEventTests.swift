import Foundation
import MedLoopDomain
import Testing

@Suite("Domain events")
struct DomainEventTests {
    @Test("search pages must forget a new price or a qualification decision at once; counters and photos may wait", arguments: [
        (DoctorChange.registered, true), (.menu, true), (.qualification, true), (.counters, false), (.photo, false),
    ])
    func shownInSearch(change: DoctorChange, shown: Bool) {
        #expect(change.isShownInSearch == shown)
    }

    @Test("a doctor.changed event carries its change and reads back; any other event is no doctor change")
    func doctorChangedRoundTrip() throws {
        let doctor = UUID()
        let now = Date(timeIntervalSince1970: 1_788_000_000)
        for change in DoctorChange.allCases {
            let event = DomainEvent.doctorChanged(doctor, change, at: now)
            #expect(event.kind == .doctorChanged)
            #expect(event.subjectType == "doctor" && event.subjectId == doctor)
            #expect(DoctorChange(event: event) == change)
        }
        let other = try DomainEvent.consultation(.consultationAccepted, doctor, payload: StateChange(state: "active"), at: now)
        #expect(DoctorChange(event: other) == nil)
    }

    @Test("a consultation event's payload is sorted JSON that decodes back to what was sent")
    func consultationPayload() throws {
        let sent = MessagesRead(readerAccountId: UUID(), upTo: UUID())
        let event = try DomainEvent.consultation(.messagesRead, UUID(), payload: sent, at: Date())
        #expect(try event.decodePayload(as: MessagesRead.self) == sent)
        #expect(event.payload.hasPrefix(#"{"readerAccountId""#))
    }
}
