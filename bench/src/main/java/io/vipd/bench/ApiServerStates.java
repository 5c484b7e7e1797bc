package io.vipd.bench;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpHandler;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.vipd.watcher.FakeApiServer;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Named states of the benchmark's API server (endpoints-watcher's {@link FakeApiServer}), each a complete list of
 * objects. Every object is snapshotted (serialized) once, here, at start; {@link #enter} then publishes only the
 * differences from the current state as ADDED, MODIFIED and DELETED watch events, as the real API server would
 * deliver them, so a state change costs the server almost nothing and what bench/run times is vipd's side.
 * {@code POST /bench/state/<name>} enters a state over HTTP. Calls are serialized on this object.
 */
final class ApiServerStates implements HttpHandler {
    /** The path {@link #handle} serves under. */
    static final String PATH = "/bench/state/";

    private final FakeApiServer server;
    private final Map<String, Map<String, FakeApiServer.Snapshot>> states = new HashMap<>();
    private final Map<String, FakeApiServer.Snapshot> current = new LinkedHashMap<>();

    ApiServerStates(FakeApiServer server, Map<String, List<HasMetadata>> states) {
        this.server = server;
        states.forEach((name, objects) -> {
            Map<String, FakeApiServer.Snapshot> prepared = new LinkedHashMap<>();
            for (HasMetadata o : objects) {
                FakeApiServer.Snapshot s = server.snapshot(o);
                prepared.put(key(s), s);
            }
            this.states.put(name, prepared);
        });
    }

    /**
     * Moves to a named state: objects that are new, changed or gone become ADDED, MODIFIED and DELETED events.
     *
     * @return the number of events published
     * @throws IllegalArgumentException for an unknown state
     */
    synchronized int enter(String state) {
        Map<String, FakeApiServer.Snapshot> target = states.get(state);
        if (target == null) {
            throw new IllegalArgumentException("no state " + state + " (have " + states.keySet() + ")");
        }
        int events = 0;
        for (Map.Entry<String, FakeApiServer.Snapshot> e : List.copyOf(current.entrySet())) {
            if (!target.containsKey(e.getKey())) {
                FakeApiServer.Snapshot s = current.remove(e.getKey());
                server.delete(s.kind(), s.namespace(), s.name());
                events++;
            }
        }
        for (Map.Entry<String, FakeApiServer.Snapshot> e : target.entrySet()) {
            FakeApiServer.Snapshot s = e.getValue();
            if (!s.equals(current.put(e.getKey(), s))) {
                server.upsert(s);
                events++;
            }
        }
        return events;
    }

    @Override
    public void handle(HttpExchange exchange) throws IOException {
        try (exchange) {
            String path = exchange.getRequestURI().getPath();
            if (!"POST".equals(exchange.getRequestMethod()) || !path.startsWith(PATH)) {
                respond(exchange, 404, "POST " + PATH + "<name>\n");
                return;
            }
            try {
                respond(exchange, 200, "events " + enter(path.substring(PATH.length())) + "\n");
            } catch (IllegalArgumentException e) {
                respond(exchange, 404, e.getMessage() + "\n");
            }
        }
    }

    private static String key(FakeApiServer.Snapshot s) {
        return s.kind() + "/" + s.namespace() + "/" + s.name();
    }

    private static void respond(HttpExchange exchange, int code, String body) throws IOException {
        byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
        exchange.sendResponseHeaders(code, bytes.length);
        try (OutputStream out = exchange.getResponseBody()) {
            out.write(bytes);
        }
    }
}
