package io.vipd.handover;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.epoll.Epoll;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.epoll.EpollServerSocketChannel;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.ServerSocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class HandoverTest {
    private static final Duration STEP = Duration.ofSeconds(5);

    @TempDir
    Path dir;

    private Path socket;
    private EventLoopGroup oldLoops;
    private EventLoopGroup newLoops;
    private final HeldListeners held = new HeldListeners();
    private final List<List<Channel>> handedOver = new CopyOnWriteArrayList<>();
    private final List<AutoCloseable> closeLater = new ArrayList<>();
    private Channel oldListener;
    private InetSocketAddress address;

    @BeforeEach
    void oldProcessServes() {
        assumeTrue(Epoll.isAvailable(), "native epoll is not available");
        socket = dir.resolve("handover.sock");
        oldLoops = new MultiThreadIoEventLoopGroup(1, EpollIoHandler.newFactory());
        newLoops = new MultiThreadIoEventLoopGroup(1, EpollIoHandler.newFactory());
        oldListener = new ServerBootstrap()
                .group(oldLoops)
                .channel(EpollServerSocketChannel.class)
                .childHandler(greeter("old"))
                .bind(new InetSocketAddress("127.0.0.1", 0))
                .syncUninterruptibly()
                .channel();
        address = (InetSocketAddress) oldListener.localAddress();
        held.add(ListenerAddress.tcp(address), oldListener);
    }

    @AfterEach
    void stop() throws Exception {
        for (AutoCloseable c : closeLater) {
            c.close();
        }
        if (oldLoops != null) {
            oldLoops.shutdownGracefully(0, 1, java.util.concurrent.TimeUnit.SECONDS)
                    .syncUninterruptibly();
            newLoops.shutdownGracefully(0, 1, java.util.concurrent.TimeUnit.SECONDS)
                    .syncUninterruptibly();
        }
    }

    @Test
    void theListenerMovesWithTheConnectionsQueuedInIt() throws Exception {
        HandoverServer server = listen("edge");
        HandoverClient.Takeover takeover =
                HandoverClient.request(socket, "edge", STEP).orElseThrow();
        List<Integer> fds = takeover.listeners().claim(ListenerAddress.tcp(address));
        assertThat(fds).hasSize(1);
        assertThat(greeting()).as("the old process serves until it releases").isEqualTo("old");

        takeover.awaitRelease();
        // Accepted by the kernel into the socket's queue; nobody accepts it yet.
        Socket queued = new Socket(address.getAddress(), address.getPort());
        closeLater.add(queued);
        Channel adopted = new ServerBootstrap()
                .group(newLoops)
                .channelFactory(() -> new EpollServerSocketChannel(fds.get(0)))
                .childHandler(greeter("new"))
                .register()
                .syncUninterruptibly()
                .channel();
        takeover.serving();

        assertThat(readLine(queued))
                .as("the queued connection reached the new process")
                .isEqualTo("new");
        assertThat(greeting()).isEqualTo("new");
        assertThat(adopted.localAddress()).isEqualTo(address);
        await().until(() -> !oldListener.isOpen());
        assertThat(server.handedOver()).isTrue();
        assertThat(handedOver).hasSize(1);
        assertThat(held.snapshot()).isEmpty();
        assertThat(socket)
                .as("the old process removed its socket file before saying goodbye")
                .doesNotExist();
        adopted.close().syncUninterruptibly();
    }

    @Test
    void aSuccessorThatGivesUpAfterTheReleaseLeavesTheOldProcessServing() throws Exception {
        listen("edge");
        HandoverClient.Takeover takeover =
                HandoverClient.request(socket, "edge", STEP).orElseThrow();
        takeover.awaitRelease();
        Socket queued = new Socket(address.getAddress(), address.getPort());
        closeLater.add(queued);

        takeover.close();

        assertThat(readLine(queued))
                .as("the connection queued during the pause")
                .isEqualTo("old");
        assertThat(greeting()).isEqualTo("old");
        assertThat(oldListener.isOpen()).isTrue();
        assertThat(handedOver).isEmpty();
    }

    @Test
    void aRunningProcessThatBreaksOffAfterTheReleaseMakesTheSuccessorStop() throws Exception {
        HandoverServer server = listen("edge");
        HandoverClient.Takeover takeover =
                HandoverClient.request(socket, "edge", STEP).orElseThrow();
        takeover.awaitRelease();

        server.close(); // as if it timed out or died before SERVING

        assertThat(takeover.serving())
                .as("no goodbye: the successor must not serve")
                .isFalse();
    }

    @Test
    void aSuccessorThatGivesUpBeforeTheReleaseLeavesTheOldProcessServing() throws Exception {
        listen("edge");
        HandoverClient.Takeover takeover =
                HandoverClient.request(socket, "edge", STEP).orElseThrow();
        takeover.close();
        assertThat(greeting()).isEqualTo("old");
        // The same process can hand over later.
        HandoverClient.Takeover again =
                HandoverClient.request(socket, "edge", STEP).orElseThrow();
        assertThat(again.listeners().size()).isEqualTo(1);
        again.close();
        assertThat(greeting()).isEqualTo("old");
    }

    @Test
    void hundredsOfListenersMoveInBatches() throws Exception {
        List<ListenerAddress> addresses = new ArrayList<>();
        for (int i = 0; i < 5 * HandoverProtocol.BATCH + 7; i++) {
            Channel ch = new ServerBootstrap()
                    .group(oldLoops)
                    .channel(EpollServerSocketChannel.class)
                    .childHandler(greeter("old"))
                    .bind(new InetSocketAddress("127.0.0.1", 0))
                    .syncUninterruptibly()
                    .channel();
            ListenerAddress a = ListenerAddress.tcp((InetSocketAddress) ch.localAddress());
            held.add(a, ch);
            addresses.add(a);
        }
        listen("edge");

        HandoverClient.Takeover takeover =
                HandoverClient.request(socket, "edge", STEP).orElseThrow();

        assertThat(takeover.listeners().size()).isEqualTo(addresses.size() + 1);
        for (ListenerAddress a : addresses) {
            assertThat(takeover.listeners().claim(a)).as(a.toString()).hasSize(1);
        }
        takeover.close();
        assertThat(greeting()).isEqualTo("old");
    }

    @Test
    void aSuccessorOfAnotherModeIsRefused() throws Exception {
        listen("node");
        assertThatThrownBy(() -> HandoverClient.request(socket, "edge", STEP))
                .isInstanceOf(HandoverException.class)
                .hasMessageContaining("belongs to a vipd node");
        assertThat(greeting()).isEqualTo("old");
    }

    @Test
    void aSecondSuccessorWaitsForTheFirst() throws Exception {
        listen("edge");
        HandoverClient.Takeover first =
                HandoverClient.request(socket, "edge", STEP).orElseThrow();
        assertThatThrownBy(() -> HandoverClient.request(socket, "edge", STEP))
                .isInstanceOf(HandoverException.class)
                .hasMessageContaining("under way");
        first.close();
    }

    @Test
    void aSocketFileNobodyListensOnIsRemoved() throws Exception {
        try (ServerSocketChannel crashed = ServerSocketChannel.open(StandardProtocolFamily.UNIX)) {
            crashed.bind(UnixDomainSocketAddress.of(socket));
        }
        assertThat(socket).exists();

        Optional<HandoverClient.Takeover> none = HandoverClient.request(socket, "edge", STEP);

        assertThat(none).isEmpty();
        assertThat(socket).doesNotExist();
        assertThat(HandoverClient.request(dir.resolve("missing.sock"), "edge", STEP))
                .isEmpty();
    }

    @Test
    void aNewServerReplacesAStaleFile() throws Exception {
        Files.writeString(socket, "left by a crash");
        listen("edge");
        HandoverClient.Takeover t = HandoverClient.request(socket, "edge", STEP).orElseThrow();
        assertThat(t.listeners().unclaimedAddresses()).containsExactly(ListenerAddress.tcp(address));
        t.close();
    }

    private HandoverServer listen(String mode) throws IOException {
        HandoverServer s = HandoverServer.listen(socket, mode, held, handedOver::add, STEP);
        closeLater.add(s);
        return s;
    }

    private String greeting() throws IOException {
        try (Socket s = new Socket(address.getAddress(), address.getPort())) {
            return readLine(s);
        }
    }

    private static String readLine(Socket s) throws IOException {
        s.setSoTimeout(5000);
        return new BufferedReader(new InputStreamReader(s.getInputStream(), StandardCharsets.US_ASCII)).readLine();
    }

    private static ChannelInboundHandlerAdapter greeter(String who) {
        return new ChannelInboundHandlerAdapter() {
            @Override
            public void channelActive(ChannelHandlerContext ctx) {
                ctx.writeAndFlush(Unpooled.copiedBuffer(who + "\n", StandardCharsets.US_ASCII))
                        .addListener(ChannelFutureListener.CLOSE);
            }

            @Override
            public boolean isSharable() {
                return true;
            }
        };
    }
}
