package io.vipd.proxy;

import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.ChannelInboundHandlerAdapter;

/**
 * One side of a TCP relay (as in Netty's proxy example, one handler per side): its channel, whether its input
 * and the channel itself are done, and how each of its events reaches the peer side. Bytes read are written to
 * the peer (one write per read, one flush per read batch; this side's reads pause while the peer is not
 * writable); a FIN is passed on as a half-close after the bytes read before it; a close is passed on as a close
 * when the peer's input is done too, and as a reset otherwise. The subclasses, {@link RelayClientSide} and
 * {@link RelayBackendSide}, receive the Netty events and decide which ones count. Touched by the client's event
 * loop only, like everything of one relay.
 */
abstract class RelaySide extends ChannelInboundHandlerAdapter {
    /** What a side tells the relay it belongs to, and asks of it. */
    interface Owner {
        /** A read of {@code bytes} was passed to the peer. */
        void bytesRead(int bytes);

        /** A read batch was passed on and flushed. */
        void readBatchDone();

        /** Reads are paused for a hand-over to splice, so writability must not resume them. */
        boolean handingOver();

        /** The relay was aborted: both sides are being reset, so a close has nothing to pass on. */
        boolean aborted();

        /** The backend is still being connected to: bytes the client sends now are held for it. */
        boolean connecting();

        /** Nothing moved either way for the idle timeout. */
        void idle();

        /** The side's channel failed. */
        void failed(RelaySide side, Throwable cause);

        /** The side's channel closed. */
        void closed(RelaySide side);
    }

    final Owner owner;
    RelaySide peer;
    /** This side's channel; the backend's only once it is connected. */
    Channel channel;
    /** This side's input has ended: its FIN arrived, or it closed after the peer's FIN was passed to it. */
    boolean inputDone;

    boolean closed;
    /** Bytes read from this side and not yet counted in the service's meters. */
    long unreported;

    RelaySide(Owner owner) {
        this.owner = owner;
    }

    /** Whether the side has a channel to relay to or from (the backend's, once connected). */
    final boolean connected() {
        return channel != null;
    }

    /** Writes one read to the peer, which must be connected; flushed by {@link #passBatchOn()}. */
    final void passOn(Object msg) {
        int n = ((ByteBuf) msg).readableBytes();
        unreported += n;
        owner.bytesRead(n);
        Channel to = peer.channel;
        to.write(msg, to.voidPromise());
    }

    /** The end of a read batch: flushes the peer. */
    final void passBatchOn() {
        peer.channel.flush();
        owner.readBatchDone();
    }

    /** This side's writability changed: the peer is read only while this side can take its bytes. */
    final void peerReadsFollowWritability() {
        if (peer.connected() && !peer.inputDone && !owner.handingOver()) {
            peer.channel.config().setAutoRead(channel.isWritable());
        }
    }

    /**
     * This side's input ended (FIN): pass the FIN on to the peer after what was read before it, or, if the
     * peer's input is done too, close both.
     */
    final void inputEnded() {
        inputDone = true;
        if (!peer.connected()) {
            return; // the backend is still being connected to: the relay passes the FIN on once it answers
        }
        if (peer.inputDone) {
            TcpShutdown.closeAfterWrites(peer.channel);
            TcpShutdown.closeDone(channel);
        } else {
            TcpShutdown.finAfterWrites(peer.channel);
        }
    }

    /**
     * This side's channel closed. After the peer's FIN was passed to it, its close is the normal end of its own
     * input: finish the peer. Otherwise the relay cannot go on: reset the peer.
     */
    final void channelClosed() {
        closed = true;
        if (peer.inputDone) {
            inputDone = true;
        }
        Channel other = peer.channel;
        if (!owner.aborted() && other != null && other.isOpen()) {
            if (peer.inputDone) {
                TcpShutdown.closeAfterWrites(other);
            } else {
                TcpShutdown.reset(other);
            }
        }
        owner.closed(this);
    }

    /** Takes and clears the bytes read since the last call, for the service's meters. */
    final long takeUnreported() {
        long n = unreported;
        unreported = 0;
        return n;
    }
}
