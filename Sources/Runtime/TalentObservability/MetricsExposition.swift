import Foundation
import Metrics
import Prometheus
import Synchronization

/// The process's metrics registry and its Prometheus text exposition (`GET /metrics`).
///
/// Modules record through swift-metrics (`Counter`, `Timer`, `Meter`); the first use of ``registry``
/// bootstraps swift-metrics with swift-prometheus's factory, so an executable touches it before it
/// creates anything that records (``bootstrap()``, first thing in `main`). Metric names follow
/// Prometheus conventions (`_total` counters, `_seconds` histograms in base units); Hummingbird's
/// HTTP metrics are renamed to them here. swift-metrics carries no help text: each module lists its
/// names with their help (`metricHelp`), and ``text(help:)`` writes `# HELP` lines from those lists.
public enum MetricsExposition {
    /// Histogram buckets of every duration, in seconds: 0.5 ms to 5 min (a job's time limit is up to
    /// 120 s; a request waiting out retry tiers reaches minutes).
    public static let durationBuckets: [Duration] = [
        .microseconds(500), .milliseconds(1), .milliseconds(2), .milliseconds(5), .milliseconds(10),
        .milliseconds(25), .milliseconds(50), .milliseconds(100), .milliseconds(250), .milliseconds(500),
        .seconds(1), .milliseconds(2500), .seconds(5), .seconds(10), .seconds(30), .seconds(60), .seconds(120),
        .seconds(300),
    ]

    /// Hummingbird's `MetricsMiddleware` names, renamed to Prometheus conventions.
    static let renamed: [String: String] = [
        "hb.requests": "http_server_requests_total",
        "hb.request.errors": "http_server_request_errors_total",
        "http.server.request.duration": "http_server_request_duration_seconds",
        "http.server.active_requests": "http_server_active_requests",
    ]

    /// Help of the HTTP server's metrics (Hummingbird's `MetricsMiddleware`, renamed). Labels:
    /// `http_route` (the route template, `NotFound` when none matched), `http_request_method`,
    /// `http_response_status_code`.
    public static let httpHelp: [String: String] = [
        "http_server_requests_total": "HTTP requests answered, by route, method and status.",
        "http_server_request_errors_total": "HTTP requests that ended in an error thrown by a handler.",
        "http_server_request_duration_seconds": "Time from receiving an HTTP request to writing its response.",
        "http_server_active_requests": "HTTP requests being handled now, by method.",
    ]

    /// Help of the process metrics written at each scrape (``ProcessMetrics``).
    public static let processHelp: [String: String] = [
        "process_cpu_seconds_total": "User and system CPU time this process has used, in seconds.",
        "process_resident_memory_bytes": "Resident memory of this process, in bytes.",
        "process_open_fds": "Open file descriptors of this process.",
        "process_start_time_seconds": "Start time of this process since the Unix epoch, in seconds.",
    ]

    /// The registry every swift-metrics handler of this process writes to.
    public static let registry: PrometheusCollectorRegistry = {
        let registry = PrometheusCollectorRegistry()
        var factory = PrometheusMetricsFactory(registry: registry)
        factory.defaultDurationHistogramBuckets = durationBuckets
        factory.nameAndLabelSanitizer = { name, labels in (renamed[name] ?? name, labels) }
        MetricsSystem.bootstrap(factory)
        return registry
    }()

    /// Bootstraps swift-metrics with the Prometheus registry (once per process; later calls do nothing).
    public static func bootstrap() {
        _ = registry
    }

    /// The exposition (text format 0.0.4) with a `# HELP` line before each family found in `help`.
    public static func text(help: [String: String]) -> String {
        ProcessMetrics.update()
        let emitted = String(decoding: registry.emitToBuffer(), as: UTF8.self)
        var output = ""
        output.reserveCapacity(emitted.utf8.count + help.count * 80)
        for line in emitted.split(separator: "\n", omittingEmptySubsequences: true) {
            if line.hasPrefix("# TYPE ") {
                let name = String(line.dropFirst(7).prefix { $0 != " " })
                if let text = help[name] ?? processHelp[name] {
                    output += "# HELP \(name) \(escapedHelp(text))\n"
                }
            }
            output += line
            output += "\n"
        }
        return output
    }

    /// One help table from the tables of the modules a process uses (a name in two keeps the first).
    public static func help(_ tables: [String: String]...) -> [String: String] {
        tables.reduce(into: [:]) { $0.merge($1) { first, _ in first } }
    }

    /// The content type of ``text(help:)``.
    public static let contentType = "text/plain; version=0.0.4; charset=utf-8"

    /// Help text with `\` and line feeds escaped (text format 0.0.4).
    static func escapedHelp(_ text: String) -> String {
        text.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\n", with: "\\n")
    }
}
