package io.vipd.watcher;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.Node;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointSlice;
import io.fabric8.kubernetes.client.utils.KubernetesSerialization;

import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
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
 * (it replays everything on reconnect and never sends 410 or bookmarks; see shared/docs/fabric8.md §3).
 *
 * <p>One global resourceVersion counter and an event log per kind. A list returns the current state and the current
 * rv; a watch at rv replays the logged events after rv, then streams live ones over HTTP chunked encoding (the client
 * must use {@code onlyHttpWatches}). A watch at an rv older than the last {@link #compact()} gets an ERROR event with
 * a 410 Status, as the real server answers "too old resource version". Label selectors ({@code !k}, {@code k},
 * {@code k=v}, {@code k!=v}) are applied per event with the selector-transition rules of the real server: an object
 * that stops matching arrives as DELETED, one that starts matching as ADDED. {@code fieldSelector=metadata.name=x}
 * is supported for the Node-by-name informer. A watch that asked for bookmarks starts with one at its own
 * resourceVersion: fabric8's HTTP watch counts as open ({@code isWatching()}) only once body bytes arrive.
 */
final class FakeApiServer implements AutoCloseable {
    /** The resources the watcher reads. */
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

        static Kind of(HasMetadata object) {
            if (object instanceof Service) {
                return SERVICES;
            }
            if (object instanceof EndpointSlice) {
                return ENDPOINT_SLICES;
            }
            if (object instanceof Node) {
                return NODES;
            }
            throw new IllegalArgumentException("unsupported kind " + object.getKind());
        }
    }

    /** One change: previous == null for a create, current == null for a delete. */
    private record Change(long rv, HasMetadata previous, HasMetadata current) {
    }

    /** What a watch stream is told to write next. */
    private record Frame(String json, boolean drop) {
        static final Frame DROP = new Frame(null, true);
    }

    private record OpenWatch(Kind kind, Selector selector, BlockingQueue<Frame> frames) {
    }

    private final KubernetesSerialization serialization = new KubernetesSerialization();
    private final Object lock = new Object();
    private final Map<Kind, Map<String, HasMetadata>> objects = new EnumMap<>(Kind.class);
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
    static FakeApiServer start() throws IOException {
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
        return new FakeApiServer(HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), 64),
                startRv);
    }

    String url() {
        return "http://127.0.0.1:" + http.getAddress().getPort();
    }

    int port() {
        return http.getAddress().getPort();
    }

    /** Creates or replaces an object; returns its new resourceVersion. */
    long upsert(HasMetadata object) {
        Kind kind = Kind.of(object);
        synchronized (lock) {
            HasMetadata copy = serialization.clone(object);
            String key = key(copy);
            HasMetadata previous = objects.get(kind).get(key);
            long rv = ++resourceVersion;
            copy.getMetadata().setResourceVersion(Long.toString(rv));
            if (previous != null) {
                copy.getMetadata().setUid(previous.getMetadata().getUid());
            } else if (copy.getMetadata().getUid() == null) {
                copy.getMetadata().setUid(UUID.randomUUID().toString());
            }
            objects.get(kind).put(key, copy);
            publish(kind, new Change(rv, previous, copy));
            return rv;
        }
    }

    /** Deletes an object if present; returns whether it existed. */
    boolean delete(Kind kind, String namespace, String name) {
        synchronized (lock) {
            HasMetadata previous = objects.get(kind).remove(key(namespace, name));
            if (previous == null) {
                return false;
            }
            long rv = ++resourceVersion;
            HasMetadata last = serialization.clone(previous);
            last.getMetadata().setResourceVersion(Long.toString(rv));
            publish(kind, new Change(rv, last, null));
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
            Map<String, String> query = parseQuery(rawQuery);
            Selector selector = new Selector(query.get("labelSelector"), query.get("fieldSelector"),
                    "true".equals(query.get("allowWatchBookmarks")));
            if ("true".equals(query.get("watch"))) {
                watch(exchange, kind, selector, query.get("resourceVersion"));
            } else {
                awaitRelease(() -> listsHeld.contains(k));
                respond(exchange, 200, listJson(kind, selector));
            }
        }
    }

    private String listJson(Kind kind, Selector selector) {
        synchronized (lock) {
            StringBuilder items = new StringBuilder();
            for (HasMetadata o : objects.get(kind).values()) {
                if (selector.matches(o)) {
                    items.append(items.length() == 0 ? "" : ",").append(serialization.asJson(o));
                }
            }
            return "{\"apiVersion\":\"" + kind.apiVersion + "\",\"kind\":\"" + kind.listKind
                    + "\",\"metadata\":{\"resourceVersion\":\"" + resourceVersion + "\"},\"items\":[" + items + "]}";
        }
    }

    private void watch(HttpExchange exchange, Kind kind, Selector selector, String rvParam) throws IOException {
        OpenWatch w = new OpenWatch(kind, selector, new LinkedBlockingQueue<>());
        awaitRelease(() -> watchesHeld);
        synchronized (lock) {
            long from = rvParam == null || rvParam.isEmpty() || "0".equals(rvParam)
                    ? resourceVersion : Long.parseLong(rvParam);
            if (from < compactedRv) {
                goneSent++;
                w.frames().add(new Frame("{\"type\":\"ERROR\",\"object\":" + statusJson(410, "Expired",
                        "too old resource version: " + from + " (" + compactedRv + ")") + "}", false));
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
            while (!closed) {
                Frame f = w.frames().poll(100, TimeUnit.MILLISECONDS);
                if (f == null) {
                    continue;
                }
                if (f.drop()) {
                    break;
                }
                out.write((f.json() + "\n").getBytes(StandardCharsets.UTF_8));
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
    private String eventJson(Change c, Selector selector) {
        boolean before = c.previous() != null && selector.matches(c.previous());
        boolean after = c.current() != null && selector.matches(c.current());
        String type;
        HasMetadata object;
        if (after) {
            type = before ? "MODIFIED" : "ADDED";
            object = c.current();
        } else if (before) {
            type = "DELETED";
            object = c.current() != null ? c.current() : c.previous();
        } else {
            return null;
        }
        return "{\"type\":\"" + type + "\",\"object\":" + serialization.asJson(object) + "}";
    }

    private static String bookmarkJson(Kind kind, long rv) {
        return "{\"type\":\"BOOKMARK\",\"object\":{\"apiVersion\":\"" + kind.apiVersion + "\",\"kind\":\"" + kind.kind
                + "\",\"metadata\":{\"resourceVersion\":\"" + rv + "\"}}}";
    }

    private static String statusJson(int code, String reason, String message) {
        return "{\"apiVersion\":\"v1\",\"kind\":\"Status\",\"status\":\"Failure\",\"code\":" + code
                + ",\"reason\":\"" + reason + "\",\"message\":\"" + message + "\",\"metadata\":{}}";
    }

    private static void respond(HttpExchange exchange, int code, String body) throws IOException {
        byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
        exchange.getResponseHeaders().set("Content-Type", "application/json");
        exchange.sendResponseHeaders(code, bytes.length);
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

    private static String key(HasMetadata o) {
        return key(o.getMetadata().getNamespace(), o.getMetadata().getName());
    }

    private static String key(String namespace, String name) {
        return (namespace == null ? "" : namespace) + "/" + Objects.requireNonNull(name, "name");
    }

    /** Equality-based and existence label selectors plus a metadata.name field selector. */
    private static final class Selector {
        private final List<String[]> labelTerms = new ArrayList<>();
        private final String name;
        final boolean bookmarks;

        Selector(String labelSelector, String fieldSelector, boolean bookmarks) {
            this.bookmarks = bookmarks;
            if (labelSelector != null && !labelSelector.isEmpty()) {
                for (String term : labelSelector.split(",")) {
                    labelTerms.add(parse(term.trim()));
                }
            }
            String n = null;
            if (fieldSelector != null && fieldSelector.startsWith("metadata.name=")) {
                n = fieldSelector.substring("metadata.name=".length());
            } else if (fieldSelector != null && !fieldSelector.isEmpty()) {
                throw new IllegalArgumentException("unsupported fieldSelector " + fieldSelector);
            }
            name = n;
        }

        /** {op, key, value}: op is "!" (absent), "?" (present), "=" or "!=". */
        private static String[] parse(String term) {
            if (term.startsWith("!")) {
                return new String[] {"!", term.substring(1), null};
            }
            int ne = term.indexOf("!=");
            if (ne > 0) {
                return new String[] {"!=", term.substring(0, ne), term.substring(ne + 2)};
            }
            int eq = term.indexOf('=');
            if (eq > 0) {
                String value = term.substring(eq + 1);
                return new String[] {"=", term.substring(0, eq), value.startsWith("=") ? value.substring(1) : value};
            }
            return new String[] {"?", term, null};
        }

        boolean matches(HasMetadata o) {
            if (name != null && !name.equals(o.getMetadata().getName())) {
                return false;
            }
            Map<String, String> labels = o.getMetadata().getLabels() == null ? Map.of() : o.getMetadata().getLabels();
            for (String[] t : labelTerms) {
                String v = labels.get(t[1]);
                boolean ok = switchOp(t[0], v, t[2]);
                if (!ok) {
                    return false;
                }
            }
            return true;
        }

        private static boolean switchOp(String op, String actual, String wanted) {
            if ("!".equals(op)) {
                return actual == null;
            }
            if ("?".equals(op)) {
                return actual != null;
            }
            if ("=".equals(op)) {
                return wanted.equals(actual);
            }
            return !wanted.equals(actual);
        }
    }
}
