package io.vipd.proxy;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelConfig;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelOption;
import io.netty.channel.ChannelPromise;
import io.netty.channel.DefaultChannelConfig;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.channel.socket.ChannelInputShutdownEvent;
import io.netty.channel.socket.ChannelInputShutdownReadComplete;
import io.netty.channel.socket.DuplexChannel;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.nio.charset.StandardCharsets;

/**
 * An {@link EmbeddedChannel} that passes for a TCP socket in the relay's eyes: it has IP addresses, can send a
 * FIN (a {@link DuplexChannel}, which EmbeddedChannel is not), remembers SO_LINGER (a reset is a close with
 * SO_LINGER 0), and collects what was written to it. Its peer's FIN and reset are played as the events Netty
 * raises for them on a real socket with half-closure allowed.
 */
final class SocketLikeChannel extends EmbeddedChannel implements DuplexChannel {
    private final InetSocketAddress local;
    private final InetSocketAddress remote;
    /** Made on first use: EmbeddedChannel's constructor already asks for it. */
    private LingerConfig config;

    private final StringBuilder written = new StringBuilder();
    private boolean outputShutdown;
    /** What had been written when the FIN went out. */
    private String writtenBeforeFin;

    SocketLikeChannel(InetSocketAddress local, InetSocketAddress remote, ChannelHandler... handlers) {
        super(handlers);
        this.local = local;
        this.remote = remote;
    }

    @Override
    public ChannelConfig config() {
        if (config == null) {
            config = new LingerConfig(this);
        }
        return config;
    }

    @Override
    protected SocketAddress localAddress0() {
        return local;
    }

    @Override
    protected SocketAddress remoteAddress0() {
        return remote;
    }

    @Override
    public InetSocketAddress remoteAddress() {
        return remote;
    }

    @Override
    public InetSocketAddress localAddress() {
        return local;
    }

    /** Everything written and flushed to this channel so far, as text. */
    String written() {
        Object m;
        while ((m = readOutbound()) != null) {
            ByteBuf b = (ByteBuf) m;
            written.append(b.toString(StandardCharsets.US_ASCII));
            b.release();
        }
        return written.toString();
    }

    /** Whether the relay sent this socket's peer a FIN. */
    boolean finSent() {
        return outputShutdown;
    }

    /** What had been written when the FIN went out, or null if none did. */
    String writtenBeforeFin() {
        return writtenBeforeFin;
    }

    /** Whether the relay reset this socket: closed with SO_LINGER 0. */
    boolean wasReset() {
        return !isOpen() && Integer.valueOf(0).equals(((LingerConfig) config()).soLinger);
    }

    /** Whether the relay closed this socket in an orderly way (no SO_LINGER 0). */
    boolean closedOrderly() {
        return !isOpen() && ((LingerConfig) config()).soLinger == null;
    }

    /** The peer sends these bytes. */
    void receive(String text) {
        writeInbound(Unpooled.copiedBuffer(text, StandardCharsets.US_ASCII));
    }

    /** The peer's FIN arrives: Netty shuts the input down and tells the pipeline. */
    void receiveFin() {
        pipeline().fireUserEventTriggered(ChannelInputShutdownEvent.INSTANCE);
        pipeline().fireUserEventTriggered(ChannelInputShutdownReadComplete.INSTANCE);
        runPendingTasks();
    }

    /** The peer resets: the read fails, and Netty closes the channel. */
    void receiveReset() {
        pipeline().fireExceptionCaught(new IOException("Connection reset by peer"));
        close();
        runPendingTasks();
    }

    /** The peer goes away without a FIN, as Netty sees a connection that broke. */
    void dropConnection() {
        close();
        runPendingTasks();
    }

    @Override
    public boolean isInputShutdown() {
        return false;
    }

    @Override
    public ChannelFuture shutdownInput() {
        return newSucceededFuture();
    }

    @Override
    public ChannelFuture shutdownInput(ChannelPromise promise) {
        return promise.setSuccess();
    }

    @Override
    public boolean isOutputShutdown() {
        return outputShutdown;
    }

    @Override
    public ChannelFuture shutdownOutput() {
        return shutdownOutput(newPromise());
    }

    @Override
    public ChannelFuture shutdownOutput(ChannelPromise promise) {
        writtenBeforeFin = written();
        outputShutdown = true;
        return promise.setSuccess();
    }

    @Override
    public boolean isShutdown() {
        return outputShutdown;
    }

    @Override
    public ChannelFuture shutdown() {
        return shutdownOutput();
    }

    @Override
    public ChannelFuture shutdown(ChannelPromise promise) {
        return shutdownOutput(promise);
    }

    /** Keeps SO_LINGER, which EmbeddedChannel's config ignores. */
    private static final class LingerConfig extends DefaultChannelConfig {
        Integer soLinger;

        LingerConfig(EmbeddedChannel channel) {
            super(channel);
        }

        @Override
        public <T> boolean setOption(ChannelOption<T> option, T value) {
            if (option == ChannelOption.SO_LINGER) {
                soLinger = (Integer) value;
                return true;
            }
            return super.setOption(option, value);
        }
    }
}
