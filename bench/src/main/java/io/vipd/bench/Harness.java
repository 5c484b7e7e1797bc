package io.vipd.bench;

import picocli.CommandLine;
import picocli.CommandLine.Command;

/**
 * The network harness's Java side, called by {@code bench/run}: rule generators, the UDP echo server and
 * request/response load client, the endpoint-change poller, the in-process vipd table build, the report writer, and
 * the API server vipd node watches.
 */
@Command(
        name = "harness",
        mixinStandardHelpOptions = true,
        description = "Pieces of the vipd network benchmark (driven by bench/run).",
        subcommands = {
            RulesCommand.class,
            UdpEcho.class,
            UdpLoad.class,
            AwaitBody.class,
            TableBuild.class,
            SnapshotCost.class,
            ReportCommand.class,
            ApiServerCommand.class
        })
public final class Harness implements Runnable {
    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    public static void main(String[] args) {
        System.exit(new CommandLine(new Harness()).execute(args));
    }

    @Override
    public void run() {
        spec.commandLine().usage(System.out);
    }
}
