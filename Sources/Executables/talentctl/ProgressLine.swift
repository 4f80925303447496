import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// Progress of a long operation on standard error, so that standard output stays the result: on a
/// terminal one line rewritten at most four times a second, otherwise (a log, CI) one line every
/// 5 seconds; ``finish()`` ends it.
struct ProgressLine {
    let interactive = isatty(STDERR_FILENO) != 0
    private var last: ContinuousClock.Instant?
    private var shown = false

    /// Shows `text` unless the previous line is younger than the interval.
    mutating func update(_ text: String) {
        let now = ContinuousClock.now
        if let last, last.duration(to: now) < (interactive ? .milliseconds(250) : .seconds(5)) { return }
        last = now
        shown = true
        FileHandle.standardError.write(Data((interactive ? "\r\u{1B}[K" + text : text + "\n").utf8))
    }

    /// Ends a rewritten line (a terminal's cursor moves to the next line).
    func finish() {
        if interactive && shown { FileHandle.standardError.write(Data("\n".utf8)) }
    }
}
