package io.vipd.proxy;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.atomic.AtomicInteger;

/** A UDP server for tests that answers each datagram with "ip:" + the payload. */
final class UdpBackend implements AutoCloseable {
    private final DatagramSocket socket;
    private final Thread thread;
    final AtomicInteger received = new AtomicInteger();

    UdpBackend(String ip, int port) {
        try {
            socket = new DatagramSocket(new InetSocketAddress(Fixtures.ip(ip), port));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        thread = new Thread(
                () -> {
                    byte[] buf = new byte[65536];
                    while (!socket.isClosed()) {
                        try {
                            DatagramPacket p = new DatagramPacket(buf, buf.length);
                            socket.receive(p);
                            received.incrementAndGet();
                            byte[] reply = (ip + ":"
                                            + new String(p.getData(), 0, p.getLength(), StandardCharsets.US_ASCII))
                                    .getBytes(StandardCharsets.US_ASCII);
                            socket.send(new DatagramPacket(reply, reply.length, p.getSocketAddress()));
                        } catch (IOException e) {
                            return;
                        }
                    }
                },
                "test-udp-backend");
        thread.setDaemon(true);
        thread.start();
    }

    InetSocketAddress address() {
        return (InetSocketAddress) socket.getLocalSocketAddress();
    }

    @Override
    public void close() {
        socket.close();
    }
}
