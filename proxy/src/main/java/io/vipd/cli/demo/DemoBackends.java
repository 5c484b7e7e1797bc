package io.vipd.cli.demo;

import com.sun.net.httpserver.HttpServer;
import io.vipd.lb.Addresses;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.SocketException;
import java.nio.ByteBuffer;
import java.nio.channels.DatagramChannel;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.TreeMap;

/**
 * The demo's backends: tiny HTTP servers that answer {@code hello from backend <ip:port>} and UDP echo
 * servers that answer {@code hello from backend <ip:port>: <datagram>}, each on one backend address of the
 * demo configuration, and each stoppable and restartable to show a backend going away.
 */
public final class DemoBackends implements AutoCloseable {
    private final Map<String, Http> http = new TreeMap<>();
    private final Map<String, Udp> udp = new TreeMap<>();

    public void startHttp(InetSocketAddress address) throws IOException {
        String key = Addresses.key(address);
        Http server = http.computeIfAbsent(key, k -> new Http(address));
        server.start();
    }

    public void startUdp(InetSocketAddress address) throws IOException {
        String key = Addresses.key(address);
        Udp server = udp.computeIfAbsent(key, k -> new Udp(address));
        server.start();
    }

    /** Stops the HTTP backend at this key ("ip:port"): new connections to it are refused. */
    public void stopHttp(String key) {
        Http server = http.get(key);
        if (server != null) {
            server.stop();
        }
    }

    public void restartHttp(String key) throws IOException {
        Http server = http.get(key);
        if (server != null) {
            server.start();
        }
    }

    public boolean httpRunning(String key) {
        Http server = http.get(key);
        return server != null && server.running();
    }

    public java.util.Set<String> httpKeys() {
        return java.util.Set.copyOf(http.keySet());
    }

    @Override
    public void close() {
        http.values().forEach(Http::stop);
        udp.values().forEach(Udp::stop);
    }

    /** One HTTP backend. */
    private static final class Http {
        private final InetSocketAddress address;
        private final byte[] body;
        private HttpServer server;

        Http(InetSocketAddress address) {
            this.address = address;
            this.body = ("hello from backend " + Addresses.key(address) + "\n").getBytes(StandardCharsets.UTF_8);
        }

        synchronized void start() throws IOException {
            if (server != null) {
                return;
            }
            HttpServer s;
            try {
                s = HttpServer.create(address, 64);
            } catch (IOException e) {
                throw new IOException("demo backend " + Addresses.key(address) + ": " + e.getMessage(), e);
            }
            s.createContext("/", exchange -> {
                exchange.getResponseHeaders().set("Content-Type", "text/plain; charset=utf-8");
                exchange.sendResponseHeaders(200, body.length);
                exchange.getResponseBody().write(body);
                exchange.close();
            });
            s.start();
            server = s;
        }

        synchronized void stop() {
            if (server != null) {
                server.stop(0);
                server = null;
            }
        }

        synchronized boolean running() {
            return server != null;
        }
    }

    /** One UDP echo backend on its own daemon thread. */
    private static final class Udp {
        private final InetSocketAddress address;
        private DatagramChannel channel;

        Udp(InetSocketAddress address) {
            this.address = address;
        }

        synchronized void start() throws IOException {
            if (channel != null) {
                return;
            }
            DatagramChannel ch = DatagramChannel.open();
            try {
                ch.bind(address);
            } catch (IOException e) {
                ch.close();
                throw new IOException("demo backend " + Addresses.key(address) + "/UDP: " + e.getMessage(), e);
            }
            channel = ch;
            byte[] prefix = ("hello from backend " + Addresses.key(address) + ": ").getBytes(StandardCharsets.UTF_8);
            Thread t = new Thread(() -> echo(ch, prefix), "demo-udp-" + Addresses.key(address));
            t.setDaemon(true);
            t.start();
        }

        private static void echo(DatagramChannel ch, byte[] prefix) {
            ByteBuffer in = ByteBuffer.allocate(2048);
            ByteBuffer out = ByteBuffer.allocate(prefix.length + 2048);
            try {
                while (true) {
                    in.clear();
                    java.net.SocketAddress from = ch.receive(in);
                    in.flip();
                    out.clear();
                    out.put(prefix).put(in).flip();
                    ch.send(out, from);
                }
            } catch (SocketException | java.nio.channels.ClosedChannelException e) {
                // stopped
            } catch (IOException e) {
                org.slf4j.LoggerFactory.getLogger(DemoBackends.class)
                        .atWarn()
                        .addKeyValue("reason", e.getMessage())
                        .log("demo UDP backend stopped");
            }
        }

        synchronized void stop() {
            if (channel != null) {
                try {
                    channel.close();
                } catch (IOException e) {
                    // closing a datagram channel does not fail in practice; nothing to do
                }
                channel = null;
            }
        }
    }
}
