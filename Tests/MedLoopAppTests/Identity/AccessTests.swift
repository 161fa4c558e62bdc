import Foundation
import HTTPTypes
import MedLoopDomain
import MedLoopStore
import MedLoopTestSupport
import Testing

/// Every role against every route of the identity area: who is let in and who gets a 403 that is
/// audited.
@Suite("Access by role")
struct AccessTests {
    /// A route and the roles allowed on it.
    struct Route: CustomStringConvertible, Sendable {
        var method: HTTPRequest.Method
        var path: String
        var body: [String: String]?
        var allowed: Set<Role>
        var description: String { "\(method) \(path)" }
    }

    static let patientRecord = Demo.patientId(Demo.patientPhone)
    static let everyone = Set(Role.allCases)

    static let routes: [Route] = [
        Route(method: .get, path: "/api/v1/me", allowed: everyone),
        Route(method: .get, path: "/api/v1/institutions", allowed: everyone),
        Route(method: .get, path: "/api/v1/institutions/\(DemoWorld.Institutions.tertiaryHospital.text)", allowed: everyone),
        Route(method: .post, path: "/api/v1/institutions",
              body: ["kind": "pharmacy", "name": "新药房", "regionCode": "330802"], allowed: [.operator]),
        Route(method: .patch, path: "/api/v1/institutions/\(DemoWorld.Institutions.pharmacies[2].text)",
              body: ["name": "天一堂大药房（新址）"], allowed: [.operator]),
        Route(method: .get, path: "/api/v1/accounts", allowed: [.operator]),
        Route(method: .get, path: "/api/v1/accounts/\(Demo.accountId(Demo.doctorPhone).text)", allowed: [.operator, .doctor]),
        Route(method: .post, path: "/api/v1/accounts",
              body: ["role": "courier", "phone": "13700000099", "password": "courier pass 1", "displayName": "新骑手",
                     "institutionId": DemoWorld.Institutions.pharmacies[0].text], allowed: [.operator]),
        Route(method: .get, path: "/api/v1/audit", allowed: [.regulator]),
        Route(method: .get, path: "/api/v1/patients/\(patientRecord.text)", allowed: [.patient]),
        Route(method: .patch, path: "/api/v1/patients/\(patientRecord.text)", body: ["address": "衢州市柯城区荷花路1号"],
              allowed: [.patient]),
        Route(method: .get, path: "/api/v1/patients/\(patientRecord.text)/family", allowed: [.patient]),
        Route(method: .post, path: "/api/v1/patients/\(patientRecord.text)/allergies",
              body: ["substance": "花粉", "severity": "mild"], allowed: [.patient]),
        Route(method: .post, path: "/api/v1/patients/\(patientRecord.text)/conditions",
              body: ["icd10": "J30.1", "name": "花粉症"], allowed: [.patient]),
        Route(method: .post, path: "/api/v1/patients/\(patientRecord.text)/family",
              body: ["realName": "刘小川", "nationalId": aNationalIDText(born: 2022, sequence: 71), "relationship": "child"],
              allowed: [.patient]),
        // Deleting something that is not there: a 404 for the owner, a 403 for everyone else.
        Route(method: .delete, path: "/api/v1/patients/\(patientRecord.text)/allergies/\(UUID().uuidString)", allowed: [.patient]),
        Route(method: .delete, path: "/api/v1/patients/\(patientRecord.text)/conditions/\(UUID().uuidString)", allowed: [.patient]),
        Route(method: .delete, path: "/api/v1/patients/\(patientRecord.text)/family/\(UUID().uuidString)", allowed: [.patient]),
        Route(method: .post, path: "/api/v1/auth/sign-out", allowed: everyone),
    ]

    @Test("each role is allowed exactly where the access rules say, and every denial is audited", arguments: Role.allCases)
    func access(role: Role) async throws {
        try await withApp { app in
            let token = try await app.signIn(Demo.phoneByRole[role]!)
            for route in Self.routes {
                let reply = try await app.send(route.method, route.path, token: token, json: route.body)
                if route.allowed.contains(role) {
                    let expected: Set<Int> = route.method == .delete ? [404] : [200, 201, 204]
                    #expect(expected.contains(reply.status.code), "\(role) on \(route) got \(reply.status.code): \(reply.text)")
                } else {
                    #expect(reply.status == .forbidden, "\(role) on \(route) got \(reply.status.code)")
                    #expect(reply.errorCode == "forbidden")
                    #expect(reply.isStandardError)
                }
            }
            let denials = try await AuditStore(database: app.database).list(AuditFilter(actorAccountId: Demo.accountId(Demo.phoneByRole[role]!), limit: 100))
                .items.filter { $0.outcome == .denied }
            #expect(denials.count == Self.routes.filter { !$0.allowed.contains(role) }.count)
        }
    }

    @Test("a patient is refused another patient's record, and a guardian reaches their child's")
    func patientBoundaries() async throws {
        try await withApp { app in
            let token = try await app.signIn(Demo.patientPhone)
            let other = Demo.patientId(Demo.otherPatientPhone)
            let denied = try await app.send(.get, "/api/v1/patients/\(other.text)", token: token)
            #expect(denied.status == .forbidden)
            let unknown = try await app.send(.get, "/api/v1/patients/\(UUID().uuidString)", token: token)
            #expect(unknown.status == .forbidden)

            let family = try await app.send(.get, "/api/v1/patients/\(Demo.patientId(Demo.patientPhone).text)/family", token: token)
            let child = try #require(family.items.first)
            #expect(child["relationship"] as? String == "child")
            #expect(child["isMinor"] as? Bool == true)
            let childId = try #require(child["patientId"] as? String)
            let childProfile = try await app.send(.get, "/api/v1/patients/\(childId)", token: token)
            #expect(childProfile.status == .ok)
            #expect((childProfile.json["age"] as? Int).map { $0 < 6 } == true)

            let otherParent = try await app.signIn(Demo.otherPatientPhone)
            #expect(try await app.send(.get, "/api/v1/patients/\(childId)", token: otherParent).status == .forbidden)
            #expect(try await app.auditCount(action: "patient.read", outcome: .denied) == 3)
        }
    }

    @Test("a guardian acts for a child but cannot add family members on the child's record")
    func guardianLimits() async throws {
        try await withApp { app in
            let token = try await app.signIn(Demo.patientPhone)
            let family = try await app.send(.get, "/api/v1/patients/\(Demo.patientId(Demo.patientPhone).text)/family", token: token)
            let childId = try #require(family.items.first?["patientId"] as? String)
            let allergy = try await app.send(.post, "/api/v1/patients/\(childId)/allergies", token: token,
                                             json: ["substance": "牛奶", "severity": "severe"])
            #expect(allergy.status == .created)
            let add = try await app.send(.post, "/api/v1/patients/\(childId)/family", token: token,
                                         json: ["realName": "某某", "nationalId": aNationalIDText(born: 2024, sequence: 61),
                                                "relationship": "child"])
            #expect(add.status == .forbidden)
        }
    }
}
