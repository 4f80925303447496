import ArgumentParser
import Foundation
import TalentCore
import TalentGateway

/// `talentctl token --unit USCC`: mints a development identity token (ES256) with the local key.
struct Token: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Mint a development identity token (creates the local key pair on first use).")

    @Option(help: "The unit's unified social credit code.")
    var unit: String

    @Option(help: "The unit's name.")
    var name: String?

    @Option(help: "Login method: \(LoginMethod.allCases.map(\.rawValue).joined(separator: ", ")).")
    var method: String = LoginMethod.certificate.rawValue

    @Option(help: "Lifetime in seconds.")
    var lifetime: Int = 3600

    func run() async throws {
        guard let loginMethod = LoginMethod(rawValue: method) else { throw ValidationError("unknown login method") }
        let issuer = try await DevelopmentIssuer.local()
        print(
            try await issuer.mint(
                unit: unit, unitName: name, loginMethod: loginMethod, lifetime: TimeInterval(lifetime)))
    }
}

extension DevelopmentIssuer {
    /// The issuer whose key pair is at `TALENT_JWT_PRIVATE_KEY` / `TALENT_JWT_PUBLIC_KEY`
    /// (defaults `.local/keys/issuer-{private,public}.pem`).
    static func local() async throws -> DevelopmentIssuer {
        let env = ProcessInfo.processInfo.environment
        return try await DevelopmentIssuer(
            privateKeyPath: env["TALENT_JWT_PRIVATE_KEY"] ?? ".local/keys/issuer-private.pem",
            publicKeyPath: env["TALENT_JWT_PUBLIC_KEY"] ?? ".local/keys/issuer-public.pem")
    }
}

/// `talentctl dev-keys`: creates the development issuer's key pair if missing and prints its paths.
struct DevKeys: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "dev-keys", abstract: "Create the development issuer's ES256 key pair if it is missing.")

    func run() async throws {
        _ = try await DevelopmentIssuer.local()
        let env = ProcessInfo.processInfo.environment
        print("private\t\(env["TALENT_JWT_PRIVATE_KEY"] ?? ".local/keys/issuer-private.pem")")
        print("public\t\(env["TALENT_JWT_PUBLIC_KEY"] ?? ".local/keys/issuer-public.pem")")
    }
}
