package io.vipd.proxy;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.vipd.lb.Addresses;
import io.vipd.lb.ProxyProtocol;
import java.net.Inet4Address;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;

/**
 * Encodes the PROXY protocol header (haproxy.org/download/2.9/doc/proxy-protocol.txt) that tells a backend
 * the real client and the frontend the client connected to, straight into one buffer: cheaper than the
 * pipeline encoder for a header written once per connection.
 */
final class ProxyProtocolHeader {
    private static final byte[] V2_SIGNATURE = {0x0D, 0x0A, 0x0D, 0x0A, 0x00, 0x0D, 0x0A, 0x51, 0x55, 0x49, 0x54, 0x0A};
    private static final int V2_PROXY = 0x21;
    private static final int V2_LOCAL = 0x20;
    private static final int TCP4 = 0x11;
    private static final int TCP6 = 0x21;

    private ProxyProtocolHeader() {}

    /** The header for a TCP connection from {@code client} to {@code frontend}. */
    static ByteBuf encode(
            ProxyProtocol version, InetSocketAddress client, InetSocketAddress frontend, ByteBufAllocator alloc) {
        boolean v4 = client.getAddress() instanceof Inet4Address;
        boolean sameFamily = v4 == frontend.getAddress() instanceof Inet4Address;
        if (version == ProxyProtocol.V1) {
            String line = sameFamily
                    ? "PROXY " + (v4 ? "TCP4 " : "TCP6 ") + Addresses.ipString(client.getAddress()) + " "
                            + Addresses.ipString(frontend.getAddress()) + " " + client.getPort() + " "
                            + frontend.getPort()
                            + "\r\n"
                    : "PROXY UNKNOWN\r\n";
            ByteBuf buf = alloc.buffer(line.length());
            buf.writeCharSequence(line, StandardCharsets.US_ASCII);
            return buf;
        }
        ByteBuf buf = alloc.buffer(16 + 36);
        buf.writeBytes(V2_SIGNATURE);
        if (!sameFamily) {
            // A mixed pair cannot be expressed; LOCAL tells the backend to use the connection's own addresses.
            buf.writeByte(V2_LOCAL).writeByte(0).writeShort(0);
            return buf;
        }
        buf.writeByte(V2_PROXY).writeByte(v4 ? TCP4 : TCP6).writeShort(v4 ? 12 : 36);
        buf.writeBytes(client.getAddress().getAddress())
                .writeBytes(frontend.getAddress().getAddress());
        buf.writeShort(client.getPort()).writeShort(frontend.getPort());
        return buf;
    }
}
