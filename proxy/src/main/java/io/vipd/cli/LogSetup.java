package io.vipd.cli;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.encoder.PatternLayoutEncoder;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.classic.util.ContextInitializer;
import ch.qos.logback.core.ConsoleAppender;
import ch.qos.logback.core.OutputStreamAppender;
import ch.qos.logback.core.encoder.Encoder;
import ch.qos.logback.core.joran.spi.JoranException;
import java.io.OutputStream;
import java.util.Locale;
import org.slf4j.LoggerFactory;

/**
 * Applies {@code --v} and {@code --logging-format} to logback (vipd's SLF4J backend, configured by
 * {@code logback.xml}: text lines on stderr, the level from {@code VIPD_LOG_LEVEL}).
 *
 * <p>klog's verbosity maps onto logback's levels as follows (README, "Logs"):
 * <ul>
 *   <li>0-1: vipd at INFO, Netty and the API client (fabric8) at WARN: what kube-proxy logs at its default;</li>
 *   <li>2-3: also the API client's and Netty's INFO lines (watch reconnects, client set-up): more detail
 *       about the connection to the API server, as klog's V(2)-V(3) adds about changes;</li>
 *   <li>4: vipd at DEBUG: per-change and per-connection detail (klog's V(4) is "debug");</li>
 *   <li>5 and more: vipd at TRACE, Netty and fabric8 at DEBUG.</li>
 * </ul>
 * Warnings and errors are always logged. Without {@code --v}, {@code VIPD_LOG_LEVEL} still sets the level.
 */
public final class LogSetup {
    /** RFC 3339 with milliseconds, always in UTC, as the JSON lines' {@code ts}. */
    static final String TEXT_PATTERN = "%d{yyyy-MM-dd'T'HH:mm:ss.SSSXXX,UTC} %-5level %logger{0} %msg %kvp%n";

    private static final String[] LIBRARIES = {"io.netty", "io.fabric8"};

    private LogSetup() {}

    /** {@code --logging-format}. */
    public enum Format {
        TEXT,
        JSON;

        /** "text" or "json" (case-insensitive); null or "" is text, kube-proxy's default. */
        public static Format parse(String value) {
            if (value == null || value.isBlank()) {
                return TEXT;
            }
            try {
                return valueOf(value.trim().toUpperCase(Locale.ROOT));
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("logging-format: \"" + value + "\" is neither text nor json");
            }
        }
    }

    /** The levels a klog verbosity stands for. */
    record Levels(Level vipd, Level libraries) {}

    static Levels levels(int verbosity) {
        if (verbosity < 0) {
            throw new IllegalArgumentException("v: " + verbosity + " is negative");
        }
        if (verbosity <= 1) {
            return new Levels(Level.INFO, Level.WARN);
        }
        if (verbosity <= 3) {
            return new Levels(Level.INFO, Level.INFO);
        }
        if (verbosity == 4) {
            return new Levels(Level.DEBUG, Level.INFO);
        }
        return new Levels(Level.TRACE, Level.DEBUG);
    }

    /**
     * Applies the settings to standard error; with neither given, logback.xml's configuration stays.
     *
     * @param verbosity klog's verbosity, or null to keep VIPD_LOG_LEVEL's level
     */
    public static void apply(Format format, Integer verbosity) {
        if (format == Format.TEXT && verbosity == null) {
            return;
        }
        apply(format, verbosity, null);
    }

    /** As {@link #apply(Format, Integer)}, writing to {@code out} (null: standard error). */
    static void apply(Format format, Integer verbosity, OutputStream out) {
        Levels levels = verbosity == null ? null : levels(verbosity);
        LoggerContext context = (LoggerContext) LoggerFactory.getILoggerFactory();
        Encoder<ILoggingEvent> encoder;
        if (format == Format.JSON) {
            encoder = new JsonLineEncoder();
        } else {
            PatternLayoutEncoder pattern = new PatternLayoutEncoder();
            pattern.setPattern(TEXT_PATTERN);
            encoder = pattern;
        }
        encoder.setContext(context);
        encoder.start();
        OutputStreamAppender<ILoggingEvent> appender;
        if (out == null) {
            ConsoleAppender<ILoggingEvent> console = new ConsoleAppender<>();
            console.setTarget("System.err");
            appender = console;
        } else {
            appender = new OutputStreamAppender<>();
            appender.setOutputStream(out);
        }
        appender.setContext(context);
        appender.setName("STDERR");
        appender.setEncoder(encoder);
        appender.start();
        Logger root = context.getLogger(Logger.ROOT_LOGGER_NAME);
        root.detachAndStopAllAppenders();
        root.addAppender(appender);
        if (levels != null) {
            root.setLevel(levels.vipd());
            for (String library : LIBRARIES) {
                context.getLogger(library).setLevel(levels.libraries());
            }
        }
    }

    /** Back to logback.xml's configuration (tests). */
    static void reset() {
        LoggerContext context = (LoggerContext) LoggerFactory.getILoggerFactory();
        context.reset();
        try {
            new ContextInitializer(context).autoConfig();
        } catch (JoranException e) {
            throw new IllegalStateException("logback.xml: " + e.getMessage(), e);
        }
    }
}
