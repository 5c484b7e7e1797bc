package io.vipd.proxy;

import io.netty.channel.Channel;
import io.netty.channel.IoEvent;
import io.netty.channel.IoEventLoop;
import io.netty.channel.IoRegistration;
import io.netty.channel.epoll.EpollIoEvent;
import io.netty.channel.epoll.EpollIoHandle;
import io.netty.channel.epoll.EpollIoOps;
import io.netty.channel.epoll.Native;
import io.netty.channel.unix.FileDescriptor;
import io.netty.channel.unix.Socket;
import io.netty.channel.unix.UnixChannel;
import java.io.IOException;
import java.nio.channels.NotYetConnectedException;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The byte-moving half of a TCP relay once it splices (native epoll only). Both sockets are taken from
 * their Netty channels (deregistered, so Netty no longer reads them) and registered on the same event loop as
 * plain epoll handles; each direction moves bytes socket → pipe → socket with splice(2), so they never enter
 * user space. Netty's own {@code spliceTo} is not used: it is deprecated in 4.2, counts no bytes, and stops
 * reading at a FIN even when more data than one pipe's worth is still queued in front of it.
 *
 * <p>Same behaviour as the copying relay: a FIN is passed on after the last byte (half-close), any error resets
 * both sides, bytes are counted per direction, a peer that does not read stops the other side's reads (a
 * direction holds at most one pipe, 1 MiB, in flight), and the idle timeout still applies. Touched by the
 * event loop's thread only.
 */
final class SpliceRelay {
    /** What the spliced relay reports to the relay it moves bytes for. */
    interface Listener {
        /** {@code bytes} moved client to backend ({@code upstream}) or back, at {@code now} (nanoTime). */
        void spliced(boolean upstream, int bytes, long now);

        /** Both sockets are closed: the relay has ended. */
        void spliceEnded();
    }

    private static final Logger log = LoggerFactory.getLogger(SpliceRelay.class);
    /** Asks for more than a pipe holds; the kernel stops once the pipe is full. */
    private static final int SPLICE_LEN = 1 << 20;
    /** Pipe loads per readiness event, so one bulk stream cannot starve the loop's other connections. */
    private static final int ROUNDS_PER_EVENT = 16;

    private static final int IN = EpollIoOps.EPOLLIN.value();
    private static final int OUT = EpollIoOps.EPOLLOUT.value();
    private static final int RDHUP = EpollIoOps.EPOLLRDHUP.value();
    private static final int ERR = EpollIoOps.EPOLLERR.value();
    private static final int ET = EpollIoOps.EPOLLET.value();
    /** EPOLLHUP, which epoll reports whether asked for or not. */
    private static final int HUP = 0x10;

    private final Listener relay;
    private final IoEventLoop loop;
    private final Side client;
    private final Side backend;
    private final long idleNanos;
    private long lastActivity;
    private boolean closed;

    SpliceRelay(Listener relay, IoEventLoop loop, Channel client, Channel backend, long idleNanos) {
        this.relay = relay;
        this.loop = loop;
        this.client = new Side(client);
        this.backend = new Side(backend);
        Direction up = new Direction(this.client, this.backend, true);
        Direction down = new Direction(this.backend, this.client, false);
        up.other = down;
        down.other = up;
        this.client.in = up;
        this.client.out = down;
        this.backend.in = down;
        this.backend.out = up;
        this.idleNanos = idleNanos;
    }

    /** Registers both sockets for reads; bytes that arrived meanwhile are waiting in the kernel. */
    void start() {
        lastActivity = System.nanoTime();
        client.register();
        backend.register();
        if (idleNanos > 0) {
            loop.schedule(this::checkIdle, idleNanos, TimeUnit.NANOSECONDS);
        }
    }

    /** Resets both sides (error, idle timeout or forced shutdown). */
    void reset() {
        finish(true);
    }

    private void checkIdle() {
        if (closed) {
            return;
        }
        long idle = System.nanoTime() - lastActivity;
        if (idle >= idleNanos) {
            log.atDebug().log("idle connection closed");
            finish(true);
        } else {
            loop.schedule(this::checkIdle, idleNanos - idle, TimeUnit.NANOSECONDS);
        }
    }

    private void finish(boolean reset) {
        if (closed) {
            return;
        }
        closed = true;
        client.close(reset);
        backend.close(reset);
        client.in.closePipe();
        backend.in.closePipe();
        relay.spliceEnded();
    }

    /** One socket: its epoll registration, and the direction that reads it and the one that writes it. */
    private final class Side implements EpollIoHandle {
        final Channel channel;
        final Socket socket;
        Direction in;
        Direction out;
        IoRegistration registration;
        /** The peer's FIN has arrived: a splice that returns nothing now means end of stream, not "later". */
        boolean rdHup;

        Side(Channel channel) {
            this.channel = channel;
            this.socket = (Socket) ((UnixChannel) channel).fd();
        }

        void register() {
            loop.register(this).addListener(f -> {
                if (!f.isSuccess()) {
                    log.atDebug()
                            .addKeyValue("reason", String.valueOf(f.cause()))
                            .log("splice registration failed");
                    finish(true);
                    return;
                }
                registration = (IoRegistration) f.getNow();
                if (closed) {
                    registration.cancel();
                } else {
                    registration.submit(EpollIoOps.valueOf(IN | OUT | RDHUP | ERR | ET));
                }
            });
        }

        @Override
        public FileDescriptor fd() {
            return socket;
        }

        /**
         * Edge-triggered: an event says the state changed (bytes arrived, room freed up, a FIN came), so nothing
         * is ever re-submitted, and a socket whose peer finished (EPOLLHUP, which cannot be masked) does not
         * wake the loop again and again while its last bytes wait for the other side to read.
         */
        @Override
        public void handle(IoRegistration r, IoEvent event) {
            int ops = ((EpollIoEvent) event).ops().value();
            if ((ops & ERR) != 0) {
                finish(true);
                return;
            }
            if ((ops & (RDHUP | HUP)) != 0) {
                rdHup = true;
            }
            if ((ops & OUT) != 0 && out.waitsForRoom()) {
                out.pump();
            }
            if (!closed && (ops & (IN | RDHUP | HUP)) != 0 && !in.waitsForRoom()) {
                in.pump();
            }
        }

        void close(boolean reset) {
            if (reset && socket.isOpen()) {
                try {
                    socket.setSoLinger(0);
                } catch (IOException ignored) {
                    // Already gone: closing is all that is left.
                }
            }
            // The descriptor is closed before the registration is cancelled, which then skips epoll_ctl(DEL).
            TcpShutdown.closeDone(channel);
            if (registration != null) {
                registration.cancel();
            }
        }

        /** The event loop is shutting down with this socket still registered. */
        @Override
        public void close() {
            finish(true);
        }
    }

    /** One direction: bytes read from one socket into a pipe and from the pipe into the other socket. */
    private final class Direction {
        final Side from;
        final Side to;
        final boolean upstream;
        Direction other;
        SplicePipes.Pipe pipe;
        /** Bytes in the pipe, not yet written to {@code to}. */
        int inPipe;

        boolean eof;
        boolean done;

        Direction(Side from, Side to, boolean upstream) {
            this.from = from;
            this.to = to;
            this.upstream = upstream;
        }

        /**
         * The receiver took less than the pipe held: reads stop until its EPOLLOUT, so at most one pipe (1 MiB)
         * is in flight per direction, and a slow receiver holds the sender back through TCP.
         */
        boolean waitsForRoom() {
            return inPipe > 0;
        }

        /**
         * Moves bytes until the sender has none (EAGAIN), the receiver has no room, or the stream ended. Every
         * stop but the round limit is followed by an edge that calls this again; after the round limit it goes
         * on as a task, behind the loop's other work.
         */
        void pump() {
            if (done || closed) {
                return;
            }
            try {
                for (int round = 0; ; round++) {
                    if (round == ROUNDS_PER_EVENT) {
                        loop.execute(this::pump);
                        return;
                    }
                    if (inPipe > 0) {
                        int n = Native.splice(pipe.read.intValue(), -1, to.socket.intValue(), -1, inPipe);
                        if (n > 0) {
                            inPipe -= n;
                            lastActivity = System.nanoTime();
                            relay.spliced(upstream, n, lastActivity);
                        }
                        if (inPipe > 0) {
                            return; // the receiver's buffer is full: its EPOLLOUT resumes here
                        }
                    }
                    if (eof) {
                        endOfStream();
                        return;
                    }
                    if (pipe == null) {
                        pipe = SplicePipes.SYSTEM.open();
                    }
                    int n = Native.splice(from.socket.intValue(), -1, pipe.write.intValue(), -1, SPLICE_LEN);
                    if (n > 0) {
                        inPipe = n;
                    } else if (from.rdHup) {
                        eof = true; // nothing left after the FIN: the stream has ended
                    } else {
                        return; // nothing to read now
                    }
                }
            } catch (IOException | NotYetConnectedException e) {
                // NotYetConnectedException (unchecked) is ENOTCONN from shutdown: the peer is already gone.
                log.atDebug().addKeyValue("reason", String.valueOf(e)).log("spliced connection failed");
                finish(true);
            }
        }

        /** Everything before the FIN is delivered: pass the FIN on; once both directions ended, close both. */
        private void endOfStream() throws IOException {
            done = true;
            closePipe();
            to.socket.shutdown(false, true);
            if (other.done) {
                finish(false);
            }
        }

        void closePipe() {
            if (pipe != null) {
                SplicePipes.SYSTEM.close(pipe);
                pipe = null;
            }
        }
    }
}
