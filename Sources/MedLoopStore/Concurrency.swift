import Synchronization

/// A first-come-first-served lock for async code: holders may suspend while holding it.
final class AsyncLock: Sendable {
    private struct State {
        var isLocked = false
        var waiters: [CheckedContinuation<Void, Never>] = []
    }

    private let state = Mutex(State())

    func lock() async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let acquired = state.withLock { state -> Bool in
                if state.isLocked {
                    state.waiters.append(continuation)
                    return false
                }
                state.isLocked = true
                return true
            }
            if acquired { continuation.resume() }
        }
    }

    func unlock() {
        let next = state.withLock { state -> CheckedContinuation<Void, Never>? in
            if state.waiters.isEmpty {
                state.isLocked = false
                return nil
            }
            return state.waiters.removeFirst()
        }
        next?.resume()
    }
}

/// A counter shared between tasks (round-robin choices).
final class AtomicCounter: Sendable {
    private let value = Atomic<Int>(0)

    func next() -> Int {
        value.wrappingAdd(1, ordering: .relaxed).oldValue & Int.max
    }
}

/// Callbacks to run when something happens (a commit), registered and removed by id.
final class Observers: Sendable {
    private let handlers = Mutex<[Int: @Sendable () -> Void]>([:])
    private let nextId = AtomicCounter()

    func add(_ handler: @escaping @Sendable () -> Void) -> Int {
        let id = nextId.next()
        handlers.withLock { $0[id] = handler }
        return id
    }

    func remove(_ id: Int) {
        _ = handlers.withLock { $0.removeValue(forKey: id) }
    }

    func notify() {
        for handler in handlers.withLock({ Array($0.values) }) { handler() }
    }
}
