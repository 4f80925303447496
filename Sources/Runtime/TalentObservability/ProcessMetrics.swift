import Foundation
import Metrics
import Synchronization

/// The standard `process_*` metrics of this process (Linux `/proc/self`), written at each scrape.
enum ProcessMetrics {
    private static let lastCPUSeconds = Mutex<Double>(0)
    private static let clockTicks = Double(sysconf(Int32(_SC_CLK_TCK)))
    private static let pageSize = Double(sysconf(Int32(_SC_PAGESIZE)))

    static func update() {
        guard let stat = try? String(contentsOfFile: "/proc/self/stat", encoding: .utf8),
            let end = stat.lastIndex(of: ")")
        else { return }
        // Fields after the command name: state is 0, utime 11, stime 12, starttime 19, rss 21.
        let fields = stat[stat.index(after: end)...].split(separator: " ")
        guard fields.count > 21, let user = Double(fields[11]), let system = Double(fields[12]),
            let startTicks = Double(fields[19]), let residentPages = Double(fields[21])
        else { return }
        let cpu = (user + system) / clockTicks
        let delta = lastCPUSeconds.withLock { last -> Double in
            defer { last = max(last, cpu) }
            return max(cpu - last, 0)
        }
        FloatingPointCounter(label: "process_cpu_seconds_total").increment(by: delta)
        Gauge(label: "process_resident_memory_bytes").record(residentPages * pageSize)
        if let boot = bootTime {
            Gauge(label: "process_start_time_seconds").record(boot + startTicks / clockTicks)
        }
        if let descriptors = try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/fd") {
            Gauge(label: "process_open_fds").record(descriptors.count)
        }
    }

    /// System boot time since the Unix epoch (`btime` in `/proc/stat`).
    private static let bootTime: Double? = {
        guard let stat = try? String(contentsOfFile: "/proc/stat", encoding: .utf8) else { return nil }
        return stat.split(separator: "\n").first { $0.hasPrefix("btime ") }.flatMap { Double($0.dropFirst(6)) }
    }()
}
