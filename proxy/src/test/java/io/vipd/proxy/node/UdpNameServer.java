package io.vipd.proxy.node;

import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;

/**
 * A UDP server that answers every datagram with its name, run as its own process inside a pod namespace
 * ({@code java -cp ... UdpNameServer NAME PORT}): no fork per datagram, so replies are immediate even on a
 * loaded machine. Stops when its process is destroyed. Test helper.
 */
public final class UdpNameServer {
    private UdpNameServer() {}

    public static void main(String[] args) throws Exception {
        byte[] name = (args[0] + "\n").getBytes(StandardCharsets.UTF_8);
        try (DatagramSocket socket = new DatagramSocket(new InetSocketAddress(Integer.parseInt(args[1])))) {
            byte[] buf = new byte[2048];
            while (true) {
                DatagramPacket in = new DatagramPacket(buf, buf.length);
                socket.receive(in);
                socket.send(new DatagramPacket(name, name.length, in.getSocketAddress()));
            }
        }
    }
}
