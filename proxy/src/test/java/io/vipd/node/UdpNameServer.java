package io.vipd.node;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;

/**
 * A UDP server that answers every datagram with its name, run as its own process inside a pod namespace
 * ({@code java -cp ... UdpNameServer NAME PORT [PEER-PORT]}): no fork per datagram, so replies are immediate even
 * on a loaded machine. On PEER-PORT it answers "NAME SENDER-IP", to show which address a backend sees. Stops
 * when its process is destroyed. Test helper.
 */
public final class UdpNameServer {
    private UdpNameServer() {}

    public static void main(String[] args) throws Exception {
        if (args.length > 2) {
            Thread peer = new Thread(() -> serve(args[0], Integer.parseInt(args[2]), true), "peer");
            peer.setDaemon(true);
            peer.start();
        }
        serve(args[0], Integer.parseInt(args[1]), false);
    }

    private static void serve(String name, int port, boolean withPeer) {
        try (DatagramSocket socket = new DatagramSocket(new InetSocketAddress(port))) {
            byte[] buf = new byte[2048];
            while (true) {
                DatagramPacket in = new DatagramPacket(buf, buf.length);
                socket.receive(in);
                String reply = withPeer ? name + " " + in.getAddress().getHostAddress() : name;
                byte[] out = (reply + "\n").getBytes(StandardCharsets.UTF_8);
                socket.send(new DatagramPacket(out, out.length, in.getSocketAddress()));
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
