package io.vipd.netpol;

import java.util.HashMap;
import java.util.Map;
import java.util.Objects;

/** A namespace's name and labels, as namespaceSelectors see them. Immutable. */
public record NamespaceInfo(String name, Map<String, String> labels) {
    /** The label every namespace carries with its own name; policies use it to name one namespace. */
    public static final String NAME_LABEL = "kubernetes.io/metadata.name";

    public NamespaceInfo {
        Objects.requireNonNull(name, "name");
        Map<String, String> l = new HashMap<>(labels);
        l.put(NAME_LABEL, name);
        labels = Map.copyOf(l);
    }

    /** A namespace not (yet) seen: only its name label, which the API server sets on every namespace. */
    public static NamespaceInfo unknown(String name) {
        return new NamespaceInfo(name, Map.of());
    }
}
