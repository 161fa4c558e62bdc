import Foundation
import MedLoopDomain
import SQLKit

/// A new allergy as entered.
public struct AllergyDraft: Sendable {
    public var substance: String
    public var reaction: String?
    public var severity: AllergySeverity

    public init(substance: String, reaction: String?, severity: AllergySeverity) {
        self.substance = substance
        self.reaction = reaction
        self.severity = severity
    }
}

/// A new known condition as entered.
public struct ConditionDraft: Sendable {
    public var icd10: ICD10Code
    public var name: String
    public var diagnosedOn: CalendarDate?

    public init(icd10: ICD10Code, name: String, diagnosedOn: CalendarDate?) {
        self.icd10 = icd10
        self.name = name
        self.diagnosedOn = diagnosedOn
    }
}

/// A family member to add: identity as on their card and how they relate to the account holder.
public struct FamilyMemberDraft: Sendable {
    public var realName: String
    public var nationalId: NationalID
    public var relationship: FamilyRelationship

    public init(realName: String, nationalId: NationalID, relationship: FamilyRelationship) {
        self.realName = realName
        self.nationalId = nationalId
        self.relationship = relationship
    }
}

/// Patients' personal and health data: profiles, allergies, known conditions, family. Every
/// change writes its audit entry in the same transaction.
public struct PatientStore: Sendable {
    let database: Database
    let cipher: FieldCipher
    let audit: AuditStore

    public init(database: Database, cipher: FieldCipher, audit: AuditStore) {
        self.database = database
        self.cipher = cipher
        self.audit = audit
    }

    /// The patients `holder` may act for (family members it added).
    public func actsFor(_ holder: UUID) async throws -> Set<UUID> {
        try await database.read { sql in
            Set(try await sql.raw("SELECT member_patient_id FROM family_links WHERE holder_patient_id = \(bind: holder.text)")
                .all().map { try $0.uuid("member_patient_id") })
        }
    }

    /// The whole profile, decrypted.
    public func profile(_ id: UUID) async throws -> PatientProfile? {
        try await database.read { sql in
            guard let row = try await sql.raw("SELECT * FROM patients WHERE id = \(bind: id.text)").first() else { return nil }
            let allergies = try await Self.allergies(of: id, in: sql)
            let conditions = try await Self.conditions(of: id, in: sql)
            return try profile(from: row, allergies: allergies, conditions: conditions)
        }
    }

    /// A patient's allergies, in the order they were entered. Shared by every reader of health data.
    static func allergies(of id: UUID, in sql: any SQLDatabase) async throws -> [Allergy] {
        try await sql.raw("""
            SELECT * FROM patient_allergies WHERE patient_id = \(bind: id.text) ORDER BY created_at, id
            """).all().map { row in
                Allergy(id: try row.uuid("id"), substance: try row.text("substance"), reaction: try row.optionalText("reaction"),
                        severity: try row.value("severity", as: AllergySeverity.self))
            }
    }

    /// A patient's known conditions, in the order they were entered. Shared by every reader of health data.
    static func conditions(of id: UUID, in sql: any SQLDatabase) async throws -> [KnownCondition] {
        try await sql.raw("""
            SELECT * FROM patient_conditions WHERE patient_id = \(bind: id.text) ORDER BY created_at, id
            """).all().map { row in
                KnownCondition(id: try row.uuid("id"), icd10: try ICD10Code(try row.text("icd10")), name: try row.text("name"),
                               diagnosedOn: try row.optionalText("diagnosed_on").flatMap(CalendarDate.init(iso:)))
            }
    }

    /// Changes what the patient keeps in their profile, together: the address (an empty string
    /// clears it) and whether they are pregnant or breastfeeding (the clinical checks use it).
    public func update(_ id: UUID, address: String?, pregnancy: PregnancyStatus?, context: AuditContext) async throws {
        try await change(id, action: "patient.update", context: context) { tx in
            if let address {
                let sealed = address.isEmpty ? nil : try cipher.seal(address, field: "address")
                try await tx.sql.raw("""
                    UPDATE patients SET address_cipher = \(bind: sealed), updated_at = \(bind: context.at.epochMillis)
                    WHERE id = \(bind: id.text)
                    """).run()
            }
            if let pregnancy {
                try await tx.sql.raw("""
                    UPDATE patients SET pregnancy_status = \(bind: pregnancy.rawValue), updated_at = \(bind: context.at.epochMillis)
                    WHERE id = \(bind: id.text)
                    """).run()
            }
        }
    }

    public func addAllergy(_ draft: AllergyDraft, to patient: UUID, context: AuditContext) async throws -> Allergy {
        let allergy = Allergy(id: .v7(at: context.at), substance: draft.substance, reaction: draft.reaction, severity: draft.severity)
        try await change(patient, action: "patient.allergy.add", context: context) { tx in
            try await tx.sql.raw("""
                INSERT INTO patient_allergies (id, patient_id, substance, reaction, severity, created_at)
                VALUES (\(bind: allergy.id.text), \(bind: patient.text), \(bind: allergy.substance), \(bind: allergy.reaction),
                        \(bind: allergy.severity.rawValue), \(bind: context.at.epochMillis))
                """).run()
        }
        return allergy
    }

    public func removeAllergy(_ allergy: UUID, of patient: UUID, context: AuditContext) async throws {
        try await change(patient, action: "patient.allergy.remove", context: context) { tx in
            let removed = try await tx.sql.raw("""
                DELETE FROM patient_allergies WHERE id = \(bind: allergy.text) AND patient_id = \(bind: patient.text) RETURNING id
                """).first()
            if removed == nil { throw DomainError.notFound(resource: "allergy") }
        }
    }

    public func addCondition(_ draft: ConditionDraft, to patient: UUID, context: AuditContext) async throws -> KnownCondition {
        let condition = KnownCondition(id: .v7(at: context.at), icd10: draft.icd10, name: draft.name, diagnosedOn: draft.diagnosedOn)
        try await change(patient, action: "patient.condition.add", context: context) { tx in
            try await tx.sql.raw("""
                INSERT INTO patient_conditions (id, patient_id, icd10, name, diagnosed_on, created_at)
                VALUES (\(bind: condition.id.text), \(bind: patient.text), \(bind: condition.icd10.value), \(bind: condition.name),
                        \(bind: condition.diagnosedOn?.description), \(bind: context.at.epochMillis))
                """).run()
        }
        return condition
    }

    public func removeCondition(_ condition: UUID, of patient: UUID, context: AuditContext) async throws {
        try await change(patient, action: "patient.condition.remove", context: context) { tx in
            let removed = try await tx.sql.raw("""
                DELETE FROM patient_conditions WHERE id = \(bind: condition.text) AND patient_id = \(bind: patient.text) RETURNING id
                """).first()
            if removed == nil { throw DomainError.notFound(resource: "condition") }
        }
    }

    /// Family members `holder` acts for.
    public func family(of holder: UUID) async throws -> [FamilyMember] {
        try await database.read { sql in
            try await sql.raw("""
                SELECT p.id, p.real_name, p.national_id_cipher, f.relationship FROM family_links f
                JOIN patients p ON p.id = f.member_patient_id
                WHERE f.holder_patient_id = \(bind: holder.text) ORDER BY f.created_at, p.id
                """).all().map { row in
                    FamilyMember(patientId: try row.uuid("id"),
                                 relationship: try row.value("relationship", as: FamilyRelationship.self),
                                 realName: try row.text("real_name"), nationalId: try nationalId(from: row))
                }
        }
    }

    /// Adds a family member the holder will act for. A member already on record (a child whose
    /// other parent added them) is linked when the name matches; a member who has an account of
    /// their own must manage it themselves.
    public func addFamilyMember(_ draft: FamilyMemberDraft, holder: UUID, context: AuditContext) async throws -> FamilyMember {
        let name = try ProfileRule.realName(draft.realName)
        return try await change(holder, action: "patient.family.add", context: context) { tx in
            guard let holderRow = try await tx.sql.raw("SELECT * FROM patients WHERE id = \(bind: holder.text)").first() else {
                throw DomainError.notFound(resource: "patient")
            }
            try FamilyRule.checkNewMember(draft.nationalId, relationship: draft.relationship,
                                          holder: try nationalId(from: holderRow))
            let hash = cipher.lookupHash(draft.nationalId.value, field: "national_id")
            let memberId: UUID
            if let existing = try await tx.sql.raw("SELECT id, account_id, real_name FROM patients WHERE national_id_hash = \(bind: hash)").first() {
                guard try existing.optionalText("account_id") == nil else {
                    throw DomainError.conflict(code: "family_member_has_account",
                                               message: "This person has an account of their own.")
                }
                guard try existing.text("real_name") == name else {
                    throw DomainError.conflict(code: "national_id_taken",
                                               message: "This national ID number is registered under another name.")
                }
                memberId = try existing.uuid("id")
                let linked = try await tx.sql.raw("""
                    SELECT member_patient_id FROM family_links
                    WHERE holder_patient_id = \(bind: holder.text) AND member_patient_id = \(bind: memberId.text)
                    """).first()
                if linked != nil {
                    throw DomainError.conflict(code: "family_member_exists", message: "This family member is already added.")
                }
            } else {
                memberId = .v7(at: context.at)
                try await tx.sql.raw("""
                    INSERT INTO patients (id, account_id, real_name, national_id_cipher, national_id_hash, sex, birth_date,
                                          phone_cipher, address_cipher, created_at, updated_at)
                    VALUES (\(bind: memberId.text), \(bind: String?.none), \(bind: name),
                            \(bind: try cipher.seal(draft.nationalId.value, field: "national_id")), \(bind: hash),
                            \(bind: draft.nationalId.sex.rawValue), \(bind: draft.nationalId.birthDate.description),
                            \(bind: String?.none), \(bind: String?.none), \(bind: context.at.epochMillis), \(bind: context.at.epochMillis))
                    """).run()
            }
            try await tx.sql.raw("""
                INSERT INTO family_links (holder_patient_id, member_patient_id, relationship, created_at)
                VALUES (\(bind: holder.text), \(bind: memberId.text), \(bind: draft.relationship.rawValue), \(bind: context.at.epochMillis))
                """).run()
            try await audit.append(AuditRecord(action: "patient.create", resourceType: "patient", resourceId: memberId.text,
                                               patientId: memberId), context: context, in: tx)
            return FamilyMember(patientId: memberId, relationship: draft.relationship, realName: name, nationalId: draft.nationalId)
        }
    }

    /// Stops `holder` acting for `member`; the member's record stays.
    public func removeFamilyMember(_ member: UUID, holder: UUID, context: AuditContext) async throws {
        try await change(holder, action: "patient.family.remove", context: context) { tx in
            let removed = try await tx.sql.raw("""
                DELETE FROM family_links WHERE holder_patient_id = \(bind: holder.text) AND member_patient_id = \(bind: member.text)
                RETURNING member_patient_id
                """).first()
            if removed == nil { throw DomainError.notFound(resource: "family member") }
        }
    }

    /// Runs a change of patient `id`'s data with its audit entry in one transaction.
    private func change<T: Sendable>(_ id: UUID, action: String, context: AuditContext,
                                     _ body: @Sendable (Transaction) async throws -> T) async throws -> T {
        try await database.unitOfWork { tx in
            let result = try await body(tx)
            try await audit.append(AuditRecord(action: action, resourceType: "patient", resourceId: id.text, patientId: id),
                                   context: context, in: tx)
            return result
        }
    }

    private func nationalId(from row: any SQLRow) throws -> NationalID {
        let text = try cipher.open(try row.text("national_id_cipher"), field: "national_id")
        // Validated when stored; re-checked against a far future day so that only corruption fails.
        return try NationalID(text, today: CalendarDate(year: 9999, month: 12, day: 31)!)
    }

    private func profile(from row: any SQLRow, allergies: [Allergy], conditions: [KnownCondition]) throws -> PatientProfile {
        PatientProfile(
            id: try row.uuid("id"), accountId: try row.optionalUUID("account_id"), realName: try row.text("real_name"),
            nationalId: try nationalId(from: row),
            phone: try row.optionalText("phone_cipher").map { try PhoneNumber(try cipher.open($0, field: "phone")) },
            address: try row.optionalText("address_cipher").map { try cipher.open($0, field: "address") },
            allergies: allergies, conditions: conditions,
            pregnancy: try row.optionalValue("pregnancy_status", as: PregnancyStatus.self) ?? .none)
    }
}
