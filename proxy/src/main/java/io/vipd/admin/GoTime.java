package io.vipd.admin;

import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;

/**
 * Formats an instant as Go's {@code time.Time.String()} does for a UTC time, e.g.
 * {@code 2024-05-01 10:00:00.123 +0000 UTC} (fraction without trailing zeros, absent when zero), so the
 * health bodies read like kube-proxy's. The zero instant prints as Go's zero time.
 */
final class GoTime {
    static final String ZERO = "0001-01-01 00:00:00 +0000 UTC";
    private static final DateTimeFormatter SECONDS =
            DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm:ss").withZone(ZoneOffset.UTC);

    private GoTime() {}

    static String format(Instant t) {
        if (t == null) {
            return ZERO;
        }
        StringBuilder sb = new StringBuilder(SECONDS.format(t));
        int nanos = t.getNano();
        if (nanos != 0) {
            String fraction = String.format("%09d", nanos);
            int end = fraction.length();
            while (fraction.charAt(end - 1) == '0') {
                end--;
            }
            sb.append('.').append(fraction, 0, end);
        }
        return sb.append(" +0000 UTC").toString();
    }
}
