package io.vipd.watcher;

import io.fabric8.kubernetes.client.http.BasicBuilder;
import io.fabric8.kubernetes.client.http.HttpRequest;
import io.fabric8.kubernetes.client.http.Interceptor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.function.LongSupplier;

/**
 * client-go's client-side rate limit (a token bucket of {@code burst} tokens refilled at {@code qps}) as a fabric8
 * request interceptor: a request that finds the bucket empty waits for its token. fabric8 has no QPS setting of
 * its own. vipd sends few requests (three lists, three watches and their re-establishment), so the limit matters
 * only when the API server flaps and thousands of nodes re-list at once, which is what kube-proxy's limit is for.
 * Thread-safe.
 */
final class RequestRateLimit implements Interceptor {
    static final String NAME = "vipd-rate-limit";

    private final double nanosPerToken;
    private final double capacity;
    private final LongSupplier nanoTime;
    private double tokens;
    private long last;

    RequestRateLimit(float qps, int burst, LongSupplier nanoTime) {
        if (qps <= 0) {
            throw new IllegalArgumentException("kube-api-qps: must be greater than 0 to limit, got " + qps);
        }
        this.nanosPerToken = TimeUnit.SECONDS.toNanos(1) / (double) qps;
        this.capacity = Math.max(1, burst);
        this.nanoTime = nanoTime;
        this.tokens = capacity;
        this.last = nanoTime.getAsLong();
    }

    @Override
    public void before(BasicBuilder builder, HttpRequest request, RequestTags tags) {
        long wait = reserve();
        if (wait > 0) {
            LockSupport.parkNanos(wait);
        }
    }

    /** Takes a token and returns how many nanoseconds the caller must wait until it is due (0: at once). */
    synchronized long reserve() {
        long now = nanoTime.getAsLong();
        tokens = Math.min(capacity, tokens + (now - last) / nanosPerToken);
        last = now;
        tokens -= 1;
        return tokens >= 0 ? 0 : (long) Math.ceil(-tokens * nanosPerToken);
    }
}
