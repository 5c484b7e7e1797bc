package io.vipd.proxy;

import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.socket.ChannelInputShutdownEvent;
import io.netty.util.ReferenceCountUtil;

/**
 * The backend-facing handler of a relay: backend to client. Shared by every connect attempt of its relay, so it
 * ignores the events of channels that are not (or not yet) the connected backend.
 */
@ChannelHandler.Sharable
final class RelayBackendSide extends RelaySide {
    RelayBackendSide(Owner owner) {
        super(owner);
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (ctx.channel() == channel && !peer.closed) {
            passOn(msg);
        } else {
            ReferenceCountUtil.release(msg);
        }
    }

    @Override
    public void channelReadComplete(ChannelHandlerContext ctx) {
        if (ctx.channel() == channel) {
            passBatchOn();
        }
    }

    @Override
    public void channelWritabilityChanged(ChannelHandlerContext ctx) {
        if (ctx.channel() == channel) {
            peerReadsFollowWritability();
        }
        ctx.fireChannelWritabilityChanged();
    }

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
        if (evt instanceof ChannelInputShutdownEvent && ctx.channel() == channel) {
            inputEnded();
        } else {
            ctx.fireUserEventTriggered(evt);
        }
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        if (ctx.channel() != channel) {
            ctx.close();
            return;
        }
        owner.failed(this, cause);
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        if (ctx.channel() == channel) {
            channelClosed();
        }
    }
}
