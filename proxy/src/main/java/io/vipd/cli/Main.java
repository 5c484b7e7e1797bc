package io.vipd.cli;

import io.netty.util.ResourceLeakDetector;
import io.vipd.admin.BuildInfo;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/** The {@code vipd} command line: one subcommand per way of running vipd. */
@Command(
        name = "vipd",
        mixinStandardHelpOptions = true,
        versionProvider = Main.Version.class,
        description =
                "A Service load balancer for Kubernetes that replaces kube-proxy, and a standalone L4 load balancer.",
        subcommands = {
            MaglevCommand.class,
            PlanCommand.class,
            EdgeCommand.class,
            DemoCommand.class,
            ServicesCommand.class,
            BackendCommand.class,
            NodeCommand.class,
            CleanupCommand.class,
            CompletionCommand.class
        })
public final class Main implements Runnable {
    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    public static void main(String[] args) {
        quietLeakDetection();
        System.exit(run(args));
    }

    /**
     * Netty's leak detector samples buffers and records a stack trace for each it tracks: about 7% of a
     * forwarding loop's CPU on keep-alive traffic in a profile (bench/connection-costs), for buffers vipd only
     * passes from one socket to the other. Off in the daemon unless asked for with
     * {@code -Dio.netty.leakDetection.level=...}; the tests run it at "paranoid".
     */
    static void quietLeakDetection() {
        if (System.getProperty("io.netty.leakDetection.level") == null
                && System.getProperty("io.netty.leakDetectionLevel") == null) {
            ResourceLeakDetector.setLevel(ResourceLeakDetector.Level.DISABLED);
        }
    }

    /** Runs the command line and returns the exit code (2 for usage errors), without exiting. */
    public static int run(String... args) {
        return run(null, null, args);
    }

    /** As {@link #run(String...)}, printing to the given writers (null: standard out and err). */
    public static int run(java.io.PrintWriter out, java.io.PrintWriter err, String... args) {
        CommandLine cl = new CommandLine(new Main());
        // kube-proxy's flags (Go's pflag) take the last of a repeated flag; DaemonSets that append to a base list
        // rely on it.
        cl.getSubcommands().get("node").setOverwrittenOptionsAllowed(true);
        if (out != null) {
            cl.setOut(out);
        }
        if (err != null) {
            cl.setErr(err);
        }
        cl.setParameterExceptionHandler((ex, a) -> {
            // One line on stderr, as every exit 2 of vipd.
            ex.getCommandLine()
                    .getErr()
                    .println("vipd: " + ex.getMessage() + " (try '"
                            + ex.getCommandLine().getCommandSpec().qualifiedName() + " --help')");
            ex.getCommandLine().getErr().flush();
            return 2;
        });
        return cl.execute(args);
    }

    @Override
    public void run() {
        spec.commandLine().usage(System.out);
    }

    /** {@code --version}: the build's version and git revision. */
    static final class Version implements CommandLine.IVersionProvider {
        @Override
        public String[] getVersion() {
            return new String[] {BuildInfo.current().describe()};
        }
    }
}
