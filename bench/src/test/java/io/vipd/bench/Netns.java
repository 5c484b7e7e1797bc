package io.vipd.bench;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.TimeUnit;

/**
 * A small namespace topology for the harness self-checks: client (198.18.1.2) → node (forwarding, the rules under
 * test) → pod (endpoint addresses 198.18.2.10 and .11, and more on request). Names are unique per instance; close()
 * stops every process it started, by PID, and deletes the namespaces. Test-only.
 */
final class Netns implements AutoCloseable {
    final String client;
    final String node;
    final String pod;
    private final List<Process> processes = new ArrayList<>();
    private final List<String> created = new ArrayList<>();

    Netns() throws IOException, InterruptedException {
        String id = "vbt-" + UUID.randomUUID().toString().substring(0, 8);
        client = id + "-client";
        node = id + "-node";
        pod = id + "-pod1";
        try {
            for (String ns : List.of(client, node, pod)) {
                run(List.of("ip", "netns", "add", ns), null);
                created.add(ns);
                exec(ns, "ip", "link", "set", "lo", "up");
            }
            run(
                    List.of(
                            "ip", "-n", client, "link", "add", "c0", "type", "veth", "peer", "name", "n0", "netns",
                            node),
                    null);
            run(
                    List.of(
                            "ip", "-n", node, "link", "add", "n1", "type", "veth", "peer", "name", "eth0", "netns",
                            pod),
                    null);
            exec(client, "ip", "addr", "add", "198.18.1.2/24", "dev", "c0");
            exec(client, "ip", "link", "set", "c0", "up");
            exec(client, "ip", "route", "add", "default", "via", "198.18.1.1");
            exec(node, "ip", "addr", "add", "198.18.1.1/24", "dev", "n0");
            exec(node, "ip", "addr", "add", "198.18.2.1/24", "dev", "n1");
            exec(node, "ip", "link", "set", "n0", "up");
            exec(node, "ip", "link", "set", "n1", "up");
            exec(node, "sysctl", "-qw", "net.ipv4.ip_forward=1");
            exec(pod, "ip", "addr", "add", "198.18.2.10/24", "dev", "eth0");
            exec(pod, "ip", "addr", "add", "198.18.2.11/24", "dev", "eth0");
            exec(pod, "ip", "link", "set", "eth0", "up");
            exec(pod, "ip", "route", "add", "default", "via", "198.18.2.1");
        } catch (IOException | RuntimeException e) {
            close();
            throw e;
        }
    }

    /** Starts a TCP server in the pod on ip:port that answers every connection with "ep IP PORT from PEER"
     * (socat splits its address arguments at colons and commas, so the answer has neither). */
    void serveTcp(String ip, int port) throws IOException {
        ProcessBuilder pb = new ProcessBuilder(
                "ip",
                "netns",
                "exec",
                pod,
                "socat",
                "-T",
                "2",
                "TCP-LISTEN:" + port + ",bind=" + ip + ",reuseaddr,fork",
                "SYSTEM:echo ep " + ip + " " + port + " from $SOCAT_PEERADDR");
        pb.redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD);
        processes.add(pb.start());
    }

    /** Connects from the client, retrying while nothing listens yet; returns the server's answer or "". */
    String connect(String ip, int port) throws IOException, InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (true) {
            String out = run(
                            List.of(
                                    "ip",
                                    "netns",
                                    "exec",
                                    client,
                                    "socat",
                                    "-T",
                                    "2",
                                    "-u",
                                    "TCP:" + ip + ":" + port + ",connect-timeout=2",
                                    "-"),
                            null,
                            false)
                    .trim();
            if (!out.isEmpty() || System.nanoTime() > deadline) {
                return out;
            }
            Thread.sleep(100);
        }
    }

    /** Runs a command in a namespace with {@code input} on stdin; throws with its output if it fails. */
    String execWithInput(String ns, String input, String... command) throws IOException, InterruptedException {
        List<String> cmd = new ArrayList<>(List.of("ip", "netns", "exec", ns));
        cmd.addAll(List.of(command));
        return run(cmd, input);
    }

    String exec(String ns, String... command) throws IOException, InterruptedException {
        return execWithInput(ns, null, command);
    }

    private static String run(List<String> cmd, String input) throws IOException, InterruptedException {
        return run(cmd, input, true);
    }

    private static String run(List<String> cmd, String input, boolean check) throws IOException, InterruptedException {
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true);
        Path in = null;
        if (input != null) {
            in = Files.createTempFile("vbt-", ".in");
            Files.writeString(in, input, StandardCharsets.UTF_8);
            pb.redirectInput(in.toFile());
        } else {
            pb.redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")));
        }
        try {
            Process p = pb.start();
            if (!p.waitFor(20, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                throw new IOException("timed out: " + String.join(" ", cmd));
            }
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            if (check && p.exitValue() != 0) {
                throw new IOException("failed (" + p.exitValue() + "): " + String.join(" ", cmd) + "\n" + out);
            }
            return out;
        } finally {
            if (in != null) {
                Files.deleteIfExists(in);
            }
        }
    }

    @Override
    public void close() throws IOException, InterruptedException {
        for (Process p : processes) {
            p.destroy();
        }
        for (Process p : processes) {
            if (!p.waitFor(2, TimeUnit.SECONDS)) {
                p.destroyForcibly().waitFor(2, TimeUnit.SECONDS);
            }
        }
        for (String ns : created) {
            run(List.of("ip", "netns", "del", ns), null, false);
        }
    }
}
