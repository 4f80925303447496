import ArgumentParser
import Foundation
import Hummingbird
import NIOPosix
import TalentGateway

extension DevKeys {
    /// The development identity platform's JWKS over HTTP, as a real platform publishes it: a gateway
    /// with `TALENT_JWT_JWKS=http://127.0.0.1:PORT/.well-known/jwks.json` reads it from there.
    struct Serve: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Serve the unit issuer's JWKS on 127.0.0.1 (GET /.well-known/jwks.json) until interrupted.",
            discussion: "The file is read on every request, so a `dev-keys rotate` is served at once.")

        @Option(help: "Port on 127.0.0.1.") var port: Int = 58079

        func run() async throws {
            let path = try await DevelopmentIssuer.local().publicKeyPath
            let router = Router()
            router.get("/.well-known/jwks.json") { _, _ -> Response in
                // A blocking read: on NIO's thread pool, not the cooperative pool.
                let document = try await NIOThreadPool.singleton.runIfActive {
                    FileManager.default.contents(atPath: path)
                }
                guard let document else { return Response(status: .serviceUnavailable) }
                return Response(
                    status: .ok, headers: [.contentType: "application/jwk-set+json", .cacheControl: "no-store"],
                    body: .init(byteBuffer: ByteBuffer(bytes: document)))
            }
            let application = Application(
                router: router, configuration: .init(address: .hostname("127.0.0.1", port: port)),
                onServerRunning: { channel in
                    print(
                        "serving http://127.0.0.1:\(channel.localAddress?.port ?? port)/.well-known/jwks.json (\(path))"
                    )
                })
            try await application.runService()
        }
    }
}
