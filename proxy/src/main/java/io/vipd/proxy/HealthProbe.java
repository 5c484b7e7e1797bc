package io.vipd.proxy;

import io.netty.bootstrap.Bootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelOption;
import io.netty.channel.ConnectTimeoutException;
import io.netty.channel.EventLoop;
import io.netty.util.ReferenceCountUtil;
import io.netty.util.concurrent.ScheduledFuture;
import io.vipd.lb.Addresses;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.TimeUnit;

/**
 * One check of one backend, on one event loop: connects and, for {@link HealthCheck.Type#HTTP}, sends
 * {@code GET path} and reads the status line; reports pass or fail exactly once, at the latest when the
 * check's timeout elapses. The connection is closed with a reset (SO_LINGER 0), as HAProxy closes its checks,
 * so thousands of checks a second leave no TIME_WAIT sockets behind. Touched by its loop only.
 */
final class HealthProbe extends ChannelInboundHandlerAdapter implements ChannelFutureListener {
    /** Receives a probe's outcome, on the probe's loop. */
    interface Outcome {
        void completed(boolean passed, String result);
    }

    /** A status line longer than this is not an HTTP answer. */
    private static final int MAX_STATUS_LINE = 1024;

    private final HealthCheck check;
    private final InetSocketAddress address;
    private final Outcome outcome;
    private final byte[] statusLine = new byte[MAX_STATUS_LINE];
    private int statusLength;
    private Channel channel;
    private ScheduledFuture<?> timer;
    private boolean done;

    private HealthProbe(HealthCheck check, InetSocketAddress address, Outcome outcome) {
        this.check = check;
        this.address = address;
        this.outcome = outcome;
    }

    /**
     * Starts a check of {@code address} on {@code loop}.
     *
     * @param template a bootstrap of the address's family, cloned onto the loop
     * @return the probe, to {@link #cancel} it
     */
    static HealthProbe start(
            Bootstrap template, EventLoop loop, HealthCheck check, InetSocketAddress address, Outcome outcome) {
        HealthProbe probe = new HealthProbe(check, address, outcome);
        int timeoutMillis = (int) Math.max(1, check.timeout().toMillis());
        probe.timer = loop.schedule(
                () -> probe.finish(false, "timeout after " + timeoutMillis + "ms"),
                timeoutMillis,
                TimeUnit.MILLISECONDS);
        ChannelFuture f = template.clone(loop)
                .option(ChannelOption.CONNECT_TIMEOUT_MILLIS, timeoutMillis)
                .handler(probe)
                .connect(address);
        probe.channel = f.channel();
        f.addListener(probe);
        return probe;
    }

    /** Ends the check without reporting (its target stopped). */
    void cancel() {
        done = true;
        timer.cancel(false);
        channel.close();
    }

    @Override
    public void operationComplete(ChannelFuture f) {
        if (done) {
            return;
        }
        if (!f.isSuccess()) {
            finish(false, connectFailure(f.cause()));
            return;
        }
        if (check.type() == HealthCheck.Type.TCP) {
            finish(true, "tcp connect ok");
            return;
        }
        String request = "GET " + check.path() + " HTTP/1.1\r\nHost: " + Addresses.key(address)
                + "\r\nUser-Agent: vipd-health-check\r\nAccept: */*\r\nConnection: close\r\n\r\n";
        f.channel().writeAndFlush(Unpooled.copiedBuffer(request, StandardCharsets.US_ASCII));
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        try {
            if (done || !(msg instanceof ByteBuf in)) {
                return;
            }
            while (in.isReadable()) {
                byte b = in.readByte();
                if (b == '\n') {
                    answered();
                    return;
                }
                if (statusLength == MAX_STATUS_LINE) {
                    finish(false, "not HTTP: no status line in " + MAX_STATUS_LINE + " bytes");
                    return;
                }
                statusLine[statusLength++] = b;
            }
        } finally {
            ReferenceCountUtil.release(msg);
        }
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        finish(false, "closed before answering");
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        finish(false, "connection error: " + cause.getMessage());
    }

    /** "HTTP/1.1 200 OK": a 2xx or 3xx status passes. */
    private void answered() {
        String text = new String(statusLine, 0, statusLength, StandardCharsets.ISO_8859_1).strip();
        String[] parts = text.split(" ", 3);
        if (parts.length < 2 || !parts[0].startsWith("HTTP/") || !parts[1].matches("[1-5][0-9][0-9]")) {
            finish(false, "not HTTP: \"" + (text.length() > 40 ? text.substring(0, 40) + "..." : text) + "\"");
            return;
        }
        int status = Integer.parseInt(parts[1]);
        finish(status >= 200 && status < 400, "http " + status);
    }

    private void finish(boolean passed, String result) {
        if (done) {
            return;
        }
        done = true;
        timer.cancel(false);
        if (channel != null) {
            channel.close();
        }
        outcome.completed(passed, result);
    }

    private static String connectFailure(Throwable cause) {
        if (cause instanceof ConnectTimeoutException) {
            return "connect timeout";
        }
        String message = String.valueOf(cause.getMessage());
        // Netty's epoll messages read "finishConnect(..) failed with error(-111): Connection refused: /10.0.0.2:80".
        int address = message.indexOf(": /");
        if (address >= 0) {
            message = message.substring(0, address);
        }
        int reason = message.lastIndexOf(": ");
        if (reason >= 0) {
            message = message.substring(reason + 2);
        }
        return "connect failed: " + message.toLowerCase(java.util.Locale.ROOT);
    }
}
