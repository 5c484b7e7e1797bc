package io.vipd.cli;

import io.vipd.admin.AdminBindException;
import io.vipd.edge.EdgeConfigCheck;
import io.vipd.edge.EdgeConfigException;
import io.vipd.edge.EdgeRuntime;
import io.vipd.handover.HandoverException;
import io.vipd.handover.StateDirectory;
import io.vipd.proxy.AccessLog;
import io.vipd.proxy.ProxyConfig;
import java.io.PrintWriter;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code vipd edge --config FILE}: the standalone L4 load balancer, configured by a watched YAML file and reloaded
 * on SIGHUP; {@code --check} only validates the file.
 */
@Command(
        name = "edge",
        mixinStandardHelpOptions = true,
        description = {
            "Run the standalone L4 load balancer on a YAML file (see examples/edge.yaml).",
            "The file is watched, and re-read on SIGHUP: changes are applied service by service, established "
                    + "connections are kept, and an invalid file is reported while the last good configuration stays "
                    + "in force."
        })
public final class EdgeCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Option(names = "--config", required = true, paramLabel = "FILE", description = "the services file")
    Path config;

    @Option(
            names = "--check",
            description = "validate the file as a start would (listen addresses included, "
                    + "against each other and the admin addresses, without binding) and exit: 0 if it is valid, "
                    + "2 with the error")
    boolean check;

    @Option(
            names = "--metrics-bind-address",
            paramLabel = "IP:PORT",
            defaultValue = "127.0.0.1:10249",
            converter = BindAddressConverter.class,
            description = "serves /metrics, /services and a status page at / (default ${DEFAULT-VALUE}; empty: off)")
    InetSocketAddress metricsBind;

    @Option(
            names = "--healthz-bind-address",
            paramLabel = "IP:PORT",
            defaultValue = "0.0.0.0:10256",
            converter = BindAddressConverter.class,
            description = "serves /healthz and /livez (default ${DEFAULT-VALUE}; empty: off)")
    InetSocketAddress healthzBind;

    @Option(
            names = "--shutdown-grace",
            paramLabel = "DURATION",
            defaultValue = "10s",
            converter = GoDurationConverter.class,
            description = "on SIGTERM, how long established connections may finish (default ${DEFAULT-VALUE})")
    Duration shutdownGrace;

    @Option(
            names = "--state-dir",
            paramLabel = "DIR",
            description = "hand-over socket: a vipd edge started on the same directory takes this one's listening "
                    + "sockets over, refusing no connection (default: one directory per configuration file, under "
                    + "/run/vipd for root, else under $XDG_RUNTIME_DIR or the temporary directory)")
    Path stateDir;

    @Option(
            names = "--access-log",
            paramLabel = "FILE|-",
            description = "one line per TCP connection or UDP flow when it ends, appended to FILE or written to "
                    + "standard output for - (default: off)")
    String accessLog;

    @Option(
            names = "--access-log-format",
            paramLabel = "text|json",
            defaultValue = "text",
            description = "text (key=value) or json lines with the same keys (default ${DEFAULT-VALUE})")
    String accessLogFormat;

    @Mixin
    ForwardingOptions forwarding;

    @Mixin
    LoggingOptions logging;

    @Override
    public Integer call() throws InterruptedException {
        PrintWriter err = spec.commandLine().getErr();
        if (check) {
            return check(err);
        }
        try {
            LogSetup.apply(LogSetup.Format.parse(logging.format), logging.verbosity);
        } catch (IllegalArgumentException e) {
            err.println("vipd edge: " + e.getMessage());
            err.flush();
            return 2;
        }
        EdgeRuntime runtime;
        try {
            Path dir = stateDir != null
                    ? stateDir
                    : StateDirectory.edgeDefault(
                            config, "root".equals(System.getProperty("user.name")), System.getenv("XDG_RUNTIME_DIR"));
            runtime = EdgeRuntime.start(EdgeRuntime.Options.defaults(config)
                    .withAdmin(metricsBind, healthzBind)
                    .withProxyConfig(forwarding.applyTo(ProxyConfig.defaults()))
                    .withStateDir(dir)
                    .withAccessLog(
                            accessLog == null || accessLog.isEmpty()
                                    ? null
                                    : new AccessLog.Settings(accessLog, AccessLog.Format.parse(accessLogFormat))));
        } catch (EdgeConfigException | AdminBindException | IllegalArgumentException e) {
            err.println("vipd edge: " + e.getMessage());
            err.flush();
            return 2;
        } catch (HandoverException e) {
            err.println("vipd edge: cannot take over from the running vipd edge: " + e.getMessage());
            err.flush();
            return 1;
        }
        CompletableFuture<String> termination = TerminationSignal.install();
        try (HangupSignal hangup = HangupSignal.reloadOn(runtime::reload)) {
            return awaitAndDrain(runtime, termination, shutdownGrace);
        }
    }

    /** {@code --check}: the summary on stdout and 0, or the error a start would print and 2. */
    private int check(PrintWriter err) {
        Map<String, InetSocketAddress> admin = new LinkedHashMap<>();
        // In the order a start binds them, so the same frontend is reported.
        if (metricsBind != null) {
            admin.put("the metrics listener", metricsBind);
        }
        if (healthzBind != null) {
            admin.put("the healthz listener", healthzBind);
        }
        try {
            EdgeConfigCheck.Summary summary = EdgeConfigCheck.check(config, admin);
            PrintWriter out = spec.commandLine().getOut();
            out.println(config + ": configuration OK (" + count(summary.services(), "service") + ", "
                    + count(summary.frontends(), "frontend") + ")");
            out.flush();
            return 0;
        } catch (EdgeConfigException e) {
            err.println("vipd edge: " + e.getMessage());
            err.flush();
            return 2;
        }
    }

    private static String count(int n, String noun) {
        return n + " " + noun + (n == 1 ? "" : "s");
    }

    /**
     * Waits for SIGTERM/SIGINT, then drains up to the grace period; or for a successor to take over and every
     * connection left here to finish. 0 when the drain ran.
     */
    static int awaitAndDrain(EdgeRuntime runtime, CompletableFuture<String> signal, Duration grace)
            throws InterruptedException {
        try {
            CompletableFuture.anyOf(signal, runtime.succeeded()).get();
            if (!signal.isDone()) {
                runtime.close();
                return 0;
            }
            runtime.shutdown(grace).get();
            return 0;
        } catch (ExecutionException e) {
            runtime.close();
            return 1;
        }
    }
}
