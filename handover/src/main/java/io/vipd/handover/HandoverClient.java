package io.vipd.handover;

import io.netty.bootstrap.Bootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.epoll.Epoll;
import io.netty.channel.epoll.EpollDomainSocketChannel;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.unix.DomainSocketAddress;
import io.netty.channel.unix.DomainSocketReadMode;
import io.netty.channel.unix.FileDescriptor;
import io.netty.handler.codec.LineBasedFrameDecoder;
import io.netty.handler.codec.string.StringDecoder;
import io.netty.handler.codec.string.StringEncoder;
import java.io.IOException;
import java.net.ConnectException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The successor's side of a hand-over ({@link HandoverProtocol}). Blocking: a process calls it once while it
 * starts, from its main thread.
 */
public final class HandoverClient {
    private static final Logger log = LoggerFactory.getLogger(HandoverClient.class);
    /** What the conversation's channel hands to the waiting thread: lines, descriptors, or the end. */
    private static final Object CLOSED = new Object();

    private HandoverClient() {}

    /**
     * Asks the process listening on {@code path} for its listeners and receives them. Empty when nobody
     * listens there: no file, or a file that a crashed process left (removed here, so it cannot block later
     * starts).
     *
     * @throws HandoverException when a running process refused (another mode, a hand-over under way) or the
     *                           conversation broke off; the running process then goes on serving
     */
    public static Optional<Takeover> request(Path path, String mode, Duration stepTimeout) throws HandoverException {
        if (!Files.exists(path)) {
            return Optional.empty();
        }
        if (!Epoll.isAvailable()) {
            throw new HandoverException("a vipd may be running on " + path + ", but taking its listeners needs"
                    + " native epoll: " + Epoll.unavailabilityCause());
        }
        EventLoopGroup group = new MultiThreadIoEventLoopGroup(
                1,
                r -> {
                    Thread t = new Thread(r, "vipd-takeover");
                    t.setDaemon(true);
                    return t;
                },
                EpollIoHandler.newFactory());
        BlockingQueue<Object> inbox = new LinkedBlockingQueue<>();
        ChannelFuture connected = new Bootstrap()
                .group(group)
                .channel(EpollDomainSocketChannel.class)
                .handler(new ChannelInitializer<Channel>() {
                    @Override
                    protected void initChannel(Channel ch) {
                        ch.pipeline()
                                .addLast(
                                        new LineBasedFrameDecoder(HandoverProtocol.MAX_LINE),
                                        new StringDecoder(StandardCharsets.US_ASCII),
                                        new StringEncoder(StandardCharsets.US_ASCII),
                                        new Conversation(inbox));
                    }
                })
                .connect(new DomainSocketAddress(path.toFile()))
                .awaitUninterruptibly();
        if (!connected.isSuccess()) {
            group.shutdownGracefully(0, 1, TimeUnit.SECONDS);
            if (isRefused(connected.cause())) {
                log.atInfo().addKeyValue("socket", path).log("removing a hand-over socket nobody listens on");
                try {
                    Files.deleteIfExists(path);
                } catch (IOException e) {
                    throw new HandoverException("cannot remove stale hand-over socket " + path, e);
                }
                return Optional.empty();
            }
            throw new HandoverException(
                    "cannot reach the running vipd on " + path + ": "
                            + connected.cause().getMessage(),
                    connected.cause());
        }
        Takeover t = new Takeover(connected.channel(), group, inbox, stepTimeout);
        try {
            t.receive(mode);
            return Optional.of(t);
        } catch (HandoverException e) {
            t.close();
            throw e;
        }
    }

    private static boolean isRefused(Throwable cause) {
        // ECONNREFUSED: a socket file without a listener. ENOENT: it went away between the check and connect.
        String m = String.valueOf(cause.getMessage());
        return cause instanceof ConnectException
                && (m.contains("Connection refused") || m.contains("No such file or directory"));
    }

    /** The successor's open conversation: the received listeners, and the steps still to take. */
    public static final class Takeover implements AutoCloseable {
        private final Channel channel;
        private final EventLoopGroup group;
        private final BlockingQueue<Object> inbox;
        private final Duration stepTimeout;
        private InheritedListeners listeners = InheritedListeners.none();
        private boolean serving;

        private Takeover(Channel channel, EventLoopGroup group, BlockingQueue<Object> inbox, Duration stepTimeout) {
            this.channel = channel;
            this.group = group;
            this.inbox = inbox;
            this.stepTimeout = stepTimeout;
        }

        private void receive(String mode) throws HandoverException {
            channel.writeAndFlush(HandoverProtocol.HELLO + " " + HandoverProtocol.VERSION + " " + mode + " "
                    + ProcessHandle.current().pid() + "\n");
            String first = nextLine("an offer");
            if (first.startsWith(HandoverProtocol.REFUSED)) {
                throw new HandoverException("the running vipd refused the hand-over: "
                        + first.substring(HandoverProtocol.REFUSED.length()).trim());
            }
            String[] f = first.split(" ");
            if (f.length != 2 || !f[0].equals(HandoverProtocol.OFFER)) {
                throw new HandoverException("unexpected answer to HELLO: " + first);
            }
            int n;
            try {
                n = Integer.parseInt(f[1]);
            } catch (NumberFormatException e) {
                throw new HandoverException("unexpected answer to HELLO: " + first);
            }
            List<ListenerAddress> addresses = new ArrayList<>(n);
            for (int i = 0; i < n; i++) {
                try {
                    addresses.add(ListenerAddress.parseLine(nextLine("listener " + (i + 1) + " of " + n)));
                } catch (IllegalArgumentException e) {
                    throw new HandoverException(e.getMessage());
                }
            }
            // Descriptors only arrive in this mode; nothing else is sent until we have them all.
            channel.eventLoop()
                    .submit(() -> ((EpollDomainSocketChannel) channel)
                            .config()
                            .setReadMode(DomainSocketReadMode.FILE_DESCRIPTORS))
                    .awaitUninterruptibly();
            channel.writeAndFlush(HandoverProtocol.SEND + "\n");
            Map<ListenerAddress, List<FileDescriptor>> received = new LinkedHashMap<>();
            for (int i = 0; i < n; i++) {
                ListenerAddress a = addresses.get(i);
                Object o = next("the descriptor of " + a);
                if (!(o instanceof FileDescriptor fd)) {
                    closeAll(received);
                    throw new HandoverException("expected the descriptor of " + a + ", got " + o);
                }
                received.computeIfAbsent(a, k -> new ArrayList<>()).add(fd);
                if ((i + 1) % HandoverProtocol.BATCH == 0 && i + 1 < n) {
                    channel.writeAndFlush(HandoverProtocol.MORE + "\n");
                }
            }
            channel.eventLoop()
                    .submit(() -> ((EpollDomainSocketChannel) channel).config().setReadMode(DomainSocketReadMode.BYTES))
                    .awaitUninterruptibly();
            listeners = new InheritedListeners(received);
            log.atInfo().addKeyValue("listeners", n).log("received the running vipd's listeners");
        }

        /** The listening sockets received; claim them before binding. */
        public InheritedListeners listeners() {
            return listeners;
        }

        /**
         * Asks the running process to stop accepting and reading; when this returns, nobody accepts until this
         * process registers the inherited sockets. Call it once everything this process needs to serve is
         * ready, and serve at once.
         */
        public void awaitRelease() throws HandoverException {
            channel.writeAndFlush(HandoverProtocol.RECEIVED + "\n");
            String line = nextLine(HandoverProtocol.RELEASED);
            if (!line.equals(HandoverProtocol.RELEASED)) {
                throw new HandoverException("expected RELEASED, got " + line);
            }
        }

        /**
         * Tells the running process that this one serves: it closes its listeners and its hand-over socket and
         * starts draining, then says goodbye. Closes whatever inherited socket nobody claimed.
         *
         * @return false when the conversation broke off instead (the running process timed out or died after
         *     releasing): it may be accepting again, so this process must not serve beside it
         */
        public boolean serving() {
            serving = true;
            channel.writeAndFlush(HandoverProtocol.SERVING + "\n");
            boolean goodbye;
            try {
                goodbye = HandoverProtocol.BYE.equals(next(HandoverProtocol.BYE));
            } catch (HandoverException e) {
                log.atWarn().addKeyValue("reason", e.getMessage()).log("the previous vipd did not say goodbye");
                goodbye = false;
            }
            close();
            return goodbye;
        }

        /**
         * Ends the conversation. Before {@link #serving()}, this abandons the hand-over: the running process
         * accepts again, and every inherited socket this process did not claim is closed (close the channels
         * built over claimed ones too).
         */
        @Override
        public void close() {
            if (!serving) {
                log.atWarn().log("abandoning the hand-over; the running vipd goes on serving");
            }
            listeners.closeUnclaimed();
            channel.close().awaitUninterruptibly();
            group.shutdownGracefully(0, 1, TimeUnit.SECONDS);
        }

        private String nextLine(String what) throws HandoverException {
            Object o = next(what);
            if (!(o instanceof String s)) {
                throw new HandoverException("expected " + what + ", got " + o);
            }
            return s;
        }

        private Object next(String what) throws HandoverException {
            Object o;
            try {
                o = inbox.poll(stepTimeout.toMillis(), TimeUnit.MILLISECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new HandoverException("interrupted waiting for " + what);
            }
            if (o == null) {
                throw new HandoverException("no " + what + " from the running vipd within " + stepTimeout);
            }
            if (o == CLOSED) {
                throw new HandoverException("the running vipd closed the hand-over before " + what);
            }
            return o;
        }

        private static void closeAll(Map<ListenerAddress, List<FileDescriptor>> received) {
            new InheritedListeners(received).closeUnclaimed();
        }
    }

    /** Passes what arrives to the waiting thread. */
    private static final class Conversation extends ChannelInboundHandlerAdapter {
        private final BlockingQueue<Object> inbox;

        Conversation(BlockingQueue<Object> inbox) {
            this.inbox = inbox;
        }

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            inbox.add(msg);
        }

        @Override
        public void channelInactive(ChannelHandlerContext ctx) {
            inbox.add(CLOSED);
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            log.atWarn().addKeyValue("reason", String.valueOf(cause)).log("hand-over connection failed");
            ctx.close();
        }
    }
}
