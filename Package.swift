// swift-tools-version:6.1
import PackageDescription

let strict: [SwiftSetting] = [
    .swiftLanguageMode(.v6),
    .enableUpcomingFeature("ExistentialAny"),
]

let package = Package(
    name: "talent-platform",
    platforms: [.macOS(.v14)],
    products: [
        .executable(name: "talent-gateway", targets: ["talent-gateway"]),
        .executable(name: "talent-worker", targets: ["talent-worker"]),
        .executable(name: "talent-inspect", targets: ["talent-inspect"]),
        .executable(name: "talentctl", targets: ["talentctl"]),
    ],
    dependencies: [
        .package(url: "https://github.com/hummingbird-project/hummingbird.git", from: "2.28.1"),
        .package(url: "https://github.com/vapor/jwt-kit.git", from: "5.7.1"),
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-crypto.git", from: "4.5.2"),
        .package(url: "https://github.com/apple/swift-http-types.git", from: "1.8.0"),
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.3"),
        .package(url: "https://github.com/apple/swift-nio-extras.git", from: "1.35.2"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle.git", from: "2.13.0"),
        .package(url: "https://github.com/apple/swift-configuration.git", from: "1.4.0"),
        .package(url: "https://github.com/apple/swift-metrics.git", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus.git", from: "2.4.1"),
        .package(url: "https://github.com/swift-server/async-http-client.git", from: "1.37.0"),
    ],
    targets: [
        // C layer: system libraries from Debian -dev packages, with thin shims.
        .systemLibrary(
            name: "CRabbitMQ", path: "Sources/C/CRabbitMQ", pkgConfig: "librabbitmq",
            providers: [.apt(["librabbitmq-dev"])]),
        .systemLibrary(
            name: "CLibPQ", path: "Sources/C/CLibPQ", pkgConfig: "libpq", providers: [.apt(["libpq-dev"])]),
        .systemLibrary(
            name: "CMagic", path: "Sources/C/CMagic", pkgConfig: "libmagic", providers: [.apt(["libmagic-dev"])]),
        .systemLibrary(
            name: "CPNG", path: "Sources/C/CPNG", pkgConfig: "libpng16", providers: [.apt(["libpng-dev"])]),
        .systemLibrary(
            name: "CTurboJPEG", path: "Sources/C/CTurboJPEG", pkgConfig: "libturbojpeg",
            providers: [.apt(["libturbojpeg0-dev"])]),
        .systemLibrary(name: "CSpawn", path: "Sources/C/CSpawn"),
        .systemLibrary(
            name: "CQPDF", path: "Sources/C/CQPDF", pkgConfig: "libqpdf", providers: [.apt(["libqpdf-dev"])]),

        // Clients: Swift wrappers that never leak C types.
        .target(
            name: "AMQPClient",
            dependencies: [
                "CRabbitMQ", .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            path: "Sources/Clients/AMQPClient", swiftSettings: strict),
        .target(
            name: "PostgresClient",
            dependencies: [
                "CLibPQ", .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            path: "Sources/Clients/PostgresClient", swiftSettings: strict),

        // Domain core: no I/O.
        .target(name: "TalentCore", path: "Sources/Domain/TalentCore", swiftSettings: strict),

        // Format checks, run inside a contained child process (talent-inspect).
        .target(
            name: "AttachmentInspection",
            dependencies: [
                "CMagic", "CPNG", "CTurboJPEG", "CQPDF", "CSpawn", "TalentCore",
                .product(name: "Metrics", package: "swift-metrics"),
            ],
            path: "Sources/Inspection/AttachmentInspection", swiftSettings: strict),

        // Storage: all SQL lives here.
        .target(
            name: "TalentStore",
            dependencies: [
                "PostgresClient", "TalentCore", "TalentAPI", .product(name: "Crypto", package: "swift-crypto"),
            ],
            path: "Sources/Storage/TalentStore", swiftSettings: strict),

        // Jobs: one owner of a job's life. JobQueue: topology, all job SQL, producer face (outbox row in
        // the caller's transaction, confirmed publish, relay) and operator actions on parked messages.
        .target(
            name: "JobQueue",
            dependencies: [
                "AMQPClient", "PostgresClient", "TalentCore", .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Metrics", package: "swift-metrics"),
            ],
            path: "Sources/Jobs/JobQueue", swiftSettings: strict),
        // JobWorker: the consumer face (consume, batch, settle, retry tiers, park, time limit, drain).
        .target(
            name: "JobWorker",
            dependencies: [
                "JobQueue", "AMQPClient", "PostgresClient", "TalentCore",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Metrics", package: "swift-metrics"),
            ],
            path: "Sources/Jobs/JobWorker", swiftSettings: strict),

        // Metrics exposition (Prometheus text format, with HELP) and the workers' health and metrics server.
        .target(
            name: "TalentObservability",
            dependencies: [
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "Hummingbird", package: "hummingbird"), .product(name: "Logging", package: "swift-log"),
            ],
            path: "Sources/Runtime/TalentObservability", swiftSettings: strict),

        // Service settings read from the environment, in one place, for every executable.
        .target(
            name: "ServiceConfiguration",
            dependencies: [
                "AMQPClient", "PostgresClient", "TalentCore", .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Configuration", package: "swift-configuration"),
            ],
            path: "Sources/Runtime/ServiceConfiguration", swiftSettings: strict),

        // Handlers: one per job kind.
        .target(
            name: "TalentJobs",
            dependencies: [
                "JobWorker", "TalentStore", "TalentCore", "AttachmentInspection", "PostgresClient",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            path: "Sources/Runtime/TalentJobs", swiftSettings: strict),

        // The HTTP API's wire types (request and response bodies): shared by gateway, client and store reads.
        .target(
            name: "TalentAPI", dependencies: ["TalentCore"], path: "Sources/Gateway/TalentAPI", swiftSettings: strict),

        // Gateway: HTTP surface.
        .target(
            name: "TalentGateway",
            dependencies: [
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "JWTKit", package: "jwt-kit"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "NIOCore", package: "swift-nio"), .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTPTypes", package: "swift-nio-extras"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Logging", package: "swift-log"), .product(name: "Metrics", package: "swift-metrics"),
                "TalentStore", "TalentAPI", "JobQueue", "AMQPClient", "PostgresClient", "TalentCore",
                "TalentObservability",
            ],
            path: "Sources/Gateway/TalentGateway", swiftSettings: strict),

        // HTTP client of the gateway's API, for the operator CLI and tests.
        .target(
            name: "TalentClient", dependencies: ["TalentCore", "TalentAPI"],
            path: "Sources/Gateway/TalentClient", swiftSettings: strict),

        // The benchmark's pieces (raw ceilings, decision backlogs); `scripts/bench.sh` runs them.
        .target(
            name: "TalentBench",
            dependencies: [
                "AMQPClient", "PostgresClient", "JobQueue", "JobWorker", "TalentStore", "TalentClient", "TalentCore",
            ],
            path: "Sources/Tools/TalentBench", swiftSettings: strict),

        // Executables: thin mains.
        .executableTarget(
            name: "talent-gateway",
            dependencies: [
                "TalentGateway", "ServiceConfiguration", "JobQueue", "AMQPClient", "PostgresClient", "TalentCore",
                "TalentObservability",
                .product(name: "Hummingbird", package: "hummingbird"), .product(name: "Logging", package: "swift-log"),
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            path: "Sources/Executables/talent-gateway", swiftSettings: strict),
        .executableTarget(
            name: "talent-worker",
            dependencies: [
                "TalentJobs", "JobQueue", "JobWorker", "ServiceConfiguration", "AMQPClient", "PostgresClient",
                "TalentCore", "TalentStore", "AttachmentInspection", "TalentObservability",
                .product(name: "Logging", package: "swift-log"), .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            path: "Sources/Executables/talent-worker", swiftSettings: strict),
        .executableTarget(
            name: "talent-inspect", dependencies: ["AttachmentInspection"],
            path: "Sources/Executables/talent-inspect", swiftSettings: strict),
        .executableTarget(
            name: "talentctl",
            dependencies: [
                "TalentStore", "TalentAPI", "JobQueue", "TalentGateway", "AttachmentInspection", "ServiceConfiguration",
                "TalentClient", "TalentBench", "AMQPClient", "PostgresClient", "TalentCore",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Hummingbird", package: "hummingbird"), .product(name: "NIOPosix", package: "swift-nio"),
            ],
            path: "Sources/Executables/talentctl", swiftSettings: strict),

        // Test support and tests.
        .target(
            name: "TalentTestSupport",
            dependencies: [
                "TalentCore", "TalentStore", "TalentAPI", "AMQPClient", "PostgresClient", "ServiceConfiguration",
                "TalentClient",
                "TalentGateway", "JobQueue", "CSpawn",
            ],
            path: "Sources/Testing/TalentTestSupport", swiftSettings: strict),
        .testTarget(
            name: "TalentCoreTests", dependencies: ["TalentCore"], swiftSettings: strict),
        .testTarget(
            name: "PostgresClientTests", dependencies: ["PostgresClient", "TalentTestSupport"], swiftSettings: strict),
        .testTarget(
            name: "AMQPClientTests", dependencies: ["AMQPClient", "TalentTestSupport"], swiftSettings: strict),
        .testTarget(
            name: "ServiceConfigurationTests", dependencies: ["ServiceConfiguration", "AMQPClient"],
            swiftSettings: strict),
        .testTarget(
            name: "TalentGatewayTests",
            dependencies: [
                "TalentGateway", "TalentStore", "TalentTestSupport", "TalentCore", "AMQPClient", "PostgresClient",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdTesting", package: "hummingbird"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strict),
        .testTarget(
            name: "TalentStoreTests",
            dependencies: ["TalentStore", "PostgresClient", "TalentCore", "TalentTestSupport"], swiftSettings: strict),
        .testTarget(
            name: "JobQueueTests", dependencies: ["JobQueue", "AMQPClient", "TalentCore"], swiftSettings: strict),
        .testTarget(
            name: "JobWorkerTests",
            dependencies: ["JobWorker", "AMQPClient", "PostgresClient", "TalentCore", "TalentTestSupport"],
            swiftSettings: strict),
        .testTarget(
            name: "TalentObservabilityTests",
            dependencies: [
                "TalentObservability", .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdTesting", package: "hummingbird"),
                .product(name: "Metrics", package: "swift-metrics"),
            ],
            swiftSettings: strict),
        .testTarget(
            name: "AttachmentInspectionTests",
            dependencies: ["AttachmentInspection", "CTurboJPEG", "TalentTestSupport", "TalentClient", "TalentCore"],
            swiftSettings: strict),
        .testTarget(
            name: "FaultTests",
            dependencies: [
                "TalentTestSupport", "AMQPClient", "PostgresClient", "JobQueue", "TalentClient", "TalentCore",
                "TalentStore", "TalentAPI",
            ],
            swiftSettings: strict),
        .testTarget(
            name: "IntegrationTests",
            dependencies: [
                "TalentTestSupport", "TalentStore", "TalentAPI", "AMQPClient", "PostgresClient", "JobQueue",
                "JobWorker",
                "TalentJobs", .product(name: "Logging", package: "swift-log"),
                "TalentGateway", "TalentCore", "TalentClient",
            ],
            swiftSettings: strict),
    ]
)
