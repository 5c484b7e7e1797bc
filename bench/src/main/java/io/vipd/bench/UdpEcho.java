package io.vipd.bench;

import java.io.IOException;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code harness udp-echo}: the UDP backend; sends every datagram back to its sender. One socket and thread per
 * (address, port): a socket bound to the wildcard address would answer from the interface's primary address, not
 * from the endpoint address the request was sent to, and connected clients and NAT would drop those answers.
 */
@Command(name = "udp-echo", description = "Echo UDP datagrams on the given ports until killed.")
final class UdpEcho implements Callable<Integer> {
    @Option(names = "--bind", defaultValue = "0.0.0.0", split = ",", description = "addresses to listen on")
    List<String> bind;

    @Option(names = "--ports", required = true, split = ",")
    List<Integer> ports;

    @Override
    public Integer call() throws Exception {
        List<Thread> threads = new ArrayList<>();
        for (String address : bind) {
            for (int port : ports) {
                DatagramSocket socket = new DatagramSocket(new InetSocketAddress(address, port));
                Thread t = new Thread(() -> echo(socket), "udp-echo-" + address + ":" + port);
                t.start();
                threads.add(t);
            }
        }
        System.out.println("listening " + bind + " " + ports);
        System.out.flush();
        for (Thread t : threads) {
            t.join();
        }
        return 0;
    }

    private static void echo(DatagramSocket socket) {
        DatagramPacket packet = new DatagramPacket(new byte[2048], 2048);
        try {
            while (true) {
                packet.setLength(2048);
                socket.receive(packet);
                socket.send(packet);
            }
        } catch (IOException e) {
            System.err.println("udp-echo: " + socket.getLocalSocketAddress() + ": " + e);
        }
    }
}
