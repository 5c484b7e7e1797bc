package io.vipd.cli;

import io.vipd.admin.AdminBindException;
import io.vipd.cli.demo.DemoBackends;
import io.vipd.cli.demo.DemoClient;
import io.vipd.cli.demo.DemoScenario;
import io.vipd.edge.EdgeConfig;
import io.vipd.edge.EdgeConfigException;
import io.vipd.edge.EdgeConfigLoader;
import io.vipd.edge.EdgeRuntime;
import io.vipd.handover.HandoverException;
import io.vipd.lb.Addresses;
import io.vipd.lb.Backend;
import io.vipd.lb.Protocol;
import io.vipd.lb.ServiceFrontend;
import io.vipd.lb.ServicePortEntry;
import io.vipd.proxy.ProxyConfig;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.PrintWriter;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code vipd demo}: the load balancer on examples/edge.yaml with small built-in backends on loopback, and
 * the curl commands to try. {@code --self-test} runs the same story automatically and exits 0 when spread,
 * affinity, failover and UDP all behaved.
 */
@Command(
        name = "demo",
        mixinStandardHelpOptions = true,
        description = {
            "Run the load balancer on examples/edge.yaml with built-in backends on 127.0.0.2-127.0.0.4,",
            "and print commands to try. --self-test runs the scenario itself and exits 0 if it held."
        })
public final class DemoCommand implements Callable<Integer> {
    static final String EXAMPLE = "examples/edge.yaml";

    @Spec
    CommandSpec spec;

    @Option(
            names = "--config",
            paramLabel = "FILE",
            description = "the services file (default: " + EXAMPLE + ", or the copy built into vipd)")
    Path config;

    @Option(
            names = "--metrics-bind-address",
            paramLabel = "IP:PORT",
            defaultValue = "127.0.0.1:10249",
            converter = BindAddressConverter.class,
            description = "default ${DEFAULT-VALUE}; empty: off")
    InetSocketAddress metricsBind;

    @Option(
            names = "--healthz-bind-address",
            paramLabel = "IP:PORT",
            defaultValue = "127.0.0.1:10256",
            converter = BindAddressConverter.class,
            description = "default ${DEFAULT-VALUE}; empty: off")
    InetSocketAddress healthzBind;

    @Mixin
    TransportOption transport = new TransportOption();

    @Option(names = "--self-test", description = "run the scenario (spread, affinity, failover, UDP), print it, exit")
    boolean selfTest;

    @Override
    public Integer call() throws Exception {
        Runnable restoreLogs = quietLogs();
        try {
            return demo();
        } finally {
            restoreLogs.run();
        }
    }

    private int demo() throws Exception {
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        Path file;
        EdgeConfig parsed;
        try {
            file = config != null ? config : defaultConfig();
            parsed = EdgeConfigLoader.withDefaultFormats().load(file);
        } catch (EdgeConfigException | IOException e) {
            err.println("vipd demo: " + e.getMessage());
            err.flush();
            return 2;
        }
        CompletableFuture<String> signal = selfTest ? new CompletableFuture<>() : TerminationSignal.install();
        try (DemoBackends backends = new DemoBackends()) {
            EdgeRuntime runtime;
            try {
                ProxyConfig proxyConfig = ProxyConfig.defaults()
                        .withConnectTimeout(Duration.ofSeconds(1))
                        .withTransport(transport.choice());
                startBackends(parsed, backends);
                runtime = EdgeRuntime.start(EdgeRuntime.Options.defaults(file)
                        .withAdmin(metricsBind, healthzBind)
                        .withProxyConfig(proxyConfig));
            } catch (EdgeConfigException
                    | AdminBindException
                    | HandoverException
                    | IOException
                    | IllegalArgumentException e) {
                err.println("vipd demo: " + e.getMessage());
                err.flush();
                return 2;
            }
            if (selfTest) {
                try {
                    out.println("vipd demo self-test on " + file);
                    return new DemoScenario(parsed, backends, out).run() ? 0 : 1;
                } finally {
                    runtime.shutdown(Duration.ofSeconds(1)).get();
                }
            }
            String victim = victim(parsed, backends);
            guide(out, file, parsed, runtime, victim);
            toggleOnEnter(out, backends, victim);
            return EdgeCommand.awaitAndDrain(runtime, signal, Duration.ofSeconds(2));
        }
    }

    /** The demo's output is the guide; the engine's INFO lines would bury it (VIPD_LOG_LEVEL still wins). */
    private static Runnable quietLogs() {
        if (System.getenv("VIPD_LOG_LEVEL") == null
                && LoggerFactory.getLogger(Logger.ROOT_LOGGER_NAME) instanceof ch.qos.logback.classic.Logger) {
            ch.qos.logback.classic.Logger root =
                    (ch.qos.logback.classic.Logger) LoggerFactory.getLogger(Logger.ROOT_LOGGER_NAME);
            ch.qos.logback.classic.Level before = root.getLevel();
            root.setLevel(ch.qos.logback.classic.Level.WARN);
            return () -> root.setLevel(before);
        }
        return () -> {};
    }

    /** examples/edge.yaml when run from the repository, else the copy packed into the jar. */
    static Path defaultConfig() throws IOException {
        Path local = Path.of(EXAMPLE);
        if (Files.isRegularFile(local)) {
            return local;
        }
        Path copy = Files.createTempFile("vipd-demo-", ".yaml");
        copy.toFile().deleteOnExit();
        try (InputStream in = DemoCommand.class.getResourceAsStream("/" + EXAMPLE)) {
            if (in == null) {
                throw new IOException(EXAMPLE + " is neither in the current directory nor in the vipd jar");
            }
            Files.copy(in, copy, StandardCopyOption.REPLACE_EXISTING);
        }
        return copy;
    }

    static void startBackends(EdgeConfig config, DemoBackends backends) throws IOException {
        for (ServicePortEntry e : config.entries()) {
            for (Backend b : e.endpoints().backends()) {
                if (e.name().protocol() == Protocol.UDP) {
                    backends.startUdp(b.socketAddress());
                } else {
                    backends.startHttp(b.socketAddress());
                }
            }
        }
    }

    /** The backend to stop on Enter: the one the affinity service sticks to, so its move is visible. */
    private static String victim(EdgeConfig config, DemoBackends backends) {
        ServicePortEntry sticky = DemoScenario.stickyService(config);
        if (sticky != null) {
            try {
                return DemoClient.httpGet(DemoScenario.frontend(sticky));
            } catch (IOException e) {
                // fall through to any backend
            }
        }
        return backends.httpKeys().stream().sorted().findFirst().orElse(null);
    }

    private static void guide(PrintWriter out, Path file, EdgeConfig config, EdgeRuntime runtime, String victim) {
        out.println("vipd demo: the load balancer is running on " + file + ", with built-in backends that answer"
                + " \"hello from backend <address>\".");
        out.println();
        for (ServicePortEntry e : config.entries()) {
            List<String> listen = new ArrayList<>();
            for (ServiceFrontend f : e.frontends()) {
                listen.add(f.frontend().toString());
            }
            out.printf(
                    "  %-12s %s -> %s  (%s%s)%n",
                    e.name().service().name(),
                    String.join(",", listen),
                    e.endpoints(),
                    e.algorithm().configName(),
                    e.clientIpAffinity() ? ", ClientIP affinity" : "");
        }
        out.println();
        out.println("Try, in another terminal:");
        ServicePortEntry spread = DemoScenario.spreadService(config);
        ServicePortEntry sticky = DemoScenario.stickyService(config);
        ServicePortEntry udp = DemoScenario.udpService(config);
        if (spread != null) {
            out.println("  for i in $(seq 8); do curl -s http://" + Addresses.key(DemoScenario.frontend(spread))
                    + "/; done    # each curl is a new connection: answers spread over the backends");
        }
        if (sticky != null) {
            out.println("  for i in $(seq 8); do curl -s http://" + Addresses.key(DemoScenario.frontend(sticky))
                    + "/; done    # ClientIP affinity: one backend answers them all");
        }
        if (udp != null) {
            InetSocketAddress f = DemoScenario.frontend(udp);
            out.println("  echo hi | nc -u -w1 " + Addresses.ipString(f.getAddress()) + " " + f.getPort()
                    + "    # UDP through the proxy");
        }
        if (runtime.metricsAddress() != null) {
            String admin = Addresses.key(runtime.metricsAddress());
            out.println("  ./vipd services --metrics-bind-address " + admin + "    # what vipd serves, with "
                    + "connection counts");
            out.println("  curl -s http://" + admin + "/metrics | grep ^vipd_");
        }
        if (runtime.healthzAddress() != null) {
            out.println("  curl -s http://" + Addresses.key(runtime.healthzAddress()) + "/healthz");
        }
        out.println("  (edit " + file + " and save: vipd applies the change at once, keeping open connections)");
        out.println();
        if (victim != null) {
            out.println("Press Enter to stop backend " + victim + " (a backend going away: requests keep being "
                    + "answered by the others), Enter again to bring it back. Ctrl-C to quit.");
        } else {
            out.println("Ctrl-C to quit.");
        }
        out.flush();
    }

    private static void toggleOnEnter(PrintWriter out, DemoBackends backends, String victim) {
        if (victim == null) {
            return;
        }
        Thread t = new Thread(
                () -> {
                    BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
                    try {
                        while (in.readLine() != null) {
                            if (backends.httpRunning(victim)) {
                                backends.stopHttp(victim);
                                out.println("backend " + victim
                                        + " stopped: try the curl commands again. Enter brings it back.");
                            } else {
                                backends.restartHttp(victim);
                                out.println("backend " + victim + " is back (after its ejection ends, it receives new "
                                        + "connections again). Enter stops it.");
                            }
                            out.flush();
                        }
                    } catch (IOException e) {
                        out.println("cannot toggle the backend: " + e.getMessage());
                        out.flush();
                    }
                },
                "vipd-demo-keys");
        t.setDaemon(true);
        t.start();
    }
}
