package io.vipd.proxy;

import io.micrometer.core.instrument.Counter;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelOutboundBuffer;
import io.netty.channel.IoEventLoop;
import io.netty.handler.timeout.IdleStateHandler;
import java.util.concurrent.TimeUnit;

/**
 * Moves a copying relay to splice: reads pause at once, and both sockets go to a {@link SpliceRelay} once every
 * byte already read has been written, so nothing is left in Netty's buffers. A FIN or a close that comes first
 * calls the switch off, and copying resumes as before the request. Made once per switch (native epoll only);
 * touched by the client's event loop only.
 */
final class SpliceHandOver {
    /** What the hand-over asks of and tells the relay, beside what the spliced relay reports itself. */
    interface Owner extends SpliceRelay.Listener {
        /** The relay was aborted or has finished: the hand-over stops where it is. */
        boolean ended();

        /** The switch is called off; the hand-over resumes reads right after. */
        void copyingResumed();

        /** Resets both sides. */
        void abort();
    }

    private final Owner owner;
    private final RelaySide client;
    private final RelaySide backend;
    private final long idleNanos;
    private final Counter splicedConnections;
    private SpliceRelay splice;

    SpliceHandOver(Owner owner, RelaySide client, RelaySide backend, long idleNanos, Counter splicedConnections) {
        this.owner = owner;
        this.client = client;
        this.backend = backend;
        this.idleNanos = idleNanos;
        this.splicedConnections = splicedConnections;
    }

    /** Pauses reads now; the hand-over follows once the writes already queued are flushed. */
    void start() {
        Channel c = client.channel;
        c.config().setAutoRead(false);
        backend.channel.config().setAutoRead(false);
        IdleStateHandler idle = c.pipeline().get(IdleStateHandler.class);
        if (idle != null) {
            c.pipeline().remove(idle); // the splice relay keeps its own idle timer
        }
        // Later, not now: reads already under way in this loop turn may still queue bytes.
        c.eventLoop().execute(this::handOverWhenFlushed);
    }

    /** Whether the sockets belong to the splice relay now. */
    boolean splicing() {
        return splice != null;
    }

    /** Resets both sides through the splice relay. */
    void resetSplice() {
        splice.reset();
    }

    private void handOverWhenFlushed() {
        if (owner.ended()) {
            return;
        }
        if (client.closed || backend.closed || client.inputDone || backend.inputDone) {
            resumeCopying();
            return;
        }
        Channel c = client.channel;
        Channel b = backend.channel;
        Channel unflushed = hasPendingWrites(c) ? c : hasPendingWrites(b) ? b : null;
        if (unflushed != null) {
            // Checked again as a task: while the listener runs, the outbound buffer still counts the entry.
            unflushed.writeAndFlush(Unpooled.EMPTY_BUFFER).addListener(f -> {
                if (f.isSuccess()) {
                    c.eventLoop().execute(this::handOverWhenFlushed);
                }
            });
            return;
        }
        // Both deregistrations run as back-to-back tasks of this loop, normally with no I/O in between.
        ChannelFuture clientOff = c.deregister();
        b.deregister().addListener(backendOff -> {
            if (owner.ended()) {
                return;
            }
            if (!clientOff.isSuccess() || !backendOff.isSuccess()) {
                owner.abort();
                return;
            }
            if (client.inputDone || backend.inputDone || hasPendingWrites(c) || hasPendingWrites(b)) {
                // A FIN was read in between: give the channels back to Netty and go on copying.
                IoEventLoop loop = (IoEventLoop) c.eventLoop();
                loop.register(c)
                        .addListener(cOn -> loop.register(b).addListener(bOn -> {
                            if (cOn.isSuccess() && bOn.isSuccess()) {
                                resumeCopying();
                            } else {
                                owner.abort();
                            }
                        }));
                return;
            }
            splice = new SpliceRelay(owner, (IoEventLoop) c.eventLoop(), c, b, idleNanos);
            splice.start();
            splicedConnections.increment();
        });
    }

    /** A half-close or a close came first: go on copying, as before the request. */
    private void resumeCopying() {
        owner.copyingResumed();
        Channel c = client.channel;
        Channel b = backend.channel;
        if (idleNanos > 0 && c.isOpen()) {
            c.pipeline().addFirst(new IdleStateHandler(0, 0, idleNanos, TimeUnit.NANOSECONDS));
        }
        if (!backend.inputDone && !backend.closed) {
            b.config().setAutoRead(c.isWritable());
        }
        if (!client.inputDone && !client.closed) {
            c.config().setAutoRead(b.isWritable());
        }
    }

    private static boolean hasPendingWrites(Channel ch) {
        ChannelOutboundBuffer out = ch.unsafe().outboundBuffer();
        return out != null && (!out.isEmpty() || out.totalPendingWriteBytes() > 0);
    }
}
