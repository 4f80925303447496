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
/// Pipelined requests are answered in order: a `100 Continue` goes out only for the request being
/// answered (a later one gets it when the answers before it have ended), and a parse error while a
/// request is still being answered closes the connection after that answer instead of writing one that
/// would be taken for it.
///
/// One instance per connection (NIO handlers are not shared); it runs on the channel's event loop only.
final class HTTPProtocolHandler: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPRequestPart
    typealias InboundOut = HTTPRequestPart
    typealias OutboundIn = HTTPResponsePart
    typealias OutboundOut = HTTPResponsePart

    /// Per request read and not yet answered (pipelining: in order), whether it expects `100 Continue`
    /// not yet sent. The first is the one being answered.
    private var outstanding: [Bool] = []
    /// A response head was written and its end not yet.
    private var responseInProgress = false
    /// A parse error came while a request was outstanding: close once its answer has ended.
    private var closeAfterResponse = false

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        if case .head(let head) = unwrapInboundIn(data) {
            outstanding.append(head.headerFields[.expect]?.lowercased() == "100-continue")
            // Only the request being answered may get its 100 now; a pipelined one gets it once the
            // answers before it have ended (a 100 in the middle of another response would break it).
            if outstanding.count == 1 && !responseInProgress { sendContinueIfExpected(context: context) }
        }
        context.fireChannelRead(data)
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        let part = unwrapOutboundIn(data)
        switch part {
        case .head(let head) where head.status.kind == .informational: break
        case .head:
            responseInProgress = true
            // The request is answered without its body having been asked for: no 100 any more.
            if !outstanding.isEmpty { outstanding[0] = false }
        case .body: break
        case .end: responseInProgress = false
        }
        context.write(data, promise: promise)
        guard case .end = part else { return }
        if !outstanding.isEmpty { outstanding.removeFirst() }
        if closeAfterResponse && outstanding.isEmpty {
            context.flush()
            context.close(promise: nil)
        } else if !outstanding.isEmpty {
            sendContinueIfExpected(context: context)
        }
    }

    private func sendContinueIfExpected(context: ChannelHandlerContext) {
        guard outstanding.first == true else { return }
        outstanding[0] = false
        context.writeAndFlush(wrapOutboundOut(.head(HTTPResponse(status: .continue))), promise: nil)
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        guard let parserError = error as? HTTPParserError else {
            context.fireErrorCaught(error)
            return
        }
        // The connection cannot continue after a parse error. The error is not passed on: Hummingbird
        // would answer a second time. With a request still being answered, its answer must not be
        // mistaken for this one's: close after it instead.
        guard outstanding.isEmpty && !responseInProgress else {
            closeAfterResponse = true
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
