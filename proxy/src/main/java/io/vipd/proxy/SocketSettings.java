package io.vipd.proxy;

import io.netty.channel.AdaptiveRecvByteBufAllocator;
import io.netty.channel.FixedRecvByteBufAllocator;
import io.netty.channel.WriteBufferWaterMark;

/**
 * Buffer settings every proxied socket of a kind shares: both sides of a TCP relay (accepted clients and
 * backend connections) and every UDP socket (listeners, flows' backend and reply sockets).
 */
final class SocketSettings {
    private SocketSettings() {}

    /** A relay's peer stops being read while this side has more than 1 MiB queued, and resumes below 512 KiB. */
    static final WriteBufferWaterMark TCP_WATER_MARK = new WriteBufferWaterMark(512 * 1024, 1024 * 1024);
    /**
     * Read buffers that grow to 256 KiB for bulk transfers (Netty's default stops at 64 KiB), so a busy stream
     * costs fewer reads, writes and wake-ups; shared, since each channel keeps its own sizing handle.
     */
    static final AdaptiveRecvByteBufAllocator TCP_RECV_ALLOCATOR =
            new AdaptiveRecvByteBufAllocator(512, 16 * 1024, 256 * 1024);

    private static final int UDP_MAX_DATAGRAM = 65507;

    /** Room for the largest UDP payload: Netty's datagram default (2048 bytes) would truncate bigger ones. */
    static FixedRecvByteBufAllocator datagramAllocator() {
        return new FixedRecvByteBufAllocator(UDP_MAX_DATAGRAM);
    }
}
