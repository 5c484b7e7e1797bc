package io.vipd.bench;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.PortUnreachableException;
import java.net.StandardSocketOptions;
import java.nio.ByteBuffer;
import java.nio.channels.DatagramChannel;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.util.Arrays;
import java.util.Locale;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code harness udp-load}: UDP request/response load. Each of {@code --flows} sockets (its own source port, so its
 * own flow through the load balancer) keeps one request outstanding: send, wait for the echo, send again. Prints the
 * completed request rate and the p99 round trip of the measured phase. A lost datagram is re-sent after
 * {@code --timeout-ms} and counted, as is an ICMP port unreachable. Exits 1 when no request completed. Bounded by
 * {@code --warmup-seconds} + {@code --seconds}.
 */
@Command(name = "udp-load", description = "UDP request/response rate and p99 against an echo server.")
final class UdpLoad implements Callable<Integer> {
    @Option(names = "--target", required = true, description = "IP:PORT")
    String target;

    @Option(names = "--flows", defaultValue = "16")
    int flows;

    @Option(names = "--seconds", defaultValue = "5")
    double seconds;

    @Option(names = "--warmup-seconds", defaultValue = "1")
    double warmupSeconds;

    @Option(names = "--size", defaultValue = "64", description = "request size in bytes")
    int size;

    @Option(names = "--timeout-ms", defaultValue = "200")
    long timeoutMs;

    private static final int MAX_SAMPLES = 20_000_000;

    @Override
    public Integer call() throws IOException {
        int colon = target.lastIndexOf(':');
        InetSocketAddress to =
                new InetSocketAddress(target.substring(0, colon), Integer.parseInt(target.substring(colon + 1)));
        long[] sentAt = new long[flows];
        DatagramChannel[] channels = new DatagramChannel[flows];
        long[] samples = new long[MAX_SAMPLES];
        int count = 0;
        long lost = 0;
        ByteBuffer request = ByteBuffer.allocate(Math.max(size, 8));
        ByteBuffer reply = ByteBuffer.allocate(2048);
        try (Selector selector = Selector.open()) {
            for (int i = 0; i < flows; i++) {
                channels[i] = DatagramChannel.open();
                channels[i].setOption(StandardSocketOptions.SO_RCVBUF, 1 << 20);
                channels[i].connect(to);
                channels[i].configureBlocking(false);
                channels[i].register(selector, SelectionKey.OP_READ, i);
            }
            long start = System.nanoTime();
            long measureFrom = start + (long) (warmupSeconds * 1e9);
            long end = measureFrom + (long) (seconds * 1e9);
            for (int i = 0; i < flows; i++) {
                sentAt[i] = send(channels[i], request);
            }
            long now = System.nanoTime();
            while (now < end) {
                selector.select(10);
                now = System.nanoTime();
                for (SelectionKey key : selector.selectedKeys()) {
                    int i = (Integer) key.attachment();
                    reply.clear();
                    try {
                        while (channels[i].read(reply) > 0) {
                            reply.clear();
                            if (sentAt[i] >= measureFrom && count < MAX_SAMPLES) {
                                samples[count++] = now - sentAt[i];
                            }
                            sentAt[i] = send(channels[i], request);
                        }
                    } catch (PortUnreachableException e) {
                        lost++; // re-sent when its timeout expires
                    }
                }
                selector.selectedKeys().clear();
                for (int i = 0; i < flows; i++) {
                    if (now - sentAt[i] > TimeUnit.MILLISECONDS.toNanos(timeoutMs)) {
                        lost++;
                        sentAt[i] = send(channels[i], request);
                    }
                }
            }
        } finally {
            for (DatagramChannel c : channels) {
                if (c != null) {
                    c.close();
                }
            }
        }
        Arrays.sort(samples, 0, count);
        double p99us = count == 0 ? Double.NaN : samples[Math.min(count - 1, (int) Math.ceil(count * 0.99) - 1)] / 1e3;
        System.out.printf(
                Locale.ROOT, "requests=%d rate=%.1f p99_us=%.1f lost=%d%n", count, count / seconds, p99us, lost);
        return count > 0 ? 0 : 1;
    }

    private static long send(DatagramChannel channel, ByteBuffer request) throws IOException {
        request.clear();
        try {
            channel.write(request);
        } catch (PortUnreachableException e) {
            // an earlier datagram was refused; this one counts as lost when its timeout expires
        }
        return System.nanoTime();
    }
}
