package io.vipd.watcher;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

class RequestRateLimitTest {
    @Test
    void aBurstGoesAtOnceThenRequestsWaitForTheirToken() {
        AtomicLong now = new AtomicLong();
        RequestRateLimit limit = new RequestRateLimit(5, 3, now::get);
        long tick = TimeUnit.MILLISECONDS.toNanos(200);
        assertThat(limit.reserve()).isZero();
        assertThat(limit.reserve()).isZero();
        assertThat(limit.reserve()).isZero();
        // The bucket is empty: the 4th waits one token (200 ms at 5 QPS), the 5th two.
        assertThat(limit.reserve()).isEqualTo(tick);
        assertThat(limit.reserve()).isEqualTo(2 * tick);
        // After a quiet second the bucket holds its burst again, never more.
        now.addAndGet(TimeUnit.SECONDS.toNanos(10));
        assertThat(limit.reserve()).isZero();
        assertThat(limit.reserve()).isZero();
        assertThat(limit.reserve()).isZero();
        assertThat(limit.reserve()).isEqualTo(tick);
    }

    @Test
    void qpsMustBePositive() {
        assertThatThrownBy(() -> new RequestRateLimit(0, 1, System::nanoTime)).hasMessageContaining("kube-api-qps");
    }
}
