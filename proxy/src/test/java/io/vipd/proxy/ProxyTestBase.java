package io.vipd.proxy;

import static io.vipd.proxy.Fixtures.address;
import static io.vipd.proxy.Fixtures.ip;

import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.vipd.lb.Frontend;
import io.vipd.lb.ServicePortEntry;
import io.vipd.lb.ServiceTable;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;

/** A table, a registry and a ProxyServer per test, with the backends the test started closed after it. */
abstract class ProxyTestBase {
    protected final ServiceTable table = new ServiceTable();
    protected MeterRegistry registry = new SimpleMeterRegistry();
    protected final List<AutoCloseable> closeables = new ArrayList<>();
    protected ProxyServer proxy;

    @AfterEach
    void tearDown() throws Exception {
        if (proxy != null) {
            proxy.close();
        }
        for (AutoCloseable c : closeables) {
            c.close();
        }
    }

    /** Installs the entries, starts a two-loop proxy and opens their frontends. */
    protected ProxyServer proxy(ProxyConfig config, ServicePortEntry... entries) throws ListenerException {
        table.apply(List.of(entries), List.of());
        proxy = new ProxyServer(table, configure(config).withEventLoops(2), registry);
        proxy.start();
        List<Frontend> frontends = new ArrayList<>();
        for (ServicePortEntry e : entries) {
            e.frontends().forEach(f -> frontends.add(f.frontend()));
        }
        proxy.open(frontends);
        return proxy;
    }

    /** What a subclass changes in every test's configuration (e.g. splice on, to rerun a suite with it). */
    protected ProxyConfig configure(ProxyConfig config) {
        return config;
    }

    protected <T extends AutoCloseable> T closeLater(T c) {
        closeables.add(c);
        return c;
    }

    protected TcpBackend backend(TcpBackend b) {
        return closeLater(b);
    }

    static Socket connect(Frontend f) throws IOException {
        return connect(f, null);
    }

    static Socket connect(Frontend f, String sourceIp) throws IOException {
        Socket s = new Socket();
        if (sourceIp != null) {
            s.bind(new InetSocketAddress(ip(sourceIp), 0));
        }
        s.setSoTimeout(5000);
        s.connect(address(f), 2000);
        return s;
    }

    static String firstLine(Socket s) throws IOException {
        return new BufferedReader(new InputStreamReader(s.getInputStream(), StandardCharsets.US_ASCII)).readLine();
    }

    /** Which backend answers a new connection, by its identifying line. */
    static String whoAnswers(Frontend f, String sourceIp) throws IOException {
        try (Socket s = connect(f, sourceIp)) {
            return firstLine(s);
        }
    }

    /** Reads until EOF; a reset throws instead. */
    static void readUntilError(InputStream in) throws IOException {
        while (in.read() >= 0) {
            // discard
        }
    }
}
