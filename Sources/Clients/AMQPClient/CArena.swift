import CRabbitMQ

#if canImport(Glibc)
    import Glibc
#endif

/// C memory for one rabbitmq-c call: strings, byte buffers and field tables copied out of Swift
/// values, freed together when the arena is dropped. `amqp_bytes_t` values built here stay valid for
/// the arena's lifetime (unlike `amqp_cstring_bytes` on a Swift string's temporary buffer).
final class CArena {
    private var allocations: [UnsafeMutableRawPointer] = []

    deinit {
        for pointer in allocations { free(pointer) }
    }

    func bytes(_ string: String) -> amqp_bytes_t {
        bytes(Array(string.utf8))
    }

    func bytes(_ value: [UInt8]) -> amqp_bytes_t {
        guard let memory = malloc(max(value.count, 1)) else { return amqp_empty_bytes }
        allocations.append(memory)
        value.withUnsafeBytes { raw in
            if let base = raw.baseAddress { memory.copyMemory(from: base, byteCount: raw.count) }
        }
        return amqp_bytes_t(len: value.count, bytes: memory)
    }

    func table(_ entries: [String: AMQPFieldValue]) -> amqp_table_t {
        guard !entries.isEmpty else { return amqp_empty_table }
        let count = entries.count
        let memory = malloc(MemoryLayout<amqp_table_entry_t>.stride * count)!
        allocations.append(memory)
        let typed = memory.bindMemory(to: amqp_table_entry_t.self, capacity: count)
        for (index, (key, value)) in entries.sorted(by: { $0.key < $1.key }).enumerated() {
            var entry = amqp_table_entry_t()
            entry.key = bytes(key)
            entry.value = field(value)
            typed.advanced(by: index).initialize(to: entry)
        }
        return amqp_table_t(num_entries: Int32(count), entries: typed)
    }

    /// A nested table value (for client properties' `capabilities`).
    func tableField(_ entries: [String: AMQPFieldValue]) -> amqp_field_value_t {
        var value = amqp_field_value_t()
        value.kind = UInt8(AMQP_FIELD_KIND_TABLE.rawValue)
        value.value.table = table(entries)
        return value
    }

    func field(_ value: AMQPFieldValue) -> amqp_field_value_t {
        var field = amqp_field_value_t()
        switch value {
        case .string(let string):
            field.kind = UInt8(AMQP_FIELD_KIND_UTF8.rawValue)
            field.value.bytes = bytes(string)
        case .int(let int):
            field.kind = UInt8(AMQP_FIELD_KIND_I64.rawValue)
            field.value.i64 = int
        case .bool(let bool):
            field.kind = UInt8(AMQP_FIELD_KIND_BOOLEAN.rawValue)
            field.value.boolean = bool ? 1 : 0
        }
        return field
    }

    /// A table whose entries are given as ready C field values (used for nested tables).
    func rawTable(_ entries: [(String, amqp_field_value_t)]) -> amqp_table_t {
        let memory = malloc(MemoryLayout<amqp_table_entry_t>.stride * max(entries.count, 1))!
        allocations.append(memory)
        let typed = memory.bindMemory(to: amqp_table_entry_t.self, capacity: max(entries.count, 1))
        for (index, (key, value)) in entries.enumerated() {
            var entry = amqp_table_entry_t()
            entry.key = bytes(key)
            entry.value = value
            typed.advanced(by: index).initialize(to: entry)
        }
        return amqp_table_t(num_entries: Int32(entries.count), entries: typed)
    }
}

extension amqp_bytes_t {
    /// A Swift copy of the bytes.
    var array: [UInt8] {
        guard len > 0, let bytes else { return [] }
        return Array(UnsafeRawBufferPointer(start: bytes, count: len))
    }

    var string: String { String(decoding: array, as: UTF8.self) }
}

extension amqp_table_t {
    /// The entries this project reads (strings, integers, booleans); other kinds are skipped.
    var swiftValue: [String: AMQPFieldValue] {
        var result: [String: AMQPFieldValue] = [:]
        guard num_entries > 0, let entries else { return result }
        for index in 0..<Int(num_entries) {
            let entry = entries[index]
            let key = entry.key.string
            let value = entry.value
            switch Int(value.kind) {
            case Int(AMQP_FIELD_KIND_UTF8.rawValue), Int(AMQP_FIELD_KIND_BYTES.rawValue):
                result[key] = .string(value.value.bytes.string)
            case Int(AMQP_FIELD_KIND_I64.rawValue): result[key] = .int(value.value.i64)
            case Int(AMQP_FIELD_KIND_I32.rawValue): result[key] = .int(Int64(value.value.i32))
            case Int(AMQP_FIELD_KIND_I16.rawValue): result[key] = .int(Int64(value.value.i16))
            case Int(AMQP_FIELD_KIND_I8.rawValue): result[key] = .int(Int64(value.value.i8))
            case Int(AMQP_FIELD_KIND_U32.rawValue): result[key] = .int(Int64(value.value.u32))
            case Int(AMQP_FIELD_KIND_U16.rawValue): result[key] = .int(Int64(value.value.u16))
            case Int(AMQP_FIELD_KIND_U8.rawValue): result[key] = .int(Int64(value.value.u8))
            case Int(AMQP_FIELD_KIND_U64.rawValue), Int(AMQP_FIELD_KIND_TIMESTAMP.rawValue):
                result[key] = .int(Int64(truncatingIfNeeded: value.value.u64))
            case Int(AMQP_FIELD_KIND_BOOLEAN.rawValue): result[key] = .bool(value.value.boolean != 0)
            default: continue
            }
        }
        return result
    }
}
