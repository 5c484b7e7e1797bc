package io.vipd.cli;

import io.vipd.admin.Json;
import io.vipd.admin.ServicesTableFormat;
import java.io.IOException;
import java.io.PrintWriter;
import java.net.http.HttpResponse;
import java.util.concurrent.Callable;
import org.snakeyaml.engine.v2.exceptions.YamlEngineException;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code vipd services}: what a running vipd is serving, fetched from its {@code /services} endpoint. */
@Command(
        name = "services",
        mixinStandardHelpOptions = true,
        description = "Print every frontend of a running vipd with its backends (weight, state, connections).")
public final class ServicesCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Mixin
    RunningVipd vipd;

    @Option(
            names = {"-o", "--output"},
            paramLabel = "FORMAT",
            defaultValue = "table",
            description = "table (default) or json")
    String output;

    @Override
    public Integer call() throws InterruptedException {
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        if (!output.equals("table") && !output.equals("json")) {
            err.println("vipd services: -o wants table or json, got \"" + output + "\"");
            err.flush();
            return 2;
        }
        if (!vipd.known()) {
            err.println("vipd services: --metrics-bind-address must not be empty");
            err.flush();
            return 2;
        }
        String url = vipd.url("/services");
        String body;
        try {
            HttpResponse<String> response = vipd.send(RunningVipd.get(url));
            if (response.statusCode() != 200) {
                err.println("vipd services: " + url + " answered " + response.statusCode());
                err.flush();
                return 1;
            }
            body = response.body();
        } catch (IOException e) {
            err.println("vipd services: cannot reach vipd at " + url + " (" + e + "); is it running, and is "
                    + "--metrics-bind-address right?");
            err.flush();
            return 1;
        }
        if (output.equals("json")) {
            out.println(body);
        } else {
            try {
                out.print(ServicesTableFormat.format(Json.read(body)));
            } catch (YamlEngineException | IllegalArgumentException e) {
                err.println("vipd services: " + url + " returned something other than a services document");
                err.flush();
                return 1;
            }
        }
        out.flush();
        return 0;
    }
}
