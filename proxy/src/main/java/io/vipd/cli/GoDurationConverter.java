package io.vipd.cli;

import java.time.Duration;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import picocli.CommandLine.ITypeConverter;
import picocli.CommandLine.TypeConversionException;

/** Reads durations as kube-proxy's flags write them: "10s", "500ms", "1m30s", "2h"; a bare "0" is zero. */
public final class GoDurationConverter implements ITypeConverter<Duration> {
    private static final Pattern PART = Pattern.compile("(\\d+(?:\\.\\d+)?)(ns|us|µs|ms|s|m|h)");

    @Override
    public Duration convert(String value) {
        return parse(value);
    }

    public static Duration parse(String value) {
        String v = value.trim();
        if (v.equals("0")) {
            return Duration.ZERO;
        }
        Matcher m = PART.matcher(v);
        double nanos = 0;
        int end = 0;
        while (m.find() && m.start() == end) {
            nanos += Double.parseDouble(m.group(1)) * unitNanos(m.group(2));
            end = m.end();
        }
        if (end == 0 || end != v.length()) {
            throw new TypeConversionException("not a duration: \"" + value + "\" (want e.g. 10s, 500ms, 1m30s)");
        }
        return Duration.ofNanos((long) nanos);
    }

    /** Writes a duration back in the same notation, in the largest unit that keeps it whole: "10s", "500us". */
    public static String format(Duration d) {
        long nanos = d.toNanos();
        if (nanos == 0) {
            return "0s";
        }
        if (nanos % 1_000_000_000L == 0) {
            return nanos / 1_000_000_000L + "s";
        }
        if (nanos % 1_000_000L == 0) {
            return nanos / 1_000_000L + "ms";
        }
        return nanos % 1_000L == 0 ? nanos / 1_000L + "us" : nanos + "ns";
    }

    private static double unitNanos(String unit) {
        switch (unit) {
            case "ns":
                return 1;
            case "us":
            case "µs":
                return 1e3;
            case "ms":
                return 1e6;
            case "s":
                return 1e9;
            case "m":
                return 60e9;
            default:
                return 3600e9;
        }
    }
}
