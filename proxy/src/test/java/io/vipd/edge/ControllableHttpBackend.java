package io.vipd.edge;

import com.sun.net.httpserver.HttpServer;
import io.vipd.lb.Addresses;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;

/** A loopback HTTP backend: {@code /healthz} answers the status a test sets, every other path its name. */
final class ControllableHttpBackend implements AutoCloseable {
    final String name;
    final InetSocketAddress address;
    final AtomicInteger healthStatus = new AtomicInteger(200);
    private final HttpServer server;
    private final ExecutorService executor = Executors.newFixedThreadPool(4);

    ControllableHttpBackend(String name, String ip) throws IOException {
        this.name = name;
        server = HttpServer.create(new InetSocketAddress(ip, 0), 50);
        server.createContext("/", exchange -> {
            boolean health = exchange.getRequestURI().getPath().equals("/healthz");
            byte[] body = (health ? "health" : name).getBytes(StandardCharsets.UTF_8);
            exchange.sendResponseHeaders(health ? healthStatus.get() : 200, body.length);
            try (OutputStream out = exchange.getResponseBody()) {
                out.write(body);
            }
        });
        server.setExecutor(executor);
        server.start();
        address = server.getAddress();
    }

    String key() {
        return Addresses.key(address);
    }

    @Override
    public void close() {
        server.stop(0);
        executor.shutdownNow();
    }
}
