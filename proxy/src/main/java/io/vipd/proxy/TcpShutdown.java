package io.vipd.proxy;

import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelOption;
import io.netty.channel.socket.DuplexChannel;
import io.netty.channel.unix.Socket;
import io.netty.channel.unix.UnixChannel;
import java.io.IOException;
import java.nio.channels.NotYetConnectedException;

/**
 * The ways a relayed TCP channel ends: a FIN after the bytes queued before it (the other direction carries on),
 * a close once both directions are done, and a reset (SO_LINGER 0) when the relay cannot go on. Static, no
 * state; each call runs on the channel's event loop.
 */
final class TcpShutdown {
    private TcpShutdown() {}

    /**
     * Once everything written before is flushed: send a FIN (the other direction carries on), and let Netty
     * close the channel when its own input ends, since nothing is left to do then.
     */
    private static final ChannelFutureListener HALF_CLOSE = f -> {
        Channel ch = f.channel();
        if (!ch.isOpen()) {
            return;
        }
        if (!f.isSuccess()) {
            ch.close();
            return;
        }
        // Without half-closure Netty closes at EOF directly, instead of shutting the input down first, which
        // fails with ENOTCONN on a socket whose FIN was already acknowledged both ways.
        ch.config().setOption(ChannelOption.ALLOW_HALF_CLOSURE, false);
        shutdownOutput(ch);
    };
    /** Once everything written before is flushed: close (the input is done too). */
    private static final ChannelFutureListener CLOSE = f -> closeDone(f.channel());

    /** Sends a FIN once the bytes written to {@code ch} before it are flushed. */
    static void finAfterWrites(Channel ch) {
        ch.writeAndFlush(Unpooled.EMPTY_BUFFER).addListener(HALF_CLOSE);
    }

    /** Closes {@code ch}, whose input is done, once the bytes written to it before are flushed. */
    static void closeAfterWrites(Channel ch) {
        ch.writeAndFlush(Unpooled.EMPTY_BUFFER).addListener(CLOSE);
    }

    /**
     * Closes a channel whose both directions are finished. On epoll the descriptor is closed first: once a
     * socket's input has ended, Netty 4.2 has already removed it from the epoll set, and its own close would
     * remove it again, failing with ENOENT and building an exception with a stack trace per channel; closing
     * the descriptor removes it from the epoll set anyway, and Netty skips the removal for a closed one.
     */
    static void closeDone(Channel ch) {
        if (!ch.isOpen()) {
            return;
        }
        if (ch instanceof UnixChannel && ch.eventLoop().inEventLoop()) {
            try {
                ((UnixChannel) ch).fd().close();
            } catch (IOException e) {
                // Netty's close below closes it again and reports any failure.
            }
        }
        ch.close();
    }

    /** Closes a channel with SO_LINGER 0, so the peer sees a reset rather than an orderly end. */
    static void reset(Channel ch) {
        if (ch.isOpen()) {
            try {
                ch.config().setOption(ChannelOption.SO_LINGER, 0);
            } catch (RuntimeException ignored) {
                // The socket is already gone; close() below is all that is left.
            }
            ch.close();
        }
    }

    /**
     * Sends a FIN. On epoll this is shutdown(SHUT_WR) on the socket itself: Netty's shutdownOutput() builds an
     * exception with a stack trace on every call, which costs more than the syscall.
     */
    private static void shutdownOutput(Channel ch) {
        if (ch instanceof UnixChannel && ((UnixChannel) ch).fd() instanceof Socket) {
            try {
                ((Socket) ((UnixChannel) ch).fd()).shutdown(false, true);
            } catch (IOException | NotYetConnectedException e) {
                // NotYetConnectedException (unchecked) is ENOTCONN: the peer reset or closed the socket first.
                ch.close();
            }
        } else {
            ((DuplexChannel) ch).shutdownOutput();
        }
    }
}
