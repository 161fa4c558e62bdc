import Foundation
import PropertyBased
import Testing
@testable import MedLoopDomain

@Suite("Attempt throttle: growing delays instead of a lock-out")
struct AttemptThrottleTests {
    static let start = Date(timeIntervalSince1970: 1_780_000_000)

    /// Counted attempts of the phone-at-address scope (5 free, at most 15 minutes) → the delay.
    @Test("delays after n attempts at one address: none for five, then 1, 2, 4 … seconds, at most 15 minutes",
          arguments: [(0, 0.0), (4, 0), (5, 1), (6, 2), (7, 4), (10, 32), (14, 512), (15, 900), (40, 900), (10_000, 900)])
    func delayTable(attempts: Int, seconds: TimeInterval) {
        #expect(AttemptThrottle.delay(afterAttempts: attempts, limit: ThrottleScope.phoneAtAddress.limit) == seconds)
    }

    @Test("each scope's limits, written out")
    func limits() {
        #expect(ThrottleScope.phoneAtAddress.limit == ThrottleLimit(freeAttempts: 5, maximumDelay: 900))
        #expect(ThrottleScope.address.limit == ThrottleLimit(freeAttempts: 20, maximumDelay: 900))
        #expect(ThrottleScope.phone.limit == ThrottleLimit(freeAttempts: 50, maximumDelay: 300))
        #expect(ThrottleScope.signUpAddress.limit == ThrottleLimit(freeAttempts: 10, maximumDelay: 3600))
    }

    @Test("five failures at one address make the sixth attempt wait one second, then it may go")
    func sixthWaits() {
        var count = AttemptCount.none
        for second in 0..<5 {
            let now = Self.start.addingTimeInterval(TimeInterval(second))
            #expect(AttemptThrottle.check([.phoneAtAddress: count], now: now) == .allowed)
            count = AttemptThrottle.counting(count, at: now)
        }
        #expect(count == AttemptCount(attempts: 5, lastAttemptAt: Self.start.addingTimeInterval(4)))
        #expect(AttemptThrottle.check([.phoneAtAddress: count], now: Self.start.addingTimeInterval(4)) == .wait(seconds: 1))
        #expect(AttemptThrottle.check([.phoneAtAddress: count], now: Self.start.addingTimeInterval(4.5)) == .wait(seconds: 1))
        #expect(AttemptThrottle.check([.phoneAtAddress: count], now: Self.start.addingTimeInterval(5)) == .allowed)
    }

    @Test("within the free attempts an attempt never waits, even when a racing one was counted an instant after it")
    func racingFreeAttempts() {
        let later = AttemptCount(attempts: 3, lastAttemptAt: Self.start.addingTimeInterval(0.004))
        #expect(AttemptThrottle.check([.address: later, .phoneAtAddress: later], now: Self.start) == .allowed)
        let over = AttemptCount(attempts: 25, lastAttemptAt: Self.start.addingTimeInterval(0.004))
        #expect(AttemptThrottle.check([.address: over], now: Self.start) != .allowed)
    }

    @Test("the longest wait of the scopes wins")
    func longestWaitWins() {
        let now = Self.start
        let counts: [ThrottleScope: AttemptCount] = [
            .phoneAtAddress: AttemptCount(attempts: 6, lastAttemptAt: now),  // 2 s
            .address: AttemptCount(attempts: 23, lastAttemptAt: now),  // 8 s
            .phone: AttemptCount(attempts: 3, lastAttemptAt: now),  // free
        ]
        #expect(AttemptThrottle.check(counts, now: now) == .wait(seconds: 8))
    }

    @Test("a key quiet for 15 minutes starts again from zero; one quiet for less does not")
    func quietPeriod() {
        let count = AttemptCount(attempts: 12, lastAttemptAt: Self.start)
        #expect(AttemptThrottle.current(count, now: Self.start.addingTimeInterval(899)) == count)
        #expect(AttemptThrottle.current(count, now: Self.start.addingTimeInterval(900)) == .none)
        #expect(AttemptThrottle.counting(count, at: Self.start.addingTimeInterval(901))
                == AttemptCount(attempts: 1, lastAttemptAt: Self.start.addingTimeInterval(901)))
    }

    @Test("forgiving takes one attempt back and never goes below zero")
    func forgiving() {
        #expect(AttemptThrottle.forgiving(AttemptCount(attempts: 3, lastAttemptAt: Self.start))
                == AttemptCount(attempts: 2, lastAttemptAt: Self.start))
        #expect(AttemptThrottle.forgiving(AttemptCount(attempts: 1, lastAttemptAt: Self.start)) == .none)
        #expect(AttemptThrottle.forgiving(.none) == .none)
    }

    @Test("delays never shrink as attempts grow, and never exceed the scope's maximum")
    func delaysAreMonotonicAndCapped() async {
        await propertyCheck(input: Gen<ThrottleScope>.case, Gen.int(in: 0...1_000_000)) { scope, attempts in
            let delay = AttemptThrottle.delay(afterAttempts: attempts, limit: scope.limit)
            let next = AttemptThrottle.delay(afterAttempts: attempts + 1, limit: scope.limit)
            #expect(delay <= next)
            #expect(delay >= 0 && delay <= scope.limit.maximumDelay)
            #expect((delay == 0) == (attempts < scope.limit.freeAttempts))
        }
    }

    @Test("however attempts arrive, no more than the free ones pass without a wait between them")
    func burstsAreBounded() async {
        await propertyCheck(input: Gen<ThrottleScope>.case, Gen.int(in: 1...200)) { scope, burst in
            // A burst at one instant: every attempt the check allows is counted before the next.
            var count = AttemptCount.none
            var allowed = 0
            for _ in 0..<burst where AttemptThrottle.check([scope: count], now: Self.start) == .allowed {
                count = AttemptThrottle.counting(count, at: Self.start)
                allowed += 1
            }
            #expect(allowed == min(burst, scope.limit.freeAttempts))
        }
    }
}
