package io.vipd.proxy;

import static io.vipd.proxy.Fixtures.entry;
import static io.vipd.proxy.Fixtures.tcpFrontend;
import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import io.netty.channel.EventLoop;
import io.netty.util.concurrent.DefaultPromise;
import io.vipd.lb.Backend;
import io.vipd.lb.BackendSet;
import io.vipd.lb.Frontend;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.slf4j.LoggerFactory;

/**
 * The backend ends its side (FIN) and the client resets its own before vipd gets to either: passing the FIN on
 * to a client that is already gone fails with ENOTCONN, which must end the connection quietly rather than
 * escape as an exception Netty logs with a stack trace for every such connection.
 */
class PeerGoneBeforeFinTest extends ProxyTestBase {
    private final Logger promiseLogger = (Logger) LoggerFactory.getLogger(DefaultPromise.class);
    private final ListAppender<ILoggingEvent> logged = new ListAppender<>();

    @BeforeEach
    void capture() {
        logged.start();
        promiseLogger.addAppender(logged);
    }

    @AfterEach
    void release() {
        promiseLogger.detachAppender(logged);
    }

    @ParameterizedTest
    @EnumSource(
            value = SpliceMode.class,
            names = {"OFF", "ON"})
    void aFinToAClientThatAlreadyResetEndsQuietly(SpliceMode splice) throws Exception {
        try (ServerSocket backend = new ServerSocket(0, 50, InetAddress.getLoopbackAddress())) {
            Frontend f = tcpFrontend("127.0.0.1");
            proxy(
                    ProxyConfig.defaults().withSplice(splice),
                    entry("web", f, BackendSet.of(Backend.of((InetSocketAddress) backend.getLocalSocketAddress(), 1)))
                            .build());
            for (int round = 0; round < 5; round++) {
                Socket client = connect(f);
                client.getOutputStream().write('x');
                try (Socket accepted = backend.accept()) {
                    InputStream in = accepted.getInputStream();
                    assertThat(in.read()).isEqualTo('x');
                    // Hold the loops: the backend's FIN, then the client's reset, both reach vipd before it looks.
                    CountDownLatch held = new CountDownLatch(proxy.eventLoops().size());
                    CountDownLatch release = new CountDownLatch(1);
                    List<io.netty.util.concurrent.Future<?>> holds = new ArrayList<>();
                    for (EventLoop loop : proxy.eventLoops()) {
                        holds.add(loop.submit(() -> {
                            held.countDown();
                            release.await(5, TimeUnit.SECONDS);
                            return null;
                        }));
                    }
                    assertThat(held.await(5, TimeUnit.SECONDS)).isTrue();
                    accepted.shutdownOutput();
                    Thread.sleep(50);
                    client.setSoLinger(true, 0);
                    client.close();
                    Thread.sleep(50);
                    release.countDown();
                    for (io.netty.util.concurrent.Future<?> h : holds) {
                        h.await(5, TimeUnit.SECONDS);
                    }
                    // vipd ends the backend's connection too, by a FIN or a reset depending on which it saw first.
                    accepted.setSoTimeout(5000);
                    assertThat(endsWithin(in)).isTrue();
                }
            }
        }
        assertThat(logged.list)
                .as("exceptions Netty logged from vipd's listeners")
                .filteredOn(e -> e.getLevel().isGreaterOrEqual(Level.WARN))
                .isEmpty();
    }

    /** True once the stream ends, orderly or by a reset; a read timeout (the connection left open) fails. */
    private static boolean endsWithin(InputStream in) throws java.io.IOException {
        try {
            while (in.read() >= 0) {
                // discard
            }
            return true;
        } catch (java.net.SocketTimeoutException e) {
            return false;
        } catch (java.net.SocketException e) {
            return e.getMessage().contains("reset");
        }
    }
}
