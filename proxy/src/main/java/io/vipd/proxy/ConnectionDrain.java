package io.vipd.proxy;

import io.netty.channel.EventLoop;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The drain of a shutdown, once the listeners are closed: waits until the established TCP connections have
 * finished or the grace period is over, then resets the rest (and waits at most a second more for their
 * resets), forgets the UDP flows and reports that it is done. Polls as tasks on the event loops.
 */
final class ConnectionDrain {
    private static final Logger log = LoggerFactory.getLogger(ConnectionDrain.class);

    private final Engine engine;
    private final Runnable done;

    private ConnectionDrain(Engine engine, Runnable done) {
        this.engine = engine;
        this.done = done;
    }

    /** Starts draining; {@code done} runs on an event loop once drained. */
    static void start(Engine engine, Duration grace, Runnable done) {
        long deadline = System.nanoTime() + grace.toNanos();
        log.atInfo().addKeyValue("connections", engine.activeConnections.get())
                .addKeyValue("grace_ms", grace.toMillis()).log("draining connections");
        ConnectionDrain drain = new ConnectionDrain(engine, done);
        engine.group.next().execute(() -> drain.poll(deadline, false));
    }

    /** {@code forced}: the remaining connections were reset, and {@code deadline} is the wait for their resets. */
    private void poll(long deadline, boolean forced) {
        if (engine.activeConnections.get() == 0 || (forced && System.nanoTime() - deadline > 0)) {
            for (Map.Entry<EventLoop, LoopState> e : engine.loops.entrySet()) {
                e.getKey().execute(e.getValue().udp::closeAll);
            }
            log.atInfo().addKeyValue("remaining", engine.activeConnections.get()).log("drained");
            done.run();
            return;
        }
        if (!forced && System.nanoTime() - deadline >= 0) {
            log.atInfo().addKeyValue("connections", engine.activeConnections.get())
                    .log("grace period over; resetting remaining connections");
            for (Map.Entry<EventLoop, LoopState> e : engine.loops.entrySet()) {
                LoopState state = e.getValue();
                e.getKey().execute(() -> new ArrayList<>(state.relays).forEach(TcpRelay::abort));
            }
            // Resets complete within a few loop turns; give up waiting for them after a second.
            long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(1);
            engine.group.next().schedule(() -> poll(until, true), 10, TimeUnit.MILLISECONDS);
            return;
        }
        engine.group.next().schedule(() -> poll(deadline, forced), 20, TimeUnit.MILLISECONDS);
    }
}
