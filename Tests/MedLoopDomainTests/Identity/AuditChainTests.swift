import Foundation
import Testing
@testable import MedLoopDomain

/// A chain of `count` sealed entries numbered 1...count, each following the one before it.
private func aChain(of count: Int) -> [AuditEntry] {
    var entries: [AuditEntry] = []
    var previous = AuditChain.genesis
    for sequence in 1...count {
        let entry = AuditChain.seal(AuditEntry(
            sequence: Int64(sequence), at: Date(timeIntervalSince1970: 1_772_425_800 + Double(sequence) * 60),
            actorAccountId: UUID.named("account:\(sequence)"), actorRole: .doctor, action: "patient.read",
            resourceType: "patient", resourceId: "resource-\(sequence)", patientId: UUID.named("patient:\(sequence)"),
            outcome: .success, clientAddress: "10.0.0.\(sequence)", requestId: "request-\(sequence)",
            previousHash: previous))
        entries.append(entry)
        previous = entry.hash
    }
    return entries
}

/// One way of changing a stored entry after the fact.
enum AuditEdit: String, CaseIterable, Sendable {
    case at, atByAMillisecond, actorAccountId, actorAccountIdRemoved, actorRole, actorRoleRemoved, action,
         resourceType, resourceId, resourceIdRemoved, patientId, patientIdRemoved, outcome, clientAddress,
         clientAddressRemoved, requestId, requestIdRemoved, previousHash, sealedHash

    func apply(to entry: inout AuditEntry) {
        switch self {
        case .at: entry.at = entry.at.addingTimeInterval(3600)
        case .atByAMillisecond: entry.at = entry.at.addingTimeInterval(0.001)
        case .actorAccountId: entry.actorAccountId = UUID.named("account:someone-else")
        case .actorAccountIdRemoved: entry.actorAccountId = nil
        case .actorRole: entry.actorRole = .`operator`
        case .actorRoleRemoved: entry.actorRole = nil
        case .action: entry.action = "patient.update"
        case .resourceType: entry.resourceType = "account"
        case .resourceId: entry.resourceId = "resource-99"
        case .resourceIdRemoved: entry.resourceId = nil
        case .patientId: entry.patientId = UUID.named("patient:someone-else")
        case .patientIdRemoved: entry.patientId = nil
        case .outcome: entry.outcome = .denied
        case .clientAddress: entry.clientAddress = "192.168.1.1"
        case .clientAddressRemoved: entry.clientAddress = nil
        case .requestId: entry.requestId = "request-99"
        case .requestIdRemoved: entry.requestId = nil
        case .previousHash: entry.previousHash = String(repeating: "f", count: 64)
        case .sealedHash: entry.hash = String(repeating: "a", count: 64)
        }
    }
}

struct AuditChainTests {
    /// Edits of what an entry records, as opposed to the links (previousHash, hash) themselves.
    static let contentEdits = AuditEdit.allCases.filter { $0 != .previousHash && $0 != .sealedHash }

    @Test("a chain of sealed entries, each after the hash of the one before, is unbroken")
    func unbroken() {
        let chain = aChain(of: 6)
        #expect(AuditChain.firstBreak(in: chain) == nil)
        #expect(AuditChain.firstBreak(in: []) == nil)
    }

    @Test("a seal is a 64-character lower-case SHA-256 hex digest that does not depend on the old hash")
    func sealShape() {
        let chain = aChain(of: 3)
        for entry in chain {
            let isHex = entry.hash.allSatisfy { "0123456789abcdef".contains($0) }
            #expect(entry.hash.count == 64)
            #expect(isHex)
            #expect(AuditChain.hash(of: entry) == entry.hash)
            #expect(AuditChain.seal(entry) == entry)
        }
        var stale = chain[1]
        stale.hash = "not a hash"
        #expect(AuditChain.seal(stale) == chain[1])
        let hashes = Set(chain.map(\.hash))
        #expect(hashes.count == 3)
        #expect(chain[0].previousHash == AuditChain.genesis)
        #expect(AuditChain.genesis == String(repeating: "0", count: 64))
    }

    @Test("a later part of the chain checks after the hash of the entry before it, not after genesis")
    func suffix() {
        let chain = aChain(of: 6)
        let tail = Array(chain[3...])
        #expect(AuditChain.firstBreak(in: tail, after: chain[2].hash) == nil)
        #expect(AuditChain.firstBreak(in: tail) == 4)
        #expect(AuditChain.firstBreak(in: tail, after: chain[1].hash) == 4)
    }

    @Test("editing any field of a middle entry breaks the chain at that entry", arguments: AuditEdit.allCases)
    func editedField(edit: AuditEdit) {
        var chain = aChain(of: 5)
        edit.apply(to: &chain[2])
        #expect(AuditChain.firstBreak(in: chain) == 3)
    }

    @Test("re-sealing an edited entry still breaks the chain at the entry after it", arguments: Self.contentEdits)
    func editedAndResealed(edit: AuditEdit) {
        var chain = aChain(of: 5)
        edit.apply(to: &chain[2])
        chain[2] = AuditChain.seal(chain[2])
        #expect(AuditChain.firstBreak(in: chain) == 4)
    }

    @Test("removing an entry breaks the chain at the position it left empty", arguments: [2, 3, 4, 5])
    func removed(sequence: Int) {
        var chain = aChain(of: 5)
        chain.remove(at: sequence - 1)
        #expect(AuditChain.firstBreak(in: chain) == (sequence == 5 ? nil : Int64(sequence)))
    }

    @Test("removing the first entry breaks the chain at the entry that followed it")
    func removedFirst() {
        var chain = aChain(of: 5)
        chain.removeFirst()
        #expect(AuditChain.firstBreak(in: chain) == 2)
    }

    @Test("swapping two entries breaks the chain where the order changes")
    func swapped() {
        var chain = aChain(of: 5)
        chain.swapAt(1, 2)
        #expect(AuditChain.firstBreak(in: chain) == 2)
    }

    @Test("a forged entry slipped in after entry 2, even correctly sealed, breaks the chain at entry 3")
    func inserted() {
        var chain = aChain(of: 5)
        var forged = chain[1]
        forged.action = "patient.delete"
        forged.previousHash = chain[1].hash
        chain.insert(AuditChain.seal(forged), at: 2)
        #expect(AuditChain.firstBreak(in: chain) == 3)
    }

    @Test("renumbering an entry breaks the chain there, reported at the position it should have")
    func renumbered() {
        var chain = aChain(of: 5)
        chain[2].sequence = 99
        #expect(AuditChain.firstBreak(in: chain) == 3)
    }
}
