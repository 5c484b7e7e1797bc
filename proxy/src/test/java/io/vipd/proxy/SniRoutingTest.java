package io.vipd.proxy;

import static io.vipd.proxy.Fixtures.backends;
import static io.vipd.proxy.Fixtures.entry;
import static io.vipd.proxy.Fixtures.tcpFrontend;
import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.vipd.lb.EdgeOptions;
import io.vipd.lb.Frontend;
import io.vipd.lb.ServicePortEntry;
import java.io.BufferedReader;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.Socket;
import java.net.SocketException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SNIHostName;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.TrustManager;
import javax.net.ssl.X509TrustManager;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * TLS passthrough routed by SNI: services share one listen address, and the ClientHello's server name picks
 * the service (exact, then wildcard, then the one without sni); the TLS session is between the client and the
 * backend (real JDK TLS on both ends, with a self-signed certificate keytool generates), nothing decrypted.
 */
class SniRoutingTest extends ProxyTestBase {
    private static final char[] PASSWORD = "changeit".toCharArray();
    private static SSLContext serverContext;

    @BeforeAll
    static void certificate(@TempDir Path dir) throws Exception {
        Path keytool = Path.of(System.getProperty("java.home"), "bin", "keytool");
        assumeTrue(Files.isExecutable(keytool), "needs the JDK's keytool at " + keytool);
        Path store = dir.resolve("backend.p12");
        Process p = new ProcessBuilder(
                        keytool.toString(),
                        "-genkeypair",
                        "-keystore",
                        store.toString(),
                        "-storetype",
                        "PKCS12",
                        "-storepass",
                        new String(PASSWORD),
                        "-alias",
                        "backend",
                        "-keyalg",
                        "EC",
                        "-dname",
                        "CN=backend.test",
                        "-validity",
                        "2")
                .redirectErrorStream(true)
                .start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
        assertThat(p.exitValue()).as(out).isZero();
        KeyStore ks = KeyStore.getInstance("PKCS12");
        try (InputStream in = Files.newInputStream(store)) {
            ks.load(in, PASSWORD);
        }
        KeyManagerFactory kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
        kmf.init(ks, PASSWORD);
        serverContext = SSLContext.getInstance("TLS");
        serverContext.init(kmf.getKeyManagers(), null, null);
    }

    /**
     * A client context of its own per connection: a JDK client resuming a cached session sends the server name
     * of that session, not the one asked for. The test checks routing, not the certificate, so the client trusts
     * whatever the backend shows.
     */
    private static SSLContext clientContext() throws Exception {
        TrustManager trustAll = new X509TrustManager() {
            @Override
            public void checkClientTrusted(X509Certificate[] chain, String authType) {}

            @Override
            public void checkServerTrusted(X509Certificate[] chain, String authType) {}

            @Override
            public X509Certificate[] getAcceptedIssuers() {
                return new X509Certificate[0];
            }
        };
        SSLContext client = SSLContext.getInstance("TLS");
        client.init(null, new TrustManager[] {trustAll}, null);
        return client;
    }

    /** A TLS server that says its name once the handshake is done, then holds the connection until EOF. */
    private TcpBackend tlsBackend(String ip, String name) {
        return backend(new TcpBackend(ip, 0, s -> {
            SSLSocket tls = (SSLSocket) serverContext.getSocketFactory().createSocket(s, null, s.getPort(), true);
            tls.setUseClientMode(false);
            tls.startHandshake();
            tls.getOutputStream().write((name + "\n").getBytes(StandardCharsets.US_ASCII));
            tls.getOutputStream().flush();
            tls.getInputStream().transferTo(OutputStream.nullOutputStream());
        }));
    }

    private static ServicePortEntry service(String name, Frontend f, TcpBackend b, String... serverNames) {
        return entry(name, f, backends(b.address()))
                .edge(new EdgeOptions(0, 0, false, List.of(serverNames)))
                .build();
    }

    /** Which backend a real TLS client reaches with this server name (null: no SNI). */
    private static String tls(Frontend f, String serverName) throws Exception {
        try (Socket plain = connect(f)) {
            SSLSocket s =
                    (SSLSocket) clientContext().getSocketFactory().createSocket(plain, "127.0.0.1", f.port(), true);
            SSLParameters params = s.getSSLParameters();
            params.setServerNames(serverName == null ? List.of() : List.of(new SNIHostName(serverName)));
            s.setSSLParameters(params);
            s.startHandshake();
            return new BufferedReader(new InputStreamReader(s.getInputStream(), StandardCharsets.US_ASCII)).readLine();
        }
    }

    @Test
    void theServerNamePicksTheServiceExactThenWildcardThenTheOneWithoutSni() throws Exception {
        Frontend f = tcpFrontend("127.0.0.1");
        TcpBackend alpha = tlsBackend("127.0.0.2", "alpha");
        TcpBackend beta = tlsBackend("127.0.0.3", "beta");
        TcpBackend betaWww = tlsBackend("127.0.0.4", "beta-www");
        TcpBackend other = tlsBackend("127.0.0.5", "other");
        proxy(
                ProxyConfig.defaults(),
                service("alpha", f, alpha, "alpha.test"),
                service("beta", f, beta, "*.beta.test"),
                service("beta-www", f, betaWww, "www.beta.test"),
                service("other", f, other));

        assertThat(tls(f, "alpha.test")).isEqualTo("alpha");
        assertThat(tls(f, "ALPHA.test")).isEqualTo("alpha");
        assertThat(tls(f, "x.beta.test")).isEqualTo("beta");
        assertThat(tls(f, "a.b.beta.test")).isEqualTo("beta");
        assertThat(tls(f, "www.beta.test")).isEqualTo("beta-www");
        assertThat(tls(f, "beta.test")).isEqualTo("other");
        assertThat(tls(f, "unknown.test")).isEqualTo("other");
        assertThat(tls(f, null)).isEqualTo("other");
    }

    @Test
    void aClientHelloSplitAcrossSegmentsStillRoutes() throws Exception {
        Frontend f = tcpFrontend("127.0.0.1");
        TcpBackend alpha = tlsBackend("127.0.0.2", "alpha");
        TcpBackend beta = tlsBackend("127.0.0.3", "beta");
        proxy(ProxyConfig.defaults(), service("alpha", f, alpha, "alpha.test"), service("beta", f, beta, "beta.test"));

        byte[] hello = clientHello("beta.test");
        try (Socket s = connect(f)) {
            s.setTcpNoDelay(true);
            OutputStream out = s.getOutputStream();
            // The record header and a few bytes, then the rest: vipd must read on before it can route.
            int[] cuts = {3, 9, hello.length / 2, hello.length};
            int from = 0;
            for (int cut : cuts) {
                out.write(hello, from, cut - from);
                out.flush();
                from = cut;
                Thread.sleep(50); // lets each part leave as its own segment
            }
            // The backend's ServerHello: a TLS handshake record, relayed untouched.
            assertThat(s.getInputStream().read()).isEqualTo(0x16);
        }
        assertThat(beta.accepted.get()).isEqualTo(1);
        assertThat(alpha.accepted.get()).isZero();
    }

    @Test
    void aNameNoServiceTakesIsResetWhenNoSharingServiceLeavesSniOut() throws Exception {
        Frontend f = tcpFrontend("127.0.0.1");
        TcpBackend alpha = tlsBackend("127.0.0.2", "alpha");
        proxy(ProxyConfig.defaults(), service("alpha", f, alpha, "alpha.test"));

        List<Integer> reads = new ArrayList<>();
        try (Socket s = connect(f)) {
            s.getOutputStream().write(clientHello("unknown.test"));
            try {
                reads.add(s.getInputStream().read());
            } catch (SocketException reset) {
                reads.add(-1);
            }
        }
        assertThat(reads).containsExactly(-1);
        assertThat(alpha.accepted.get()).isZero();
        assertThat(tls(f, "alpha.test")).isEqualTo("alpha");
    }

    /** The first flight of a TLS client naming {@code serverName}: its ClientHello record(s). */
    private static byte[] clientHello(String serverName) throws Exception {
        SSLEngine engine = clientContext().createSSLEngine();
        engine.setUseClientMode(true);
        SSLParameters params = engine.getSSLParameters();
        params.setServerNames(List.of(new SNIHostName(serverName)));
        engine.setSSLParameters(params);
        ByteBuffer out = ByteBuffer.allocate(engine.getSession().getPacketBufferSize());
        engine.beginHandshake();
        engine.wrap(ByteBuffer.allocate(0), out);
        out.flip();
        byte[] bytes = new byte[out.remaining()];
        out.get(bytes);
        return bytes;
    }
}
