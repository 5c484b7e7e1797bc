package io.vipd.lb;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.InetAddress;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

class AffinityTableTest {
    private static final ServicePortName WEB = ServicePortName.of("ns", "web", "http", Protocol.TCP);
    private static final ServicePortName DNS = ServicePortName.of("ns", "dns", "", Protocol.UDP);
    private static final InetAddress CLIENT = TestBackends.ip("198.18.0.10");
    private static final InetAddress OTHER = TestBackends.ip("2001:db8::10");
    private static final int TIMEOUT = 100;

    private final AtomicLong now = new AtomicLong(1_000_000_000L);
    private final AffinityTable table = new AffinityTable(3, now::get);
    private final BackendSet backends =
            BackendSet.of(Backend.parse("10.0.0.1:80"), Backend.parse("10.0.0.2:80"), Backend.parse("10.0.0.3:80"));

    private void advanceSeconds(long s) {
        now.addAndGet(TimeUnit.SECONDS.toNanos(s));
    }

    private void advanceNanos(long n) {
        now.addAndGet(n);
    }

    @Test
    void stickyDuringTheWindowAndExpiredAtItsEnd() {
        assertThat(table.lookup(WEB, CLIENT, backends, TIMEOUT)).isEqualTo(-1);
        assertThat(table.record(WEB, CLIENT, "10.0.0.2:80", TIMEOUT)).isTrue();
        advanceSeconds(TIMEOUT);
        advanceNanos(-1);
        assertThat(table.lookup(WEB, CLIENT, backends, TIMEOUT))
                .as("last instant of the window")
                .isEqualTo(1);
        // That hit refreshed the window: it now ends TIMEOUT after the hit.
        advanceSeconds(TIMEOUT);
        assertThat(table.lookup(WEB, CLIENT, backends, TIMEOUT))
                .as("exactly last_used + timeout")
                .isEqualTo(-1);
        assertThat(table.size()).isZero();
    }

    @Test
    void withoutAHitTheWindowIsNotExtended() {
        table.record(WEB, CLIENT, "10.0.0.1:80", TIMEOUT);
        advanceSeconds(TIMEOUT);
        assertThat(table.lookup(WEB, CLIENT, backends, TIMEOUT)).isEqualTo(-1);
    }

    @Test
    void recordingTheSameBackendRefreshesAndAnotherReplaces() {
        table.record(WEB, CLIENT, "10.0.0.1:80", TIMEOUT);
        advanceSeconds(TIMEOUT - 1);
        table.record(WEB, CLIENT, "10.0.0.1:80", TIMEOUT);
        advanceSeconds(TIMEOUT - 1);
        assertThat(table.lookup(WEB, CLIENT, backends, TIMEOUT)).isZero();
        table.record(WEB, CLIENT, "10.0.0.3:80", TIMEOUT);
        assertThat(table.lookup(WEB, CLIENT, backends, TIMEOUT)).isEqualTo(2);
        assertThat(table.size()).isEqualTo(1);
    }

    @Test
    void keyedByClientAndServicePort() {
        table.record(WEB, CLIENT, "10.0.0.1:80", TIMEOUT);
        table.record(DNS, CLIENT, "10.0.0.2:80", TIMEOUT);
        table.record(WEB, OTHER, "10.0.0.3:80", TIMEOUT);
        assertThat(table.lookup(WEB, CLIENT, backends, TIMEOUT)).isZero();
        assertThat(table.lookup(DNS, CLIENT, backends, TIMEOUT)).isEqualTo(1);
        assertThat(table.lookup(WEB, OTHER, backends, TIMEOUT)).isEqualTo(2);
    }

    @Test
    void aHitOnABackendThatLeftIsRemovedAndMisses() {
        table.record(WEB, CLIENT, "10.0.0.2:80", TIMEOUT);
        BackendSet without = BackendSet.of(Backend.parse("10.0.0.1:80"), Backend.parse("10.0.0.3:80"));
        assertThat(table.lookup(WEB, CLIENT, without, TIMEOUT)).isEqualTo(-1);
        assertThat(table.size()).isZero();
        // It does not come back when the backend does.
        assertThat(table.lookup(WEB, CLIENT, backends, TIMEOUT)).isEqualTo(-1);
    }

    @Test
    void aHitOnABackendWithWeightZeroMisses() {
        table.record(WEB, CLIENT, "10.0.0.2:80", TIMEOUT);
        BackendSet drained = BackendSet.of(
                Backend.parse("10.0.0.1:80"), Backend.parse("10.0.0.2:80").withWeight(0));
        assertThat(table.lookup(WEB, CLIENT, drained, TIMEOUT)).isEqualTo(-1);
    }

    @Test
    void theIndexFollowsTheCurrentSetNotTheOneRecordedWith() {
        table.record(WEB, CLIENT, "10.0.0.3:80", TIMEOUT);
        BackendSet grown = BackendSet.of(Backend.parse("10.0.0.0:80"), Backend.parse("10.0.0.3:80"));
        assertThat(table.lookup(WEB, CLIENT, grown, TIMEOUT)).isEqualTo(1);
    }

    @Test
    void timeoutZeroMeansAffinityOff() {
        assertThat(table.record(WEB, CLIENT, "10.0.0.1:80", 0)).isFalse();
        table.record(WEB, CLIENT, "10.0.0.1:80", TIMEOUT);
        assertThat(table.lookup(WEB, CLIENT, backends, 0)).isEqualTo(-1);
    }

    @Test
    void aShorterCurrentTimeoutAppliesAtOnce() {
        table.record(WEB, CLIENT, "10.0.0.1:80", TIMEOUT);
        advanceSeconds(20);
        assertThat(table.lookup(WEB, CLIENT, backends, 10)).isEqualTo(-1);
    }

    @Test
    void whenFullNewClientsAreNotInsertedButExistingOnesStillWork() {
        InetAddress[] clients = {
            TestBackends.ip("198.18.0.1"),
            TestBackends.ip("198.18.0.2"),
            TestBackends.ip("198.18.0.3"),
            TestBackends.ip("198.18.0.4")
        };
        for (int i = 0; i < 3; i++) {
            assertThat(table.record(WEB, clients[i], "10.0.0.1:80", TIMEOUT)).isTrue();
        }
        assertThat(table.record(WEB, clients[3], "10.0.0.1:80", TIMEOUT)).isFalse();
        assertThat(table.size()).isEqualTo(3);
        assertThat(table.lookup(WEB, clients[3], backends, TIMEOUT)).isEqualTo(-1);
        // Existing entries are refreshed and re-pointed while full.
        assertThat(table.record(WEB, clients[0], "10.0.0.3:80", TIMEOUT)).isTrue();
        assertThat(table.lookup(WEB, clients[0], backends, TIMEOUT)).isEqualTo(2);
        // Once an entry expires and is swept, there is room again.
        advanceSeconds(TIMEOUT - 1);
        table.lookup(WEB, clients[1], backends, TIMEOUT);
        advanceSeconds(1);
        assertThat(table.sweep()).isEqualTo(2);
        assertThat(table.size()).isEqualTo(1);
        assertThat(table.record(WEB, clients[3], "10.0.0.2:80", TIMEOUT)).isTrue();
    }

    @Test
    void sweepRemovesOnlyExpiredEntriesByTheirOwnTimeout() {
        table.record(WEB, CLIENT, "10.0.0.1:80", 10);
        table.record(DNS, CLIENT, "10.0.0.1:80", 30);
        advanceSeconds(10);
        assertThat(table.sweep()).isEqualTo(1);
        assertThat(table.lookup(DNS, CLIENT, backends, 30)).isZero();
        advanceSeconds(30);
        assertThat(table.sweep()).isEqualTo(1);
        assertThat(table.size()).isZero();
    }

    @Test
    void forgetAndForgetPort() {
        table.record(WEB, CLIENT, "10.0.0.1:80", TIMEOUT);
        table.record(WEB, OTHER, "10.0.0.1:80", TIMEOUT);
        table.record(DNS, CLIENT, "10.0.0.1:80", TIMEOUT);
        table.forget(DNS, CLIENT);
        assertThat(table.lookup(DNS, CLIENT, backends, TIMEOUT)).isEqualTo(-1);
        assertThat(table.forgetPort(WEB)).isEqualTo(2);
        assertThat(table.size()).isZero();
    }

    @Test
    void clockWrapAroundIsHarmless() {
        now.set(Long.MAX_VALUE - TimeUnit.SECONDS.toNanos(1));
        table.record(WEB, CLIENT, "10.0.0.1:80", TIMEOUT);
        advanceSeconds(2);
        assertThat(now.get()).isNegative();
        assertThat(table.lookup(WEB, CLIENT, backends, TIMEOUT)).isZero();
    }

    @Test
    void rejectsANonPositiveBound() {
        assertThatThrownBy(() -> new AffinityTable(0, now::get))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("maxEntries");
    }
}
