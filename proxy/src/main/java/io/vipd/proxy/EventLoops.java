package io.vipd.proxy;

import io.netty.channel.EventLoop;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.util.concurrent.EventExecutor;
import java.util.HashMap;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

/**
 * The proxy's event loops and the {@link LoopState} each one owns. Handlers find their loop's state here by
 * the loop their channel runs on; shutdown and table changes reach every loop's state through here.
 *
 * <p>Empty until {@link #start}, which runs once, before any listener or table listener exists: the handlers
 * and the table's notifications see its fields through those hand-offs, so they need not be volatile.
 */
final class EventLoops {
    private MultiThreadIoEventLoopGroup group;
    private Map<EventLoop, LoopState> states = Map.of();

    /** Starts the engine's event loops, each with its state and its UDP idle sweep. */
    void start(Engine engine, ProxyMeters meters) {
        group = engine.transport.newGroup(engine.config.effectiveEventLoops());
        Map<EventLoop, LoopState> byLoop = new HashMap<>();
        long sweep = Math.max(
                TimeUnit.MILLISECONDS.toNanos(10), Math.min(engine.udpIdleNanos / 2, TimeUnit.SECONDS.toNanos(1)));
        for (EventExecutor e : group) {
            LoopState state = new LoopState(engine, meters);
            byLoop.put((EventLoop) e, state);
            e.scheduleWithFixedDelay(state.udp::sweep, sweep, sweep, TimeUnit.NANOSECONDS);
        }
        states = Map.copyOf(byLoop);
    }

    MultiThreadIoEventLoopGroup group() {
        return group;
    }

    Set<EventLoop> loops() {
        return states.keySet();
    }

    /** The state of {@code loop}; to be touched on that loop only. */
    LoopState of(EventLoop loop) {
        return states.get(loop);
    }

    /** Runs {@code task} on every loop, with that loop's state. */
    void executeOnEach(Consumer<LoopState> task) {
        for (Map.Entry<EventLoop, LoopState> e : states.entrySet()) {
            LoopState state = e.getValue();
            e.getKey().execute(() -> task.accept(state));
        }
    }
}
