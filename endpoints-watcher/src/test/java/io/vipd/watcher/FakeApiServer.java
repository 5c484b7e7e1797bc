package io.vipd.watcher;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpHandler;
import com.sun.net.httpserver.HttpServer;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.Namespace;
import io.fabric8.kubernetes.api.model.Node;
import io.fabric8.kubernetes.api.model.ObjectMeta;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointSlice;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicy;
import io.fabric8.kubernetes.client.utils.KubernetesSerialization;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.EnumMap;
import java.util.EnumSet;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;

/**
 * A small in-process Kubernetes API server with real resourceVersion semantics, which the fabric8 CRUD mock lacks
 * (it replays everything on reconnect and never sends 410 or bookmarks; see docs/fabric8.md §3).
 *
 * <p>One global resourceVersion counter and an event log per kind. A list returns the current state and the current
 * rv; a watch at rv replays the logged events after rv, then streams live ones over HTTP chunked encoding (the client
 * must use {@code onlyHttpWatches}). A watch at an rv older than the last {@link #compact()} gets an ERROR event with
 * a 410 Status, as the real server answers "too old resource version". Label selectors ({@code !k}, {@code k},
 * {@code k=v}, {@code k!=v}) are applied per event with the selector-transition rules of the real server: an object
 * that stops matching arrives as DELETED, one that starts matching as ADDED. {@code fieldSelector=metadata.name=x}
 * is supported for the Node-by-name informer. A watch that asked for bookmarks starts with one at its own
 * resourceVersion: fabric8's HTTP watch counts as open ({@code isWatching()}) only once body bytes arrive. A
 * WebSocket watch request is answered 200 without upgrading, which makes fabric8's default client fall back to an
 * HTTP watch.
 *
 * <p>Each object is serialized once, when it is stored ({@link #snapshot}); lists and watch events reuse that text.
 * bench's {@code Harness api-server} serves the {@code vipd-node} benchmark with this class (through this module's
 * test-jar): it snapshots its states at start, so publishing thousands of events costs the server string copies and
 * what the benchmark times is vipd's side.
 */
public final class FakeApiServer implements AutoCloseable {
    /** The resources the watcher and the NetworkPolicy source read. */
    public enum Kind {
        SERVICES("/api/v1/services", "v1", "ServiceList", "Service"),
        ENDPOINT_SLICES(
                "/apis/discovery.k8s.io/v1/endpointslices",
                "discovery.k8s.io/v1",
                "EndpointSliceList",
                "EndpointSlice"),
        NODES("/api/v1/nodes", "v1", "NodeList", "Node"),
        NETWORK_POLICIES(
                "/apis/networking.k8s.io/v1/networkpolicies",
                "networking.k8s.io/v1",
                "NetworkPolicyList",
                "NetworkPolicy"),
        PODS("/api/v1/pods", "v1", "PodList", "Pod"),
        NAMESPACES("/api/v1/namespaces", "v1", "NamespaceList", "Namespace");

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

        public static Kind of(HasMetadata object) {
            if (object instanceof Service) {
                return SERVICES;
            }
            if (object instanceof EndpointSlice) {
                return ENDPOINT_SLICES;
            }
            if (object instanceof Node) {
                return NODES;
            }
            if (object instanceof NetworkPolicy) {
                return NETWORK_POLICIES;
            }
            if (object instanceof Pod) {
                return PODS;
            }
            if (object instanceof Namespace) {
                return NAMESPACES;
            }
            throw new IllegalArgumentException("unsupported kind " + object.getKind());
        }
    }

    private static final String RV_MARK = "\"@@resourceVersion@@\"";
    private static final String UID_MARK = "\"@@uid@@\"";

    /**
     * An object ready to store: its JSON, rendered once with marks where the resourceVersion and uid go (the server
     * fills them in when it stores the object), and what selectors look at. Immutable; equal when the objects are.
     */
    public static final class Snapshot {
        private final Kind kind;
        private final String namespace;
        private final String name;
        private final Map<String, String> labels;
        private final String key;
        private final String ownUidJson;
        /** The JSON cut at its two marks, so that filling them in is one string concatenation. */
        private final String[] parts;

        private final boolean rvFirst;

        private Snapshot(Kind kind, ObjectMeta meta, String template, String ownUidJson) {
            this.kind = kind;
            namespace = meta.getNamespace();
            name = meta.getName();
            labels = meta.getLabels() == null ? Map.of() : Map.copyOf(meta.getLabels());
            key = key(namespace, name);
            this.ownUidJson = ownUidJson;
            int rv = template.indexOf(RV_MARK);
            int uid = template.indexOf(UID_MARK);
            rvFirst = rv < uid;
            int first = Math.min(rv, uid);
            int second = Math.max(rv, uid);
            parts = new String[] {
                template.substring(0, first),
                template.substring(first + (rvFirst ? RV_MARK : UID_MARK).length(), second),
                template.substring(second + (rvFirst ? UID_MARK : RV_MARK).length())
            };
        }

        public Kind kind() {
            return kind;
        }

        public String namespace() {
            return namespace;
        }

        public String name() {
            return name;
        }

        private boolean selectedBy(WatchSelector selector) {
            return selector.matches(name, labels);
        }

        private String json(long rv, String uidJson) {
            String rvJson = "\"" + rv + "\"";
            return rvFirst
                    ? parts[0] + rvJson + parts[1] + uidJson + parts[2]
                    : parts[0] + uidJson + parts[1] + rvJson + parts[2];
        }

        @Override
        public boolean equals(Object o) {
            return o instanceof Snapshot s
                    && kind == s.kind
                    && rvFirst == s.rvFirst
                    && Arrays.equals(parts, s.parts)
                    && Objects.equals(ownUidJson, s.ownUidJson);
        }

        @Override
        public int hashCode() {
            return Arrays.hashCode(parts);
        }
    }

    /** An object as the server holds it, with its JSON at the resourceVersion of its last change. */
    private record Stored(Snapshot snapshot, String uidJson, String json) {
        Stored(Snapshot snapshot, long rv, String uidJson) {
            this(snapshot, uidJson, snapshot.json(rv, uidJson));
        }

        boolean selectedBy(WatchSelector selector) {
            return snapshot.selectedBy(selector);
        }
    }

    /** One change: previous == null for a create, current == null for a delete. */
    private record Change(long rv, Stored previous, Stored current) {}

    /** What a watch stream is told to write next. */
    private record Frame(String json, boolean drop) {
        static final Frame DROP = new Frame(null, true);
    }

    private record OpenWatch(Kind kind, WatchSelector selector, BlockingQueue<Frame> frames) {}

    private final KubernetesSerialization serialization = new KubernetesSerialization();
    private final Object lock = new Object();
    private final Map<Kind, Map<String, Stored>> objects = new EnumMap<>(Kind.class);
    private final Map<Kind, List<Change>> log = new EnumMap<>(Kind.class);
    private final List<OpenWatch> watches = new CopyOnWriteArrayList<>();
    private final List<String> requests = Collections.synchronizedList(new ArrayList<>());
    private final HttpServer http;
    private final ExecutorService executor;
    private long resourceVersion;
    private long compactedRv;
    private boolean watchesHeld;
    private final Set<Kind> listsHeld = EnumSet.noneOf(Kind.class);
    private int goneSent;
    /** New uids: random per server, then counted (a SecureRandom UUID per object would slow bench's bursts). */
    private final long uidSeed = new SecureRandom().nextLong();

    private long uidCount;
    private volatile boolean closed;

    private FakeApiServer(HttpServer http, long startRv) {
        this.http = http;
        resourceVersion = startRv;
        compactedRv = startRv;
        for (Kind k : Kind.values()) {
            objects.put(k, new LinkedHashMap<>());
            log.put(k, new ArrayList<>());
        }
        executor = Executors.newCachedThreadPool(r -> {
            Thread t = new Thread(r, "fake-apiserver");
            t.setDaemon(true);
            return t;
        });
        http.setExecutor(executor);
        http.createContext("/", this::handle);
        http.start();
    }

    /** Starts on a free loopback port. */
    public static FakeApiServer start() throws IOException {
        return start(0);
    }

    /** Starts on the given loopback port (0: any free port). */
    static FakeApiServer start(int port) throws IOException {
        return start(port, 100);
    }

    /**
     * Starts with the resourceVersion counter at {@code startRv} and no history before it: a restarted API server
     * (e.g. from an etcd backup) answers watches from older resourceVersions with 410.
     */
    static FakeApiServer start(int port, long startRv) throws IOException {
        return start(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), startRv);
    }

    /** Starts on the given address (port 0: any free port). */
    public static FakeApiServer start(InetSocketAddress address) throws IOException {
        return start(address, 100);
    }

    private static FakeApiServer start(InetSocketAddress address, long startRv) throws IOException {
        return new FakeApiServer(HttpServer.create(address, 64), startRv);
    }

    String url() {
        return "http://127.0.0.1:" + http.getAddress().getPort();
    }

    public int port() {
        return http.getAddress().getPort();
    }

    /** Serves requests under {@code path} with {@code handler} instead of as API requests. */
    public void addHandler(String path, HttpHandler handler) {
        http.createContext(path, handler);
    }

    /** Serializes a private copy of {@code object} for {@link #upsert(Snapshot)}; safe from any thread. */
    public Snapshot snapshot(HasMetadata object) {
        Kind kind = Kind.of(object);
        HasMetadata copy = serialization.clone(object);
        String ownUid = copy.getMetadata().getUid();
        copy.getMetadata().setResourceVersion(RV_MARK.substring(1, RV_MARK.length() - 1));
        copy.getMetadata().setUid(UID_MARK.substring(1, UID_MARK.length() - 1));
        String ownUidJson = ownUid == null ? null : serialization.asJson(ownUid);
        return new Snapshot(kind, copy.getMetadata(), serialization.asJson(copy), ownUidJson);
    }

    /** Creates or replaces an object; returns its new resourceVersion. */
    long upsert(HasMetadata object) {
        return upsert(snapshot(object));
    }

    /**
     * Creates or replaces an object; returns its new resourceVersion. A replaced object keeps its uid; a new one
     * keeps its own, or gets a random one.
     */
    public long upsert(Snapshot object) {
        Kind kind = object.kind();
        synchronized (lock) {
            Stored previous = objects.get(kind).get(object.key);
            long rv = ++resourceVersion;
            String uidJson = previous != null
                    ? previous.uidJson()
                    : object.ownUidJson != null ? object.ownUidJson : "\"" + new UUID(uidSeed, ++uidCount) + "\"";
            Stored current = new Stored(object, rv, uidJson);
            objects.get(kind).put(object.key, current);
            publish(kind, new Change(rv, previous, current));
            return rv;
        }
    }

    /** Deletes an object if present; returns whether it existed. */
    public boolean delete(Kind kind, String namespace, String name) {
        synchronized (lock) {
            Stored previous = objects.get(kind).remove(key(namespace, name));
            if (previous == null) {
                return false;
            }
            long rv = ++resourceVersion;
            publish(kind, new Change(rv, new Stored(previous.snapshot(), rv, previous.uidJson()), null));
            return true;
        }
    }

    /** Forgets the event history: a watch from an older resourceVersion now gets 410 Gone. */
    void compact() {
        synchronized (lock) {
            compactedRv = resourceVersion;
            log.values().forEach(List::clear);
        }
    }

    /** Ends every open watch stream (a clean end of the chunked response, as at a server-side timeout). */
    void dropWatches() {
        for (OpenWatch w : watches) {
            w.frames().add(Frame.DROP);
        }
    }

    /** New watch requests wait, unanswered, until {@link #releaseWatches()}: the client cannot reconnect. */
    void holdWatches() {
        synchronized (lock) {
            watchesHeld = true;
        }
    }

    void releaseWatches() {
        synchronized (lock) {
            watchesHeld = false;
            lock.notifyAll();
        }
    }

    /** List requests for {@code kind} wait, unanswered, until {@link #releaseLists()}. */
    void holdLists(Kind kind) {
        synchronized (lock) {
            listsHeld.add(kind);
        }
    }

    void releaseLists() {
        synchronized (lock) {
            listsHeld.clear();
            lock.notifyAll();
        }
    }

    /** Sends a BOOKMARK at the current resourceVersion to every open watch that asked for bookmarks. */
    void bookmark() {
        synchronized (lock) {
            for (OpenWatch w : watches) {
                if (w.selector().bookmarks) {
                    w.frames().add(new Frame(bookmarkJson(w.kind(), resourceVersion), false));
                }
            }
        }
    }

    int openWatches() {
        return watches.size();
    }

    /** How many watches were answered with 410 Gone. */
    int goneSent() {
        synchronized (lock) {
            return goneSent;
        }
    }

    /** Request lines ("GET /path?query") received so far. */
    List<String> requests() {
        synchronized (requests) {
            return List.copyOf(requests);
        }
    }

    @Override
    public void close() {
        closed = true;
        releaseWatches();
        dropWatches();
        http.stop(0);
        executor.shutdownNow();
    }

    private void publish(Kind kind, Change change) {
        log.get(kind).add(change);
        for (OpenWatch w : watches) {
            if (w.kind() == kind) {
                String frame = eventJson(change, w.selector());
                if (frame != null) {
                    w.frames().add(new Frame(frame, false));
                }
            }
        }
    }

    private void handle(HttpExchange exchange) throws IOException {
        try (exchange) {
            String path = exchange.getRequestURI().getPath();
            String rawQuery = exchange.getRequestURI().getRawQuery();
            requests.add(exchange.getRequestMethod() + " " + path + (rawQuery == null ? "" : "?" + rawQuery));
            Kind kind = null;
            for (Kind k : Kind.values()) {
                if (k.path.equals(path)) {
                    kind = k;
                }
            }
            Kind k = kind;
            if (kind == null || !"GET".equals(exchange.getRequestMethod())) {
                respond(exchange, 404, statusJson(404, "NotFound", "no such resource " + path));
                return;
            }
            if ("websocket".equalsIgnoreCase(exchange.getRequestHeaders().getFirst("Upgrade"))) {
                // fabric8 retries a watch whose WebSocket upgrade got 200 as an HTTP watch.
                respond(exchange, 200, "");
                return;
            }
            Map<String, String> query = parseQuery(rawQuery);
            WatchSelector selector = new WatchSelector(
                    query.get("labelSelector"),
                    query.get("fieldSelector"),
                    "true".equals(query.get("allowWatchBookmarks")));
            if ("true".equals(query.get("watch"))) {
                watch(exchange, kind, selector, query.get("resourceVersion"));
            } else {
                awaitRelease(() -> listsHeld.contains(k));
                respond(exchange, 200, listJson(kind, selector));
            }
        }
    }

    private String listJson(Kind kind, WatchSelector selector) {
        synchronized (lock) {
            StringBuilder items = new StringBuilder();
            for (Stored o : objects.get(kind).values()) {
                if (o.selectedBy(selector)) {
                    items.append(items.length() == 0 ? "" : ",").append(o.json());
                }
            }
            return "{\"apiVersion\":\"" + kind.apiVersion + "\",\"kind\":\"" + kind.listKind
                    + "\",\"metadata\":{\"resourceVersion\":\"" + resourceVersion + "\"},\"items\":[" + items + "]}";
        }
    }

    private void watch(HttpExchange exchange, Kind kind, WatchSelector selector, String rvParam) throws IOException {
        OpenWatch w = new OpenWatch(kind, selector, new LinkedBlockingQueue<>());
        awaitRelease(() -> watchesHeld);
        synchronized (lock) {
            long from = rvParam == null || rvParam.isEmpty() || "0".equals(rvParam)
                    ? resourceVersion
                    : Long.parseLong(rvParam);
            if (from < compactedRv) {
                goneSent++;
                w.frames()
                        .add(new Frame(
                                "{\"type\":\"ERROR\",\"object\":"
                                        + statusJson(
                                                410,
                                                "Expired",
                                                "too old resource version: " + from + " (" + compactedRv + ")")
                                        + "}",
                                false));
                w.frames().add(Frame.DROP);
            } else {
                if (selector.bookmarks) {
                    // fabric8's HTTP watch counts as open (isWatching) only once body bytes arrive.
                    w.frames().add(new Frame(bookmarkJson(kind, from), false));
                }
                for (Change c : log.get(kind)) {
                    String frame = c.rv() > from ? eventJson(c, selector) : null;
                    if (frame != null) {
                        w.frames().add(new Frame(frame, false));
                    }
                }
                watches.add(w);
            }
        }
        exchange.getResponseHeaders().set("Content-Type", "application/json");
        exchange.sendResponseHeaders(200, 0);
        try (OutputStream out = exchange.getResponseBody()) {
            List<Frame> batch = new ArrayList<>();
            boolean open = true;
            while (open && !closed) {
                Frame first = w.frames().poll(100, TimeUnit.MILLISECONDS);
                if (first == null) {
                    continue;
                }
                // What queued meanwhile goes out in one write: a burst of thousands of events is one chunk.
                batch.add(first);
                w.frames().drainTo(batch, 4096);
                StringBuilder text = new StringBuilder();
                for (Frame f : batch) {
                    if (f.drop()) {
                        open = false;
                        break;
                    }
                    text.append(f.json()).append('\n');
                }
                batch.clear();
                out.write(text.toString().getBytes(StandardCharsets.UTF_8));
                out.flush();
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (IOException clientWentAway) {
            // The client closed the watch: nothing to clean up beyond the registration below.
        } finally {
            watches.remove(w);
        }
    }

    /** Waits (bounded) while {@code held} is true; evaluated under the lock. */
    private void awaitRelease(BooleanSupplier held) {
        synchronized (lock) {
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
            while (held.getAsBoolean() && !closed && System.nanoTime() < deadline) {
                try {
                    lock.wait(100);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    return;
                }
            }
        }
    }

    /** The watch event a selector sees for a change, or null when the change is invisible to it. */
    private static String eventJson(Change c, WatchSelector selector) {
        boolean before = c.previous() != null && c.previous().selectedBy(selector);
        boolean after = c.current() != null && c.current().selectedBy(selector);
        String type;
        Stored object;
        if (after) {
            type = before ? "MODIFIED" : "ADDED";
            object = c.current();
        } else if (before) {
            type = "DELETED";
            object = c.current() != null ? c.current() : c.previous();
        } else {
            return null;
        }
        return "{\"type\":\"" + type + "\",\"object\":" + object.json() + "}";
    }

    private static String bookmarkJson(Kind kind, long rv) {
        return "{\"type\":\"BOOKMARK\",\"object\":{\"apiVersion\":\"" + kind.apiVersion + "\",\"kind\":\"" + kind.kind
                + "\",\"metadata\":{\"resourceVersion\":\"" + rv + "\"}}}";
    }

    private static String statusJson(int code, String reason, String message) {
        return "{\"apiVersion\":\"v1\",\"kind\":\"Status\",\"status\":\"Failure\",\"code\":" + code + ",\"reason\":\""
                + reason + "\",\"message\":\"" + message + "\",\"metadata\":{}}";
    }

    private static void respond(HttpExchange exchange, int code, String body) throws IOException {
        byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
        exchange.getResponseHeaders().set("Content-Type", "application/json");
        exchange.sendResponseHeaders(code, bytes.length == 0 ? -1 : bytes.length);
        try (OutputStream out = exchange.getResponseBody()) {
            out.write(bytes);
        }
    }

    private static Map<String, String> parseQuery(String raw) {
        Map<String, String> q = new HashMap<>();
        if (raw == null) {
            return q;
        }
        for (String part : raw.split("&")) {
            int eq = part.indexOf('=');
            String k = URLDecoder.decode(eq < 0 ? part : part.substring(0, eq), StandardCharsets.UTF_8);
            String v = eq < 0 ? "" : URLDecoder.decode(part.substring(eq + 1), StandardCharsets.UTF_8);
            q.put(k, v);
        }
        return q;
    }

    private static String key(String namespace, String name) {
        return (namespace == null ? "" : namespace) + "/" + Objects.requireNonNull(name, "name");
    }
}
