import Foundation
import Testing
@testable import MedLoopDomain

@Suite("Hashing: SHA-256 written as lower-case hex")
struct HashingTests {
    @Test("the SHA-256 of a text is the published digest, in 64 lower-case hex digits",
          arguments: [
              ("", "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"),
              ("abc", "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"),
              ("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq",
               "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1"),
          ])
    func knownVectors(text: String, digest: String) {
        #expect(Hashing.sha256Hex(text) == digest)
        #expect(Hashing.sha256Hex(Data(text.utf8)) == digest)
        #expect(Hashing.sha256Hex(Array(text.utf8)) == digest)
    }

    @Test("a text is hashed as its UTF-8 bytes")
    func utf8() {
        let text = "复诊 follow-up"
        #expect(Hashing.sha256Hex(text) == Hashing.sha256Hex(Data(text.utf8)))
        #expect(Hashing.sha256Hex(text).count == 64)
        #expect(Hashing.sha256Hex(text).allSatisfy { "0123456789abcdef".contains($0) })
    }
}
