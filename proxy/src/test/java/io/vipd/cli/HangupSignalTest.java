package io.vipd.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.time.Duration;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Semaphore;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/** The reloads SIGHUP asks for: on their own thread, one at a time, a burst folded into one more. */
class HangupSignalTest {
    private static final Duration WAIT = Duration.ofSeconds(10);

    @Test
    void aBurstWhileAReloadRunsFoldsIntoOneMoreReloadOnTheReloadThread() {
        AtomicInteger runs = new AtomicInteger();
        Semaphore finish = new Semaphore(0);
        Set<String> threads = ConcurrentHashMap.newKeySet();
        HangupSignal hangup = new HangupSignal(() -> {
            threads.add(Thread.currentThread().getName());
            runs.incrementAndGet();
            finish.acquireUninterruptibly();
        });

        hangup.request();
        await().atMost(WAIT).until(() -> runs.get() == 1);
        for (int i = 0; i < 50; i++) {
            hangup.request();
        }
        finish.release(100);
        hangup.close();

        assertThat(runs).hasValue(2);
        assertThat(threads).containsExactly("vipd-reload");
    }

    @Test
    void aReloadThatThrowsDoesNotStopTheNextOne() {
        AtomicInteger runs = new AtomicInteger();
        HangupSignal hangup = new HangupSignal(() -> {
            if (runs.incrementAndGet() == 1) {
                throw new IllegalStateException("first reload fails");
            }
        });

        hangup.request();
        await().atMost(WAIT).until(() -> runs.get() == 1);
        hangup.request();
        hangup.close();

        assertThat(runs).hasValue(2);
    }

    @Test
    void afterCloseASignalIsIgnored() {
        AtomicInteger runs = new AtomicInteger();
        HangupSignal hangup = new HangupSignal(runs::incrementAndGet);
        hangup.close();

        hangup.request();

        assertThat(runs).hasValue(0);
    }
}
