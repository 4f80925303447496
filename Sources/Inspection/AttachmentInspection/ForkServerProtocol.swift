/// The messages between a worker and its inspector fork server (``ForkServer``), pure bytes.
///
/// A **request** is one `SOCK_SEQPACKET` message on the control socket: the header below, then the
/// ``InspectionRequest`` as JSON, with two descriptors attached (`SCM_RIGHTS`): the file to inspect
/// (read-only, read from its start) and the write end of a pipe for the answer.
///
/// ```
/// offset 0  4 bytes  "TIS2" (the protocol's version: a server of another version answers badRequest)
///        4  UInt32   CPU seconds for the child (RLIMIT_CPU), little-endian
///        8  UInt32   wall-clock seconds before the server kills the child, little-endian
///       12  …        the request's JSON
/// ```
///
/// The **answer** is what arrives on the pipe until end of file: whatever the child wrote (a verdict
/// as JSON when it works), then the server's ``Trailer``, written after the child has ended. The child
/// cannot start processes (seccomp), so once it has ended the server is the pipe's only writer and its
/// trailer is the last thing on it. An answer without a trailer means the server itself ended: the
/// machine's fault, not the file's.
public enum ForkServerProtocol {
    static let requestMagic: [UInt8] = Array("TIS2".utf8)
    static let headerLength = 12
    /// The largest request message (header and JSON); a request is small (a name and a policy).
    public static let maximumRequestLength = 64 * 1024

    /// What the server says about one child, after it ended.
    public struct Trailer: Sendable, Hashable {
        static let magic: [UInt8] = Array("TALENTIS".utf8)
        static let length = 20

        /// The child's wait status (`wait4`), or the `errno` of a failed `fork` when ``forkFailed`` is set.
        public var status: Int32
        /// The child's user + system CPU time, in milliseconds.
        public var cpuMilliseconds: UInt32
        /// The server killed the child at the wall-clock limit.
        public var killedAtWallLimit: Bool
        /// The server could not fork (``status`` is the `errno`).
        public var forkFailed: Bool
        /// The server could not read the request (bad header, another protocol version, descriptors).
        public var badRequest: Bool
        /// The server could not learn how the child ended (`wait4` failed).
        public var statusUnknown: Bool

        public init(
            status: Int32, cpuMilliseconds: UInt32 = 0, killedAtWallLimit: Bool = false, forkFailed: Bool = false,
            badRequest: Bool = false, statusUnknown: Bool = false
        ) {
            self.status = status
            self.cpuMilliseconds = cpuMilliseconds
            self.killedAtWallLimit = killedAtWallLimit
            self.forkFailed = forkFailed
            self.badRequest = badRequest
            self.statusUnknown = statusUnknown
        }

        /// The 20 bytes on the pipe: "TALENTIS", the status, the flags and the CPU milliseconds,
        /// little-endian.
        public var bytes: [UInt8] {
            var flags: UInt32 = 0
            if killedAtWallLimit { flags |= 1 }
            if forkFailed { flags |= 2 }
            if badRequest { flags |= 4 }
            if statusUnknown { flags |= 8 }
            return Self.magic + littleEndianBytes(UInt32(bitPattern: status)) + littleEndianBytes(flags)
                + littleEndianBytes(cpuMilliseconds)
        }

        /// Splits an answer into the child's output and the trailer; `nil` when it has no trailer.
        public static func split(_ answer: [UInt8]) -> (output: ArraySlice<UInt8>, trailer: Trailer)? {
            guard answer.count >= length else { return nil }
            let start = answer.count - length
            guard answer[start..<start + magic.count].elementsEqual(magic) else { return nil }
            let status = Int32(bitPattern: littleEndianValue(answer[(start + 8)..<(start + 12)]))
            let flags = littleEndianValue(answer[(start + 12)..<(start + 16)])
            let cpu = littleEndianValue(answer[(start + 16)..<(start + 20)])
            return (
                answer[..<start],
                Trailer(
                    status: status, cpuMilliseconds: cpu, killedAtWallLimit: flags & 1 != 0,
                    forkFailed: flags & 2 != 0, badRequest: flags & 4 != 0, statusUnknown: flags & 8 != 0)
            )
        }
    }

    /// The limits and the request of one inspection.
    public struct Request: Sendable, Hashable {
        public var cpuSeconds: UInt32
        public var wallSeconds: UInt32
        public var requestJSON: [UInt8]

        public init(cpuSeconds: UInt32, wallSeconds: UInt32, requestJSON: [UInt8]) {
            self.cpuSeconds = cpuSeconds
            self.wallSeconds = wallSeconds
            self.requestJSON = requestJSON
        }

        /// The message's bytes (see the layout above).
        public var bytes: [UInt8] {
            requestMagic + littleEndianBytes(cpuSeconds) + littleEndianBytes(wallSeconds) + requestJSON
        }

        /// Reads a message; `nil` when it is not one (or of another protocol version).
        public init?(_ message: ArraySlice<UInt8>) {
            guard message.count >= headerLength,
                message.prefix(requestMagic.count).elementsEqual(requestMagic)
            else { return nil }
            let start = message.startIndex
            cpuSeconds = littleEndianValue(message[(start + 4)..<(start + 8)])
            wallSeconds = littleEndianValue(message[(start + 8)..<(start + 12)])
            requestJSON = Array(message[(start + headerLength)...])
        }
    }
}

private func littleEndianBytes(_ value: UInt32) -> [UInt8] {
    [UInt8(value & 0xff), UInt8((value >> 8) & 0xff), UInt8((value >> 16) & 0xff), UInt8(value >> 24)]
}

private func littleEndianValue(_ bytes: ArraySlice<UInt8>) -> UInt32 {
    bytes.reversed().reduce(0) { ($0 << 8) | UInt32($1) }
}
