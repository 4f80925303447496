import Foundation
import HTTPTypes
import NIOCore
import NIOHTTP1
import NIOHTTPTypes

/// HTTP/1.1 details Hummingbird leaves to the application, in the channel pipeline after the parts are
/// decoded (`HTTP1Channel`'s additional handlers):
///
/// - `Expect: 100-continue` (RFC 9110 §10.1.1) is answered with `100 Continue` at once, so that a client
///   (curl over 1 MiB) does not wait a second before sending the body;
/// - a request the HTTP parser refuses is answered in the documented error shape before the connection
///   closes: `431 headers_too_large` when the head (a header or the URL) is over the parser's limit
///   (80 kB), else `400 malformed_request` — instead of Hummingbird's empty `400`.
///
/// One instance per connection (NIO handlers are not shared); it runs on the channel's event loop only.
final class HTTPProtocolHandler: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPRequestPart
    typealias InboundOut = HTTPRequestPart
    typealias OutboundIn = HTTPResponsePart
    typealias OutboundOut = HTTPResponsePart

    /// A response head was written and its end not yet: a parse error then cannot be answered.
    private var responseInProgress = false

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        if case .head(let head) = unwrapInboundIn(data),
            head.headerFields[.expect]?.lowercased() == "100-continue"
        {
            context.writeAndFlush(wrapOutboundOut(.head(HTTPResponse(status: .continue))), promise: nil)
        }
        context.fireChannelRead(data)
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        switch unwrapOutboundIn(data) {
        case .head(let head) where head.status.kind == .informational: break
        case .head: responseInProgress = true
        case .body: break
        case .end: responseInProgress = false
        }
        context.write(data, promise: promise)
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        guard let parserError = error as? HTTPParserError else {
            context.fireErrorCaught(error)
            return
        }
        // The connection cannot continue after a parse error: answer (when no response is under
        // way), then close. The error is not passed on: Hummingbird would answer a second time.
        guard !responseInProgress else {
            context.close(promise: nil)
            return
        }
        let refusal =
            parserError == .headerOverflow
            ? GatewayError(.headersTooLarge, "the request head (headers or URL) is over 80 kB")
            : GatewayError(.malformedRequest, "the request is not valid HTTP/1.1")
        let body = ByteBuffer(string: JSONResponse.encode(GatewayError.ErrorBody(refusal)))
        var head = HTTPResponse(status: refusal.status)
        head.headerFields[.contentType] = "application/json; charset=utf-8"
        head.headerFields[.contentLength] = String(body.readableBytes)
        head.headerFields[.connection] = "close"
        context.write(wrapOutboundOut(.head(head)), promise: nil)
        context.write(wrapOutboundOut(.body(body)), promise: nil)
        context.writeAndFlush(wrapOutboundOut(.end(nil))).whenComplete { _ in context.close(promise: nil) }
    }
}
