// talent-inspect: the attachment inspector.
//
// `talent-inspect --serve` is a worker's fork server (its standard input is the worker's socket): it
// forks a fresh, limited child per file (ForkServer). `talent-inspect '<InspectionRequest JSON>' < file`
// inspects one file in this process, after limiting its own CPU time and address space, and prints
// the verdict as JSON (exit 0; anything else is a failure).
import AttachmentInspection

InspectorProcess.main(arguments: CommandLine.arguments)
