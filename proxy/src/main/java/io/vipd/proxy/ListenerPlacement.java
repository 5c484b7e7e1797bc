package io.vipd.proxy;

import io.netty.channel.EventLoop;
import io.netty.channel.unix.FileDescriptor;
import io.vipd.lb.Frontend;
import io.vipd.lb.Protocol;
import java.io.IOException;
import java.util.Collection;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The transport and event loops that serve one listener: the engine's, except under io_uring for a listener
 * io_uring cannot serve, which runs on the engine's epoll loops ({@link EventLoops#fallbackLoops}) with one INFO
 * line naming what io_uring lacks: the transparent UDP listener (each datagram's original destination,
 * IP_RECVORIGDSTADDR) and inherited TCP listeners (Netty's io_uring server channel cannot wrap an existing socket).
 */
record ListenerPlacement(Transport transport, Collection<EventLoop> loops) {
    private static final Logger log = LoggerFactory.getLogger(ListenerPlacement.class);

    /**
     * @param inheritedFds the inherited sockets claimed for this listener (closed here if it cannot open at all)
     * @throws ListenerException naming the listener and what is missing, when io_uring cannot serve it and epoll
     *     is not available
     */
    static ListenerPlacement of(
            Engine engine,
            EventLoops eventLoops,
            String name,
            Frontend frontend,
            Protocol protocol,
            ListenerKind kind,
            List<Integer> inheritedFds)
            throws ListenerException {
        String lacking = ioUringLacks(engine.transport, protocol, kind, !inheritedFds.isEmpty());
        if (lacking == null) {
            return new ListenerPlacement(engine.transport, eventLoops.loops());
        }
        if (engine.fallback == null) {
            inheritedFds.forEach(ListenerPlacement::closeQuietly);
            throw Listeners.failure(
                    name, frontend, "io_uring lacks " + lacking + " and native epoll is not available", null);
        }
        log.atInfo()
                .addKeyValue("listener", name)
                .addKeyValue("missing", lacking)
                .log("listener runs on epoll: io_uring lacks what it needs");
        return new ListenerPlacement(engine.fallback, eventLoops.fallbackLoops());
    }

    /** What this listener needs that io_uring lacks; null when io_uring can serve it, or under another transport. */
    private static String ioUringLacks(Transport transport, Protocol protocol, ListenerKind kind, boolean inherited) {
        if (!transport.ioUring()) {
            return null;
        }
        if (protocol == Protocol.UDP && kind == ListenerKind.TRANSPARENT) {
            return "IP_RECVORIGDSTADDR (the original destination of each datagram)";
        }
        if (protocol == Protocol.TCP && inherited) {
            return "a server channel over an inherited socket (no IoUringServerSocketChannel(fd))";
        }
        return null;
    }

    private static void closeQuietly(int fd) {
        try {
            new FileDescriptor(fd).close();
        } catch (IOException e) {
            log.atDebug().addKeyValue("fd", fd).setCause(e).log("closing an unusable inherited socket failed");
        }
    }
}
