package io.vipd.cli;

import io.vipd.nodeport.interception.CommandRunner;
import io.vipd.nodeport.interception.Interception;
import io.vipd.nodeport.interception.InterceptionConfig;
import java.io.IOException;
import java.io.PrintWriter;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

/**
 * {@code vipd cleanup} (also {@code vipd node --cleanup}): removes the nftables table, the policy routing rules
 * and the routes that node mode installed. Running it twice is harmless.
 */
@Command(
        name = "cleanup",
        mixinStandardHelpOptions = true,
        description =
                "Remove the nftables table inet vipd and the policy routing entries vipd node installed, then exit.")
public final class CleanupCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Override
    public Integer call() {
        return cleanup(spec.commandLine().getOut(), spec.commandLine().getErr());
    }

    /** Cleans up with the default mark and routing table; 0 on success, 1 when a command failed. */
    static int cleanup(PrintWriter out, PrintWriter err) {
        try {
            Interception.cleanup(CommandRunner.processes(), InterceptionConfig.defaults(List.of(), List.of()));
            out.println("vipd: removed nftables table inet vipd and its policy routing (if present)");
            out.flush();
            return 0;
        } catch (IOException e) {
            err.println("vipd cleanup: " + e.getMessage());
            err.flush();
            return 1;
        }
    }
}
