package io.vipd.cli;

import io.vipd.admin.BackendDrainActions;
import io.vipd.admin.Json;
import java.io.IOException;
import java.io.PrintWriter;
import java.net.URLEncoder;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import org.snakeyaml.engine.v2.exceptions.YamlEngineException;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * {@code vipd backend drain|undrain SERVICE BACKEND}: a backend's weight to 0 at run time, and back, through a
 * running vipd's admin listener (which accepts this from loopback only), as HAProxy's
 * {@code set server ... state drain|ready}.
 */
@Command(
        name = "backend",
        mixinStandardHelpOptions = true,
        description = "Drain a backend of a running vipd (weight 0: no new connections, established ones go on), "
                + "or undrain it.",
        subcommands = {BackendCommand.Drain.class, BackendCommand.Undrain.class})
public final class BackendCommand implements Runnable {
    @Spec
    CommandSpec spec;

    @Override
    public void run() {
        spec.commandLine().usage(spec.commandLine().getOut());
    }

    @Command(
            name = "drain",
            mixinStandardHelpOptions = true,
            description = "Weight 0 for BACKEND of SERVICE until undrained, or until a reload changes that backend.")
    static final class Drain extends Change {
        Drain() {
            super(true);
        }
    }

    @Command(name = "undrain", mixinStandardHelpOptions = true, description = "End a drain.")
    static final class Undrain extends Change {
        Undrain() {
            super(false);
        }
    }

    abstract static class Change implements Callable<Integer> {
        private final boolean drain;

        @Spec
        CommandSpec spec;

        @Parameters(
                index = "0",
                paramLabel = "SERVICE",
                description = "as vipd services names it, with or without the protocol: default/web/TCP or default/web")
        String service;

        @Parameters(index = "1", paramLabel = "BACKEND", description = "the backend's ip:port")
        String backend;

        @Mixin
        RunningVipd vipd;

        Change(boolean drain) {
            this.drain = drain;
        }

        @Override
        public Integer call() throws InterruptedException {
            PrintWriter out = spec.commandLine().getOut();
            PrintWriter err = spec.commandLine().getErr();
            String name = "vipd backend " + (drain ? "drain" : "undrain");
            if (!vipd.known()) {
                err.println(name + ": --metrics-bind-address must not be empty");
                err.flush();
                return 2;
            }
            String url = vipd.url((drain ? BackendDrainActions.DRAIN : BackendDrainActions.UNDRAIN)
                    + "?service=" + URLEncoder.encode(service, StandardCharsets.UTF_8) + "&backend="
                    + URLEncoder.encode(backend, StandardCharsets.UTF_8));
            HttpResponse<String> response;
            try {
                response = vipd.send(RunningVipd.post(url));
            } catch (IOException e) {
                err.println(name + ": cannot reach vipd at " + vipd.hostPort() + " (" + e
                        + "); is it running, and is --metrics-bind-address right?");
                err.flush();
                return 1;
            }
            if (response.statusCode() != 200) {
                err.println(name + ": vipd answered " + response.statusCode() + ": "
                        + response.body().strip());
                err.flush();
                return 1;
            }
            try {
                Map<String, Object> body = Json.read(response.body());
                out.println(describe(body));
            } catch (YamlEngineException | IllegalArgumentException e) {
                err.println(name + ": vipd answered something other than a drain result");
                err.flush();
                return 1;
            }
            out.flush();
            return 0;
        }

        private String describe(Map<String, Object> body) {
            List<?> services = (List<?>) body.get("services");
            List<?> changed = (List<?>) body.get("changed");
            StringBuilder sb = new StringBuilder();
            for (Object s : services) {
                if (!sb.isEmpty()) {
                    sb.append('\n');
                }
                sb.append(s)
                        .append(' ')
                        .append(body.get("backend"))
                        .append(changed.contains(s) ? ": " : ": already ")
                        .append(drain ? "drained" : "not drained");
            }
            return sb.toString();
        }
    }
}
