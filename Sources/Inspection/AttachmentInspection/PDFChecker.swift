import CQPDF

#if canImport(Glibc)
    import Glibc
#endif

/// Checks a PDF with libqpdf: it must parse, must not need a user password, and must not carry
/// JavaScript or launch actions anywhere (open action, names tree, annotations, any object; names
/// are compared after qpdf has decoded `#xx` escapes). Recoverable damage (qpdf warnings only) is
/// accepted with the warnings recorded (PRODUCT.md §4).
public enum PDFChecker {
    public enum Outcome: Sendable, Hashable {
        case clean(warnings: [String])
        case corrupt(String)
        case encrypted
        case activeContent(String)
    }

    /// Upper bound on objects visited when looking for active content.
    public static let maxObjectsVisited = 500_000
    static let maxWarningsKept = 20

    public static func check(_ bytes: UnsafeRawBufferPointer) -> Outcome {
        guard let base = bytes.baseAddress?.assumingMemoryBound(to: CChar.self) else { return .corrupt("no data") }
        guard let qpdf = qpdf_init() else { return .corrupt("qpdf: cannot initialise") }
        var handle: qpdf_data? = qpdf
        defer { qpdf_cleanup(&handle) }
        qpdf_silence_errors(qpdf)
        qpdf_set_suppress_warnings(qpdf, 1)

        let readStatus = qpdf_read_memory(qpdf, "attachment", base, UInt64(bytes.count), "")
        if readStatus & Int32(QPDF_ERRORS) != 0 {
            let error = qpdf_get_error(qpdf)
            if qpdf_get_error_code(qpdf, error) == qpdf_e_password { return .encrypted }
            return .corrupt("qpdf: \(String(cString: qpdf_get_error_full_text(qpdf, error)))")
        }
        var warnings = drainWarnings(qpdf)
        let checkStatus = qpdf_check_pdf(qpdf)
        warnings += drainWarnings(qpdf)
        if checkStatus & Int32(QPDF_ERRORS) != 0 {
            let error = qpdf_get_error(qpdf)
            return .corrupt("qpdf: \(String(cString: qpdf_get_error_full_text(qpdf, error)))")
        }
        // As `qpdf --check` does: every page's content streams must decode.
        let pages = qpdf_get_num_pages(qpdf)
        if pages < 0 {
            return .corrupt("qpdf: \(String(cString: qpdf_get_error_full_text(qpdf, qpdf_get_error(qpdf))))")
        }
        for index in 0..<pages {
            let page = qpdf_get_page_n(qpdf, Int(index))
            var data: UnsafeMutablePointer<UInt8>?
            var length = 0
            let status = qpdf_oh_get_page_content_data(qpdf, page, &data, &length)
            free(data)
            if status & Int32(QPDF_ERRORS) != 0 {
                let error = qpdf_get_error(qpdf)
                return .corrupt("qpdf: page \(index + 1): \(String(cString: qpdf_get_error_full_text(qpdf, error)))")
            }
        }
        warnings += drainWarnings(qpdf)
        if let found = findActiveContent(qpdf) { return .activeContent(found) }
        warnings += drainWarnings(qpdf)
        return .clean(warnings: Array(warnings.prefix(maxWarningsKept)))
    }

    private static func drainWarnings(_ qpdf: qpdf_data) -> [String] {
        var warnings: [String] = []
        while qpdf_more_warnings(qpdf) != 0 {
            let warning = qpdf_next_warning(qpdf)
            warnings.append(String(cString: qpdf_get_error_full_text(qpdf, warning)))
        }
        return warnings
    }

    /// Walks every object reachable from the trailer (iteratively, each indirect object once) and
    /// returns a description of the first JavaScript or launch action found.
    static func findActiveContent(_ qpdf: qpdf_data) -> String? {
        var stack: [qpdf_oh] = [qpdf_get_trailer(qpdf)]
        var visited = Set<Int64>()
        var budget = maxObjectsVisited
        defer { qpdf_oh_release_all(qpdf) }
        while let object = stack.popLast(), budget > 0 {
            budget -= 1
            if qpdf_oh_is_indirect(qpdf, object) != 0 {
                let key = Int64(qpdf_oh_get_object_id(qpdf, object)) << 20 | Int64(qpdf_oh_get_generation(qpdf, object))
                if !visited.insert(key).inserted { continue }
            }
            var dictionary = object
            if qpdf_oh_is_stream(qpdf, object) != 0 {
                dictionary = qpdf_oh_get_dict(qpdf, object)
            }
            if qpdf_oh_is_dictionary(qpdf, dictionary) != 0 {
                var keys: [String] = []
                qpdf_oh_begin_dict_key_iter(qpdf, dictionary)
                while qpdf_oh_dict_more_keys(qpdf) != 0 {
                    keys.append(String(cString: qpdf_oh_dict_next_key(qpdf)))
                }
                for key in keys {
                    if key == "/JS" || key == "/JavaScript" { return "dictionary key \(key)" }
                    let value = qpdf_oh_get_key(qpdf, dictionary, key)
                    if key == "/S",
                        qpdf_oh_is_name_and_equals(qpdf, value, "/JavaScript") != 0
                            || qpdf_oh_is_name_and_equals(qpdf, value, "/Launch") != 0
                    {
                        return "action \(String(cString: qpdf_oh_get_name(qpdf, value)))"
                    }
                    if key == "/Parent" || key == "/P" {
                        // Back-links only lead to objects reachable otherwise; skip them to keep the walk small.
                        if qpdf_oh_is_indirect(qpdf, value) != 0 { continue }
                    }
                    stack.append(value)
                }
            } else if qpdf_oh_is_array(qpdf, object) != 0 {
                let count = qpdf_oh_get_array_n_items(qpdf, object)
                for index in 0..<max(count, 0) {
                    stack.append(qpdf_oh_get_array_item(qpdf, object, index))
                }
            }
        }
        return nil
    }
}
