import Foundation
import MedLoopDomain
import SQLKit

/// A message as stored and sent to clients.
public struct ConsultationMessage: Sendable, Equatable {
    public var id: UUID
    public var consultationId: UUID
    public var senderAccountId: UUID
    public var senderRole: Role
    public var kind: MessageKind
    public var text: String?
    public var imageId: UUID?
    public var sentAt: Date
    public var readAt: Date?
}

/// An uploaded image's record (the bytes live, encrypted, under the data folder).
public struct StoredImage: Sendable {
    public var id: UUID
    public var consultationId: UUID
    public var mediaType: String
}

/// Chat: messages, read receipts and images of consultations. Only the two participants reach
/// them; anyone else is told there is no such consultation.
public struct ConsultationMessageStore: Sendable {
    let database: Database
    let consultations: ConsultationStore
    let audit: AuditStore
    let notifications: NotificationStore
    /// Where uploaded images are kept: `<data folder>/uploads`.
    let uploads: FileFolder

    public init(database: Database, cipher: FieldCipher, dataDirectory: URL, consultations: ConsultationStore,
                audit: AuditStore, notifications: NotificationStore) {
        self.database = database
        self.consultations = consultations
        self.audit = audit
        self.notifications = notifications
        self.uploads = FileFolder(dataDirectory: dataDirectory, name: "uploads", cipher: cipher)
    }

    /// Sends a text or image message while the consultation is open.
    public func send(_ consultation: UUID, from caller: Caller, kind: MessageKind, text: String?, imageId: UUID?,
                     context: AuditContext) async throws -> ConsultationMessage {
        let now = context.at
        return try await database.unitOfWork { tx in
            let found = try await consultations.participantConsultation(consultation, account: caller.accountId, in: tx)
            try found.checkOpen(at: now)
            if let imageId {
                let owned = try await tx.sql.raw("""
                    SELECT id FROM uploads WHERE id = \(bind: imageId.text) AND consultation_id = \(bind: consultation.text)
                    """).first()
                guard owned != nil else {
                    throw DomainError.invalidField("imageId", code: "unknown", "Upload the image to this consultation first.")
                }
            }
            let message = ConsultationMessage(id: .v7(at: now), consultationId: consultation, senderAccountId: caller.accountId,
                                              senderRole: caller.role, kind: kind, text: text, imageId: imageId,
                                              sentAt: Date(epochMillis: now.epochMillis), readAt: nil)
            try await tx.sql.raw("""
                INSERT INTO consultation_messages (id, consultation_id, sender_account_id, sender_role, kind, body, upload_id, sent_at)
                VALUES (\(bind: message.id.text), \(bind: consultation.text), \(bind: caller.accountId.text), \(bind: caller.role.rawValue),
                        \(bind: kind.rawValue), \(bind: text), \(bind: imageId?.text), \(bind: now.epochMillis))
                """).run()
            try await audit.append(AuditRecord(action: "consultation.message.send", resourceType: "consultation",
                                               resourceId: consultation.text, patientId: found.patientId), context: context, in: tx)
            if caller.accountId == found.doctorAccountId {
                try await notifications.notify(found.accountId, kind: .newReply, subjectType: "consultation",
                                               subjectId: consultation.text, at: now, in: tx)
            }
            try await EventStore.append(.consultation(.messageSent, consultation, payload: MessageSent(messageId: message.id), at: now),
                                        in: tx)
            return message
        }
    }

    /// One message by id, for subscribers of `consultation.message.sent` (the event names it;
    /// who may see it was settled when it was sent).
    public func message(_ id: UUID) async throws -> ConsultationMessage? {
        try await database.read { sql in
            try await sql.raw("SELECT * FROM consultation_messages WHERE id = \(bind: id.text)").first().map(Self.message(from:))
        }
    }

    /// The messages of `ids` that exist, by id (the live streams' fan-out reads a batch at once).
    public func messages(_ ids: [UUID]) async throws -> [UUID: ConsultationMessage] {
        guard !ids.isEmpty else { return [:] }
        let rows = try await database.read { sql in
            try await sql.raw("SELECT * FROM consultation_messages WHERE id IN (\(binds: ids.map(\.text)))").all()
        }
        var found: [UUID: ConsultationMessage] = [:]
        for row in rows {
            let message = try Self.message(from: row)
            found[message.id] = message
        }
        return found
    }

    /// Messages after `after` (oldest first), for history and catching up.
    public func messages(_ consultation: UUID, for account: UUID, after: UUID?, limit: Int) async throws -> [ConsultationMessage] {
        guard try await consultations.consultation(consultation, visibleTo: account) != nil else {
            throw DomainError.notFound(resource: "consultation")
        }
        var condition: SQLQueryString = "consultation_id = \(bind: consultation.text)"
        if let after { condition += " AND id > \(bind: after.text)" }
        let whereClause = condition
        return try await database.read { sql in
            try await sql.raw("SELECT * FROM consultation_messages WHERE \(whereClause) ORDER BY id LIMIT \(literal: limit)")
                .all().map(Self.message(from:))
        }
    }

    /// Marks the other side's messages up to `upTo` as read by `account`; returns how many changed.
    public func markRead(_ consultation: UUID, by account: UUID, upTo: UUID, at now: Date) async throws -> Int {
        try await database.unitOfWork { tx in
            _ = try await consultations.participantConsultation(consultation, account: account, in: tx)
            let changed = try await tx.sql.raw("""
                UPDATE consultation_messages SET read_at = \(bind: now.epochMillis)
                WHERE consultation_id = \(bind: consultation.text) AND sender_account_id <> \(bind: account.text)
                  AND id <= \(bind: upTo.text) AND read_at IS NULL
                RETURNING id
                """).all().count
            if changed > 0 {
                try await EventStore.append(.consultation(.messagesRead, consultation,
                                                          payload: MessagesRead(readerAccountId: account, upTo: upTo), at: now), in: tx)
            }
            return changed
        }
    }

    /// Checks and stores an image for a consultation; the bytes go to the uploads folder.
    public func upload(_ bytes: [UInt8], to consultation: UUID, by account: UUID, at now: Date) async throws -> StoredImage {
        let mediaType = try ImageRule.check(bytes)
        let id = UUID.v7(at: now)
        try await database.unitOfWork { tx in
            let found = try await consultations.participantConsultation(consultation, account: account, in: tx)
            try found.checkOpen(at: now)
            try await uploads.write(bytes, named: id.text)
            let digest = Hashing.sha256Hex(bytes)
            do {
                try await tx.sql.raw("""
                    INSERT INTO uploads (id, consultation_id, account_id, media_type, bytes, sha256, created_at)
                    VALUES (\(bind: id.text), \(bind: consultation.text), \(bind: account.text), \(bind: mediaType),
                            \(bind: Int64(bytes.count)), \(bind: digest), \(bind: now.epochMillis))
                    """).run()
            } catch {
                await uploads.remove(id.text)
                throw error
            }
        }
        return StoredImage(id: id, consultationId: consultation, mediaType: mediaType)
    }

    /// An image, if `account` takes part in its consultation.
    public func image(_ id: UUID, for account: UUID) async throws -> StoredImage {
        guard let row = try await database.read({ sql in
            try await sql.raw("SELECT consultation_id, media_type FROM uploads WHERE id = \(bind: id.text)").first()
        }) else { throw DomainError.notFound(resource: "image") }
        let consultation = try row.uuid("consultation_id")
        guard try await consultations.consultation(consultation, visibleTo: account) != nil else {
            throw DomainError.notFound(resource: "image")
        }
        return StoredImage(id: id, consultationId: consultation, mediaType: try row.text("media_type"))
    }

    /// The bytes of a stored image (decrypted).
    public func bytes(of image: StoredImage) async throws -> Data {
        guard let data = try await uploads.read(image.id.text) else { throw DomainError.notFound(resource: "image") }
        return data
    }

    /// Encrypts images stored before files were encrypted (at start-up); returns how many.
    public func encryptEarlierFiles() async throws -> Int {
        try await uploads.encryptEarlierFiles()
    }

    static func message(from row: any SQLRow) throws -> ConsultationMessage {
        ConsultationMessage(
            id: try row.uuid("id"), consultationId: try row.uuid("consultation_id"),
            senderAccountId: try row.uuid("sender_account_id"), senderRole: try row.value("sender_role", as: Role.self),
            kind: try row.value("kind", as: MessageKind.self), text: try row.optionalText("body"),
            imageId: try row.optionalUUID("upload_id"), sentAt: try row.instant("sent_at"),
            readAt: try row.optionalInstant("read_at"))
    }
}
