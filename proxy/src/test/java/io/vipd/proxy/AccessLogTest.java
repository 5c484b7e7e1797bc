package io.vipd.proxy;

import static io.vipd.proxy.Fixtures.backends;
import static io.vipd.proxy.Fixtures.entry;
import static io.vipd.proxy.Fixtures.ip;
import static io.vipd.proxy.Fixtures.tcpFrontend;
import static io.vipd.proxy.Fixtures.udpFrontend;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.vipd.lb.BackendSet;
import io.vipd.lb.Frontend;
import io.vipd.lb.ServicePortEntry;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import tools.jackson.databind.json.JsonMapper;

/** The access log: a line per TCP connection and UDP flow when it ends, JSON with exactly the documented keys. */
class AccessLogTest extends ProxyTestBase {
    @TempDir
    Path dir;

    @Test
    void jsonLinesParseAndCarryExactlyTheKeys() throws Exception {
        Path file = dir.resolve("access.log");
        AccessLog accessLog = AccessLog.open(file.toString(), AccessLog.Format.JSON, registry);
        TcpBackend echo = backend(TcpBackend.echo("127.0.0.2"));
        UdpBackend udpEcho = closeLater(new UdpBackend("127.0.0.2", 0));
        Frontend web = tcpFrontend("127.0.0.1");
        Frontend empty = tcpFrontend("127.0.0.6"); // its own address: never the same frontend as web
        Frontend dns = udpFrontend("127.0.0.1");
        ServicePortEntry emptyEntry = entry("empty", empty, BackendSet.empty()).build();
        proxy = new ProxyServer(
                table, ProxyConfig.defaults().withEventLoops(2).withUdpIdleTimeout(Duration.ofMillis(300)), registry);
        proxy.setAccessLog(accessLog);
        table.apply(
                List.of(
                        entry("web", web, backends(echo.address())).build(),
                        emptyEntry,
                        entry("dns", dns, backends(udpEcho.address())).build()),
                List.of());
        proxy.start();
        proxy.open(List.of(web, empty, dns));

        Instant before = Instant.now().minusSeconds(1);
        InetSocketAddress client;
        try (Socket s = connect(web, "127.0.0.9")) {
            client = (InetSocketAddress) s.getLocalSocketAddress();
            s.getOutputStream().write("hello\n".getBytes(StandardCharsets.US_ASCII));
            assertThat(firstLine(s)).isEqualTo("hello");
        }
        try (Socket s = connect(empty)) {
            readUntilErrorQuietly(s);
        } catch (java.net.SocketException resetWhileConnecting) {
            // the reset may come before connect() returns
        }
        try (DatagramSocket u = new DatagramSocket(new InetSocketAddress(ip("127.0.0.9"), 0))) {
            u.setSoTimeout(5000);
            byte[] ping = "ping".getBytes(StandardCharsets.US_ASCII);
            u.send(new DatagramPacket(ping, ping.length, Fixtures.address(dns)));
            u.receive(new DatagramPacket(new byte[16], 16));
        }
        JsonMapper json = JsonMapper.builder().build();
        List<Map<String, Object>> lines = new ArrayList<>();
        await().atMost(Duration.ofSeconds(10)).until(() -> {
            lines.clear();
            for (String line : Files.readAllLines(file)) {
                @SuppressWarnings("unchecked")
                Map<String, Object> m = json.readValue(line, Map.class);
                lines.add(m);
            }
            return lines.size() == 3;
        });
        proxy.close();
        accessLog.close();

        for (Map<String, Object> line : lines) {
            assertThat(new ArrayList<>(line.keySet())).containsExactly(AccessLog.KEYS);
            assertThat(Instant.parse((String) line.get("time"))).isAfter(before);
        }
        Map<String, Object> tcp = byService(lines, "default/web:p/TCP");
        assertThat(tcp.get("client")).isEqualTo("127.0.0.9:" + client.getPort());
        assertThat(tcp.get("frontend")).isEqualTo("127.0.0.1:" + web.port());
        assertThat(tcp.get("backend")).isEqualTo("127.0.0.2:" + echo.address().getPort());
        assertThat(tcp.get("bytes_in")).isEqualTo(6);
        assertThat(tcp.get("bytes_out")).isEqualTo(6);
        assertThat(tcp.get("result")).isEqualTo("ok");
        assertThat(tcp.get("retries")).isEqualTo(0);

        Map<String, Object> refused = byService(lines, "default/empty:p/TCP");
        assertThat(refused.get("backend")).isEqualTo("");
        assertThat(refused.get("result")).isEqualTo("no_backend");

        Map<String, Object> udp = byService(lines, "default/dns:p/UDP");
        assertThat(udp.get("bytes_in")).isEqualTo(4);
        assertThat(udp.get("bytes_out")).isEqualTo("127.0.0.2:ping".length());
        assertThat(udp.get("result")).isEqualTo("idle_timeout");
    }

    @Test
    void textLinesAreKeyValuePairsInTheSameOrder() {
        AccessLog log = new AccessLog(new java.io.StringWriter(), false, AccessLog.Format.TEXT, registry);
        try {
            String line = log.format(new AccessLogEntry(
                    0,
                    12,
                    new InetSocketAddress(ip("198.51.100.7"), 40000),
                    new InetSocketAddress(ip("127.0.0.1"), 443),
                    "default/web/TCP",
                    "",
                    10,
                    20,
                    AccessLogResult.CONNECT_FAILED,
                    2));
            assertThat(line)
                    .isEqualTo("time=1970-01-01T00:00:00Z duration_ms=12 client=198.51.100.7:40000 "
                            + "frontend=127.0.0.1:443 service=default/web/TCP backend=- bytes_in=10 bytes_out=20 "
                            + "result=connect_failed retries=2");
            List<String> keys = new ArrayList<>();
            for (String pair : line.split(" ")) {
                keys.add(pair.substring(0, pair.indexOf('=')));
            }
            assertThat(new LinkedHashSet<>(keys)).containsExactly(AccessLog.KEYS);
        } finally {
            log.close();
        }
    }

    private static Map<String, Object> byService(List<Map<String, Object>> lines, String service) {
        return lines.stream()
                .filter(l -> service.equals(l.get("service")))
                .findFirst()
                .orElseThrow(() -> new AssertionError("no line for " + service + " in " + lines));
    }

    private static void readUntilErrorQuietly(Socket s) {
        try {
            readUntilError(s.getInputStream());
        } catch (java.io.IOException expected) {
            // reset
        }
    }
}
