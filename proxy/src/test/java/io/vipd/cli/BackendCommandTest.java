package io.vipd.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assumptions.assumeThat;
import static org.awaitility.Awaitility.await;

import io.vipd.admin.BackendDrainActions;
import io.vipd.cli.demo.DemoBackends;
import io.vipd.cli.demo.DemoClient;
import io.vipd.edge.EdgeRuntime;
import io.vipd.lb.Addresses;
import io.vipd.lb.ServicePortName;
import io.vipd.proxy.ProxyConfig;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.NetworkInterface;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code vipd backend drain|undrain} against a running {@code vipd edge} on loopback. */
class BackendCommandTest {
    private static final String FRONT = "127.0.79.1";
    private static final Duration WAIT = Duration.ofSeconds(15);

    @TempDir
    Path dir;

    private final DemoBackends backends = new DemoBackends();
    private final List<String> keys = new ArrayList<>();
    private Path file;
    private InetSocketAddress frontend;
    private EdgeRuntime runtime;

    @BeforeEach
    void setUp() throws Exception {
        for (String ip : List.of("127.0.79.2", "127.0.79.3")) {
            InetSocketAddress a = new InetSocketAddress(ip, freePort(ip));
            backends.startHttp(a);
            keys.add(Addresses.key(a));
        }
        frontend = new InetSocketAddress(FRONT, freePort(FRONT));
        file = dir.resolve("edge.yaml");
    }

    @AfterEach
    void tearDown() {
        if (runtime != null) {
            runtime.close();
        }
        backends.close();
    }

    @Test
    void drainTakesABackendOutOfNewConnectionsAndUndrainBringsItBack() throws Exception {
        start(InetSocketAddress.createUnresolved("127.0.0.1", 0), "", "");
        String admin = Addresses.key(runtime.metricsAddress());

        String[] drained = run("backend", "drain", "default/web", keys.get(1), "--metrics-bind-address", admin);

        assertThat(drained[0]).as(drained[2]).isEqualTo("0");
        assertThat(drained[1]).isEqualTo("default/web/TCP " + keys.get(1) + ": drained\n");
        assertThat(row(keys.get(1))).containsEntry("state", "drained").containsEntry("weight", 0);
        assertThat(servedBy(30)).containsExactly(keys.get(0));
        String[] again = run("backend", "drain", "default/web/TCP", keys.get(1), "--metrics-bind-address", admin);
        assertThat(again[1]).isEqualTo("default/web/TCP " + keys.get(1) + ": already drained\n");
        String[] table = run("services", "--metrics-bind-address", admin);
        assertThat(table[1]).containsPattern(keys.get(1).replace(".", "\\.") + " +0 +drained");

        String[] undrained = run("backend", "undrain", "default/web", keys.get(1), "--metrics-bind-address", admin);

        assertThat(undrained[0]).isEqualTo("0");
        assertThat(row(keys.get(1))).containsEntry("state", "ready").containsEntry("weight", 1);
        assertThat(servedBy(40)).containsExactlyInAnyOrderElementsOf(keys);
    }

    @Test
    void unknownServicesAndBackendsAreRefusedWithTheirNames() throws Exception {
        start(null, "", "");
        String admin = Addresses.key(runtime.metricsAddress());

        String[] noService = run("backend", "drain", "default/nope", keys.get(0), "--metrics-bind-address", admin);
        String[] noBackend = run("backend", "drain", "default/web", "127.0.79.9:80", "--metrics-bind-address", admin);

        assertThat(noService[0]).isEqualTo("1");
        assertThat(noService[2]).contains("404", "no service default/nope");
        assertThat(noBackend[0]).isEqualTo("1");
        assertThat(noBackend[2]).contains("404", "has no backend 127.0.79.9:80");
        assertThat(runtime.proxy().drains().drained()).isEmpty();
    }

    @Test
    void aReloadKeepsTheDrainUnlessTheFileChangesThatBackend() throws Exception {
        start(null, "", "");
        String admin = Addresses.key(runtime.metricsAddress());
        ServicePortName web = ServicePortName.of("default", "web", "", io.vipd.lb.Protocol.TCP);
        assertThat(run("backend", "drain", "default/web", keys.get(1), "--metrics-bind-address", admin)[0])
                .isEqualTo("0");

        // Another service added, the drained backend untouched: the drain stays.
        write(yaml(
                "",
                "  - name: other\n    listen: [\"" + FRONT + ":" + freePort(FRONT) + "\"]\n    backends: ["
                        + keys.get(0) + "]\n"));
        runtime.reload();
        assertThat(runtime.lastError()).isNull();
        assertThat(runtime.table().entries()).hasSize(2);
        assertThat(runtime.proxy().drains().isDrained(web, keys.get(1))).isTrue();
        assertThat(servedBy(20)).containsExactly(keys.get(0));

        // The file gives that backend another weight: the file's word wins.
        write(yaml("=3", ""));
        runtime.reload();
        assertThat(runtime.lastError()).isNull();
        assertThat(runtime.proxy().drains().isDrained(web, keys.get(1))).isFalse();
        assertThat(row(keys.get(1))).containsEntry("state", "ready").containsEntry("weight", 3);
    }

    @Test
    void aDrainFromAnAddressOtherThanLoopbackIsRefused() throws Exception {
        InetAddress own = nonLoopbackAddress();
        assumeThat(own)
                .as("a non-loopback IPv4 address on this host to connect from")
                .isNotNull();
        start(new InetSocketAddress("0.0.0.0", 0), "", "");
        int port = runtime.metricsAddress().getPort();

        String status;
        try (Socket s = new Socket()) {
            s.bind(new InetSocketAddress(own, 0));
            s.connect(new InetSocketAddress(own, port), 3000);
            s.setSoTimeout(5000);
            OutputStream out = s.getOutputStream();
            out.write(("POST " + BackendDrainActions.DRAIN + "?service=default/web&backend=" + keys.get(1)
                            + " HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
                    .getBytes(StandardCharsets.US_ASCII));
            out.flush();
            InputStream in = s.getInputStream();
            status = new String(in.readAllBytes(), StandardCharsets.US_ASCII)
                    .lines()
                    .findFirst()
                    .orElse("");
        }

        assertThat(status).startsWith("HTTP/1.1 403");
        assertThat(runtime.proxy().drains().drained()).isEmpty();
        // The same request from loopback is taken.
        assertThat(run("backend", "drain", "default/web", keys.get(1), "--metrics-bind-address", "127.0.0.1:" + port)[
                        0])
                .isEqualTo("0");
    }

    private void start(InetSocketAddress metrics, String weight, String more) throws Exception {
        write(yaml(weight, more));
        InetSocketAddress bind =
                metrics == null || metrics.isUnresolved() ? new InetSocketAddress("127.0.0.1", 0) : metrics;
        runtime = EdgeRuntime.start(EdgeRuntime.Options.defaults(file)
                .withAdmin(bind, null)
                .withPollInterval(Duration.ofHours(1))
                .withProxyConfig(ProxyConfig.defaults().withEventLoops(1)));
    }

    private String yaml(String secondWeight, String more) {
        String second = secondWeight.isEmpty()
                ? keys.get(1)
                : "{address: \"" + keys.get(1) + "\", weight: " + secondWeight.substring(1) + "}";
        return "services:\n  - name: web\n    listen: [\"" + Addresses.key(frontend)
                + "\"]\n    algorithm: round-robin\n" + "    backends: [" + keys.get(0) + ", " + second + "]\n" + more;
    }

    private void write(String yaml) throws Exception {
        Path tmp = dir.resolve(".edge.yaml.tmp");
        Files.writeString(tmp, yaml);
        Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    }

    private Set<String> servedBy(int requests) throws Exception {
        Set<String> served = new HashSet<>();
        for (int i = 0; i < requests; i++) {
            served.add(DemoClient.httpGet(frontend));
        }
        return served;
    }

    @SuppressWarnings("unchecked")
    private Map<String, Object> row(String key) {
        await().atMost(WAIT).until(() -> runtime.servicesModel() != null);
        for (Map<String, Object> s :
                (List<Map<String, Object>>) runtime.servicesModel().get("services")) {
            if (s.get("name").equals("default/web/TCP")) {
                for (Map<String, Object> b : (List<Map<String, Object>>) s.get("backends")) {
                    if (key.equals(b.get("address"))) {
                        return b;
                    }
                }
            }
        }
        throw new AssertionError("no backend " + key);
    }

    private static InetAddress nonLoopbackAddress() throws Exception {
        for (NetworkInterface nic : Collections.list(NetworkInterface.getNetworkInterfaces())) {
            if (!nic.isUp() || nic.isLoopback()) {
                continue;
            }
            for (InetAddress a : Collections.list(nic.getInetAddresses())) {
                if (a instanceof Inet4Address && !a.isLoopbackAddress()) {
                    return a;
                }
            }
        }
        return null;
    }

    private static int freePort(String ip) throws Exception {
        try (ServerSocket s = new ServerSocket()) {
            s.bind(new InetSocketAddress(ip, 0));
            return s.getLocalPort();
        }
    }

    private static String[] run(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int code = Main.run(new PrintWriter(out), new PrintWriter(err), args);
        return new String[] {Integer.toString(code), out.toString(), err.toString()};
    }
}
