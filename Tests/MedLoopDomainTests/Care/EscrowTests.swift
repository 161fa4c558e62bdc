import Foundation
import PropertyBased
import Testing
@testable import MedLoopDomain

@Suite("Escrow: what is held for an order in each state")
struct EscrowTests {
    @Test("a 6510 fen order: held while paid or in service, nothing before payment or after it ends",
          arguments: [(OrderState.created, Int64(0)), (.paid, 6510), (.inService, 6510), (.completed, 0), (.cancelled, 0),
                      (.refunded, 0)])
    func table(state: OrderState, held: Int64) {
        #expect(Escrow.heldFen(for: state, priceFen: 6510) == held)
    }

    @Test("every legal move of an order changes escrow by a payment in, or a release out, of the whole price")
    func movesMoveTheWholePrice() async {
        await propertyCheck(input: Gen<OrderState>.case, Gen<OrderEvent>.case, Gen.int64(in: 0...10_000_000)) { state, event, price in
            guard let next = try? state.after(event) else { return }
            let change = Escrow.heldFen(for: next, priceFen: price) - Escrow.heldFen(for: state, priceFen: price)
            #expect([0, price, -price].contains(change))
        }
    }
}
