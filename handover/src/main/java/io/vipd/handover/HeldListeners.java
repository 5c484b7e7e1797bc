package io.vipd.handover;

import io.netty.channel.Channel;
import io.netty.channel.unix.UnixChannel;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * The listening sockets this process holds and would hand to a successor: every component that binds a listener
 * (frontends, the transparent listeners, healthz, metrics, healthCheckNodePort servers) adds it here and removes
 * it when it closes the listener itself. Only native (epoll) channels have a file descriptor to pass; others
 * are not recorded. Thread-safe; changes are rare (binds and closes), reads happen once per hand-over.
 */
public final class HeldListeners {
    /** One listener: what it was bound to and the channel that owns the socket. */
    public record Held(ListenerAddress address, Channel channel) {}

    private final List<Held> held = new CopyOnWriteArrayList<>();

    /** Records a bound listener; a channel without a file descriptor (NIO) cannot be handed over and is ignored. */
    public void add(ListenerAddress address, Channel channel) {
        if (channel instanceof UnixChannel) {
            held.add(new Held(address, channel));
        }
    }

    /** Forgets a listener its owner closed. */
    public void remove(Channel channel) {
        held.removeIf(h -> h.channel() == channel);
    }

    /** The listeners held now that are still open. */
    public List<Held> snapshot() {
        List<Held> open = new ArrayList<>();
        for (Held h : held) {
            if (h.channel().isOpen()) {
                open.add(h);
            }
        }
        return open;
    }
}
