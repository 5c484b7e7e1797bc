package io.vipd.proxy;

import io.netty.channel.EventLoop;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.util.concurrent.EventExecutor;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

/**
 * The proxy's event loops and the {@link LoopState} each one owns. Handlers find their loop's state here by
 * the loop their channel runs on; shutdown and table changes reach every loop's state through here.
 *
 * <p>The engine's loops start in {@link #start}, once, before any listener or table listener exists. Under
 * io_uring a second set of epoll loops starts the first time a listener needs it ({@link #fallbackLoops}),
 * under {@link ProxyServer}'s lock; the state map is then republished whole through a volatile field.
 */
final class EventLoops {
    private MultiThreadIoEventLoopGroup group;
    private MultiThreadIoEventLoopGroup fallbackGroup;
    private Engine engine;
    private ProxyMeters meters;
    private volatile Map<EventLoop, LoopState> states = Map.of();
    private Set<EventLoop> primary = Set.of();
    private Set<EventLoop> fallback = Set.of();

    /** Starts the engine's event loops, each with its state and its UDP idle sweep. */
    void start(Engine engine, ProxyMeters meters) {
        this.engine = engine;
        this.meters = meters;
        group = engine.transport.newGroup(engine.config.effectiveEventLoops(), "vipd-loop");
        Map<EventLoop, LoopState> byLoop = new HashMap<>();
        primary = addStates(group, engine.transport, byLoop);
        states = Map.copyOf(byLoop);
    }

    private Set<EventLoop> addStates(
            MultiThreadIoEventLoopGroup g, Transport transport, Map<EventLoop, LoopState> byLoop) {
        long sweep = Math.max(
                TimeUnit.MILLISECONDS.toNanos(10), Math.min(engine.udpIdleNanos / 2, TimeUnit.SECONDS.toNanos(1)));
        Set<EventLoop> loops = new LinkedHashSet<>();
        for (EventExecutor e : g) {
            LoopState state = new LoopState(engine, meters, transport);
            byLoop.put((EventLoop) e, state);
            loops.add((EventLoop) e);
            e.scheduleWithFixedDelay(state.udp::sweep, sweep, sweep, TimeUnit.NANOSECONDS);
        }
        return Set.copyOf(loops);
    }

    /** The engine's own loops, on its transport. */
    Set<EventLoop> loops() {
        return primary;
    }

    /**
     * Epoll loops beside io_uring ones, as many, started on first use, for the listeners io_uring cannot serve;
     * empty when the engine has no fallback transport. Called under {@link ProxyServer}'s lock.
     */
    Set<EventLoop> fallbackLoops() {
        if (fallbackGroup == null && engine.fallback != null) {
            fallbackGroup = engine.fallback.newGroup(primary.size(), "vipd-epoll-loop");
            Map<EventLoop, LoopState> byLoop = new HashMap<>(states);
            fallback = addStates(fallbackGroup, engine.fallback, byLoop);
            states = Map.copyOf(byLoop);
        }
        return fallback;
    }

    /** Any one of the engine's loops, for work of no particular loop. */
    EventLoop any() {
        return group.next();
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

    /** Stops every loop; waits for them unless called on one of them (which would never return). */
    void shutdown() {
        var terminated = group.shutdownGracefully(0, 2, TimeUnit.SECONDS);
        var fallbackTerminated =
                fallbackGroup == null ? null : fallbackGroup.shutdownGracefully(0, 2, TimeUnit.SECONDS);
        boolean onLoop = false;
        for (EventLoop loop : states.keySet()) {
            onLoop |= loop.inEventLoop();
        }
        if (!onLoop) {
            terminated.syncUninterruptibly();
            if (fallbackTerminated != null) {
                fallbackTerminated.syncUninterruptibly();
            }
        }
    }
}
