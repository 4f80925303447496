import AMQPClient
import ServiceConfiguration
import Testing

/// Settings that are set but wrong stop the process; unset ones take their defaults.
@Suite("Settings reader")
struct SettingsReaderTests {
    @Test func unsetValuesTakeTheirDefaults() throws {
        let reader = SettingsReader(environment: [:])
        #expect(try reader.int("talent.http.port", default: 8080, in: 1...65_535) == 8080)
        #expect(try reader.string("talent.http.host", default: "127.0.0.1") == "127.0.0.1")
        let shared = try ServiceEnvironment(reader)
        #expect(shared.amqpAddresses == [AMQPAddress(host: "127.0.0.1", port: 5672)])
        #expect(shared.logLevel == "info")
    }

    /// Before: `TALENT_HTTP_PORT=abc` silently became 8080.
    @Test(arguments: ["abc", "0", "65536", "80 80", ""])
    func aBadPortIsRefusedNamingTheVariable(value: String) {
        let reader = SettingsReader(environment: ["TALENT_HTTP_PORT": value])
        #expect {
            _ = try reader.int("talent.http.port", default: 8080, in: 1...65_535)
        } throws: { error in
            guard let error = error as? SettingError else { return false }
            return error.variable == "TALENT_HTTP_PORT" && error.description.contains("1 to 65535")
        }
    }

    @Test func setValuesAreRead() throws {
        let reader = SettingsReader(environment: ["TALENT_HTTP_PORT": " 9090", "TALENT_AMQP_VHOST": "talent"])
        #expect(try reader.int("talent.http.port", default: 8080, in: 1...65_535) == 9090)
        #expect(try ServiceEnvironment(reader).amqpVirtualHost == "talent")
    }

    /// A cluster's nodes replace the one of host and port; a list that does not parse is refused.
    @Test func brokerAddressesAreRead() throws {
        let cluster = try ServiceEnvironment(
            SettingsReader(environment: [
                "TALENT_AMQP_ADDRESSES": "10.203.0.11:5672, 10.203.0.12:5673,rabbit-3", "TALENT_AMQP_PORT": "1",
            ]))
        #expect(
            cluster.amqpAddresses == [
                AMQPAddress(host: "10.203.0.11", port: 5672), AMQPAddress(host: "10.203.0.12", port: 5673),
                AMQPAddress(host: "rabbit-3", port: 5672),
            ])
        #expect(cluster.amqp(connectionName: "t").addresses.count == 3)
        for value in ["a:1,,b:2", "host:0", "host:x", ":5672"] {
            #expect(throws: SettingError.self, "\(value)") {
                _ = try ServiceEnvironment(SettingsReader(environment: ["TALENT_AMQP_ADDRESSES": value]))
            }
        }
    }

    @Test func aRequiredSettingMustBeSet() {
        #expect(throws: SettingError.self) {
            _ = try SettingsReader(environment: [:]).requiredString("talent.jwt.issuer", accepts: "an issuer")
        }
    }

    @Test func sharedSettingsAreChecked() {
        for (variable, value) in [
            ("TALENT_AMQP_PORT", "x"), ("TALENT_LOG_LEVEL", "loud"), ("TALENT_MAX_ATTACHMENT_BYTES", "-1"),
        ] {
            #expect(throws: SettingError.self, "\(variable)=\(value)") {
                _ = try ServiceEnvironment(SettingsReader(environment: [variable: value]))
            }
        }
    }

    /// A secret's value is never echoed in the refusal.
    @Test func secretsAreNotEchoed() {
        do {
            _ = try ServiceEnvironment(SettingsReader(environment: ["TALENT_AMQP_PASSWORD": ""]))
            Issue.record("an empty password was accepted")
        } catch {
            #expect(error.variable == "TALENT_AMQP_PASSWORD")
            #expect(error.given == "…")
        }
    }
}
