package io.vipd.proxy;

import io.netty.channel.Channel;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A service's {@code maxConnections}, as HAProxy's maxconn: at most that many connections are open through the
 * service; beyond it the listener that accepted one more stops accepting, so further clients wait in the
 * kernel's listen backlog, and the ones accepted meanwhile wait unread here, until a connection closes. Only
 * services with a limit touch it. Thread-safe and lock-free: every event loop admits and releases.
 */
final class ConnectionGate {
    /** A connection accepted over the limit, and what serves it once it is admitted. */
    private record Waiting(Channel channel, Runnable serve) {}

    private final AtomicInteger admitted = new AtomicInteger();
    private final ConcurrentLinkedQueue<Waiting> waiting = new ConcurrentLinkedQueue<>();
    /** Listeners stopped because of this service; each is switched on its own loop to match membership. */
    private final Set<Channel> paused = ConcurrentHashMap.newKeySet();

    private volatile int limit = Integer.MAX_VALUE;

    /** Takes a slot if fewer than {@code max} are open. */
    boolean tryAdmit(int max) {
        limit = max;
        return takeSlot();
    }

    private boolean takeSlot() {
        for (; ; ) {
            int n = admitted.get();
            if (n >= limit) {
                return false;
            }
            if (admitted.compareAndSet(n, n + 1)) {
                return true;
            }
        }
    }

    /**
     * Holds {@code ch} unread until a slot frees (then runs {@code serve} on its loop), and stops its listener
     * accepting more. Called on the listener's loop, where the child was accepted.
     */
    void park(Channel ch, Runnable serve) {
        Channel listener = ch.parent();
        if (listener != null && paused.add(listener)) {
            syncListener(listener);
        }
        waiting.add(new Waiting(ch, serve));
        admitWaiting();
    }

    /** A connection admitted through this gate ended. */
    void release() {
        admitted.decrementAndGet();
        admitWaiting();
    }

    /** Connections admitted and open now. */
    int admitted() {
        return admitted.get();
    }

    /** Connections accepted and waiting for a slot now. */
    int waiting() {
        return waiting.size();
    }

    private void admitWaiting() {
        while (!waiting.isEmpty() && takeSlot()) {
            Waiting w = waiting.poll();
            if (w == null) {
                admitted.decrementAndGet(); // another thread admitted the last one
                continue;
            }
            w.channel().eventLoop().execute(() -> {
                if (w.channel().isActive()) {
                    w.serve().run();
                } else {
                    release();
                }
            });
        }
        if (waiting.isEmpty() && admitted.get() < limit && !paused.isEmpty()) {
            for (Channel listener : paused) {
                if (paused.remove(listener)) {
                    syncListener(listener);
                }
            }
        }
    }

    /**
     * Makes a listener accept exactly when it is not paused. Runs on the listener's loop after every change of
     * its membership, so whichever change came last decides, whatever thread made it.
     */
    private void syncListener(Channel listener) {
        if (listener.eventLoop().inEventLoop()) {
            listener.config().setAutoRead(!paused.contains(listener) && listener.isOpen());
        } else {
            listener.eventLoop().execute(() -> syncListener(listener));
        }
    }
}
