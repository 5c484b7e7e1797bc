package io.vipd.proxy;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFactory;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoop;
import io.netty.util.ReferenceCountUtil;
import io.netty.util.concurrent.ScheduledFuture;
import io.vipd.lb.Addresses;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.TimeUnit;

/**
 * One check of one backend, on the checks' event loop: connects and, for {@link HealthCheck.Type#HTTP}, sends
 * {@code GET path} and reads the status line; reports pass or fail exactly once, at the latest when the
 * check's timeout elapses. The connection is closed with a reset (SO_LINGER 0), as HAProxy closes its checks,
 * so thousands of checks a second leave no TIME_WAIT sockets behind.
 *
 * <p>Thousands of these run a second, so a check costs one object, its socket and one timer: the channel is made
 * and registered directly rather than through a cloned Bootstrap, the check's own timer is the connect timeout
 * too (Netty's is switched off), and the request bytes are built once per target. Touched by its loop only.
 */
final class HealthProbe extends ChannelInboundHandlerAdapter implements ChannelFutureListener, Runnable {
    /** Receives a probe's outcome, on the probe's loop. */
    interface Outcome {
        void completed(boolean passed, String result);
    }

    /** A status line longer than this is not an HTTP answer. */
    private static final int MAX_STATUS_LINE = 1024;

    /** "http 200" and the like, made once: a result is kept per backend and read by the status pages. */
    private static final String[] HTTP_RESULTS = new String[500];

    static {
        for (int i = 0; i < HTTP_RESULTS.length; i++) {
            HTTP_RESULTS[i] = "http " + (100 + i);
        }
    }

    private final HealthCheck check;
    private final InetSocketAddress address;
    private final byte[] request;
    private final Outcome outcome;
    private final byte[] statusLine = new byte[MAX_STATUS_LINE];
    private int statusLength;
    private Channel channel;
    private ScheduledFuture<?> timer;
    private boolean done;

    private HealthProbe(HealthCheck check, InetSocketAddress address, byte[] request, Outcome outcome) {
        this.check = check;
        this.address = address;
        this.request = request;
        this.outcome = outcome;
    }

    /** The bytes an HTTP check of {@code address} sends; null for a TCP check. */
    static byte[] request(HealthCheck check, InetSocketAddress address) {
        if (check.type() != HealthCheck.Type.HTTP) {
            return null;
        }
        return ("GET " + check.path() + " HTTP/1.1\r\nHost: " + Addresses.key(address)
                        + "\r\nUser-Agent: vipd-health-check\r\nAccept: */*\r\nConnection: close\r\n\r\n")
                .getBytes(StandardCharsets.US_ASCII);
    }

    /**
     * Starts a check of {@code address} on {@code loop}, which must be the calling thread's loop.
     *
     * @param sockets makes sockets of the address's family
     * @param request what {@link #request} made for this check and address
     * @return the probe, to {@link #cancel} it
     */
    static HealthProbe start(
            ChannelFactory<? extends Channel> sockets,
            EventLoop loop,
            HealthCheck check,
            InetSocketAddress address,
            byte[] request,
            Outcome outcome) {
        HealthProbe probe = new HealthProbe(check, address, request, outcome);
        probe.timer = loop.schedule(probe, Math.max(1, check.timeout().toMillis()), TimeUnit.MILLISECONDS);
        Channel ch;
        try {
            ch = sockets.newChannel();
            ch.config().setConnectTimeoutMillis(0);
            ch.config().setOption(ChannelOption.SO_LINGER, 0);
        } catch (RuntimeException e) {
            // Out of descriptors, say: a failed check, reported after this call so the caller's loop is not re-entered.
            loop.execute(() -> probe.finish(false, "socket: " + e.getMessage()));
            return probe;
        }
        probe.channel = ch;
        ch.pipeline().addLast(probe);
        loop.register(ch).addListener(probe);
        return probe;
    }

    /** Ends the check without reporting (its target stopped). */
    void cancel() {
        done = true;
        timer.cancel(false);
        if (channel != null) {
            channel.close();
        }
    }

    /** The check's timer: no answer in time. */
    @Override
    public void run() {
        finish(false, channel != null && channel.isActive() ? timeoutResult() : "connect timeout");
    }

    private String timeoutResult() {
        return "timeout after " + Math.max(1, check.timeout().toMillis()) + "ms";
    }

    /** Registration, then connection, completed. */
    @Override
    public void operationComplete(ChannelFuture f) {
        if (done) {
            return;
        }
        if (!f.isSuccess()) {
            finish(false, connectFailure(f.cause()));
            return;
        }
        if (!f.channel().isActive()) {
            f.channel().connect(address).addListener(this);
            return;
        }
        if (request == null) {
            finish(true, "tcp connect ok");
            return;
        }
        f.channel().writeAndFlush(Unpooled.wrappedBuffer(request));
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
        int status = statusCode(statusLine, statusLength);
        if (status < 0) {
            String text = new String(statusLine, 0, statusLength, StandardCharsets.ISO_8859_1).strip();
            finish(false, "not HTTP: \"" + (text.length() > 40 ? text.substring(0, 40) + "..." : text) + "\"");
            return;
        }
        finish(status >= 200 && status < 400, HTTP_RESULTS[status - 100]);
    }

    /** The status of "HTTP/x SSS[ reason]" in the first {@code n} bytes of {@code b}, or -1 when it is not one. */
    static int statusCode(byte[] b, int n) {
        if (n < 5 || b[0] != 'H' || b[1] != 'T' || b[2] != 'T' || b[3] != 'P' || b[4] != '/') {
            return -1;
        }
        int space = 5;
        while (space < n && b[space] != ' ') {
            space++;
        }
        int code = space + 1;
        if (code + 3 > n || b[code] < '1' || b[code] > '5' || !digit(b[code + 1]) || !digit(b[code + 2])) {
            return -1;
        }
        int after = code + 3;
        if (after < n && b[after] != ' ' && b[after] != '\r') {
            return -1;
        }
        return (b[code] - '0') * 100 + (b[code + 1] - '0') * 10 + (b[code + 2] - '0');
    }

    private static boolean digit(byte b) {
        return b >= '0' && b <= '9';
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
