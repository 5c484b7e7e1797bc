package io.vipd.snapshot;

import io.vipd.lb.ServicePortName;
import io.vipd.lb.ServiceTable;
import io.vipd.lb.TableListener;
import java.io.IOException;
import java.time.Clock;
import java.time.Duration;
import java.util.Set;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Keeps the snapshot in step with the table: after a change, the whole table is written on a background
 * thread, at most once per {@code minInterval}, so a burst of changes costs one write and the sync thread never
 * waits for the disk. The write's cost grows with the table (measured in bench/README.md), not with the rate
 * of changes. Thread-safe.
 */
public final class SnapshotWriter implements TableListener, AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(SnapshotWriter.class);

    private final SnapshotStore store;
    private final String mode;
    private final String source;
    private final ServiceTable table;
    private final long minIntervalNanos;
    private final Clock clock;
    private final AtomicBoolean scheduled = new AtomicBoolean();
    private final ScheduledExecutorService executor = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "vipd-snapshot");
        t.setDaemon(true);
        return t;
    });
    private volatile long lastWriteNanos = System.nanoTime() - Long.MAX_VALUE / 2;
    private volatile long lastWriteDurationNanos;
    private volatile int lastWriteBytes;
    private volatile long writes;
    private volatile long failures;
    private volatile boolean closed;

    public SnapshotWriter(
            SnapshotStore store, String mode, String source, ServiceTable table, Duration minInterval, Clock clock) {
        this.store = store;
        this.mode = mode;
        this.source = source;
        this.table = table;
        this.minIntervalNanos = minInterval.toNanos();
        this.clock = clock;
    }

    @Override
    public void onTableChanged(ServiceTable t, Set<ServicePortName> changed) {
        if (closed || !scheduled.compareAndSet(false, true)) {
            return;
        }
        long wait = Math.max(0, lastWriteNanos + minIntervalNanos - System.nanoTime());
        executor.schedule(this::writeScheduled, wait, TimeUnit.NANOSECONDS);
    }

    private void writeScheduled() {
        // Cleared before reading the table: a change from now on schedules the next write.
        scheduled.set(false);
        writeNow();
    }

    /** Writes the table as it is now, on the caller's thread (start-up, hand-over, shutdown). */
    public synchronized void writeNow() {
        long start = System.nanoTime();
        try {
            lastWriteBytes = store.write(new TableSnapshot(mode, source, clock.instant(), table.entries()));
            writes++;
        } catch (IOException | RuntimeException e) {
            failures++;
            log.atWarn()
                    .addKeyValue("file", store.file())
                    .addKeyValue("reason", e.toString())
                    .log("cannot write the table snapshot; a restart may serve an older table");
        } finally {
            lastWriteNanos = System.nanoTime();
            lastWriteDurationNanos = lastWriteNanos - start;
        }
    }

    public long writes() {
        return writes;
    }

    public long failures() {
        return failures;
    }

    public double lastWriteSeconds() {
        return lastWriteDurationNanos / 1e9;
    }

    public int lastWriteBytes() {
        return lastWriteBytes;
    }

    /** Stops scheduling; a write under way finishes. */
    @Override
    public void close() {
        closed = true;
        executor.shutdown();
        try {
            executor.awaitTermination(5, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
