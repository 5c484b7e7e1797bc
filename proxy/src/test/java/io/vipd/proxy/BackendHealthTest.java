package io.vipd.proxy;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

class BackendHealthTest {
    private final AtomicLong now = new AtomicLong(1_000_000_000L);
    private final BackendHealth health = new BackendHealth("10.0.0.1:80", 3, Duration.ofSeconds(10), now::get);

    private void advance(Duration d) {
        now.addAndGet(d.toNanos());
    }

    private void fail(int times) {
        for (int i = 0; i < times; i++) {
            health.failed();
        }
    }

    @Test
    void thresholdConsecutiveFailuresEjectForTheBackoff() {
        fail(2);
        assertThat(health.isEjected()).isFalse();
        health.failed();

        assertThat(health.isEjected()).isTrue();
        advance(Duration.ofSeconds(9));
        assertThat(health.isEjected()).isTrue();
        advance(Duration.ofSeconds(1));
        assertThat(health.isEjected()).isFalse();
    }

    @Test
    void aSuccessBetweenFailuresStartsTheCountAgain() {
        fail(2);
        health.succeeded();
        fail(2);

        assertThat(health.isEjected()).isFalse();
    }

    @Test
    void aReadmittedBackendThatFailsAgainIsEjectedAtOnceForTwiceAsLong() {
        fail(3);
        advance(Duration.ofSeconds(10));
        assertThat(health.isEjected()).isFalse();

        health.failed();

        assertThat(health.isEjected()).as("one failure on probation ejects").isTrue();
        advance(Duration.ofSeconds(19));
        assertThat(health.isEjected()).isTrue();
        advance(Duration.ofSeconds(1));
        assertThat(health.isEjected()).isFalse();
        health.failed();
        advance(Duration.ofSeconds(39));
        assertThat(health.isEjected()).as("40 s the third time").isTrue();
    }

    @Test
    void theBackoffStopsGrowingAtFiveMinutes() {
        fail(3);
        for (int i = 0; i < 12; i++) {
            advance(BackendHealth.MAX_BACKOFF);
            assertThat(health.isEjected()).isFalse();
            health.failed();
        }

        advance(BackendHealth.MAX_BACKOFF.minusSeconds(1));
        assertThat(health.isEjected()).isTrue();
        advance(Duration.ofSeconds(1));
        assertThat(health.isEjected()).isFalse();
    }

    @Test
    void aSuccessOnProbationClearsTheHistory() {
        fail(3);
        advance(Duration.ofSeconds(10));
        assertThat(health.isEjected()).isFalse();

        health.succeeded();
        fail(2);

        assertThat(health.isEjected()).as("back to needing the threshold").isFalse();
        health.failed();
        advance(Duration.ofSeconds(10));
        assertThat(health.isEjected()).as("and to the base backoff").isFalse();
    }

    @Test
    void failuresOfConnectsInFlightDuringAnEjectionDoNotLengthenIt() {
        fail(3);
        fail(5);

        advance(Duration.ofSeconds(10));
        assertThat(health.isEjected()).isFalse();
    }

    @Test
    void aZeroBackoffNeverEjects() {
        BackendHealth never = new BackendHealth("10.0.0.1:80", 1, Duration.ZERO, now::get);
        for (int i = 0; i < 10; i++) {
            never.failed();
        }

        assertThat(never.isEjected()).isFalse();
    }
}
