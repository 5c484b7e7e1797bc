package io.vipd.watcher;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.PriorityQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Delayed;
import java.util.concurrent.Future;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/** BoundedFrequencyRunner semantics on a fake clock: tasks run only when the test advances time. */
class SyncRunnerTest {
    /** A manual clock and timer: {@link #advance} runs due tasks in time order on the calling thread. */
    static final class FakeScheduler implements SyncRunner.Scheduler {
        private long now = 1_000_000_000L;
        private long seq;
        private final PriorityQueue<Task> queue =
                new PriorityQueue<>(Comparator.comparingLong((Task t) -> t.due).thenComparingLong(t -> t.seq));

        final class Task implements ScheduledFuture<Object> {
            final long due;
            final long seq;
            final Runnable r;
            boolean cancelled;

            Task(long due, long seq, Runnable r) {
                this.due = due;
                this.seq = seq;
                this.r = r;
            }

            @Override
            public boolean cancel(boolean mayInterrupt) {
                cancelled = true;
                return queue.remove(this);
            }

            @Override
            public boolean isCancelled() {
                return cancelled;
            }

            @Override
            public boolean isDone() {
                return cancelled;
            }

            @Override
            public Object get() {
                return null;
            }

            @Override
            public Object get(long timeout, TimeUnit unit) {
                return null;
            }

            @Override
            public long getDelay(TimeUnit unit) {
                return unit.convert(due - now, TimeUnit.NANOSECONDS);
            }

            @Override
            public int compareTo(Delayed o) {
                return Long.compare(getDelay(TimeUnit.NANOSECONDS), o.getDelay(TimeUnit.NANOSECONDS));
            }
        }

        @Override
        public long nanoTime() {
            return now;
        }

        @Override
        public Future<?> schedule(Runnable task, long delayNanos) {
            Task t = new Task(now + delayNanos, seq++, task);
            queue.add(t);
            return t;
        }

        @Override
        public void close() {
            queue.clear();
        }

        void advance(Duration d) {
            long end = now + d.toNanos();
            while (!queue.isEmpty() && queue.peek().due <= end) {
                Task t = queue.poll();
                now = Math.max(now, t.due);
                t.r.run();
            }
            now = end;
        }
    }

    private final FakeScheduler clock = new FakeScheduler();
    private final List<Long> runs = new ArrayList<>();
    private final AtomicInteger failuresLeft = new AtomicInteger();

    private SyncRunner runner(Duration min, Duration retry, Duration max) {
        return new SyncRunner(
                "test",
                () -> {
                    runs.add(clock.nanoTime());
                    if (failuresLeft.getAndDecrement() > 0) {
                        throw new IllegalStateException("boom");
                    }
                    return null;
                },
                min,
                retry,
                max,
                clock);
    }

    private long ms(long nanos) {
        return TimeUnit.NANOSECONDS.toMillis(nanos - 1_000_000_000L);
    }

    private List<Long> runMillis() {
        return runs.stream().map(this::ms).toList();
    }

    @Test
    void startRunsOnceAndBurstsCoalesceAtMinInterval() {
        SyncRunner r = runner(Duration.ofMillis(100), Duration.ofSeconds(1), Duration.ofHours(1));
        r.run(); // before start: remembered, not run
        clock.advance(Duration.ofMillis(10));
        assertThat(runs).isEmpty();
        r.start();
        clock.advance(Duration.ZERO);
        assertThat(runMillis()).containsExactly(10L);
        for (int i = 0; i < 50; i++) {
            r.run();
            clock.advance(Duration.ofMillis(1));
        }
        clock.advance(Duration.ofMillis(200));
        // 50 requests between 10 ms and 60 ms: one run at 10 + minInterval
        assertThat(runMillis()).containsExactly(10L, 110L);
        r.close();
    }

    @Test
    void aRequestAfterAQuietPeriodRunsImmediately() {
        SyncRunner r = runner(Duration.ofMillis(100), Duration.ofSeconds(1), Duration.ofHours(1));
        r.start();
        clock.advance(Duration.ofMillis(500));
        r.run();
        clock.advance(Duration.ZERO);
        assertThat(runMillis()).containsExactly(0L, 500L);
        r.close();
    }

    @Test
    void failuresAreRetriedAfterRetryInterval() {
        failuresLeft.set(2);
        SyncRunner r = runner(Duration.ofMillis(100), Duration.ofSeconds(2), Duration.ofHours(1));
        r.start();
        clock.advance(Duration.ofSeconds(10));
        assertThat(runMillis()).containsExactly(0L, 2000L, 4000L);
        r.close();
    }

    @Test
    void aRequestDuringBackoffStillWaitsOnlyMinInterval() {
        failuresLeft.set(1);
        SyncRunner r = runner(Duration.ofMillis(100), Duration.ofSeconds(5), Duration.ofHours(1));
        r.start();
        clock.advance(Duration.ofMillis(50));
        r.run();
        clock.advance(Duration.ofSeconds(1));
        assertThat(runMillis()).containsExactly(0L, 100L);
        r.close();
    }

    @Test
    void runsAtLeastEveryMaxInterval() {
        SyncRunner r = runner(Duration.ofMillis(100), Duration.ofSeconds(1), Duration.ofMinutes(1));
        r.start();
        clock.advance(Duration.ofMinutes(3).plusSeconds(1));
        assertThat(runMillis()).containsExactly(0L, 60_000L, 120_000L, 180_000L);
        r.close();
    }

    @Test
    void closeStopsEverything() {
        SyncRunner r = runner(Duration.ofMillis(100), Duration.ofSeconds(1), Duration.ofMinutes(1));
        r.start();
        clock.advance(Duration.ZERO);
        r.close();
        r.run();
        clock.advance(Duration.ofMinutes(5));
        assertThat(runs).hasSize(1);
    }

    @Test
    void realThreadRunsWithoutBlockingTheCaller() throws Exception {
        CountDownLatch first = new CountDownLatch(1);
        CountDownLatch second = new CountDownLatch(2);
        try (SyncRunner r = new SyncRunner(
                "real",
                () -> {
                    first.countDown();
                    second.countDown();
                    return null;
                },
                Duration.ZERO,
                Duration.ofSeconds(1),
                Duration.ofHours(1))) {
            r.start();
            assertThat(first.await(10, TimeUnit.SECONDS)).isTrue();
            r.run();
            assertThat(second.await(10, TimeUnit.SECONDS)).isTrue();
        }
    }
}
