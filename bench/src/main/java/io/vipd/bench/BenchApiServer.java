package io.vipd.bench;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.Node;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointSlice;
import io.fabric8.kubernetes.client.utils.KubernetesSerialization;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * The Kubernetes API server side of the {@code vipd-node} benchmark path: serves list and watch (HTTP streaming,
 * with bookmarks) of Services, EndpointSlices and Nodes, and moves between named states of prepared objects on
 * {@code POST /bench/state/<name>}, publishing only the differences as watch events, as the real API server
 * would deliver them. Every object's JSON is rendered once at start, so a state change costs the server almost
 * nothing and what bench/run times is vipd's side.
 *
 * <p>Not a general API server: label and field selectors are ignored (the benchmark's objects match what vipd
 * asks for), and there is no compaction (a watch from any past resourceVersion is replayed from the log). A
 * WebSocket watch request is answered 200 without upgrading, which makes fabric8 fall back to an HTTP watch.
 */
final class BenchApiServer implements AutoCloseable {
    enum Kind {
        SERVICES("/api/v1/services", "v1", "ServiceList", "Service"),
        ENDPOINT_SLICES("/apis/discovery.k8s.io/v1/endpointslices", "discovery.k8s.io/v1", "EndpointSliceList",
                "EndpointSlice"),
        NODES("/api/v1/nodes", "v1", "NodeList", "Node");

        final String path;
        final String apiVersion;
        final String listKind;
        final String kind;

        Kind(String path, String apiVersion, String listKind, String kind) {
            this.path = path;
            this.apiVersion = apiVersion;
            this.listKind = listKind;
            this.kind = kind;
        }

        static Kind of(HasMetadata o) {
            if (o instanceof Service) {
                return SERVICES;
            }
            if (o instanceof EndpointSlice) {
                return ENDPOINT_SLICES;
            }
            if (o instanceof Node) {
                return NODES;
            }
            throw new IllegalArgumentException("unsupported kind " + o.getKind());
        }
    }

    private static final String RV_PLACEHOLDER = "\"@RV@\"";

    /** A prepared object: its JSON carries {@link #RV_PLACEHOLDER} where its resourceVersion goes. */
    private record Prepared(Kind kind, String key, String json) {
        String at(long rv) {
            return json.replace(RV_PLACEHOLDER, "\"" + rv + "\"");
        }
    }

    private record Event(long rv, Kind kind, String frame) {
    }

    private record Watch(Kind kind, BlockingQueue<String> frames) {
    }

    private final Map<String, Map<String, Prepared>> states = new HashMap<>();
    private final Object lock = new Object();
    private final Map<String, Prepared> current = new LinkedHashMap<>();
    private final Map<String, Long> currentRv = new HashMap<>();
    private final List<Event> log = new ArrayList<>();
    private final List<Watch> watches = new CopyOnWriteArrayList<>();
    private final HttpServer http;
    private final ExecutorService executor;
    private long resourceVersion = 1;
    private volatile boolean closed;

    /**
     * @param bind   address to serve on (port 0: any)
     * @param states the named states, each a complete list of objects
     */
    BenchApiServer(InetSocketAddress bind, Map<String, List<HasMetadata>> states) throws IOException {
        KubernetesSerialization serialization = new KubernetesSerialization();
        states.forEach((name, objects) -> {
            Map<String, Prepared> prepared = new LinkedHashMap<>();
            for (HasMetadata o : objects) {
                HasMetadata copy = serialization.clone(o);
                copy.getMetadata().setResourceVersion("@RV@");
                Kind kind = Kind.of(copy);
                String key = kind + "/" + copy.getMetadata().getNamespace() + "/" + copy.getMetadata().getName();
                prepared.put(key, new Prepared(kind, key, serialization.asJson(copy)));
            }
            this.states.put(name, prepared);
        });
        http = HttpServer.create(bind, 64);
        executor = Executors.newCachedThreadPool(r -> {
            Thread t = new Thread(r, "bench-apiserver");
            t.setDaemon(true);
            return t;
        });
        http.setExecutor(executor);
        http.createContext("/", this::handle);
        http.start();
    }

    int port() {
        return http.getAddress().getPort();
    }

    /**
     * Moves to a named state: objects that are new, changed or gone become ADDED, MODIFIED and DELETED events.
     *
     * @return the number of events published
     * @throws IllegalArgumentException for an unknown state
     */
    int enter(String state) {
        Map<String, Prepared> target = states.get(state);
        if (target == null) {
            throw new IllegalArgumentException("no state " + state + " (have " + states.keySet() + ")");
        }
        synchronized (lock) {
            int events = 0;
            for (Prepared p : List.copyOf(current.values())) {
                if (!target.containsKey(p.key())) {
                    long rv = ++resourceVersion;
                    current.remove(p.key());
                    currentRv.remove(p.key());
                    publish(new Event(rv, p.kind(), frame("DELETED", p.at(rv))));
                    events++;
                }
            }
            for (Prepared p : target.values()) {
                Prepared now = current.get(p.key());
                if (now != null && now.json().equals(p.json())) {
                    continue;
                }
                long rv = ++resourceVersion;
                current.put(p.key(), p);
                currentRv.put(p.key(), rv);
                publish(new Event(rv, p.kind(), frame(now == null ? "ADDED" : "MODIFIED", p.at(rv))));
                events++;
            }
            return events;
        }
    }

    @Override
    public void close() {
        closed = true;
        http.stop(0);
        executor.shutdownNow();
    }

    private void publish(Event e) {
        log.add(e);
        for (Watch w : watches) {
            if (w.kind() == e.kind()) {
                w.frames().add(e.frame());
            }
        }
    }

    private static String frame(String type, String objectJson) {
        return "{\"type\":\"" + type + "\",\"object\":" + objectJson + "}\n";
    }

    private void handle(HttpExchange exchange) throws IOException {
        try (exchange) {
            String path = exchange.getRequestURI().getPath();
            if (path.startsWith("/bench/state/") && "POST".equals(exchange.getRequestMethod())) {
                try {
                    int n = enter(path.substring("/bench/state/".length()));
                    respond(exchange, 200, "events " + n + "\n");
                } catch (IllegalArgumentException e) {
                    respond(exchange, 404, e.getMessage() + "\n");
                }
                return;
            }
            Kind kind = null;
            for (Kind k : Kind.values()) {
                if (k.path.equals(path)) {
                    kind = k;
                }
            }
            if (kind == null || !"GET".equals(exchange.getRequestMethod())) {
                respond(exchange, 404, "{\"kind\":\"Status\",\"apiVersion\":\"v1\",\"status\":\"Failure\","
                        + "\"code\":404,\"reason\":\"NotFound\",\"metadata\":{}}");
                return;
            }
            if ("websocket".equalsIgnoreCase(exchange.getRequestHeaders().getFirst("Upgrade"))) {
                // fabric8 retries a watch whose WebSocket upgrade got 200 as an HTTP watch.
                respond(exchange, 200, "");
                return;
            }
            Map<String, String> query = query(exchange.getRequestURI().getRawQuery());
            if ("true".equals(query.get("watch"))) {
                watch(exchange, kind, query.get("resourceVersion"));
            } else {
                respond(exchange, 200, list(kind));
            }
        }
    }

    private String list(Kind kind) {
        synchronized (lock) {
            StringBuilder items = new StringBuilder();
            for (Prepared p : current.values()) {
                if (p.kind() == kind) {
                    items.append(items.length() == 0 ? "" : ",").append(p.at(currentRv.get(p.key())));
                }
            }
            return "{\"apiVersion\":\"" + kind.apiVersion + "\",\"kind\":\"" + kind.listKind
                    + "\",\"metadata\":{\"resourceVersion\":\"" + resourceVersion + "\"},\"items\":[" + items + "]}";
        }
    }

    private void watch(HttpExchange exchange, Kind kind, String rvParam) throws IOException {
        Watch w = new Watch(kind, new LinkedBlockingQueue<>());
        synchronized (lock) {
            long from = rvParam == null || rvParam.isEmpty() || "0".equals(rvParam)
                    ? resourceVersion : Long.parseLong(rvParam);
            // fabric8's HTTP watch counts as open only once body bytes arrive: a bookmark first.
            w.frames().add(frame("BOOKMARK", "{\"apiVersion\":\"" + kind.apiVersion + "\",\"kind\":\"" + kind.kind
                    + "\",\"metadata\":{\"resourceVersion\":\"" + from + "\"}}"));
            for (Event e : log) {
                if (e.rv() > from && e.kind() == kind) {
                    w.frames().add(e.frame());
                }
            }
            watches.add(w);
        }
        exchange.getResponseHeaders().set("Content-Type", "application/json");
        exchange.sendResponseHeaders(200, 0);
        try (OutputStream out = exchange.getResponseBody()) {
            List<String> batch = new ArrayList<>();
            while (!closed) {
                String first = w.frames().poll(100, TimeUnit.MILLISECONDS);
                if (first == null) {
                    continue;
                }
                batch.add(first);
                w.frames().drainTo(batch, 4096);
                StringBuilder b = new StringBuilder();
                batch.forEach(b::append);
                batch.clear();
                out.write(b.toString().getBytes(StandardCharsets.UTF_8));
                out.flush();
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (IOException clientWentAway) {
            // The watcher closed the stream; it unregisters below.
        } finally {
            watches.remove(w);
        }
    }

    private static void respond(HttpExchange exchange, int code, String body) throws IOException {
        byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
        exchange.getResponseHeaders().set("Content-Type", "application/json");
        exchange.sendResponseHeaders(code, bytes.length == 0 ? -1 : bytes.length);
        if (bytes.length > 0) {
            try (OutputStream out = exchange.getResponseBody()) {
                out.write(bytes);
            }
        }
    }

    private static Map<String, String> query(String raw) {
        Map<String, String> q = new HashMap<>();
        if (raw == null) {
            return q;
        }
        for (String part : raw.split("&")) {
            int eq = part.indexOf('=');
            q.put(URLDecoder.decode(eq < 0 ? part : part.substring(0, eq), StandardCharsets.UTF_8),
                    eq < 0 ? "" : URLDecoder.decode(part.substring(eq + 1), StandardCharsets.UTF_8));
        }
        return q;
    }
}
