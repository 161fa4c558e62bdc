import Crypto
import Foundation

/// The digests MedLoop writes down as text: one way to spell them everywhere.
public enum Hashing {
    /// The SHA-256 digest of `data` as 64 lower-case hexadecimal digits.
    public static func sha256Hex(_ data: some DataProtocol) -> String {
        hex(SHA256.hash(data: data))
    }

    /// The SHA-256 digest of `text`'s UTF-8 bytes as 64 lower-case hexadecimal digits.
    public static func sha256Hex(_ text: String) -> String {
        sha256Hex(Data(text.utf8))
    }

    private static let digits = Array("0123456789abcdef".utf8)

    private static func hex(_ bytes: some Sequence<UInt8>) -> String {
        var text: [UInt8] = []
        text.reserveCapacity(64)
        for byte in bytes {
            text.append(digits[Int(byte >> 4)])
            text.append(digits[Int(byte & 0x0F)])
        }
        return String(decoding: text, as: UTF8.self)
    }
}
