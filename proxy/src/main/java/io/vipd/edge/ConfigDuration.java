package io.vipd.edge;

import java.time.Duration;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Durations as the edge file writes them, Go's way: {@code 2s}, {@code 500ms}, {@code 1m30s}, {@code 1.5s}. */
final class ConfigDuration {
    private static final Pattern WHOLE = Pattern.compile("(?:[0-9]+(?:\\.[0-9]+)?(?:ms|s|m|h))+");
    private static final Pattern PART = Pattern.compile("([0-9]+(?:\\.[0-9]+)?)(ms|s|m|h)");

    private ConfigDuration() {}

    /** @throws IllegalArgumentException naming the text when it is not a duration */
    static Duration parse(String text) {
        if (!WHOLE.matcher(text).matches()) {
            throw new IllegalArgumentException(
                    "\"" + text + "\" is not a duration (want a number and a unit: ms, s, m or h, as 2s or 500ms)");
        }
        double nanos = 0;
        Matcher m = PART.matcher(text);
        while (m.find()) {
            double unit = switch (m.group(2)) {
                case "ms" -> 1e6;
                case "s" -> 1e9;
                case "m" -> 60e9;
                default -> 3600e9;
            };
            nanos += Double.parseDouble(m.group(1)) * unit;
        }
        if (nanos > Long.MAX_VALUE / 2) {
            throw new IllegalArgumentException("\"" + text + "\" is too long a duration");
        }
        return Duration.ofNanos(Math.round(nanos));
    }
}
