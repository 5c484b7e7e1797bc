package io.vipd.bench;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code harness await-body}: measures when a data plane starts using a changed endpoint. Polls
 * {@code GET /} on new connections; prints {@code ready} once any answer arrives (bench/run then applies the change),
 * and {@code seen <epoch-micros>} when the answer's body contains {@code --expect}. Bounded by {@code --timeout-ms}.
 */
@Command(name = "await-body", description = "Poll an HTTP address on new connections until the body contains a text.")
final class AwaitBody implements Callable<Integer> {
    @Option(names = "--target", required = true, description = "IP:PORT")
    String target;

    @Option(names = "--expect", required = true)
    String expect;

    @Option(names = "--timeout-ms", defaultValue = "30000")
    long timeoutMs;

    @Override
    public Integer call() throws InterruptedException {
        int colon = target.lastIndexOf(':');
        InetSocketAddress to =
                new InetSocketAddress(target.substring(0, colon), Integer.parseInt(target.substring(colon + 1)));
        long deadline = System.nanoTime() + timeoutMs * 1_000_000;
        boolean ready = false;
        while (System.nanoTime() < deadline) {
            String body = fetch(to);
            if (body != null && !ready) {
                ready = true;
                System.out.println("ready");
                System.out.flush();
            }
            if (body != null && body.contains(expect)) {
                Instant now = Instant.now();
                System.out.println("seen " + (now.getEpochSecond() * 1_000_000 + now.getNano() / 1_000));
                return 0;
            }
            if (body == null) {
                Thread.sleep(1);
            }
        }
        System.out.println("timeout");
        return 1;
    }

    private static String fetch(InetSocketAddress to) {
        try (Socket s = new Socket()) {
            s.setSoTimeout(500);
            s.connect(to, 500);
            OutputStream out = s.getOutputStream();
            out.write(
                    ("GET / HTTP/1.0\r\nHost: bench\r\nConnection: close\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
            out.flush();
            InputStream in = s.getInputStream();
            return new String(in.readAllBytes(), StandardCharsets.US_ASCII);
        } catch (IOException e) {
            return null;
        }
    }
}
