import CLibPQ

#if canImport(Glibc)
    import Glibc
#endif

/// One libpq connection. Not thread-safe and not `Sendable`: it is created, used and closed on one
/// thread (a ``PostgresPool`` thread). Every call blocks.
public final class PostgresConnection {
    private var handle: OpaquePointer?
    private var prepared: Set<String> = []
    private let conninfo: String

    /// Connects with a libpq connection string (`host=127.0.0.1 port=5432 dbname=talent user=postgres`).
    /// - Throws: ``PostgresError/Code/connectionFailed``.
    public init(conninfo: String) throws(PostgresError) {
        self.conninfo = conninfo
        try connect()
    }

    deinit {
        if let handle { PQfinish(handle) }
    }

    private func connect() throws(PostgresError) {
        if let handle { PQfinish(handle) }
        prepared.removeAll()
        handle = PQconnectdb(conninfo)
        guard let handle, PQstatus(handle) == CONNECTION_OK else {
            let message = handle.map { String(cString: PQerrorMessage($0)) } ?? "out of memory"
            if let handle { PQfinish(handle) }
            self.handle = nil
            throw PostgresError(code: .connectionFailed, message: message)
        }
        // Server notices (e.g. "already exists, skipping") are not errors; keep them off stderr.
        PQsetNoticeProcessor(handle, { _, _ in }, nil)
    }

    /// A handle that cancels the statement this connection is running, from any thread (libpq's
    /// `PQgetCancel`), or `nil` when not connected.
    func makeCanceller() -> PostgresCanceller? {
        guard let handle, let cancel = PQgetCancel(handle) else { return nil }
        return PostgresCanceller(cancel)
    }

    /// Whether the connection is usable (libpq's view; a dead server is noticed on the next statement).
    public var isHealthy: Bool {
        guard let handle else { return false }
        return PQstatus(handle) == CONNECTION_OK
    }

    /// Reconnects if the connection is not healthy. An idle connection that the server closed (a
    /// restart, `pg_terminate_backend`) is noticed here, before a statement fails on it: on an idle
    /// connection the socket is readable only when the server sent something, and libpq then reads
    /// the termination or the end of file.
    public func ensureConnected() throws(PostgresError) {
        if let handle, PQstatus(handle) == CONNECTION_OK, PQtransactionStatus(handle) == PQTRANS_IDLE {
            var descriptor = pollfd(fd: PQsocket(handle), events: Int16(POLLIN), revents: 0)
            // A termination arrives as an error message followed by end of file: read until neither is left.
            for _ in 0..<3 where PQstatus(handle) == CONNECTION_OK && poll(&descriptor, 1, 0) > 0 {
                if PQconsumeInput(handle) == 0 { break }
            }
            if PQstatus(handle) == CONNECTION_OK, PQisBusy(handle) == 0 {
                // Still usable: the server sent a notice or notification; drop any stray result.
                while let stray = PQgetResult(handle) { PQclear(stray) }
            }
        }
        // Handed out between jobs, a connection must be outside any transaction; one left inside (a
        // ROLLBACK that could not be sent) would make every later statement fail with 25P02.
        if let handle, PQstatus(handle) == CONNECTION_OK, PQtransactionStatus(handle) != PQTRANS_IDLE {
            try connect()
        }
        if !isHealthy { try connect() }
    }

    /// Runs one statement with `$1…$n` parameters (text, or binary for bytes). Never interpolate values
    /// into `sql`.
    @discardableResult
    /// `results: .binary` returns every column in libpq's binary format (needed for `bytea`; see
    /// ``PostgresRow`` for the types it reads).
    public func query(
        _ sql: String, _ parameters: [any PostgresBindable] = [], results: PostgresResultFormat = .text
    ) throws(PostgresError) -> PostgresRows {
        try withParameters(parameters) { (handle, count, values, lengths, formats) in
            PQexecParams(handle, sql, count, nil, values, lengths, formats, results.rawValue)
        }
    }

    /// Runs a script of one or more statements without parameters (simple query protocol), for
    /// migrations. Never build a script from input.
    public func script(_ sql: String) throws(PostgresError) {
        guard let handle else { throw PostgresError(code: .connectionFailed, message: "not connected") }
        _ = try consume(PQexec(handle, sql))
    }

    /// Runs a statement prepared once per connection under `name` (server-side prepared statement).
    @discardableResult
    public func execute(
        prepared name: String, _ sql: String, _ parameters: [any PostgresBindable] = [],
        results: PostgresResultFormat = .text
    ) throws(PostgresError) -> PostgresRows {
        guard let handle else { throw PostgresError(code: .connectionFailed, message: "not connected") }
        if !prepared.contains(name) {
            let result = PQprepare(handle, name, sql, Int32(parameters.count), nil)
            _ = try consume(result)
            prepared.insert(name)
        }
        return try withParameters(parameters) { (handle, count, values, lengths, formats) in
            PQexecPrepared(handle, name, count, values, lengths, formats, results.rawValue)
        }
    }

    /// Runs `body` in a transaction (`BEGIN` … `COMMIT`); rolls back when `body` throws.
    public func transaction<T>(_ body: (PostgresConnection) throws -> T) throws -> T {
        try query("BEGIN")
        do {
            let value = try body(self)
            try query("COMMIT")
            return value
        } catch {
            if isHealthy { _ = try? query("ROLLBACK") }
            throw error
        }
    }

    private func withParameters(
        _ parameters: [any PostgresBindable],
        _ run: (
            OpaquePointer, Int32, UnsafePointer<UnsafePointer<CChar>?>?, UnsafePointer<Int32>?, UnsafePointer<Int32>?
        ) -> OpaquePointer?
    ) throws(PostgresError) -> PostgresRows {
        guard let handle else { throw PostgresError(code: .connectionFailed, message: "not connected") }
        // Copy every parameter into C memory that outlives the call.
        var buffers: [UnsafeMutableRawPointer?] = []
        var lengths: [Int32] = []
        var formats: [Int32] = []
        defer { for buffer in buffers { buffer?.deallocate() } }
        for parameter in parameters {
            switch parameter.postgresValue {
            case .null:
                buffers.append(nil)
                lengths.append(0)
                formats.append(0)
            case .text(let text):
                let utf8 = Array(text.utf8CString)
                let buffer = UnsafeMutableRawPointer.allocate(byteCount: utf8.count, alignment: 1)
                utf8.withUnsafeBytes { buffer.copyMemory(from: $0.baseAddress!, byteCount: $0.count) }
                buffers.append(buffer)
                lengths.append(Int32(utf8.count - 1))
                formats.append(0)
            case .bytes(let bytes):
                let buffer = UnsafeMutableRawPointer.allocate(byteCount: max(bytes.count, 1), alignment: 1)
                bytes.withUnsafeBytes { raw in
                    if let base = raw.baseAddress { buffer.copyMemory(from: base, byteCount: raw.count) }
                }
                buffers.append(buffer)
                lengths.append(Int32(bytes.count))
                formats.append(1)
            }
        }
        let values = buffers.map { UnsafePointer<CChar>($0?.assumingMemoryBound(to: CChar.self)) }
        let result = values.withUnsafeBufferPointer { valuesPointer in
            lengths.withUnsafeBufferPointer { lengthsPointer in
                formats.withUnsafeBufferPointer { formatsPointer in
                    run(
                        handle, Int32(parameters.count), valuesPointer.baseAddress, lengthsPointer.baseAddress,
                        formatsPointer.baseAddress)
                }
            }
        }
        return try consume(result)
    }

    /// Turns a libpq result into rows or an error, and frees it.
    private func consume(_ result: OpaquePointer?) throws(PostgresError) -> PostgresRows {
        guard let result else {
            let message = handle.map { String(cString: PQerrorMessage($0)) } ?? "no connection"
            throw PostgresError(code: .connectionFailed, message: message)
        }
        defer { PQclear(result) }
        switch PQresultStatus(result) {
        case PGRES_COMMAND_OK, PGRES_TUPLES_OK, PGRES_EMPTY_QUERY:
            break
        default:
            let sqlState = PQresultErrorField(result, Int32(UInt8(ascii: "C"))).map { String(cString: $0) }
            let message = String(cString: PQresultErrorMessage(result))
            let state = sqlState.map(SQLState.init(rawValue:))
            let lost = !isHealthy || (state?.isConnectionLoss ?? false)
            throw PostgresError(code: lost ? .connectionFailed : .statementFailed, sqlState: state, message: message)
        }
        let columnCount = Int(PQnfields(result))
        let rowCount = Int(PQntuples(result))
        var columns: [String] = []
        var index: [String: Int] = [:]
        var types: [PostgresRow.ColumnType] = []
        for column in 0..<columnCount {
            let name = String(cString: PQfname(result, Int32(column)))
            columns.append(name)
            index[name] = column
            types.append(
                PostgresRow.ColumnType(
                    oid: UInt32(PQftype(result, Int32(column))), binary: PQfformat(result, Int32(column)) == 1))
        }
        var rows: [PostgresRow] = []
        rows.reserveCapacity(rowCount)
        for row in 0..<rowCount {
            var values: [[UInt8]?] = []
            values.reserveCapacity(columnCount)
            for column in 0..<columnCount {
                if PQgetisnull(result, Int32(row), Int32(column)) != 0 {
                    values.append(nil)
                } else {
                    let length = Int(PQgetlength(result, Int32(row), Int32(column)))
                    let start = UnsafeRawPointer(PQgetvalue(result, Int32(row), Int32(column)))
                    values.append(start.map { Array(UnsafeRawBufferPointer(start: $0, count: length)) } ?? [])
                }
            }
            rows.append(PostgresRow(columnIndex: index, types: types, values: values))
        }
        let affected = Int(String(cString: PQcmdTuples(result))) ?? 0
        return PostgresRows(columns: columns, rows: rows, affectedRows: affected)
    }
}

/// Cancels the statement running on one connection (`PQcancel`); the statement then fails with
/// SQLSTATE 57014 (`query_canceled`).
///
/// `@unchecked Sendable`: the `PGcancel` object is created once, never mutated, and freed in `deinit`;
/// libpq documents `PQcancel` as safe to call from any thread while the connection is in use.
final class PostgresCanceller: @unchecked Sendable {
    private let cancel: OpaquePointer

    init(_ cancel: OpaquePointer) {
        self.cancel = cancel
    }

    deinit {
        PQfreeCancel(cancel)
    }

    /// Asks the server to cancel the running statement (blocks for a round trip: call it on a thread
    /// of its own). - Returns: whether the request was sent.
    @discardableResult
    func send() -> Bool {
        var buffer = [CChar](repeating: 0, count: 256)
        return PQcancel(cancel, &buffer, Int32(buffer.count)) == 1
    }
}
