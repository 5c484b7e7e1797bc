package io.vipd.handover;

import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.epoll.Epoll;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.epoll.EpollServerDomainSocketChannel;
import io.netty.channel.unix.DomainSocketAddress;
import io.netty.channel.unix.FileDescriptor;
import io.netty.channel.unix.UnixChannel;
import io.netty.handler.codec.LineBasedFrameDecoder;
import io.netty.handler.codec.string.StringDecoder;
import io.netty.handler.codec.string.StringEncoder;
import io.netty.handler.timeout.ReadTimeoutHandler;
import io.netty.util.concurrent.Future;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The running process's side of a hand-over ({@link HandoverProtocol}): listens on the state directory's
 * socket and gives its listening sockets to the first successor of the same mode that asks. One hand-over at a
 * time; after a completed one it stops listening. Its own event loop, so it answers while the proxy's loops
 * are busy.
 */
public final class HandoverServer implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(HandoverServer.class);

    /** What the running process does once its successor serves. */
    public interface Events {
        /**
         * Called once, on the hand-over's thread, after every TCP listener was closed. The UDP sockets stay open
         * and paused (the successor reads them) so that this process can still answer its own UDP flows from
         * them; the callee closes them when those flows are done.
         */
        void handedOver(List<Channel> pausedUdpListeners);
    }

    private final String mode;
    private final HeldListeners held;
    private final Events events;
    private final Duration stepTimeout;
    private final EventLoopGroup group;
    private final Channel server;
    private final AtomicBoolean busy = new AtomicBoolean();
    /** The conversation under way (at most one), until it is done or broken off. */
    private volatile Channel inProgress;

    private volatile boolean handedOver;

    private HandoverServer(Path path, String mode, HeldListeners held, Events events, Duration stepTimeout)
            throws IOException {
        this.mode = mode;
        this.held = held;
        this.events = events;
        this.stepTimeout = stepTimeout;
        this.group = new MultiThreadIoEventLoopGroup(
                1,
                r -> {
                    Thread t = new Thread(r, "vipd-handover");
                    t.setDaemon(true);
                    return t;
                },
                EpollIoHandler.newFactory());
        // A file left here is a predecessor's that finished its hand-over or died: nobody answers on it.
        Files.deleteIfExists(path);
        ChannelFuture bound = new ServerBootstrap()
                .group(group)
                .channel(EpollServerDomainSocketChannel.class)
                .childHandler(new ChannelInitializer<Channel>() {
                    @Override
                    protected void initChannel(Channel ch) {
                        ch.pipeline()
                                .addLast(
                                        new ReadTimeoutHandler(stepTimeout.toMillis(), TimeUnit.MILLISECONDS),
                                        new LineBasedFrameDecoder(HandoverProtocol.MAX_LINE),
                                        new StringDecoder(StandardCharsets.US_ASCII),
                                        new StringEncoder(StandardCharsets.US_ASCII),
                                        new Session());
                    }
                })
                .bind(new DomainSocketAddress(path.toFile()))
                .awaitUninterruptibly();
        if (!bound.isSuccess()) {
            group.shutdownGracefully(0, 1, TimeUnit.SECONDS);
            throw new IOException(
                    "cannot listen on hand-over socket " + path + ": "
                            + bound.cause().getMessage(),
                    bound.cause());
        }
        this.server = bound.channel();
    }

    /**
     * Listens on {@code path} (replacing a file left there).
     *
     * @param mode        "node" or "edge": a successor of another mode is refused
     * @param stepTimeout how long a successor may take for one step before the hand-over is abandoned
     */
    public static HandoverServer listen(Path path, String mode, HeldListeners held, Events events, Duration stepTimeout)
            throws IOException {
        if (!Epoll.isAvailable()) {
            throw new IOException("hand-over needs native epoll: " + Epoll.unavailabilityCause());
        }
        return new HandoverServer(path, mode, held, events, stepTimeout);
    }

    /** Whether a successor took the listeners. */
    public boolean handedOver() {
        return handedOver;
    }

    @Override
    /** Stops listening; a conversation under way is broken off, so its successor does not serve. */
    public void close() {
        Channel session = inProgress;
        if (session != null) {
            session.close().awaitUninterruptibly();
        }
        server.close().awaitUninterruptibly();
        group.shutdownGracefully(0, 1, TimeUnit.SECONDS);
    }

    /** One successor's conversation. Runs on the hand-over's single thread. */
    private final class Session extends SimpleChannelInboundHandler<String> {
        private enum Step {
            HELLO,
            OFFERED,
            SENT,
            RELEASED,
            DONE
        }

        private Step step = Step.HELLO;
        private boolean owner;
        private List<HeldListeners.Held> offered = List.of();
        /** How many of the offered descriptors were written. */
        private int sent;
        /** autoRead of each offered listener before the pause, restored if the hand-over is abandoned. */
        private boolean[] autoReadBefore = new boolean[0];

        private String successor = "?";

        @Override
        protected void channelRead0(ChannelHandlerContext ctx, String line) {
            switch (step) {
                case HELLO -> hello(ctx, line);
                case OFFERED -> expect(ctx, line, HandoverProtocol.SEND, () -> sendDescriptors(ctx));
                case SENT -> {
                    if (line.equals(HandoverProtocol.MORE) && sent < offered.size()) {
                        sendDescriptors(ctx);
                    } else {
                        expect(ctx, line, HandoverProtocol.RECEIVED, () -> pause(ctx));
                    }
                }
                case RELEASED -> expect(ctx, line, HandoverProtocol.SERVING, () -> finish(ctx));
                case DONE -> ctx.close();
            }
        }

        private void hello(ChannelHandlerContext ctx, String line) {
            String[] f = line.split(" ");
            if (f.length != 4 || !f[0].equals(HandoverProtocol.HELLO)) {
                refuse(ctx, "expected HELLO <version> <mode> <pid>");
                return;
            }
            successor = f[3];
            if (!f[1].equals(Integer.toString(HandoverProtocol.VERSION))) {
                refuse(ctx, "hand-over version " + f[1] + " is not " + HandoverProtocol.VERSION);
                return;
            }
            if (!f[2].equals(mode)) {
                refuse(ctx, "this state directory belongs to a vipd " + mode + ", not a vipd " + f[2]);
                return;
            }
            if (handedOver || !busy.compareAndSet(false, true)) {
                refuse(ctx, handedOver ? "already handed over" : "another hand-over is under way");
                return;
            }
            owner = true;
            inProgress = ctx.channel();
            offered = held.snapshot();
            StringBuilder offer = new StringBuilder(HandoverProtocol.OFFER)
                    .append(' ')
                    .append(offered.size())
                    .append('\n');
            for (HeldListeners.Held h : offered) {
                offer.append(h.address().toLine()).append('\n');
            }
            log.atInfo()
                    .addKeyValue("successor_pid", successor)
                    .addKeyValue("listeners", offered.size())
                    .log("a successor asks for the listeners");
            ctx.writeAndFlush(offer.toString());
            step = Step.OFFERED;
        }

        /** The next batch of descriptors; the successor asks for each further one with MORE. */
        private void sendDescriptors(ChannelHandlerContext ctx) {
            int end = Math.min(offered.size(), sent + HandoverProtocol.BATCH);
            for (; sent < end; sent++) {
                // A new wrapper: the channel keeps its own, which closing this one would break.
                ctx.write(new FileDescriptor(
                        ((UnixChannel) offered.get(sent).channel()).fd().intValue()));
            }
            ctx.flush();
            step = Step.SENT;
        }

        /** Stops accepting and reading on every offered listener (each on its own loop), then says RELEASED. */
        private void pause(ChannelHandlerContext ctx) {
            autoReadBefore = new boolean[offered.size()];
            AtomicInteger pending = new AtomicInteger(offered.size() + 1);
            Runnable done = () -> {
                if (pending.decrementAndGet() == 0) {
                    ctx.executor().execute(() -> {
                        if (ctx.channel().isActive()) {
                            step = Step.RELEASED;
                            ctx.writeAndFlush(HandoverProtocol.RELEASED + "\n");
                        }
                    });
                }
            };
            for (int i = 0; i < offered.size(); i++) {
                Channel ch = offered.get(i).channel();
                int index = i;
                Future<?> f = ch.eventLoop().submit(() -> {
                    autoReadBefore[index] = ch.config().isAutoRead();
                    ch.config().setAutoRead(false);
                });
                f.addListener(x -> done.run());
            }
            done.run();
        }

        private void finish(ChannelHandlerContext ctx) {
            handedOver = true;
            step = Step.DONE;
            inProgress = null;
            List<Channel> udp = new ArrayList<>();
            for (HeldListeners.Held h : offered) {
                if (h.address().transport() == ListenerAddress.Transport.UDP) {
                    udp.add(h.channel());
                } else {
                    held.remove(h.channel());
                    h.channel().close();
                }
            }
            log.atInfo().addKeyValue("successor_pid", successor).log("handed the listeners over");
            // Our socket file goes before BYE, so that closing it cannot remove the successor's new one.
            server.close().awaitUninterruptibly();
            ctx.writeAndFlush(HandoverProtocol.BYE + "\n").addListener(f -> ctx.close());
            events.handedOver(udp);
        }

        private void expect(ChannelHandlerContext ctx, String line, String wanted, Runnable then) {
            if (line.equals(wanted)) {
                then.run();
            } else {
                log.atWarn()
                        .addKeyValue("successor_pid", successor)
                        .addKeyValue("expected", wanted)
                        .addKeyValue("got", line)
                        .log("hand-over broken off: unexpected message");
                ctx.close();
            }
        }

        private void refuse(ChannelHandlerContext ctx, String why) {
            log.atWarn()
                    .addKeyValue("successor_pid", successor)
                    .addKeyValue("reason", why)
                    .log("hand-over refused");
            step = Step.DONE;
            ctx.writeAndFlush(HandoverProtocol.REFUSED + " " + why + "\n").addListener(f -> ctx.close());
        }

        @Override
        public void channelInactive(ChannelHandlerContext ctx) {
            if (!owner) {
                return;
            }
            if (!handedOver) {
                resume();
                log.atWarn()
                        .addKeyValue("successor_pid", successor)
                        .addKeyValue("step", step)
                        .log("hand-over abandoned by the successor; serving on as before");
            }
            inProgress = null;
            busy.set(false);
        }

        private void resume() {
            boolean[] before = autoReadBefore;
            for (int i = 0; i < before.length; i++) {
                Channel ch = offered.get(i).channel();
                int index = i;
                // On the listener's loop, after its pause task, which set before[index] there.
                ch.eventLoop().execute(() -> ch.config().setAutoRead(before[index]));
            }
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            log.atWarn()
                    .addKeyValue("successor_pid", successor)
                    .addKeyValue("reason", String.valueOf(cause))
                    .log("hand-over connection failed");
            ctx.close();
        }
    }
}
