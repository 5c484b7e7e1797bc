package io.vipd.proxy;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.vipd.proxy.UnroutableDatagrams.Reason;
import java.net.InetSocketAddress;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;

/** Every unroutable datagram is counted by reason; each reason logs at most once per interval. */
class UnroutableDatagramsTest {
    private final Logger logger = (Logger) LoggerFactory.getLogger(UnroutableDatagrams.class);
    private final ListAppender<ILoggingEvent> logged = new ListAppender<>();
    private final SimpleMeterRegistry registry = new SimpleMeterRegistry();
    private final AtomicLong now = new AtomicLong(1_000_000_000L);
    private final UnroutableDatagrams drops = new UnroutableDatagrams(registry, now::get);
    private final InetSocketAddress client = new InetSocketAddress("2001:2::1", 40000);
    private final InetSocketAddress frontend = new InetSocketAddress("2001:2:0:f::10", 53);

    @BeforeEach
    void attach() {
        logged.start();
        logger.addAppender(logged);
    }

    @AfterEach
    void detach() {
        logger.detachAppender(logged);
    }

    @Test
    void countsEveryDropButLogsOncePerReasonPerInterval() {
        for (int i = 0; i < 1000; i++) {
            drops.drop(Reason.NO_FRONTEND, client, frontend);
        }
        drops.drop(Reason.NO_ENDPOINT, client, frontend);

        assertThat(drops.count(Reason.NO_FRONTEND)).isEqualTo(1000);
        assertThat(drops.count(Reason.NO_ENDPOINT)).isEqualTo(1);
        assertThat(registry.get("vipd.udp.datagrams.unroutable")
                        .tag("reason", "no_frontend")
                        .counter()
                        .count())
                .isEqualTo(1000);
        assertThat(logged.list).hasSize(2);
        assertThat(logged.list.get(0).getFormattedMessage()).contains("no service port has this frontend");
        assertThat(logged.list.get(1).getFormattedMessage()).contains("no usable endpoint");

        now.addAndGet(TimeUnit.SECONDS.toNanos(UnroutableDatagrams.LOG_INTERVAL_SECONDS) - 1);
        drops.drop(Reason.NO_FRONTEND, client, frontend);
        assertThat(logged.list).hasSize(2);
        now.addAndGet(1);
        drops.drop(Reason.NO_FRONTEND, client, frontend);
        assertThat(logged.list).hasSize(3);
        // The line says how many went unlogged since the last one.
        assertThat(logged.list.get(2).getKeyValuePairs()).anySatisfy(kv -> {
            assertThat(kv.key).isEqualTo("not_logged_since_last");
            assertThat(kv.value).isEqualTo(1000L);
        });
    }

    @Test
    void everyReasonHasItsOwnCounterFromTheStart() {
        for (Reason r : Reason.values()) {
            assertThat(registry.get("vipd.udp.datagrams.unroutable")
                            .tag("reason", r.label)
                            .counter()
                            .count())
                    .isZero();
        }
    }
}
