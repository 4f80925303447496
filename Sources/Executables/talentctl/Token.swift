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
                    service: service, lifetime: TimeInterval(lifetime)))
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
    /// The issuer whose key pair is at `TALENT_JWT_PRIVATE_KEY` / `TALENT_JWT_PUBLIC_KEY`
    /// (defaults `.local/keys/issuer-{private,public}.pem`), named `TALENT_JWT_ISSUER` (default
    /// ``DevelopmentIssuer/defaultIssuer``, as `deploy/local/env.sh` sets it for the gateway).
    static func local() async throws -> DevelopmentIssuer {
        let env = ProcessInfo.processInfo.environment
        return try await DevelopmentIssuer(
            privateKeyPath: env["TALENT_JWT_PRIVATE_KEY"] ?? ".local/keys/issuer-private.pem",
            publicKeyPath: env["TALENT_JWT_PUBLIC_KEY"] ?? ".local/keys/issuer-public.pem",
            issuer: env["TALENT_JWT_ISSUER"] ?? defaultIssuer)
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

/// `talentctl dev-keys`: creates the development issuer's key pair if missing and prints its paths.
struct DevKeys: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "dev-keys",
        abstract: "Create the development issuers' ES256 key pairs (units, services) if missing.")

    func run() async throws {
        _ = try await DevelopmentIssuer.local()
        _ = try await DevelopmentIssuer.localServices()
        let env = ProcessInfo.processInfo.environment
        print("private\t\(env["TALENT_JWT_PRIVATE_KEY"] ?? ".local/keys/issuer-private.pem")")
        print("public\t\(env["TALENT_JWT_PUBLIC_KEY"] ?? ".local/keys/issuer-public.pem")")
        print("service-private\t\(env["TALENT_SERVICE_PRIVATE_KEY"] ?? ".local/keys/service-private.pem")")
        print("service-public\t\(env["TALENT_SERVICE_PUBLIC_KEY"] ?? ".local/keys/service-public.pem")")
    }
}
