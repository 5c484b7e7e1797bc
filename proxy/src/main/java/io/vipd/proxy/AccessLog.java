package io.vipd.proxy;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.vipd.lb.Addresses;
import java.io.IOException;
import java.io.OutputStream;
import java.io.OutputStreamWriter;
import java.io.StringWriter;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Instant;
import java.util.Locale;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import org.jctools.queues.MpscArrayQueue;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import tools.jackson.core.JsonGenerator;
import tools.jackson.core.ObjectWriteContext;
import tools.jackson.core.json.JsonFactory;

/**
 * The access log: one line per TCP connection or UDP flow when it ends. Event loops only offer the entry to a
 * bounded lock-free queue ({@link MpscArrayQueue}); one thread of its own formats and writes the lines, so a
 * slow disk or a full pipe never blocks forwarding. When the queue is full the entry is dropped and counted in
 * {@code vipd_access_log_dropped_total}. Text lines are logfmt ({@code key=value}); JSON lines are objects
 * with exactly the keys of {@link #KEYS}, written by Jackson.
 */
public final class AccessLog implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(AccessLog.class);
    /** Lines waiting for the writer; beyond it lines are dropped. */
    static final int CAPACITY = 65_536;
    /** How long the writer sleeps when the queue is empty: the most a line waits before it is written. */
    private static final long IDLE_PARK_NANOS = TimeUnit.MILLISECONDS.toNanos(20);

    /** The keys of every line, in the order written. */
    public static final String[] KEYS = {
        "time", "duration_ms", "client", "frontend", "service", "backend", "bytes_in", "bytes_out", "result", "retries"
    };

    /** Where and how to write the log: {@code file} is a path or "-" for standard output. */
    public record Settings(String file, Format format) {}

    /** How lines are written. */
    public enum Format {
        TEXT,
        JSON;

        public static Format parse(String text) {
            try {
                return valueOf(text.trim().toUpperCase(Locale.ROOT));
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("unknown access log format \"" + text + "\" (want text or json)");
            }
        }
    }

    private final MpscArrayQueue<AccessLogEntry> queue = new MpscArrayQueue<>(CAPACITY);
    private final Writer out;
    private final boolean closeOut;
    private final Format format;
    private final JsonFactory json = new JsonFactory();
    private final Counter dropped;
    private final Thread writer;
    private volatile boolean closing;

    /**
     * Opens the log (appending to {@code file}, or standard output for "-") and starts its writer thread.
     *
     * @throws IOException naming the file when it cannot be opened
     */
    public static AccessLog open(String file, Format format, MeterRegistry registry) throws IOException {
        if (file.equals("-")) {
            return new AccessLog(new OutputStreamWriter(System.out, StandardCharsets.UTF_8), false, format, registry);
        }
        OutputStream stream;
        try {
            stream = Files.newOutputStream(
                    Path.of(file), StandardOpenOption.CREATE, StandardOpenOption.APPEND, StandardOpenOption.WRITE);
        } catch (IOException e) {
            throw new IOException("cannot open the access log " + file + ": " + e.getMessage(), e);
        }
        return new AccessLog(new OutputStreamWriter(stream, StandardCharsets.UTF_8), true, format, registry);
    }

    AccessLog(Writer out, boolean closeOut, Format format, MeterRegistry registry) {
        this.out = out;
        this.closeOut = closeOut;
        this.format = format;
        this.dropped = Counter.builder("vipd.access_log.dropped")
                .description("Access log lines dropped because the writer fell behind")
                .register(registry);
        this.writer = new Thread(this::run, "vipd-access-log");
        writer.setDaemon(true);
        writer.start();
    }

    /** Queues a line; never blocks. Called from event loops. */
    void offer(AccessLogEntry entry) {
        if (!queue.relaxedOffer(entry)) {
            dropped.increment();
        }
    }

    private void run() {
        while (true) {
            boolean stop = closing;
            int n = queue.drain(this::write);
            if (n == 0) {
                try {
                    out.flush();
                } catch (IOException e) {
                    log.atWarn().addKeyValue("reason", e.getMessage()).log("access log flush failed");
                }
                if (stop) {
                    return;
                }
                LockSupport.parkNanos(IDLE_PARK_NANOS);
            }
        }
    }

    private void write(AccessLogEntry e) {
        try {
            out.write(format(e));
            out.write('\n');
        } catch (IOException | RuntimeException ex) {
            dropped.increment();
            log.atWarn().addKeyValue("reason", String.valueOf(ex)).log("access log write failed");
        }
    }

    /** One line, without its newline. */
    String format(AccessLogEntry e) {
        String time = Instant.ofEpochMilli(e.startMillis()).toString();
        String client = e.client() == null ? "" : Addresses.key(e.client());
        String frontend = e.frontend() == null ? "" : Addresses.key(e.frontend());
        if (format == Format.TEXT) {
            return "time=" + time + " duration_ms=" + e.durationMillis() + " client=" + dash(client) + " frontend="
                    + dash(frontend) + " service=" + dash(e.service()) + " backend=" + dash(e.backend())
                    + " bytes_in=" + e.bytesIn() + " bytes_out=" + e.bytesOut() + " result="
                    + e.result().text() + " retries=" + e.retries();
        }
        StringWriter sw = new StringWriter(256);
        try (JsonGenerator g = json.createGenerator(ObjectWriteContext.empty(), sw)) {
            g.writeStartObject();
            g.writeName("time").writeString(time);
            g.writeName("duration_ms").writeNumber(e.durationMillis());
            g.writeName("client").writeString(client);
            g.writeName("frontend").writeString(frontend);
            g.writeName("service").writeString(e.service());
            g.writeName("backend").writeString(e.backend());
            g.writeName("bytes_in").writeNumber(e.bytesIn());
            g.writeName("bytes_out").writeNumber(e.bytesOut());
            g.writeName("result").writeString(e.result().text());
            g.writeName("retries").writeNumber(e.retries());
            g.writeEndObject();
        }
        return sw.toString();
    }

    private static String dash(String value) {
        return value.isEmpty() ? "-" : value;
    }

    /** Writes the lines queued so far and closes the file. */
    @Override
    public void close() {
        closing = true;
        LockSupport.unpark(writer);
        try {
            writer.join(TimeUnit.SECONDS.toMillis(5));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        try {
            if (closeOut) {
                out.close();
            } else {
                out.flush();
            }
        } catch (IOException e) {
            log.atWarn().addKeyValue("reason", e.getMessage()).log("closing the access log failed");
        }
    }
}
