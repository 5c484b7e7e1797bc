package io.vipd.hitless;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.io.PrintStream;
import java.net.ConnectException;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketException;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The load a hitless restart must not disturb, as a client sees it: long-lived TCP connections exchanging a
 * line every 200 ms, a loop of new TCP connections (one line each), and a UDP flow sending every 100 ms. Records
 * every failure with its time and kind, and the longest pause between UDP answers. The TCP backend echoes
 * lines; any UDP answer counts. Bounded: it stops after the duration it is given, or when closed.
 *
 * <p>Runs in-process (edge tests on loopback) or as its own process inside a network namespace
 * ({@code java -cp ... HitlessLoad TCP-IP:PORT UDP-IP:PORT SECONDS}, node tests), printing one
 * {@code EVENT millis kind detail} line per failure, one {@code UDP_GAP millis from-millis} line per pause over
 * a second, and a final {@code SUMMARY} line.
 */
public final class HitlessLoad implements AutoCloseable {
    /** One failure a client saw. */
    public record Failure(long atMillis, String kind, String detail) {}

    private static final int LONG_LIVED = 4;
    private static final Duration CONNECT_TIMEOUT = Duration.ofSeconds(10);

    private final InetSocketAddress tcp;
    private final InetSocketAddress udp;
    private final PrintStream events;
    private final AtomicBoolean stop = new AtomicBoolean();
    private final List<Thread> threads = new ArrayList<>();
    private final List<Failure> failures = new CopyOnWriteArrayList<>();
    private final AtomicLong newConnectionsOk = new AtomicLong();
    private final AtomicLong longLivedExchanges = new AtomicLong();
    private final AtomicLong udpAnswers = new AtomicLong();
    private final AtomicLong udpMaxGapMillis = new AtomicLong();
    private final AtomicLong firstNewConnectionOk = new AtomicLong();

    public HitlessLoad(InetSocketAddress tcp, InetSocketAddress udp, PrintStream events) {
        this.tcp = tcp;
        this.udp = udp;
        this.events = events;
    }

    public static void main(String[] args) throws Exception {
        HitlessLoad load = new HitlessLoad(parse(args[0]), parse(args[1]), System.out);
        load.start();
        long end =
                System.nanoTime() + Duration.ofSeconds(Long.parseLong(args[2])).toNanos();
        while (System.nanoTime() < end) {
            Thread.sleep(100);
        }
        load.close();
        System.out.println(load.summary());
        System.out.flush();
    }

    private static InetSocketAddress parse(String ipPort) {
        int colon = ipPort.lastIndexOf(':');
        return new InetSocketAddress(ipPort.substring(0, colon), Integer.parseInt(ipPort.substring(colon + 1)));
    }

    public void start() {
        for (int i = 0; i < LONG_LIVED; i++) {
            spawn("long-lived-" + i, this::longLived);
        }
        spawn("new-connections", this::newConnections);
        if (udp != null) {
            spawn("udp", this::udpFlow);
        }
    }

    private void spawn(String name, Runnable r) {
        Thread t = new Thread(r, name);
        t.setDaemon(true);
        threads.add(t);
        t.start();
    }

    /** One connection kept for the whole run; if it breaks, that is recorded and a new one replaces it. */
    private void longLived() {
        while (!stop.get()) {
            try (Socket s = connect()) {
                BufferedReader in = reader(s);
                OutputStream out = s.getOutputStream();
                for (long i = 0; !stop.get(); i++) {
                    String line = Thread.currentThread().getName() + " " + i;
                    out.write((line + "\n").getBytes(StandardCharsets.US_ASCII));
                    out.flush();
                    String back = in.readLine();
                    if (!line.equals(back)) {
                        fail("long_lived_broken", "sent " + line + ", got " + back);
                        break;
                    }
                    longLivedExchanges.incrementAndGet();
                    sleep(200);
                }
            } catch (IOException e) {
                if (!stop.get()) {
                    fail("long_lived_broken", e.toString());
                    sleep(100);
                }
            }
        }
    }

    private void newConnections() {
        while (!stop.get()) {
            try (Socket s = connect()) {
                s.getOutputStream().write("x\n".getBytes(StandardCharsets.US_ASCII));
                String back = reader(s).readLine();
                if ("x".equals(back)) {
                    newConnectionsOk.incrementAndGet();
                    firstNewConnectionOk.compareAndSet(0, System.currentTimeMillis());
                } else {
                    fail("new_bad_answer", String.valueOf(back));
                }
            } catch (ConnectException e) {
                fail(
                        e.getMessage() != null && e.getMessage().contains("refused") ? "new_refused" : "new_connect",
                        e.toString());
            } catch (SocketTimeoutException e) {
                fail("new_timeout", e.toString());
            } catch (SocketException e) {
                fail(String.valueOf(e.getMessage()).contains("reset") ? "new_reset" : "new_error", e.toString());
            } catch (IOException e) {
                fail("new_error", e.toString());
            }
            sleep(20);
        }
    }

    private void udpFlow() {
        try (DatagramSocket s = new DatagramSocket()) {
            s.connect(udp);
            s.setSoTimeout(100);
            byte[] ping = "ping\n".getBytes(StandardCharsets.US_ASCII);
            byte[] buf = new byte[2048];
            long last = System.currentTimeMillis();
            while (!stop.get()) {
                try {
                    s.send(new DatagramPacket(ping, ping.length));
                } catch (IOException e) {
                    // An ICMP error from an earlier datagram; the flow goes on.
                }
                long until = System.currentTimeMillis() + 100;
                while (System.currentTimeMillis() < until) {
                    try {
                        s.receive(new DatagramPacket(buf, buf.length));
                        long now = System.currentTimeMillis();
                        long gap = now - last;
                        if (gap > 1000) {
                            events.println("UDP_GAP " + gap + " " + last);
                        }
                        udpMaxGapMillis.accumulateAndGet(gap, Math::max);
                        last = now;
                        udpAnswers.incrementAndGet();
                    } catch (SocketTimeoutException e) {
                        break;
                    } catch (IOException e) {
                        break;
                    }
                }
            }
        } catch (IOException e) {
            fail("udp_error", e.toString());
        }
    }

    private Socket connect() throws IOException {
        Socket s = new Socket();
        try {
            s.connect(tcp, (int) CONNECT_TIMEOUT.toMillis());
            s.setSoTimeout(5000);
            return s;
        } catch (IOException e) {
            s.close();
            throw e;
        }
    }

    private static BufferedReader reader(Socket s) throws IOException {
        return new BufferedReader(new InputStreamReader(s.getInputStream(), StandardCharsets.US_ASCII));
    }

    private void fail(String kind, String detail) {
        Failure f = new Failure(System.currentTimeMillis(), kind, detail);
        failures.add(f);
        events.println("EVENT " + f.atMillis() + " " + kind + " " + detail);
        events.flush();
    }

    private static void sleep(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    public List<Failure> failures() {
        return List.copyOf(failures);
    }

    public long newConnectionsOk() {
        return newConnectionsOk.get();
    }

    public long longLivedExchanges() {
        return longLivedExchanges.get();
    }

    public long udpMaxGapMillis() {
        return udpMaxGapMillis.get();
    }

    public long udpAnswers() {
        return udpAnswers.get();
    }

    public String summary() {
        return "SUMMARY new_ok=" + newConnectionsOk + " long_lived_exchanges=" + longLivedExchanges + " udp_answers="
                + udpAnswers + " udp_max_gap_ms=" + udpMaxGapMillis + " failures=" + failures.size();
    }

    @Override
    public void close() throws InterruptedException {
        stop.set(true);
        for (Thread t : threads) {
            t.join(10_000);
        }
    }
}
