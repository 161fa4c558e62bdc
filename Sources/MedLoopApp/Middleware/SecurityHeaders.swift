import HTTPTypes

/// Headers on every response: no content sniffing, no referrer, never framed, a content policy
/// that allows only MedLoop's own scripts, styles and images; and `Cache-Control: no-store`
/// unless a route says otherwise (a public doctor photo), so that no personal or health data is
/// kept by a browser or a proxy.
enum SecurityHeaders {
    static let fields: HTTPFields = [
        .xContentTypeOptions: "nosniff",
        .referrerPolicy: "no-referrer",
        .xFrameOptions: "DENY",
        .contentSecurityPolicy: "default-src 'self'; img-src 'self' data: blob:; media-src 'self' blob:; "
            + "connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'",
    ]

    /// Adds the headers to a response, keeping a `Cache-Control` the route chose.
    static func apply(to headers: inout HTTPFields) {
        for field in fields where headers[field.name] == nil { headers.append(field) }
        if headers[.cacheControl] == nil { headers[.cacheControl] = "no-store" }
    }
}

extension HTTPField.Name {
    static let referrerPolicy = HTTPField.Name("Referrer-Policy")!
    static let xFrameOptions = HTTPField.Name("X-Frame-Options")!
}
