import Foundation
import MedLoopDomain
import SQLKit

/// The institution registry.
public struct InstitutionStore: Sendable {
    let database: Database
    let audit: AuditStore
    let doctors: DoctorStore

    public init(database: Database, audit: AuditStore, doctors: DoctorStore) {
        self.database = database
        self.audit = audit
        self.doctors = doctors
    }

    /// Registers an institution after checking the registry's rules against the stored link.
    public func register(_ draft: InstitutionDraft, id: UUID? = nil, context: AuditContext) async throws -> Institution {
        let id = id ?? .v7(at: context.at)
        return try await database.unitOfWork { tx in
            let institution = try await register(draft, id: id, at: context.at, in: tx)
            try await audit.append(AuditRecord(action: "institution.create", resourceType: "institution",
                                               resourceId: id.text), context: context, in: tx)
            return institution
        }
    }

    /// Registers inside an open transaction (seeding registers many at once).
    func register(_ draft: InstitutionDraft, id: UUID, at now: Date, in tx: Transaction) async throws -> Institution {
        var linkedKind: InstitutionKind?
        if let linked = draft.physicalHospitalId {
            linkedKind = try await tx.sql.raw("SELECT kind FROM institutions WHERE id = \(bind: linked.text)")
                .first()?.value("kind", as: InstitutionKind.self)
        }
        try draft.validate(linkedKind: linkedKind)
        let institution = Institution(
            id: id, kind: draft.kind, name: draft.name.trimmingCharacters(in: .whitespacesAndNewlines),
            regionCode: draft.regionCode, level: draft.level, physicalHospitalId: draft.physicalHospitalId,
            insuranceDesignated: draft.insuranceDesignated, internetHospitalLicensed: draft.internetHospitalLicensed,
            createdAt: Date(epochMillis: now.epochMillis))
        try await tx.sql.raw("""
            INSERT INTO institutions (id, kind, name, region_code, level, physical_hospital_id, insurance_designated,
                                      internet_hospital_licensed, created_at)
            VALUES (\(bind: id.text), \(bind: institution.kind.rawValue), \(bind: institution.name),
                    \(bind: institution.regionCode.value), \(bind: institution.level?.rawValue),
                    \(bind: institution.physicalHospitalId?.text), \(bind: institution.insuranceDesignated),
                    \(bind: institution.internetHospitalLicensed), \(bind: now.epochMillis))
            """).run()
        return institution
    }

    public func institution(_ id: UUID) async throws -> Institution? {
        try await database.read { sql in
            try await sql.raw("SELECT * FROM institutions WHERE id = \(bind: id.text)").first().map(Self.institution(from:))
        }
    }

    /// Institutions by kind and region prefix (a province `33`, a city `3308`, or a full code), in
    /// order of identifier.
    public func list(kind: InstitutionKind?, regionPrefix: String?, limit: Int, cursor: String?) async throws -> Page<Institution> {
        var conditions: [SQLQueryString] = []
        if let kind { conditions.append("kind = \(bind: kind.rawValue)") }
        if let regionPrefix { conditions.append("region_code LIKE \(bind: regionPrefix + "%")") }
        if let cursor { conditions.append("id > \(bind: try Cursor.decode(cursor))") }
        let whereClause: SQLQueryString = conditions.isEmpty ? "" : " WHERE " + conditions.joined(separator: " AND ")
        let rows = try await database.read { sql in
            try await sql.raw("SELECT * FROM institutions\(whereClause) ORDER BY id LIMIT \(literal: limit + 1)")
                .all().map(Self.institution(from:))
        }
        let next = rows.count > limit ? rows[limit - 1].id.text : nil
        return Page(items: Array(rows.prefix(limit)), nextCursor: next.map(Cursor.encode))
    }

    /// Changes the name or the two regulatory flags of an institution.
    public func update(_ id: UUID, name: String?, insuranceDesignated: Bool?, internetHospitalLicensed: Bool?,
                       commissionRateBasisPoints: Int? = nil, context: AuditContext) async throws -> Institution {
        try await database.unitOfWork { tx in
            guard var institution = try await tx.sql.raw("SELECT * FROM institutions WHERE id = \(bind: id.text)")
                .first().map(Self.institution(from:)) else { throw DomainError.notFound(resource: "institution") }
            let formerName = institution.name
            if let name {
                institution.name = name.trimmingCharacters(in: .whitespacesAndNewlines)
            }
            if let insuranceDesignated { institution.insuranceDesignated = insuranceDesignated }
            if let internetHospitalLicensed { institution.internetHospitalLicensed = internetHospitalLicensed }
            if let rate = commissionRateBasisPoints {
                guard (0...10_000).contains(rate) else {
                    throw DomainError.invalidField("commissionRateBasisPoints", code: "range", "A commission rate is 0 to 10000 basis points.")
                }
                institution.commissionRateBasisPoints = rate
            }
            let draft = InstitutionDraft(kind: institution.kind, name: institution.name, regionCode: institution.regionCode,
                                         level: institution.level, physicalHospitalId: institution.physicalHospitalId)
            let linkedKind: InstitutionKind? = institution.physicalHospitalId == nil ? nil : .physicalHospital
            try draft.validate(linkedKind: linkedKind)
            try await tx.sql.raw("""
                UPDATE institutions SET name = \(bind: institution.name),
                    insurance_designated = \(bind: institution.insuranceDesignated),
                    internet_hospital_licensed = \(bind: institution.internetHospitalLicensed),
                    commission_rate_bp = \(bind: institution.commissionRateBasisPoints)
                WHERE id = \(bind: id.text)
                """).run()
            if institution.name != formerName && institution.kind.isHospital {
                try await doctors.reindex(doctorsOf: id, hospitalName: institution.name, in: tx)
            }
            try await audit.append(AuditRecord(action: "institution.update", resourceType: "institution",
                                               resourceId: id.text), context: context, in: tx)
            try await EventStore.append(.institutionChanged(id, at: context.at), in: tx)
            return institution
        }
    }

    static func institution(from row: any SQLRow) throws -> Institution {
        Institution(
            id: try row.uuid("id"), kind: try row.value("kind", as: InstitutionKind.self), name: try row.text("name"),
            regionCode: try RegionCode(try row.text("region_code")),
            level: try row.optionalValue("level", as: HospitalLevel.self),
            physicalHospitalId: try row.optionalUUID("physical_hospital_id"),
            insuranceDesignated: try row.bool("insurance_designated"),
            internetHospitalLicensed: try row.bool("internet_hospital_licensed"),
            commissionRateBasisPoints: Int(try row.int64("commission_rate_bp")), createdAt: try row.instant("created_at"))
    }
}
