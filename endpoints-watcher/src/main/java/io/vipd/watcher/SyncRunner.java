package io.vipd.watcher;

import java.time.Duration;
import java.util.Objects;
import java.util.concurrent.Callable;
import java.util.concurrent.Future;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * kube-proxy's BoundedFrequencyRunner: runs {@code fn} on its own thread when asked, never more often than
 * {@code minInterval} (requests in between coalesce into one run), again after {@code retryInterval} when it
 * failed, and at least every {@code maxInterval}. {@link #run()} never blocks.
 *
 * <p>Time and scheduling are injectable ({@link Scheduler}) so tests drive it with a fake clock.
 */
public final class SyncRunner implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(SyncRunner.class);

    /** A clock and a single-threaded timer. */
    public interface Scheduler extends AutoCloseable {
        long nanoTime();

        /** Runs {@code task} once after {@code delayNanos}; tasks never overlap. */
        Future<?> schedule(Runnable task, long delayNanos);

        @Override
        void close();
    }

    private final String name;
    private final Callable<?> fn;
    private final long minNanos;
    private final long retryNanos;
    private final long maxNanos;
    private final Scheduler scheduler;

    // Guarded by this.
    private boolean started;
    private boolean closed;
    private boolean requested;
    private long lastRunStart = Long.MIN_VALUE;
    private long nextAt;
    private Future<?> next;

    public SyncRunner(String name, Callable<?> fn, Duration minInterval, Duration retryInterval, Duration maxInterval) {
        this(name, fn, minInterval, retryInterval, maxInterval, threadScheduler(name));
    }

    public SyncRunner(
            String name,
            Callable<?> fn,
            Duration minInterval,
            Duration retryInterval,
            Duration maxInterval,
            Scheduler scheduler) {
        this.name = Objects.requireNonNull(name, "name");
        this.fn = Objects.requireNonNull(fn, "fn");
        this.minNanos = minInterval.toNanos();
        this.retryNanos = retryInterval.toNanos();
        this.maxNanos = maxInterval.toNanos();
        if (minNanos < 0 || retryNanos <= 0 || maxNanos <= 0 || maxNanos < minNanos) {
            throw new IllegalArgumentException("want 0 <= minInterval <= maxInterval and positive retry/max intervals");
        }
        this.scheduler = Objects.requireNonNull(scheduler, "scheduler");
    }

    /** Starts the runner: it runs once right away, then as asked and at least every maxInterval. */
    public synchronized void start() {
        if (started || closed) {
            return;
        }
        started = true;
        requested = true;
        scheduleAt(scheduler.nanoTime());
    }

    /** Asks for a run; coalesces with pending requests and never blocks. Before start() it is remembered. */
    public synchronized void run() {
        if (closed) {
            return;
        }
        requested = true;
        if (started) {
            scheduleAt(earliestAllowed(scheduler.nanoTime()));
        }
    }

    @Override
    public void close() {
        synchronized (this) {
            if (closed) {
                return;
            }
            closed = true;
            if (next != null) {
                next.cancel(false);
                next = null;
            }
        }
        scheduler.close();
    }

    private long earliestAllowed(long now) {
        return lastRunStart == Long.MIN_VALUE ? now : Math.max(now, lastRunStart + minNanos);
    }

    /** Keeps the earlier of the scheduled tick and {@code at}. */
    private void scheduleAt(long at) {
        if (closed) {
            return;
        }
        if (next != null) {
            if (nextAt - at <= 0) {
                return;
            }
            next.cancel(false);
        }
        nextAt = at;
        next = scheduler.schedule(this::tick, Math.max(0, at - scheduler.nanoTime()));
    }

    private void tick() {
        long start;
        synchronized (this) {
            next = null;
            if (closed) {
                return;
            }
            start = scheduler.nanoTime();
            long allowed = earliestAllowed(start);
            if (allowed - start > 0) {
                scheduleAt(allowed);
                return;
            }
            requested = false;
            lastRunStart = start;
        }
        boolean ok = true;
        try {
            fn.call();
        } catch (Exception | Error e) {
            ok = false;
            log.atWarn().addKeyValue("runner", name).setCause(e).log("sync failed; retrying");
        }
        synchronized (this) {
            long now = scheduler.nanoTime();
            scheduleAt(lastRunStart + maxNanos);
            if (!ok) {
                scheduleAt(Math.max(now + retryNanos, earliestAllowed(now)));
            }
            if (requested) {
                scheduleAt(earliestAllowed(now));
            }
        }
    }

    /** A daemon thread named after the runner. */
    static Scheduler threadScheduler(String name) {
        ScheduledThreadPoolExecutor ex = new ScheduledThreadPoolExecutor(1, r -> {
            Thread t = new Thread(r, name);
            t.setDaemon(true);
            return t;
        });
        ex.setRemoveOnCancelPolicy(true);
        ScheduledExecutorService exec = ex;
        return new Scheduler() {
            @Override
            public long nanoTime() {
                return System.nanoTime();
            }

            @Override
            public Future<?> schedule(Runnable task, long delayNanos) {
                return exec.schedule(task, delayNanos, TimeUnit.NANOSECONDS);
            }

            @Override
            public void close() {
                exec.shutdownNow();
            }
        };
    }
}
