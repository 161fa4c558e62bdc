import Testing
@testable import MedLoopApp

@Suite("The ICE servers of calls")
struct IceServerConfigurationTests {
    @Test("STUN and TURN servers with their credentials are taken", arguments: [
        #"[]"#,
        #"[{"urls":"stun:stun.example.org:3478"}]"#,
        #"[{"urls":["turn:turn.example.org:3478","turns:turn.example.org:5349"],"username":"u","credential":"p"}]"#,
    ])
    func accepted(text: String) throws {
        let configuration = try Configuration.fromEnvironment(["MEDLOOP_ICE_SERVERS": text])
        #expect(Configuration.iceServers(configuration.iceServers) == configuration.iceServers)
    }

    @Test("anything else stops the server with a message naming the variable", arguments: [
        "stun:stun.example.org", #"{"urls":"stun:x"}"#, #"[{"urls":"http://x"}]"#, #"[{"urls":[]}]"#,
        #"[{"urls":"turn:x","password":"p"}]"#, #"[{"urls":"turn:x","username":7}]"#,
    ])
    func refused(text: String) {
        let error = #expect(throws: ConfigurationError.self) { try Configuration.fromEnvironment(["MEDLOOP_ICE_SERVERS": text]) }
        #expect(error?.variable == "MEDLOOP_ICE_SERVERS")
    }
}
