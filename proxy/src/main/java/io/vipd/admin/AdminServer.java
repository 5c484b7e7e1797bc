package io.vipd.admin;

import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.QueryStringDecoder;
import io.vipd.handover.HeldListeners;
import io.vipd.handover.InheritedListeners;
import io.vipd.handover.ServerSockets;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A small HTTP/1.1 server for the admin endpoints (health, metrics, status) on its own one-thread event loop,
 * so a slow scrape never touches the forwarding loops. Each bound address serves its own set of routes;
 * unknown paths get 404, methods other than GET and HEAD get 405.
 */
public final class AdminServer implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(AdminServer.class);
    private static final int MAX_REQUEST_BYTES = 16 * 1024;

    private final EventLoopGroup group = new MultiThreadIoEventLoopGroup(1, ServerSockets.ioHandlerFactory());
    private final List<Channel> channels = new ArrayList<>();
    private HeldListeners held = new HeldListeners();
    private InheritedListeners inherited = InheritedListeners.none();

    /** Adopt sockets inherited from the previous vipd and record ours for the next; call before binding. */
    public synchronized void setHandover(HeldListeners held, InheritedListeners inherited) {
        this.held = held;
        this.inherited = inherited;
    }

    /**
     * Binds {@code address} (port 0 picks a free port) and serves {@code routes} there.
     *
     * @return the bound address
     * @throws AdminBindException naming the address and the reason when it cannot be bound
     */
    public synchronized InetSocketAddress bind(InetSocketAddress address, Map<String, AdminHandler> routes)
            throws AdminBindException {
        return bind(address, routes, Map.of());
    }

    /**
     * As {@link #bind(InetSocketAddress, Map)}, also serving {@code actions}: POST only, from loopback only.
     *
     * @return the bound address
     * @throws AdminBindException naming the address and the reason when it cannot be bound
     */
    public synchronized InetSocketAddress bind(
            InetSocketAddress address, Map<String, AdminHandler> routes, Map<String, AdminAction> actions)
            throws AdminBindException {
        Map<String, AdminHandler> copy = Map.copyOf(routes);
        Map<String, AdminAction> actionsCopy = Map.copyOf(actions);
        ServerBootstrap b = new ServerBootstrap().group(group).childHandler(new ChannelInitializer<Channel>() {
            @Override
            protected void initChannel(Channel ch) {
                ch.pipeline()
                        .addLast(
                                new HttpServerCodec(),
                                new HttpObjectAggregator(MAX_REQUEST_BYTES),
                                new Router(copy, actionsCopy));
            }
        });
        try {
            Channel ch = ServerSockets.bindOrAdopt(b, address, held, inherited);
            channels.add(ch);
            return (InetSocketAddress) ch.localAddress();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AdminBindException(address, "interrupted", e);
        } catch (Exception e) {
            throw new AdminBindException(address, e.getMessage(), e);
        }
    }

    @Override
    public synchronized void close() {
        for (Channel ch : channels) {
            ch.close().syncUninterruptibly();
        }
        channels.clear();
        group.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
    }

    private static final class Router extends SimpleChannelInboundHandler<FullHttpRequest> {
        private final Map<String, AdminHandler> routes;
        private final Map<String, AdminAction> actions;

        Router(Map<String, AdminHandler> routes, Map<String, AdminAction> actions) {
            this.routes = routes;
            this.actions = actions;
        }

        @Override
        protected void channelRead0(ChannelHandlerContext ctx, FullHttpRequest request) {
            AdminResponse response;
            QueryStringDecoder target = new QueryStringDecoder(request.uri());
            AdminAction action = actions.get(target.path());
            if (!request.decoderResult().isSuccess()) {
                response = AdminResponse.text(400, "bad request\n");
            } else if (action != null) {
                response = act(ctx, request, action, target.parameters());
            } else if (!request.method().equals(HttpMethod.GET)
                    && !request.method().equals(HttpMethod.HEAD)) {
                response = AdminResponse.text(405, "only GET and HEAD\n");
            } else {
                AdminHandler handler = routes.get(target.path());
                response = handler == null
                        ? AdminResponse.text(404, "404 page not found\n")
                        : safely(handler, target.parameters(), request.headers().get(HttpHeaderNames.ACCEPT, ""));
            }
            write(ctx, request, response);
        }

        private static AdminResponse act(
                ChannelHandlerContext ctx,
                FullHttpRequest request,
                AdminAction action,
                Map<String, List<String>> query) {
            if (!request.method().equals(HttpMethod.POST)) {
                return AdminResponse.text(405, "POST only\n");
            }
            if (!(ctx.channel().remoteAddress() instanceof InetSocketAddress remote)
                    || !remote.getAddress().isLoopbackAddress()) {
                log.atWarn()
                        .addKeyValue("client", String.valueOf(ctx.channel().remoteAddress()))
                        .addKeyValue("path", request.uri())
                        .log("admin action refused: not from loopback");
                return AdminResponse.text(403, "refused: admin actions are accepted from loopback only\n");
            }
            try {
                return action.handle(query);
            } catch (RuntimeException e) {
                log.atError().setCause(e).log("admin action failed");
                return AdminResponse.text(500, "internal error: " + e.getMessage() + "\n");
            }
        }

        private static AdminResponse safely(AdminHandler handler, Map<String, List<String>> query, String accept) {
            try {
                return handler.handle(query, accept);
            } catch (RuntimeException e) {
                log.atError().setCause(e).log("admin handler failed");
                return AdminResponse.text(500, "internal error: " + e.getMessage() + "\n");
            }
        }

        private static void write(ChannelHandlerContext ctx, FullHttpRequest request, AdminResponse response) {
            ByteBuf body = request.method().equals(HttpMethod.HEAD)
                    ? Unpooled.EMPTY_BUFFER
                    : Unpooled.copiedBuffer(response.body(), StandardCharsets.UTF_8);
            FullHttpResponse out = new DefaultFullHttpResponse(
                    HttpVersion.HTTP_1_1, HttpResponseStatus.valueOf(response.status()), body);
            out.headers().set(HttpHeaderNames.CONTENT_TYPE, response.contentType());
            response.headers().forEach((k, v) -> out.headers().set(k, v));
            HttpUtil.setContentLength(
                    out,
                    request.method().equals(HttpMethod.HEAD)
                            ? response.body().getBytes(StandardCharsets.UTF_8).length
                            : body.readableBytes());
            boolean keepAlive = HttpUtil.isKeepAlive(request);
            if (keepAlive) {
                out.headers().set(HttpHeaderNames.CONNECTION, HttpHeaderValues.KEEP_ALIVE);
                ctx.writeAndFlush(out);
            } else {
                ctx.writeAndFlush(out).addListener(ChannelFutureListener.CLOSE);
            }
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            log.atDebug().addKeyValue("reason", cause.getMessage()).log("admin connection failed");
            ctx.close();
        }
    }
}
