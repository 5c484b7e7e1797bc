package io.vipd.bench;

import io.fabric8.kubernetes.api.model.HasMetadata;
import io.vipd.watcher.FakeApiServer;
import java.io.PrintStream;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code harness api-server}: the Kubernetes API server {@code vipd node} watches in the benchmark. Three states
 * of one Service set: {@code one} (its first service only; the start), {@code full} (all of them) and
 * {@code change} (all, the last service's endpoints replaced by {@code --change-last-to}). bench/run moves between
 * them with {@code POST /bench/state/<name>} ({@link ApiServerStates}). The server is the watcher tests'
 * {@link FakeApiServer}, from endpoints-watcher's test-jar. Prints {@code listening <port>} once it serves; runs
 * until killed.
 */
@Command(name = "api-server", description = "Serve a Service set to vipd node as a Kubernetes API server.")
final class ApiServerCommand implements Callable<Integer> {
    @Option(names = "--bind", defaultValue = "127.0.0.1:0", description = "IP:PORT (default ${DEFAULT-VALUE})")
    String bind;

    @Option(names = "--set", required = true, description = "COUNT/PROTO/FIRST_VIP/PORT/TARGET_PORT/IP+IP+...")
    String set;

    @Option(
            names = "--change-last-to",
            required = true,
            description = "IP:PORT the last service moves to in state 'change'")
    String changeLastTo;

    @Option(
            names = "--node",
            defaultValue = "bench-node",
            description = "the Node object's name (default ${DEFAULT-VALUE})")
    String node;

    @Override
    public Integer call() throws Exception {
        List<BenchService> full = ServiceSets.parse(set);
        int colon = changeLastTo.lastIndexOf(':');
        BenchService.Endpoint changed = new BenchService.Endpoint(
                changeLastTo.substring(0, colon), Integer.parseInt(changeLastTo.substring(colon + 1)));
        List<BenchService> change = new ArrayList<>(full);
        change.set(change.size() - 1, full.get(full.size() - 1).withEndpoints(List.of(changed)));
        Map<String, List<HasMetadata>> states = new LinkedHashMap<>();
        states.put("one", withNode(full.subList(0, 1)));
        states.put("full", withNode(full));
        states.put("change", withNode(change));
        int c = bind.lastIndexOf(':');
        try (FakeApiServer server = FakeApiServer.start(
                new InetSocketAddress(bind.substring(0, c), Integer.parseInt(bind.substring(c + 1))))) {
            ApiServerStates named = new ApiServerStates(server, states);
            server.addHandler(ApiServerStates.PATH, named);
            named.enter("one");
            PrintStream out = System.out;
            out.println("listening " + server.port());
            out.flush();
            new CountDownLatch(1).await();
        }
        return 0;
    }

    private List<HasMetadata> withNode(List<BenchService> services) {
        List<HasMetadata> objects = new ArrayList<>(KubeObjects.of(services));
        objects.add(KubeObjects.node(node));
        return objects;
    }
}
