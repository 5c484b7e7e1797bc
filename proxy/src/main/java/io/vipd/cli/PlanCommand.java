package io.vipd.cli;

import io.vipd.admin.Json;
import io.vipd.lb.Action;
import io.vipd.lb.BackendSet;
import io.vipd.lb.FrontendType;
import io.vipd.lb.Protocol;
import io.vipd.lb.Route;
import io.vipd.lb.ServiceFrontend;
import io.vipd.lb.ServicePortEntry;
import io.vipd.watcher.FeatureGates;
import io.vipd.watcher.FileSource;
import java.io.PrintWriter;
import java.net.Inet6Address;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code vipd plan}: what this node would program for the Services and EndpointSlices in manifest files, computed
 * by the same ChangeTracker the Kubernetes watcher uses, and with {@code --from-pod} which backends one pod may
 * reach under its egress NetworkPolicies ({@link FromPod}). Opens no sockets.
 */
@Command(
        name = "plan",
        mixinStandardHelpOptions = true,
        description = "Show the service table vipd would program on a node for Kubernetes manifests "
                + "(Services, EndpointSlices, Nodes; e.g. kubectl get svc,endpointslices -A -o yaml); with "
                + "--from-pod, which backends a pod's egress NetworkPolicies let it reach (NetworkPolicies, Pods, "
                + "Namespaces from the same manifests).")
final class PlanCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Option(
            names = "--manifests",
            arity = "1..*",
            required = true,
            paramLabel = "FILE",
            description = "YAML or JSON manifests: a v1 List or several documents")
    List<Path> manifests = new ArrayList<>();

    @Option(
            names = "--node-name",
            required = true,
            paramLabel = "NAME",
            description = "the node to plan for (decides which endpoints are local, and its zone if a Node is given)")
    String nodeName;

    @Option(
            names = "--feature-gates",
            paramLabel = "A=true,B=false",
            description = "kube-proxy feature gates (PreferSameTrafficDistribution, default true)")
    String featureGates;

    @Option(
            names = "--from-pod",
            paramLabel = "NAMESPACE/NAME",
            description = "also show which backends this pod may reach under its egress NetworkPolicies "
                    + "(NetworkPolicies, Pods and Namespaces are read from the manifests)")
    String fromPod;

    @Option(
            names = {"-o", "--output"},
            paramLabel = "FORMAT",
            description = "json, or a table when absent")
    String output;

    @Override
    public Integer call() {
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        List<ServicePortEntry> entries;
        FromPod client;
        try {
            if (output != null && !output.equals("json") && !output.equals("table")) {
                throw new IllegalArgumentException("unknown output format \"" + output + "\" (want json)");
            }
            FeatureGates gates = FeatureGates.parse(
                    featureGates,
                    name -> err.println(
                            "vipd plan: feature gate " + name + " does not change what vipd programs; ignored"));
            FileSource.Loaded loaded = FileSource.load(manifests.toArray(new Path[0]));
            if (!loaded.ok()) {
                for (String e : loaded.errors()) {
                    err.println("vipd plan: " + e);
                }
                err.flush();
                return 2;
            }
            entries = FileSource.entries(loaded, nodeName, gates);
            client = fromPod == null ? null : FromPod.resolve(fromPod, manifests, err);
        } catch (IllegalArgumentException e) {
            err.println("vipd plan: " + e.getMessage());
            err.flush();
            return 2;
        }
        if (client != null && !"json".equals(output)) {
            out.println(client.summary());
            out.println();
        }
        out.print("json".equals(output) ? json(entries, client) : table(entries, client));
        out.flush();
        return 0;
    }

    /**
     * One printed frontend: its address, kind and the route its ordinary traffic takes (not kube-proxy's
     * short-circuited pod/host traffic), for the frontend's IP family.
     */
    private record Row(String address, FrontendType kind, Route route) {}

    /**
     * The rows of an entry's frontends. A NodePort is reachable on node addresses of each family the service
     * has; for a dual-stack service it gets a row per family ({@code 0.0.0.0:port}, {@code [::]:port}), as
     * the families may route differently, and {@code *:port} otherwise.
     */
    private static List<Row> rows(ServicePortEntry e) {
        List<Row> rows = new ArrayList<>();
        boolean dual = e.hasFamily(false) && e.hasFamily(true);
        for (ServiceFrontend f : e.frontends()) {
            int port = f.frontend().port();
            if (!f.frontend().isNodePort()) {
                boolean v6 = f.frontend().address() instanceof Inet6Address;
                rows.add(new Row(
                        io.vipd.lb.Addresses.key(f.frontend().address(), port),
                        f.type(),
                        e.route(f.type(), false, v6)));
            } else if (dual) {
                rows.add(new Row("0.0.0.0:" + port, f.type(), e.route(f.type(), false, false)));
                rows.add(new Row("[::]:" + port, f.type(), e.route(f.type(), false, true)));
            } else {
                rows.add(new Row("*:" + port, f.type(), e.route(f.type(), false, !e.hasFamily(false))));
            }
        }
        return rows;
    }

    /**
     * How a node forwards the port: "proxy" (vipd's transparent proxy, TCP and UDP) or "kernel" (SCTP, which
     * TPROXY cannot intercept: nftables DNAT).
     */
    static String forwarding(ServicePortEntry e) {
        return e.name().protocol() == Protocol.SCTP ? "kernel" : "proxy";
    }

    static String json(List<ServicePortEntry> entries, FromPod client) {
        List<Map<String, Object>> servicePorts = new ArrayList<>();
        for (ServicePortEntry e : entries) {
            Map<String, Object> port = new LinkedHashMap<>();
            port.put("service", e.name().service().toString());
            port.put("port", e.name().port());
            port.put("protocol", e.name().protocol().name());
            port.put("forwarding", forwarding(e));
            port.put("clusterEndpoints", keys(e.clusterEndpoints()));
            port.put("localEndpoints", keys(e.localEndpoints()));
            port.put("hasAnyEndpoints", e.hasAnyEndpoints());
            List<Map<String, Object>> frontends = new ArrayList<>();
            for (Row f : rows(e)) {
                Route r = f.route();
                BackendSet backends = r.action() == Action.FORWARD ? r.backends() : BackendSet.empty();
                Map<String, Object> frontend = new LinkedHashMap<>();
                frontend.put("address", f.address());
                frontend.put("kind", f.kind().displayName());
                frontend.put("action", r.action().displayName());
                frontend.put("backends", keys(backends));
                if (client != null) {
                    frontend.put("deniedByPolicy", client.denied(backends, e));
                }
                frontends.add(frontend);
            }
            port.put("frontends", frontends);
            servicePorts.add(port);
        }
        Map<String, Object> document = new LinkedHashMap<>();
        if (client != null) {
            document.put("fromPod", client.model());
        }
        document.put("servicePorts", servicePorts);
        return Json.mapper().writer().with(new PlanJsonLayout()).writeValueAsString(document) + "\n";
    }

    /** The backends' ip:port keys, or null for a set the entry does not have. */
    private static List<String> keys(BackendSet set) {
        return set == null ? null : set.keys();
    }

    /** The backends, each the pod may not reach marked "(denied)". */
    private static String backendCell(BackendSet set, ServicePortEntry e, FromPod client) {
        List<String> denied = client == null ? List.of() : client.denied(set, e);
        List<String> cells = new ArrayList<>();
        for (String key : set.keys()) {
            cells.add(denied.contains(key) ? key + "(denied)" : key);
        }
        return String.join(",", cells);
    }

    static String table(List<ServicePortEntry> entries, FromPod client) {
        List<String[]> rows = new ArrayList<>();
        rows.add(new String[] {"SERVICE", "PORT", "PROTO", "VIA", "FRONTEND", "KIND", "ACTION", "BACKENDS"});
        for (ServicePortEntry e : entries) {
            String port = e.name().port().isEmpty() ? "-" : e.name().port();
            if (e.frontends().isEmpty()) {
                rows.add(new String[] {
                    e.name().service().toString(), port, e.name().protocol().name(), forwarding(e), "-", "-", "-", "-"
                });
            }
            for (Row f : rows(e)) {
                Route r = f.route();
                String backends = r.action() == Action.FORWARD ? backendCell(r.backends(), e, client) : "-";
                rows.add(new String[] {
                    e.name().service().toString(),
                    port,
                    e.name().protocol().name(),
                    forwarding(e),
                    f.address(),
                    f.kind().displayName(),
                    r.action().displayName(),
                    backends
                });
            }
        }
        int[] width = new int[rows.get(0).length];
        for (String[] row : rows) {
            for (int i = 0; i < row.length; i++) {
                width[i] = Math.max(width[i], row[i].length());
            }
        }
        StringBuilder sb = new StringBuilder();
        for (String[] row : rows) {
            StringBuilder line = new StringBuilder();
            for (int i = 0; i < row.length; i++) {
                line.append(i == row.length - 1 ? row[i] : String.format("%-" + (width[i] + 2) + "s", row[i]));
            }
            sb.append(line.toString().stripTrailing()).append('\n');
        }
        return sb.toString();
    }
}
