// talent-inspect: validates one attachment in a disposable process.
//
// Usage: talent-inspect '<InspectionRequest JSON>' < bytes > verdict JSON
// Limits its own CPU time and address space first, so a file that makes a parser spin or balloon
// ends here and not in the worker. Exit 0 with a verdict on stdout; anything else is a failure the
// parent (ContainedInspector) turns into a verdict.
import AttachmentInspection
import Foundation

InspectorProcess.main(arguments: CommandLine.arguments)
