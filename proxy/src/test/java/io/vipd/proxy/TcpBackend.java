package io.vipd.proxy;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;

/** A plain-Java TCP server for tests: one thread per connection runs the given behaviour. */
public final class TcpBackend implements AutoCloseable {
    /** What the server does with one accepted connection. */
    public interface Behaviour {
        void serve(Socket s) throws IOException;
    }

    private final ServerSocket server;
    private final ExecutorService pool = Executors.newCachedThreadPool(r -> {
        Thread t = new Thread(r, "test-backend");
        t.setDaemon(true);
        return t;
    });
    public final AtomicInteger accepted = new AtomicInteger();
    public final List<Socket> sockets = new CopyOnWriteArrayList<>();

    public TcpBackend(String ip, int port, Behaviour behaviour) {
        try {
            server = new ServerSocket();
            server.setReuseAddress(true);
            server.bind(new InetSocketAddress(InetAddress.getByName(ip), port), 512);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        pool.execute(() -> {
            while (!server.isClosed()) {
                try {
                    Socket s = server.accept();
                    accepted.incrementAndGet();
                    sockets.add(s);
                    pool.execute(() -> {
                        try (s) {
                            behaviour.serve(s);
                        } catch (IOException ignored) {
                            // The test looks at what the client saw.
                        } finally {
                            sockets.remove(s);
                        }
                    });
                } catch (IOException e) {
                    return;
                }
            }
        });
    }

    /** Writes its own address as a line, then echoes until EOF. */
    public static TcpBackend identifying(String ip) {
        return new TcpBackend(ip, 0, s -> {
            String id = ip + "\n";
            s.getOutputStream().write(id.getBytes());
            s.getInputStream().transferTo(s.getOutputStream());
        });
    }

    /** Like {@link #identifying(String)} on a given port. */
    public static TcpBackend identifyingOn(String ip, int port) {
        return new TcpBackend(ip, port, s -> {
            s.getOutputStream().write((ip + "\n").getBytes());
            s.getInputStream().transferTo(s.getOutputStream());
        });
    }

    /** Echoes until EOF. */
    public static TcpBackend echo(String ip) {
        return new TcpBackend(ip, 0, s -> s.getInputStream().transferTo(s.getOutputStream()));
    }

    public InetSocketAddress address() {
        return (InetSocketAddress) server.getLocalSocketAddress();
    }

    @Override
    public void close() {
        try {
            server.close();
        } catch (IOException ignored) {
            // closing anyway
        }
        for (Socket s : sockets) {
            try {
                s.close();
            } catch (IOException ignored) {
                // closing anyway
            }
        }
        pool.shutdownNow();
    }
}
