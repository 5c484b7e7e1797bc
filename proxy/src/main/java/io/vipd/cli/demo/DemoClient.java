package io.vipd.cli.demo;

import io.vipd.lb.Addresses;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * What {@code curl} and {@code nc -u} do in the demo: one HTTP/1.0 request per new connection (so each
 * request is a new flow with a new source port, as curl makes it), and UDP datagrams. Returns which backend
 * answered.
 */
public final class DemoClient {
    private static final Pattern ANSWER = Pattern.compile("hello from backend (\\S+?):?( |\\n|$)");
    private static final int TIMEOUT_MILLIS = 3000;

    private DemoClient() {}

    /** One HTTP request on a new connection; the backend key that answered. */
    public static String httpGet(InetSocketAddress frontend) throws IOException {
        try (Socket s = new Socket()) {
            s.connect(frontend, TIMEOUT_MILLIS);
            s.setSoTimeout(TIMEOUT_MILLIS);
            OutputStream out = s.getOutputStream();
            out.write(("GET / HTTP/1.0\r\nHost: " + Addresses.key(frontend) + "\r\nUser-Agent: vipd-demo\r\n\r\n")
                    .getBytes(StandardCharsets.US_ASCII));
            out.flush();
            InputStream in = s.getInputStream();
            String response = new String(in.readAllBytes(), StandardCharsets.UTF_8);
            if (!response.startsWith("HTTP/1.")) {
                throw new IOException("no HTTP response from " + Addresses.key(frontend)
                        + (response.isEmpty() ? " (connection closed)" : ""));
            }
            return backendOf(response, frontend);
        }
    }

    /** Sends one datagram from {@code socket} and returns the backend key named in the reply. */
    public static String udpEcho(DatagramSocket socket, InetSocketAddress frontend, String payload) throws IOException {
        byte[] data = payload.getBytes(StandardCharsets.UTF_8);
        socket.send(new DatagramPacket(data, data.length, frontend));
        socket.setSoTimeout(TIMEOUT_MILLIS);
        DatagramPacket reply = new DatagramPacket(new byte[4096], 4096);
        try {
            socket.receive(reply);
        } catch (SocketTimeoutException e) {
            throw new IOException("no UDP reply from " + Addresses.key(frontend) + " within " + TIMEOUT_MILLIS + " ms");
        }
        return backendOf(new String(reply.getData(), 0, reply.getLength(), StandardCharsets.UTF_8), frontend);
    }

    private static String backendOf(String response, InetSocketAddress frontend) throws IOException {
        Matcher m = ANSWER.matcher(response);
        if (!m.find()) {
            throw new IOException("unexpected answer from " + Addresses.key(frontend) + ": " + response.strip());
        }
        return m.group(1);
    }
}
