package io.vipd.bench;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/** The UDP load client against an echo on loopback: it completes requests and reports a rate and a p99. */
class UdpLoadTest {
    @Test
    void measuresRequestResponseAgainstAnEcho() throws Exception {
        try (DatagramSocket echo = new DatagramSocket(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0))) {
            Thread server = new Thread(() -> echoUntilClosed(echo), "test-echo");
            server.setDaemon(true);
            server.start();
            ByteArrayOutputStream captured = new ByteArrayOutputStream();
            PrintStream previous = System.out;
            int exit;
            try {
                System.setOut(new PrintStream(captured, true, StandardCharsets.UTF_8));
                exit = new CommandLine(new Harness())
                        .execute(
                                "udp-load",
                                "--target",
                                "127.0.0.1:" + echo.getLocalPort(),
                                "--flows",
                                "4",
                                "--seconds",
                                "0.3",
                                "--warmup-seconds",
                                "0.1");
            } finally {
                System.setOut(previous);
            }
            String out = captured.toString(StandardCharsets.UTF_8);
            assertThat(exit).as(out).isZero();
            Matcher m = Pattern.compile("requests=(\\d+) rate=([0-9.]+) p99_us=([0-9.]+) lost=(\\d+)")
                    .matcher(out);
            assertThat(m.find()).as(out).isTrue();
            assertThat(Long.parseLong(m.group(1))).isPositive();
            assertThat(Double.parseDouble(m.group(3))).isPositive();
        }
    }

    @Test
    void failsWhenNothingAnswers() throws Exception {
        int closedPort;
        try (DatagramSocket s = new DatagramSocket(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0))) {
            closedPort = s.getLocalPort();
        }
        PrintStream previous = System.out;
        int exit;
        try {
            System.setOut(new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8));
            exit = new CommandLine(new Harness())
                    .execute(
                            "udp-load",
                            "--target",
                            "127.0.0.1:" + closedPort,
                            "--flows",
                            "2",
                            "--seconds",
                            "0.2",
                            "--warmup-seconds",
                            "0");
        } finally {
            System.setOut(previous);
        }
        assertThat(exit).isEqualTo(1);
    }

    private static void echoUntilClosed(DatagramSocket socket) {
        DatagramPacket p = new DatagramPacket(new byte[2048], 2048);
        try {
            while (true) {
                p.setLength(2048);
                socket.receive(p);
                socket.send(p);
            }
        } catch (IOException closed) {
            // the test closed the socket
        }
    }
}
