package io.vipd.testing;

import io.netty.channel.epoll.Epoll;
import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.math.BigInteger;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * The one place that decides what a test does when the machine lacks something it needs: skip with one line
 * naming what is missing, or, with the environment variable {@value #SWITCH}=1 ({@code .ci/run} exports it),
 * fail, so CI cannot pass by skipping. Tests declare needs with {@link Requires}.
 */
public final class Requirements {
    /** Set to 1 (CI) to turn every unmet requirement into a failure. */
    public static final String SWITCH = "VIPD_REQUIRE_ALL_TESTS";

    private static final int CAP_NET_ADMIN = 12;
    private static final int CAP_SYS_ADMIN = 21;

    private Requirements() {}

    /** Whether {@value #SWITCH}=1 is set. */
    public static boolean strictFromEnvironment() {
        return "1".equals(System.getenv(SWITCH)) || "true".equalsIgnoreCase(System.getenv(SWITCH));
    }

    /** What of these is missing on this machine, one phrase each; empty when everything is there. */
    static List<String> missing(boolean root, boolean epoll, List<String> commands) {
        List<String> missing = new ArrayList<>();
        if (root && !isPrivileged()) {
            missing.add("root (uid 0 with CAP_NET_ADMIN and CAP_SYS_ADMIN)");
        }
        if (epoll && !Epoll.isAvailable()) {
            missing.add("Netty native epoll (" + Epoll.unavailabilityCause() + ")");
        }
        List<String> absent =
                commands.stream().filter(c -> !onPath(c, System.getenv("PATH"))).toList();
        if (!absent.isEmpty()) {
            missing.add("not on PATH: " + String.join(", ", absent));
        }
        return missing;
    }

    /** The one line a skip prints: who needs what. */
    static String describe(String subject, List<String> missing) {
        return subject + " needs " + String.join("; ", missing);
    }

    /** The failure an unmet requirement is under the switch. */
    static AssertionError failure(String subject, List<String> missing) {
        return new AssertionError(describe(subject, missing) + " (" + SWITCH + "=1: a missing requirement fails)");
    }

    /** Whether an executable file {@code command} is in one of {@code path}'s directories. */
    static boolean onPath(String command, String path) {
        if (path == null) {
            return false;
        }
        for (String dir : path.split(File.pathSeparator)) {
            if (!dir.isEmpty() && Files.isExecutable(Path.of(dir, command))) {
                return true;
            }
        }
        return false;
    }

    /** Effective uid 0 holding the capabilities namespaces and nftables need, read from /proc/self/status. */
    private static boolean isPrivileged() {
        try {
            List<String> status = Files.readAllLines(Path.of("/proc/self/status"));
            return "0".equals(field(status, "Uid:", 1)) && hasCapabilities(field(status, "CapEff:", 0));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Whether a CapEff mask (hex, as /proc shows it) holds CAP_NET_ADMIN and CAP_SYS_ADMIN. */
    static boolean hasCapabilities(String capEffHex) {
        if (capEffHex.isEmpty()) {
            return false;
        }
        BigInteger caps = new BigInteger(capEffHex, 16);
        return caps.testBit(CAP_NET_ADMIN) && caps.testBit(CAP_SYS_ADMIN);
    }

    /** The {@code index}-th value after {@code key} in /proc/self/status (Uid: real, effective, saved, fs). */
    private static String field(List<String> status, String key, int index) {
        return status.stream()
                .filter(l -> l.startsWith(key))
                .map(l -> l.substring(key.length()).trim().split("\\s+")[index])
                .findFirst()
                .orElse("");
    }
}
