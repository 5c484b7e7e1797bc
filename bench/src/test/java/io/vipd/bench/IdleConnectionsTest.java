package io.vipd.bench;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The idle-connection memory probe: it holds relayed connections through a real vipd and reads its memory. */
class IdleConnectionsTest {
    @TempDir
    Path work;

    @Test
    void holdsRelayedConnectionsAndReadsVipdMemory() throws Exception {
        IdleConnections.Result r = IdleConnections.measure(30, "128m", work);

        assertThat(r.idle().activeConnections()).isZero();
        assertThat(r.loaded().activeConnections()).isEqualTo(30);
        assertThat(r.idle().heapUsed()).isPositive().isLessThan(128L << 20);
        assertThat(r.loaded().residentSet()).isPositive();
    }

    @Test
    void sumsEverySampleOfASeries() {
        String text = """
                # TYPE vipd_connections_active gauge
                vipd_connections_active{service="a"} 3.0
                vipd_connections_active{service="b"} 4.0
                vipd_connections_total{service="a"} 100.0
                """;

        assertThat(IdleConnections.sum(text, "vipd_connections_active\\{[^}]*}"))
                .isEqualTo(7);
    }
}
