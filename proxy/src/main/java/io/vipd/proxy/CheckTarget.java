package io.vipd.proxy;

import io.micrometer.core.instrument.Counter;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFactory;
import io.netty.util.concurrent.ScheduledFuture;
import io.vipd.lb.ServicePortName;
import java.net.InetSocketAddress;
import java.time.Instant;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The active health check of one backend of one service port: its schedule on one event loop and its
 * rise/fall state. Up at start (as HAProxy's servers start fully up); {@code fall} consecutive failures mark
 * it down in {@link UnavailableBackends}, {@code rise} consecutive passes up again.
 *
 * <p>Scheduling: the first check falls at a random point of the first interval, so checks of many backends
 * spread instead of firing together after a start or reload; later ones start an interval after the previous
 * one started, less a random 0..5% (jitter that keeps them spread, and never later than the interval, so a
 * backend that fails is down within {@code interval × fall} of its first failed check, plus any wait for a
 * free place under the loop's bound).
 *
 * <p>Threading: checking runs on the target's loop; {@link #stop} may come from any thread and takes effect on
 * the loop; the state is read by status pages through volatile fields.
 */
final class CheckTarget {
    private static final Logger log = LoggerFactory.getLogger(CheckTarget.class);

    final ServicePortName port;
    final String key;
    final InetSocketAddress address;
    final HealthCheck check;
    private final CheckLoop loop;
    private final ChannelFactory<? extends Channel> sockets;
    /** What an HTTP check sends, made once; null for TCP checks. */
    private final byte[] request;
    /** Made once rather than at every schedule and check. */
    private final Runnable dueTask = this::due;

    private final HealthProbe.Outcome completion = this::completed;
    private final UnavailableBackends unavailable;
    private final Counter passed;
    private final Counter failed;

    private int passes;
    private int failures;
    private long startedNanos;
    private ScheduledFuture<?> next;
    private HealthProbe probe;

    private volatile boolean stopped;
    private volatile boolean up = true;
    private volatile String lastResult;
    /** Epoch milliseconds of the last check's end, 0 before the first. */
    private volatile long lastCheckAtMillis;

    CheckTarget(
            ServicePortName port,
            String key,
            InetSocketAddress address,
            HealthCheck check,
            CheckLoop loop,
            ChannelFactory<? extends Channel> sockets,
            UnavailableBackends unavailable,
            Counter passed,
            Counter failed) {
        this.port = port;
        this.key = key;
        this.address = address;
        this.check = check;
        this.loop = loop;
        this.sockets = sockets;
        this.request = HealthProbe.request(check, address);
        this.unavailable = unavailable;
        this.passed = passed;
        this.failed = failed;
    }

    /** Schedules the first check at a random point of the first interval. */
    void start() {
        long first = ThreadLocalRandom.current().nextLong(check.interval().toNanos());
        loop.loop.execute(() -> schedule(first));
    }

    /** Stops checking; a check under way is abandoned and its result ignored. Marks the backend up again. */
    void stop() {
        stopped = true;
        loop.loop.execute(() -> {
            if (next != null) {
                next.cancel(false);
            }
            if (probe != null) {
                probe.cancel();
                probe = null;
                loop.finished();
            }
            // On the loop, after any result of this target: a successor on the same loop starts from up.
            unavailable.setDown(port, key, false);
        });
    }

    boolean stopped() {
        return stopped;
    }

    private void schedule(long delayNanos) {
        if (!stopped) {
            next = loop.loop.schedule(dueTask, delayNanos, TimeUnit.NANOSECONDS);
        }
    }

    private void due() {
        next = null;
        if (!stopped) {
            loop.due(this);
        }
    }

    /** Runs one check now; {@link CheckLoop} has counted it. */
    void begin() {
        startedNanos = System.nanoTime();
        probe = HealthProbe.start(sockets, loop.loop, check, address, request, completion);
    }

    private void completed(boolean pass, String result) {
        probe = null;
        loop.finished();
        if (stopped) {
            return;
        }
        lastResult = result;
        lastCheckAtMillis = System.currentTimeMillis();
        (pass ? passed : failed).increment();
        if (pass) {
            failures = 0;
            passes++;
            if (!up && passes >= check.rise()) {
                up = true;
                unavailable.setDown(port, key, false);
                log.atInfo()
                        .addKeyValue("service", port)
                        .addKeyValue("backend", key)
                        .addKeyValue("result", result)
                        .log("backend up: health checks pass again");
            }
        } else {
            passes = 0;
            failures++;
            if (up && failures >= check.fall()) {
                up = false;
                unavailable.setDown(port, key, true);
                log.atWarn()
                        .addKeyValue("service", port)
                        .addKeyValue("backend", key)
                        .addKeyValue("result", result)
                        .addKeyValue("failures", failures)
                        .log("backend down: health checks fail; it takes no new connections");
            }
        }
        long interval = check.interval().toNanos();
        long jitter = ThreadLocalRandom.current().nextLong(interval / 20 + 1);
        schedule(Math.max(0, interval - jitter - (System.nanoTime() - startedNanos)));
    }

    /** The last check's outcome, or null before the first. */
    ProxyStats.CheckStatus status() {
        long at = lastCheckAtMillis;
        return new ProxyStats.CheckStatus(
                up, check.type().configName(), lastResult, at == 0 ? null : Instant.ofEpochMilli(at));
    }

    boolean up() {
        return up;
    }
}
