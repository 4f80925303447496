import ArgumentParser
import Foundation
import TalentCore
import TalentGateway

/// `talentctl token --unit USCC`: mints a development identity token (ES256) with the local key.
struct Token: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Mint a development identity token (creates the local key pair on first use).")

    @Option(help: "The unit's unified social credit code.")
    var unit: String?

    @Option(help: "Mint a service-to-service token for this service instead (e.g. personal-portal).")
    var service: String?

    @Option(help: "The service token's space-separated scopes (association_requests, notices).")
    var scope: String = "association_requests"

    @Option(help: "The unit's name.")
    var name: String?

    @Option(help: "Login method: \(LoginMethod.allCases.map(\.rawValue).joined(separator: ", ")).")
    var method: String = LoginMethod.certificate.rawValue

    @Option(help: "Lifetime in seconds.")
    var lifetime: Int = 3600

    func validate() throws { try UnitCodeOption.validate(unit) }

    func run() async throws {
        guard let loginMethod = LoginMethod(rawValue: method) else { throw ValidationError("unknown login method") }
        if let service {
            print(
                try await DevelopmentIssuer.localServices().mintService(
                    service: service, scope: scope, lifetime: TimeInterval(lifetime)))
            return
        }
        guard let unit else { throw ValidationError("--unit or --service is required") }
        let issuer = try await DevelopmentIssuer.local()
        print(
            try await issuer.mint(
                unit: unit, unitName: name, loginMethod: loginMethod, lifetime: TimeInterval(lifetime)))
    }
}

extension DevelopmentIssuer {
    /// The issuer whose signing key is at `TALENT_JWT_PRIVATE_KEY` (default
    /// `.local/keys/issuer-private.pem`) and whose key set is the file `TALENT_JWT_JWKS` (default
    /// `.local/keys/issuer-jwks.json`), named `TALENT_JWT_ISSUER` (default
    /// ``DevelopmentIssuer/defaultIssuer``, as `deploy/local/env.sh` sets it for the gateway).
    static func local() async throws -> DevelopmentIssuer {
        let env = ProcessInfo.processInfo.environment
        return try await DevelopmentIssuer(
            privateKeyPath: env["TALENT_JWT_PRIVATE_KEY"] ?? ".local/keys/issuer-private.pem",
            publicKeyPath: localKeySetPath, issuer: env["TALENT_JWT_ISSUER"] ?? defaultIssuer)
    }

    /// The development issuer's JWKS file.
    static var localKeySetPath: String {
        let path = ProcessInfo.processInfo.environment["TALENT_JWT_JWKS"] ?? ".local/keys/issuer-jwks.json"
        guard case .file(let file) = IdentityKeySource(path) else { return ".local/keys/issuer-jwks.json" }
        return file
    }
}

extension DevelopmentIssuer {
    /// The upstream services' development key pair at `TALENT_SERVICE_PRIVATE_KEY` /
    /// `TALENT_SERVICE_PUBLIC_KEY` (defaults `.local/keys/service-{private,public}.pem`).
    static func localServices() async throws -> DevelopmentIssuer {
        let env = ProcessInfo.processInfo.environment
        return try await DevelopmentIssuer(
            privateKeyPath: env["TALENT_SERVICE_PRIVATE_KEY"] ?? ".local/keys/service-private.pem",
            publicKeyPath: env["TALENT_SERVICE_PUBLIC_KEY"] ?? ".local/keys/service-public.pem",
            issuer: "personal-portal-dev")
    }
}

/// `talentctl dev-keys [create]`: creates the development issuers' keys if missing and prints their
/// paths; `talentctl dev-keys rotate`: replaces the unit issuer's signing key.
struct DevKeys: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "dev-keys",
        abstract: "The development issuers' ES256 keys (units: a JWKS; services: a PEM key pair).",
        subcommands: [Create.self, Rotate.self, Serve.self], defaultSubcommand: Create.self)

    struct Create: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Create the keys if missing; print their paths.")

        func run() async throws {
            let units = try await DevelopmentIssuer.local()
            let services = try await DevelopmentIssuer.localServices()
            print("private\t\(units.privateKeyPath)")
            print("jwks\t\(units.publicKeyPath)")
            print("kid\t\(units.keyId)")
            print("service-private\t\(services.privateKeyPath)")
            print("service-public\t\(services.publicKeyPath)")
        }
    }

    struct Rotate: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Replace the unit issuer's signing key; the JWKS publishes the new key.",
            discussion: """
                Without --keep-previous the old keys leave the JWKS: their tokens are refused \
                (token_unknown_key) once the gateway reloads the key set (TALENT_JWKS_REFRESH_SECONDS). \
                With it they stay published, so tokens already handed out keep working until the next \
                rotation without it.
                """)

        @Flag(help: "Keep the previous keys in the JWKS (an overlap for tokens already issued).")
        var keepPrevious = false

        func run() async throws {
            let before = try await DevelopmentIssuer.local()
            let after = try await before.rotate(keepPrevious: keepPrevious)
            print("rotated\t\(before.keyId) -> \(after.keyId)")
            print("published\t\(after.publishedKeyIds.joined(separator: " "))")
        }
    }

}
