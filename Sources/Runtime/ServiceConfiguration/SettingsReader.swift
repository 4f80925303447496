import Configuration
import Foundation

/// A setting refused at start-up; the executable logs ``description`` and exits 78 (`EX_CONFIG`).
public struct SettingError: Error, Sendable, CustomStringConvertible {
    /// The environment variable, e.g. `TALENT_HTTP_PORT`.
    public var variable: String
    /// What it accepts, e.g. `an integer from 1 to 65535`.
    public var accepts: String
    /// The value given (`nil` when missing); never shown for secrets.
    public var given: String?

    public init(variable: String, accepts: String, given: String?) {
        self.variable = variable
        self.accepts = accepts
        self.given = given
    }

    public var description: String {
        if let given { return "\(variable)=\(given) is not valid: it takes \(accepts)" }
        return "\(variable) must be set: it takes \(accepts)"
    }
}

/// Reads typed settings from environment variables (swift-configuration's `EnvironmentVariablesProvider`
/// maps a key such as `talent.http.port` to `TALENT_HTTP_PORT`).
///
/// Unlike swift-configuration's default-variant getters, a value that is present but does not parse or
/// is out of range is an error, never the default: `TALENT_HTTP_PORT=abc` stops the process instead of
/// listening on 8080.
public struct SettingsReader: Sendable {
    let reader: ConfigReader
    /// Keys whose values are never echoed in errors.
    static let secrets: Set<String> = ["talent.amqp.password", "talent.postgres.url"]

    /// - Parameter environment: the variables to read (the process environment by default; tests
    ///   pass a dictionary).
    public init(environment: [String: String] = ProcessInfo.processInfo.environment) {
        reader = ConfigReader(
            provider: EnvironmentVariablesProvider(
                environmentVariables: environment,
                secretsSpecifier: .specific(["TALENT_AMQP_PASSWORD", "TALENT_POSTGRES_URL"])))
    }

    /// The environment variable a key is read from.
    public static func variable(_ key: String) -> String {
        key.uppercased().replacingOccurrences(of: ".", with: "_")
    }

    func raw(_ key: String) -> String? {
        reader.string(forKey: ConfigKey(key), isSecret: Self.secrets.contains(key))
    }

    func refused(_ key: String, accepts: String, given: String?) -> SettingError {
        SettingError(
            variable: Self.variable(key), accepts: accepts,
            given: Self.secrets.contains(key) ? given.map { _ in "…" } : given)
    }

    /// A text setting; `default` when unset. - Throws: ``SettingError`` when set but empty.
    public func string(_ key: String, default defaultValue: String) throws(SettingError) -> String {
        try optionalString(key) ?? defaultValue
    }

    /// A text setting that may be unset. - Throws: ``SettingError`` when set but empty.
    public func optionalString(_ key: String) throws(SettingError) -> String? {
        guard let text = raw(key) else { return nil }
        guard !text.trimmingCharacters(in: .whitespaces).isEmpty else {
            throw refused(key, accepts: "a non-empty text", given: text)
        }
        return text
    }

    /// A text setting without a default. - Throws: ``SettingError`` when unset or empty.
    public func requiredString(_ key: String, accepts: String) throws(SettingError) -> String {
        guard let text = try optionalString(key) else { throw refused(key, accepts: accepts, given: nil) }
        return text
    }

    /// An integer setting within `range`; `default` when unset.
    /// - Throws: ``SettingError`` when set to anything but a decimal integer in `range`.
    public func int(_ key: String, default defaultValue: Int, in range: ClosedRange<Int>) throws(SettingError) -> Int {
        try optionalInt(key, in: range) ?? defaultValue
    }

    /// An integer setting within `range` that may be unset.
    /// - Throws: ``SettingError`` when set to anything but a decimal integer in `range`.
    public func optionalInt(_ key: String, in range: ClosedRange<Int>) throws(SettingError) -> Int? {
        guard let text = raw(key) else { return nil }
        guard let value = Int(text.trimmingCharacters(in: .whitespaces)), range.contains(value) else {
            throw refused(key, accepts: "an integer from \(range.lowerBound) to \(range.upperBound)", given: text)
        }
        return value
    }

    /// One of `choices` (exact text); `default` when unset.
    public func choice(_ key: String, default defaultValue: String, from choices: [String]) throws(SettingError)
        -> String
    {
        guard let text = raw(key) else { return defaultValue }
        guard choices.contains(text) else {
            throw refused(key, accepts: "one of \(choices.joined(separator: ", "))", given: text)
        }
        return text
    }

    /// The contents of the file a setting names (a PEM key, for example), or `nil` when unset.
    /// - Throws: ``SettingError`` when the file cannot be read as UTF-8 text.
    public func optionalFile(_ key: String, accepts: String) throws(SettingError) -> String? {
        guard let path = try optionalString(key) else { return nil }
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else {
            throw refused(key, accepts: accepts + " (a readable file)", given: path)
        }
        return text
    }

    /// The contents of the file a setting names. - Throws: ``SettingError`` when unset or unreadable.
    public func requiredFile(_ key: String, accepts: String) throws(SettingError) -> String {
        guard let text = try optionalFile(key, accepts: accepts) else {
            throw refused(key, accepts: accepts, given: nil)
        }
        return text
    }
}

#if canImport(Glibc)
    import Glibc
#endif

extension SettingsReader {
    /// Reads settings at start-up; a refused one is written to standard error as
    /// `refusing to start: TALENT_HTTP_PORT=abc is not valid: it takes an integer from 1 to 65535` and
    /// the process exits 78 (`EX_CONFIG`) — before any service has started, so nothing is left open.
    public static func readOrExit<Settings>(_ read: () throws(SettingError) -> Settings) -> Settings {
        do {
            return try read()
        } catch {
            FileHandle.standardError.write(Data("refusing to start: \(error.description)\n".utf8))
            exit(78)
        }
    }
}
