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
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
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

    /**
     * Sends {@code size} bytes of a position-dependent pattern on {@code s}, then its FIN, while reading back what an
     * echo behind the proxy returns and checking every byte in order; returns how many came back before the FIN.
     */
    static long echoPatternedStream(Socket s, int size) throws Exception {
        CompletableFuture<Void> sent = CompletableFuture.runAsync(() -> {
            try {
                OutputStream out = s.getOutputStream();
                byte[] chunk = new byte[64 * 1024];
                for (int off = 0; off < size; off += chunk.length) {
                    for (int i = 0; i < chunk.length; i++) {
                        chunk[i] = pattern(off + i);
                    }
                    out.write(chunk);
                }
                s.shutdownOutput();
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        });
        s.setSoTimeout(20_000);
        InputStream in = s.getInputStream();
        byte[] buf = new byte[256 * 1024];
        long got = 0;
        int n;
        while ((n = in.read(buf)) >= 0) {
            for (int i = 0; i < n; i++) {
                if (buf[i] != pattern(got + i)) {
                    throw new AssertionError("byte " + (got + i) + " differs");
                }
            }
            got += n;
        }
        sent.get(20, TimeUnit.SECONDS);
        return got;
    }

    /** Differs between neighbouring positions and repeats only after a long stretch, so a lost or moved byte shows. */
    private static byte pattern(long i) {
        return (byte) (i * 131 + (i >>> 12));
    }
}
