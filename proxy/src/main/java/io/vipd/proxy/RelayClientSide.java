package io.vipd.proxy;

import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.socket.ChannelInputShutdownEvent;
import io.netty.handler.timeout.IdleStateEvent;
import io.netty.util.ReferenceCountUtil;
import java.util.ArrayDeque;

/**
 * The client-facing handler of a relay: client to backend. Bytes that arrive while the backend is still being
 * connected to are held and written once it answers.
 */
final class RelayClientSide extends RelaySide {
    private ArrayDeque<Object> pending;

    RelayClientSide(Owner owner, Channel client) {
        super(owner);
        this.channel = client;
    }

    /** The backend answered: writes what arrived meanwhile, unflushed. */
    void writePendingToPeer() {
        if (pending == null) {
            return;
        }
        Channel to = peer.channel;
        Object m;
        while ((m = pending.poll()) != null) {
            unreported += ((ByteBuf) m).readableBytes();
            to.write(m, to.voidPromise());
        }
    }

    /** The relay finished: drops what was never written. */
    void releasePending() {
        if (pending == null) {
            return;
        }
        Object m;
        while ((m = pending.poll()) != null) {
            ReferenceCountUtil.release(m);
        }
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (peer.connected()) {
            passOn(msg);
        } else if (owner.connecting()) {
            if (pending == null) {
                pending = new ArrayDeque<>(4);
            }
            pending.add(msg);
        } else {
            ReferenceCountUtil.release(msg);
        }
    }

    @Override
    public void channelReadComplete(ChannelHandlerContext ctx) {
        if (peer.connected()) {
            passBatchOn();
        }
    }

    @Override
    public void channelWritabilityChanged(ChannelHandlerContext ctx) {
        peerReadsFollowWritability();
        ctx.fireChannelWritabilityChanged();
    }

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
        if (evt instanceof ChannelInputShutdownEvent) {
            inputEnded();
        } else if (evt instanceof IdleStateEvent) {
            owner.idle();
        } else {
            ctx.fireUserEventTriggered(evt);
        }
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        owner.failed(this, cause);
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        channelClosed();
    }
}
