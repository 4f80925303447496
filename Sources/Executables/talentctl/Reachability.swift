import ArgumentParser
import Foundation
import ServiceConfiguration

#if canImport(Glibc)
    import Glibc
#endif

/// A TCP connect with a deadline before a command uses a service, so that an unreachable one is named
/// (service, host, port, the system's reason) within seconds instead of retried for minutes.
enum Reachability {
    enum Service {
        case postgres, broker
        case gateway(URL)
    }

    /// Exits 78 when there are no settings at all (``LocalSystemSettings/requireSome()``), and 69
    /// (`EX_UNAVAILABLE`) with `talentctl: cannot reach … at host:port (reason)` when the
    /// service does not accept a TCP connection within `timeout`.
    static func require(_ service: Service, environment: ServiceEnvironment?, timeout: Duration = .seconds(3))
        async throws
    {
        LocalSystemSettings.requireSome()
        let (name, host, port, hint): (String, String, Int, String)
        switch service {
        case .postgres:
            guard let environment, let address = postgresAddress(environment.postgresConnInfo) else { return }
            (name, host, port, hint) = ("PostgreSQL", address.host, address.port, "deploy/local/services.sh start")
        case .broker:
            // One reachable node is enough; the connection moves on to the next one by itself.
            guard let environment, environment.amqpAddresses.count == 1, let node = environment.amqpAddresses.first
            else { return }
            (name, host, port, hint) = ("RabbitMQ", node.host, node.port, "deploy/local/services.sh start")
        case .gateway(let url):
            guard let urlHost = url.host else { return }
            (name, host, port, hint) = ("the gateway", urlHost, url.port ?? 80, "deploy/local/up.sh")
        }
        let problem = await withCheckedContinuation { (continuation: CheckedContinuation<String?, Never>) in
            let thread = Thread {
                continuation.resume(returning: connectProblem(host: host, port: port, timeout: timeout))
            }
            thread.name = "reachability"
            thread.start()
        }
        guard let problem else { return }
        // Without the local system's settings the defaults name other ports: say so.
        let unset = !ProcessInfo.processInfo.environment.keys.contains { $0.hasPrefix("TALENT_") }
        let settings =
            unset ? "; no TALENT_* settings are set: `source deploy/local/env.sh` for the local system" : ""
        FileHandle.standardError.write(
            Data(
                "talentctl: cannot reach \(name) at \(host):\(port) (\(problem)); is it running? (\(hint))\(settings)\n"
                    .utf8))
        throw ExitCode(69)
    }

    /// `host` and `port` of a libpq keyword/value connection string (defaults 127.0.0.1 and 5432);
    /// `nil` for a form this does not read (a URI), which is then not checked.
    static func postgresAddress(_ conninfo: String) -> (host: String, port: Int)? {
        guard !conninfo.contains("://") else { return nil }
        var host = "127.0.0.1"
        var port = 5432
        for pair in conninfo.split(separator: " ") {
            let parts = pair.split(separator: "=", maxSplits: 1).map(String.init)
            guard parts.count == 2 else { continue }
            if parts[0] == "host", !parts[1].hasPrefix("/") { host = parts[1] }
            if parts[0] == "port", let value = Int(parts[1]) { port = value }
        }
        return (host, port)
    }

    /// `nil` when `host:port` accepted a TCP connection within `timeout`, else the reason. Blocking:
    /// runs on its own thread.
    static func connectProblem(host: String, port: Int, timeout: Duration) -> String? {
        var hints = addrinfo()
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        var list: UnsafeMutablePointer<addrinfo>?
        let resolved = getaddrinfo(host, String(port), &hints, &list)
        guard resolved == 0, let first = list else {
            return "cannot resolve \(host): \(String(cString: gai_strerror(resolved)))"
        }
        defer { freeaddrinfo(list) }
        let descriptor = socket(first.pointee.ai_family, first.pointee.ai_socktype | Int32(SOCK_NONBLOCK.rawValue), 0)
        guard descriptor >= 0 else { return String(cString: strerror(errno)) }
        defer { close(descriptor) }
        if connect(descriptor, first.pointee.ai_addr, first.pointee.ai_addrlen) == 0 { return nil }
        guard errno == EINPROGRESS else { return String(cString: strerror(errno)) }
        var ready = pollfd(fd: descriptor, events: Int16(POLLOUT), revents: 0)
        let (seconds, attoseconds) = timeout.components
        let milliseconds = Int32(clamping: seconds * 1000 + attoseconds / 1_000_000_000_000_000)
        guard poll(&ready, 1, milliseconds) == 1 else { return "no answer within \(timeout)" }
        var error: Int32 = 0
        var length = socklen_t(MemoryLayout<Int32>.size)
        getsockopt(descriptor, SOL_SOCKET, SO_ERROR, &error, &length)
        return error == 0 ? nil : String(cString: strerror(error))
    }
}
