package io.vipd.nodeport;

import io.vipd.nodeport.interception.CommandRunner;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;

/**
 * A network namespace a test created, deleted by {@link #close}. Test helper: tests that use it declare
 * {@code @Requires(root = true, commands = "ip")} (io.vipd.testing).
 */
public final class NetNs implements AutoCloseable {
    private final String name;
    private final CommandRunner host = CommandRunner.processes();

    private NetNs(String name) {
        this.name = name;
    }

    /** Creates "vipd-PREFIX-RANDOM" with loopback up. */
    public static NetNs create(String prefix) throws IOException {
        String name = "vipd-" + prefix + "-" + UUID.randomUUID().toString().substring(0, 8);
        NetNs ns = new NetNs(name);
        ns.hostRun("ip", "netns", "add", name);
        ns.run("ip", "link", "set", "lo", "up");
        return ns;
    }

    public String name() {
        return name;
    }

    /** Runs a command inside the namespace and fails unless it exits 0. */
    public String run(String... command) throws IOException {
        CommandRunner.Result r = runner().run(List.of(command), null);
        if (!r.ok()) {
            throw new IOException(String.join(" ", command) + " in " + name + ": " + r.stderr());
        }
        return r.stdout();
    }

    /** A runner whose commands act inside this namespace. */
    public CommandRunner runner() {
        return (command, stdin) -> {
            List<String> full = new ArrayList<>(List.of("ip", "netns", "exec", name));
            full.addAll(command);
            return host.run(full, stdin);
        };
    }

    private void hostRun(String... command) throws IOException {
        CommandRunner.Result r = host.run(List.of(command), null);
        if (!r.ok()) {
            throw new IOException(String.join(" ", command) + ": " + r.stderr());
        }
    }

    @Override
    public void close() throws IOException {
        host.run(List.of("ip", "netns", "del", name), null);
    }
}
