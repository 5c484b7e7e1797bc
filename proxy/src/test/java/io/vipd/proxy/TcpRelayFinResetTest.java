package io.vipd.proxy;

import static io.vipd.proxy.Fixtures.ip;
import static org.assertj.core.api.Assertions.assertThat;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.netty.channel.ChannelPromise;
import io.vipd.lb.BackendSet;
import io.vipd.lb.Frontend;
import io.vipd.lb.FrontendType;
import io.vipd.lb.Protocol;
import io.vipd.lb.Route;
import io.vipd.lb.ServicePortEntry;
import io.vipd.lb.ServiceTable;
import java.net.ConnectException;
import java.net.InetSocketAddress;
import java.nio.channels.ClosedChannelException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The relay's FIN/RST matrix on embedded channels: a FIN is passed on as a half-close after the bytes before
 * it while the other direction still flows, a reset as a reset, and a backend that goes away before or after
 * its first byte ends the client's connection the way a real one would (retry, reset, or the bytes then the
 * FIN). The backend connects go through a scripted {@link BackendDialer}.
 */
class TcpRelayFinResetTest {
    private static final InetSocketAddress CLIENT = new InetSocketAddress(ip("10.0.0.7"), 40000);
    private static final InetSocketAddress FRONTEND = new InetSocketAddress(ip("10.96.0.10"), 80);
    private static final InetSocketAddress PROXY = new InetSocketAddress(ip("10.0.0.1"), 50000);
    private static final InetSocketAddress BACKEND_A = new InetSocketAddress(ip("10.1.0.1"), 8080);
    private static final InetSocketAddress BACKEND_B = new InetSocketAddress(ip("10.1.0.2"), 8080);

    private Engine engine;
    private ProxyMeters meters;
    /** The relays of the (one) event loop. */
    private final Set<TcpRelay> loopRelays = new HashSet<>();

    private ServicePortEntry entry;
    private Route route;
    private ServiceRuntime service;
    private SocketLikeChannel client;
    /** Every backend channel the relay dialed, in order, and where to. */
    private final List<SocketLikeChannel> attempts = new ArrayList<>();
    /** The connect of the last attempt, when the script left it pending. */
    private ChannelPromise pendingConnect;

    @BeforeEach
    void setUp() {
        ProxyConfig config = ProxyConfig.defaults().withSplice(SpliceMode.OFF);
        BackendHealthRegistry health = new BackendHealthRegistry(config.ejectionThreshold(), config.ejectionBackoff());
        SimpleMeterRegistry registry = new SimpleMeterRegistry();
        engine = new Engine(new ServiceTable(), config, health);
        meters = new ProxyMeters(registry);
        Frontend frontend = new Frontend(FRONTEND.getAddress(), FRONTEND.getPort(), Protocol.TCP);
        entry = Fixtures.entry("web", frontend, Fixtures.backends(BACKEND_A, BACKEND_B))
                .build();
        route = entry.route(FrontendType.CLUSTER_IP, false);
        service = new ServiceRuntime(entry.name(), registry, health);
        client = new SocketLikeChannel(FRONTEND, CLIENT);
    }

    /**
     * Starts a relay that tries backend A, then B. Each attempt's outcome in order: true answers, false is
     * refused, null stays pending ({@link #pendingConnect}).
     */
    private void relay(Boolean... outcomes) {
        List<Boolean> script = Arrays.asList(outcomes);
        BackendDialer dialer = (eventLoop, address, transparentSource, handler) -> {
            SocketLikeChannel ch = new SocketLikeChannel(PROXY, address, handler);
            attempts.add(ch);
            Boolean answers = script.get(attempts.size() - 1);
            if (answers == null) {
                ChannelPromise connect = ch.newPromise();
                // As Netty fails the connect of a channel closed meanwhile.
                ch.closeFuture().addListener(f -> connect.tryFailure(new ClosedChannelException()));
                pendingConnect = connect;
                return connect;
            }
            if (answers) {
                return ch.newSucceededFuture();
            }
            ch.close(); // as Netty closes a channel whose connect failed
            return ch.newFailedFuture(new ConnectException("Connection refused"));
        };
        int[] candidates = {indexOf(BACKEND_A), indexOf(BACKEND_B)};
        new TcpRelay(
                        engine,
                        meters,
                        dialer,
                        loopRelays,
                        client,
                        client.remoteAddress(),
                        client.localAddress(),
                        null,
                        service,
                        FrontendType.CLUSTER_IP,
                        false,
                        entry,
                        route,
                        candidates,
                        outcomes.length)
                .start(0);
    }

    private int indexOf(InetSocketAddress backend) {
        BackendSet set = route.backends();
        for (int i = 0; i < set.size(); i++) {
            if (set.get(i).socketAddress().equals(backend)) {
                return i;
            }
        }
        throw new AssertionError(backend + " is not a backend");
    }

    private SocketLikeChannel backend() {
        return attempts.get(attempts.size() - 1);
    }

    private void assertRelayFinished() {
        assertThat(meters.activeConnections.get()).as("connections relayed").isZero();
        assertThat(service.active.get()).as("the service's connections").isZero();
        assertThat(loopRelays).as("relays on the loop").isEmpty();
    }

    // --- half-close each way

    @Test
    void aClientFinReachesTheBackendAfterTheClientsBytesWhileRepliesStillFlow() {
        relay(true);
        SocketLikeChannel backend = backend();
        client.receive("GET / HTTP/1.0\r\n\r\n");
        client.receiveFin();

        assertThat(backend.finSent()).as("FIN passed to the backend").isTrue();
        assertThat(backend.writtenBeforeFin()).isEqualTo("GET / HTTP/1.0\r\n\r\n");
        assertThat(backend.isOpen()).as("the backend may still answer").isTrue();
        assertThat(client.finSent()).isFalse();

        backend.receive("HTTP/1.0 200 OK\r\n\r\nhello");
        assertThat(client.written()).isEqualTo("HTTP/1.0 200 OK\r\n\r\nhello");
        assertThat(client.isOpen()).isTrue();

        backend.receiveFin(); // both directions are done now
        assertThat(client.closedOrderly()).as("client closed without a reset").isTrue();
        assertThat(backend.closedOrderly()).as("backend closed without a reset").isTrue();
        assertRelayFinished();
    }

    @Test
    void aBackendFinReachesTheClientAfterTheBackendsBytesWhileTheClientStillSends() {
        relay(true);
        SocketLikeChannel backend = backend();
        backend.receive("220 ready\r\n");
        backend.receiveFin();

        assertThat(client.finSent()).as("FIN passed to the client").isTrue();
        assertThat(client.writtenBeforeFin()).isEqualTo("220 ready\r\n");
        assertThat(client.isOpen()).isTrue();
        assertThat(backend.finSent()).isFalse();

        client.receive("QUIT\r\n");
        assertThat(backend.written()).isEqualTo("QUIT\r\n");
        assertThat(backend.isOpen()).isTrue();

        client.dropConnection(); // the client's close after our FIN ends its input normally
        assertThat(backend.closedOrderly()).as("backend closed without a reset").isTrue();
        assertRelayFinished();
    }

    // --- reset each way

    @Test
    void aClientResetResetsTheBackend() {
        relay(true);
        SocketLikeChannel backend = backend();
        client.receive("partial request");
        client.receiveReset();

        assertThat(backend.written()).isEqualTo("partial request");
        assertThat(backend.wasReset()).as("backend reset").isTrue();
        assertThat(backend.finSent()).as("no orderly FIN before the reset").isFalse();
        assertRelayFinished();
    }

    @Test
    void aClientThatGoesAwayWithoutAFinResetsTheBackend() {
        relay(true);
        client.dropConnection();

        assertThat(backend().wasReset()).as("backend reset").isTrue();
        assertRelayFinished();
    }

    @Test
    void aBackendResetResetsTheClient() {
        relay(true);
        SocketLikeChannel backend = backend();
        client.receive("request");
        backend.receive("partial reply");
        backend.receiveReset();

        assertThat(client.written()).isEqualTo("partial reply");
        assertThat(client.wasReset()).as("client reset").isTrue();
        assertThat(client.finSent()).as("no orderly FIN before the reset").isFalse();
        assertRelayFinished();
    }

    // --- the backend goes away before its first byte

    @Test
    void aRefusedBackendIsRetriedOnTheNextCandidate() {
        relay(false, true);

        assertThat(attempts).extracting(SocketLikeChannel::remoteAddress).containsExactly(BACKEND_A, BACKEND_B);
        client.receive("hello");
        assertThat(attempts.get(1).written()).isEqualTo("hello");
        assertThat(client.isOpen()).isTrue();
        assertThat(meters.retries.count()).isEqualTo(1.0);
        assertThat(service.existingBackend(route.backends().key(indexOf(BACKEND_A)))
                        .failures
                        .get())
                .isEqualTo(1);
        assertThat(service.allFailed.count()).isZero();
    }

    @Test
    void whenNoCandidateAnswersTheClientIsReset() {
        relay(false, false);

        assertThat(attempts).hasSize(2);
        assertThat(client.wasReset()).as("client reset").isTrue();
        assertThat(service.allFailed.count()).isEqualTo(1.0);
        assertRelayFinished();
    }

    @Test
    void aBackendThatClosesBeforeItsFirstByteResetsTheClient() {
        relay(true);
        client.receive("request");
        backend().dropConnection();

        assertThat(client.written()).isEmpty();
        assertThat(client.wasReset()).as("client reset").isTrue();
        assertThat(attempts).as("a connected backend is not retried").hasSize(1);
        assertRelayFinished();
    }

    @Test
    void bytesTheClientSendsWhileTheBackendIsConnectingReachItOnceItAnswers() {
        relay((Boolean) null);
        client.receive("early ");
        client.receive("bytes");
        assertThat(backend().written()).isEmpty();

        pendingConnect.setSuccess();
        assertThat(backend().written()).isEqualTo("early bytes");
    }

    @Test
    void aClientThatLeavesWhileTheBackendIsConnectingAbandonsTheAttemptWithoutBlamingTheBackend() {
        relay((Boolean) null);
        client.dropConnection();

        assertThat(backend().isOpen()).as("the attempt is closed").isFalse();
        assertThat(service.existingBackend(route.backends().key(indexOf(BACKEND_A)))
                        .failures
                        .get())
                .isZero();
        assertRelayFinished();
    }

    // --- the backend goes away after its first byte

    @Test
    void aBackendThatFinishesAfterItsBytesGivesTheClientTheBytesThenTheFin() {
        relay(true);
        SocketLikeChannel backend = backend();
        client.receive("GET / HTTP/1.0\r\n\r\n");
        backend.receive("HTTP/1.0 200 OK\r\n\r\nbody");
        backend.receiveFin(); // the backend closes its socket: its FIN

        assertThat(client.writtenBeforeFin()).isEqualTo("HTTP/1.0 200 OK\r\n\r\nbody");
        assertThat(client.finSent()).isTrue();
        assertThat(client.isOpen())
                .as("the client reads to the end, then closes")
                .isTrue();

        client.dropConnection(); // the client's close after our FIN
        assertThat(backend.closedOrderly()).as("backend closed without a reset").isTrue();
        assertRelayFinished();
    }

    @Test
    void aBackendThatBreaksAfterItsFirstBytesResetsTheClientAfterThoseBytes() {
        relay(true);
        SocketLikeChannel backend = backend();
        client.receive("GET / HTTP/1.0\r\n\r\n");
        backend.receive("HTTP/1.0 200 OK\r\n\r\nhalf a bo");
        backend.dropConnection();

        assertThat(client.written()).isEqualTo("HTTP/1.0 200 OK\r\n\r\nhalf a bo");
        assertThat(client.finSent()).as("a broken reply must not look complete").isFalse();
        assertThat(client.wasReset()).as("client reset").isTrue();
        assertRelayFinished();
    }
}
