import Foundation
import HTTPTypes
import Hummingbird
import JobQueue
import TalentCore

/// `Prefer: wait=N` (RFC 7240 §4.3) on the operations that accept a job: the caller would rather wait
/// up to N seconds (at most ``maximumSeconds``) for the job's outcome than poll for it. When the job
/// finishes in time the answer is `200` with the finished job (and, for an upload, the verdict) and
/// `Preference-Applied: wait=N`; otherwise it is the usual `202` with the queued job. The job is
/// accepted either way before the wait starts: a caller that gives up loses nothing.
struct PreferWait: Sendable {
    /// The longest wait honoured, in seconds; a larger `wait` is shortened to it.
    static let maximumSeconds = 10

    let jobs: JobStore

    static let prefer = HTTPField.Name("Prefer")!
    static let preferenceApplied = HTTPField.Name("Preference-Applied")!

    /// The seconds the request prefers to wait (capped), or `nil` without a `wait` preference.
    static func seconds(_ request: Request) -> Int? {
        // RFC 7240 §2: preferences are comma-separated; each is `token [= value] *( ";" parameter )`,
        // the value a token or a quoted string.
        for value in request.headers[values: prefer] {
            for preference in value.split(separator: ",") {
                let head = preference.split(separator: ";", maxSplits: 1).first ?? ""
                let parts = head.split(separator: "=", maxSplits: 1).map { $0.trimmingCharacters(in: .whitespaces) }
                guard parts.count == 2, parts[0].lowercased() == "wait" else { continue }
                let text =
                    parts[1].hasPrefix("\"") && parts[1].hasSuffix("\"") && parts[1].count >= 2
                    ? String(parts[1].dropFirst().dropLast()) : parts[1]
                guard let seconds = Int(text), seconds >= 0 else { continue }
                return min(seconds, maximumSeconds)
            }
        }
        return nil
    }

    /// The job once it is no longer `queued`, polling its row (10 ms, doubling to 250 ms), or `nil`
    /// when `seconds` pass first.
    func finished(_ id: UUID, within seconds: Int) async -> JobRecord? {
        let deadline = ContinuousClock.now.advanced(by: .seconds(seconds))
        var pause = Duration.milliseconds(10)
        while ContinuousClock.now < deadline, !Task.isCancelled {
            if let job = try? await jobs.job(id: id), job.status != .queued { return job }
            try? await Task.sleep(for: min(pause, ContinuousClock.now.duration(to: deadline)))
            pause = min(pause * 2, .milliseconds(250))
        }
        return nil
    }

    /// The `200` of a finished job: the accepted answer's `Location`, `Preference-Applied`.
    static func applied(_ seconds: Int, status: HTTPResponse.Status, rawJSON: String, headers accepted: HTTPFields)
        -> Response
    {
        var headers = HTTPFields()
        headers[.location] = accepted[.location]
        headers[preferenceApplied] = "wait=\(seconds)"
        return JSONResponse.make(status: status, rawJSON: rawJSON, headers: headers)
    }
}
