package io.vipd.proxy;

import java.time.Duration;
import java.util.ArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The drain of a shutdown, once the listeners are closed: waits until the established TCP connections have
 * finished or the grace period is over, then resets the rest (and waits at most a second more for their
 * resets), forgets the UDP flows and reports that it is done. Polls as tasks on the event loops.
 */
final class ConnectionDrain {
    private static final Logger log = LoggerFactory.getLogger(ConnectionDrain.class);

    private final EventLoops loops;
    private final AtomicInteger activeConnections;
    private final Runnable done;

    private ConnectionDrain(EventLoops loops, AtomicInteger activeConnections, Runnable done) {
        this.loops = loops;
        this.activeConnections = activeConnections;
        this.done = done;
    }

    /**
     * Starts draining; {@code done} runs on an event loop once drained.
     *
     * @param activeConnections the TCP connections open now, counted by their relays
     */
    static void start(EventLoops loops, AtomicInteger activeConnections, Duration grace, Runnable done) {
        long deadline = System.nanoTime() + grace.toNanos();
        log.atInfo()
                .addKeyValue("connections", activeConnections.get())
                .addKeyValue("grace_ms", grace.toMillis())
                .log("draining connections");
        ConnectionDrain drain = new ConnectionDrain(loops, activeConnections, done);
        loops.any().execute(() -> drain.poll(deadline, false));
    }

    /** {@code forced}: the remaining connections were reset, and {@code deadline} is the wait for their resets. */
    private void poll(long deadline, boolean forced) {
        if (activeConnections.get() == 0 || (forced && System.nanoTime() - deadline > 0)) {
            loops.executeOnEach(state -> state.udp.closeAll());
            log.atInfo().addKeyValue("remaining", activeConnections.get()).log("drained");
            done.run();
            return;
        }
        if (!forced && System.nanoTime() - deadline >= 0) {
            log.atInfo()
                    .addKeyValue("connections", activeConnections.get())
                    .log("grace period over; resetting remaining connections");
            loops.executeOnEach(state -> new ArrayList<>(state.relays).forEach(TcpRelay::abort));
            // Resets complete within a few loop turns; give up waiting for them after a second.
            long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(1);
            loops.any().schedule(() -> poll(until, true), 10, TimeUnit.MILLISECONDS);
            return;
        }
        loops.any().schedule(() -> poll(deadline, forced), 20, TimeUnit.MILLISECONDS);
    }
}
