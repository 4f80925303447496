import Hummingbird
import Logging

/// Outermost middleware: every error leaves as a ``GatewayError`` body. Errors that are not already
/// one are logged with their details and answered with a generic code, so nothing internal leaks.
struct ErrorMappingMiddleware<Context: RequestContext>: RouterMiddleware {
    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws
        -> Response
    {
        do {
            return try await next(request, context)
        } catch let error as GatewayError {
            return try error.response(from: request, context: context)
        } catch let error as HTTPError {
            let mapped: GatewayError
            switch error.status {
            case .notFound:
                let allowed = GatewayOperation.methods(matching: request.uri.path)
                guard !allowed.isEmpty else {
                    return try GatewayError(.routeNotFound, "no such route").response(from: request, context: context)
                }
                var response = try GatewayError(.methodNotAllowed, "method not allowed on this route")
                    .response(from: request, context: context)
                response.headers[.allow] = allowed.map(\.rawValue).sorted().joined(separator: ", ")
                return response
            case .methodNotAllowed: mapped = GatewayError(.methodNotAllowed, "method not allowed on this route")
            case .contentTooLarge: mapped = GatewayError(.tooLarge, "request body exceeds the limit")
            case .badRequest: mapped = GatewayError(.invalidParameter, "malformed request")
            default:
                context.logger.error("unmapped HTTP error", metadata: ["status": "\(error.status.code)"])
                mapped = GatewayError(.internal, "internal error")
            }
            return try mapped.response(from: request, context: context)
        } catch {
            context.logger.error("request failed", metadata: ["error": "\(String(reflecting: error))"])
            return try GatewayError(.internal, "internal error").response(from: request, context: context)
        }
    }
}
