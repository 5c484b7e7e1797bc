package io.vipd.watcher;

import io.fabric8.kubernetes.api.model.Node;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointSlice;
import io.fabric8.kubernetes.client.utils.KubernetesSerialization;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.vipd.lb.Frontend;
import io.vipd.lb.NamespacedName;
import io.vipd.lb.ServiceFrontend;
import io.vipd.lb.ServicePortEntry;
import io.vipd.lb.ServiceTable;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.snakeyaml.engine.v2.api.Load;
import org.snakeyaml.engine.v2.api.LoadSettings;
import org.snakeyaml.engine.v2.exceptions.YamlEngineException;

/**
 * Kubernetes manifests from files as a source: a v1 List or multi-document YAML (or JSON) holding Services,
 * EndpointSlices and Nodes; {@code kubectl get svc,endpointslices -A -o yaml} output works as it is. Other
 * kinds are ignored. Each object is decoded on its own, so one bad object names itself and spoils nothing else.
 *
 * <p>An instance feeds a {@link ChangeTracker} and, on reload, tells it only what changed.
 */
public final class FileSource {
    private static final KubernetesSerialization SERIALIZATION = new KubernetesSerialization();

    /** The objects read from files, and what could not be read (each naming its file and object). */
    public record Loaded(
            List<Service> services,
            List<EndpointSlice> endpointSlices,
            List<Node> nodes,
            List<String> errors,
            int ignored) {
        public Loaded {
            services = List.copyOf(services);
            endpointSlices = List.copyOf(endpointSlices);
            nodes = List.copyOf(nodes);
            errors = List.copyOf(errors);
        }

        public boolean ok() {
            return errors.isEmpty();
        }
    }

    /** Bad manifests: the message lists every error, each naming its file and object. */
    public static final class ManifestException extends IllegalArgumentException {
        private final List<String> errors;

        public ManifestException(List<String> errors) {
            super(String.join("; ", errors));
            this.errors = List.copyOf(errors);
        }

        public List<String> errors() {
            return errors;
        }
    }

    private final ChangeTracker tracker;
    private Map<NamespacedName, Service> services = Map.of();
    private Map<NamespacedName, EndpointSlice> slices = Map.of();

    public FileSource(ChangeTracker tracker) {
        this.tracker = tracker;
    }

    /** Reads every file; never throws for bad content (see {@link Loaded#errors()}). */
    public static Loaded load(Path... files) {
        Decoded decoded = new Decoded();
        for (Path file : files) {
            List<Object> documents = new ArrayList<>();
            try (InputStream in = Files.newInputStream(file)) {
                for (Object doc : loader(file.toString()).loadAllFromInputStream(in)) {
                    documents.add(doc);
                }
            } catch (IOException e) {
                decoded.errors.add(file + ": cannot read: " + e.getMessage());
                continue;
            } catch (YamlEngineException e) {
                decoded.errors.add(file + ": not valid YAML: " + e.getMessage().replace('\n', ' '));
                continue;
            }
            decoded.documents(file.toString(), documents);
        }
        return decoded.loaded();
    }

    /**
     * Reads manifests already in memory, as {@link #load(Path...)} reads a file; never throws for bad content.
     *
     * @param file the name errors give the text
     */
    public static Loaded load(String file, String text) {
        Decoded decoded = new Decoded();
        List<Object> documents = new ArrayList<>();
        try {
            for (Object doc : loader(file).loadAllFromString(text)) {
                documents.add(doc);
            }
        } catch (YamlEngineException e) {
            decoded.errors.add(file + ": not valid YAML: " + e.getMessage().replace('\n', ' '));
            return decoded.loaded();
        }
        decoded.documents(file, documents);
        return decoded.loaded();
    }

    private static Load loader(String label) {
        return new Load(LoadSettings.builder().setLabel(label).build());
    }

    /** The objects decoded so far, from any number of files. */
    private static final class Decoded {
        final List<Service> services = new ArrayList<>();
        final List<EndpointSlice> slices = new ArrayList<>();
        final List<Node> nodes = new ArrayList<>();
        final List<String> errors = new ArrayList<>();
        int ignored;

        void documents(String file, List<Object> documents) {
            for (int d = 0; d < documents.size(); d++) {
                Object doc = documents.get(d);
                if (doc == null) {
                    continue;
                }
                String where = file + ": document " + (d + 1);
                if (!(doc instanceof Map<?, ?> map)) {
                    errors.add(where + ": not a Kubernetes object");
                    continue;
                }
                Object kind = map.get("kind");
                if (kind instanceof String k && k.endsWith("List") && map.get("items") instanceof List<?> items) {
                    for (int i = 0; i < items.size(); i++) {
                        ignored += decode(items.get(i), where + ", item " + (i + 1), services, slices, nodes, errors);
                    }
                } else {
                    ignored += decode(doc, where, services, slices, nodes, errors);
                }
            }
        }

        Loaded loaded() {
            return new Loaded(services, slices, nodes, errors, ignored);
        }
    }

    /** Returns 1 when the object is of a kind this source ignores. */
    private static int decode(
            Object item,
            String where,
            List<Service> services,
            List<EndpointSlice> slices,
            List<Node> nodes,
            List<String> errors) {
        if (!(item instanceof Map<?, ?> map)) {
            errors.add(where + ": not a Kubernetes object");
            return 0;
        }
        Object kind = map.get("kind");
        Object apiVersion = map.get("apiVersion");
        String name = describe(map);
        try {
            if ("Service".equals(kind) && "v1".equals(apiVersion)) {
                services.add(SERIALIZATION.convertValue(map, Service.class));
            } else if ("EndpointSlice".equals(kind) && "discovery.k8s.io/v1".equals(apiVersion)) {
                slices.add(SERIALIZATION.convertValue(map, EndpointSlice.class));
            } else if ("Node".equals(kind) && "v1".equals(apiVersion)) {
                nodes.add(SERIALIZATION.convertValue(map, Node.class));
            } else if (kind == null || apiVersion == null) {
                errors.add(where + ": no apiVersion or kind");
            } else {
                return 1;
            }
        } catch (RuntimeException e) {
            errors.add(where + " (" + kind + " " + name + "): " + firstLine(e.getMessage()));
        }
        return 0;
    }

    private static String describe(Map<?, ?> map) {
        if (map.get("metadata") instanceof Map<?, ?> meta) {
            Object ns = meta.get("namespace");
            return (ns == null ? "" : ns + "/") + meta.get("name");
        }
        return "(no metadata)";
    }

    private static String firstLine(String s) {
        if (s == null) {
            return "invalid";
        }
        int nl = s.indexOf('\n');
        return nl < 0 ? s : s.substring(0, nl);
    }

    /**
     * Feeds the loaded objects to the tracker as a complete state: objects absent since the last call are
     * deleted, unchanged ones collapse in the tracker. The first call also marks both lists synced.
     *
     * @return true when a sync is needed
     */
    public synchronized boolean apply(Loaded loaded) {
        Map<NamespacedName, Service> nextServices = servicesByKey(loaded);
        Map<NamespacedName, EndpointSlice> nextSlices = new LinkedHashMap<>();
        for (EndpointSlice s : loaded.endpointSlices()) {
            NamespacedName key = EndpointSliceConversions.sliceKey(s);
            if (key != null) {
                nextSlices.put(key, s);
            }
        }
        boolean sync = false;
        for (Map.Entry<NamespacedName, Service> e : services.entrySet()) {
            if (!nextServices.containsKey(e.getKey())) {
                sync |= tracker.onServiceUpdate(e.getValue(), null);
            }
        }
        for (Map.Entry<NamespacedName, EndpointSlice> e : slices.entrySet()) {
            if (!nextSlices.containsKey(e.getKey())) {
                sync |= tracker.onEndpointSliceUpdate(e.getValue(), true);
            }
        }
        for (Map.Entry<NamespacedName, Service> e : nextServices.entrySet()) {
            sync |= tracker.onServiceUpdate(services.get(e.getKey()), e.getValue());
        }
        for (EndpointSlice s : nextSlices.values()) {
            sync |= tracker.onEndpointSliceUpdate(s, false);
        }
        for (Node n : loaded.nodes()) {
            if (n.getMetadata() != null
                    && tracker.nodeName().equals(n.getMetadata().getName())) {
                sync |= tracker.onNodeUpdate(n);
            }
        }
        services = nextServices;
        slices = nextSlices;
        sync |= tracker.servicesSynced();
        sync |= tracker.endpointSlicesSynced();
        return sync;
    }

    /** The named Services, by name; of several with one name the last counts, as {@link #apply} feeds them. */
    private static Map<NamespacedName, Service> servicesByKey(Loaded loaded) {
        Map<NamespacedName, Service> byKey = new LinkedHashMap<>();
        for (Service s : loaded.services()) {
            NamespacedName key = ServiceConversions.key(s);
            if (key != null) {
                byKey.put(key, s);
            }
        }
        return byKey;
    }

    /**
     * Every frontend the loaded Services define, with the Service that defines it, in file order: what the
     * table will hold once {@link #apply applied} and synced, known before anything is applied. A frontend
     * two Services define is given with the later one. Bad fields are left out as a sync leaves them out.
     */
    public static Map<Frontend, NamespacedName> frontends(Loaded loaded) {
        Map<Frontend, NamespacedName> frontends = new LinkedHashMap<>();
        for (Map.Entry<NamespacedName, Service> e : servicesByKey(loaded).entrySet()) {
            // Skips are reported once, when the tracker converts the same Service.
            for (ServicePortInfo port :
                    ServiceConversions.servicePorts(e.getValue(), Skips.IGNORE).values()) {
                for (ServiceFrontend f : port.frontends()) {
                    frontends.put(f.frontend(), e.getKey());
                }
            }
        }
        return frontends;
    }

    /**
     * The service port entries the manifests describe, as this node would program them (for {@code vipd edge}
     * and {@code vipd plan}).
     *
     * @throws ManifestException when a file or object could not be read
     */
    public static List<ServicePortEntry> entries(Path[] files, String nodeName, FeatureGates gates) {
        Loaded loaded = load(files);
        if (!loaded.ok()) {
            throw new ManifestException(loaded.errors());
        }
        return entries(loaded, nodeName, gates);
    }

    /** The entries of already loaded objects. */
    public static List<ServicePortEntry> entries(Loaded loaded, String nodeName, FeatureGates gates) {
        ServiceTable table = new ServiceTable();
        ChangeTracker tracker = new ChangeTracker(nodeName, gates, table, new SimpleMeterRegistry());
        new FileSource(tracker).apply(loaded);
        tracker.sync();
        return table.entries();
    }
}
