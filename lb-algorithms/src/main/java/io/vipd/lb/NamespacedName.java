package io.vipd.lb;

import java.util.Objects;

/** A Kubernetes object name within its namespace. Immutable. */
public record NamespacedName(String namespace, String name) implements Comparable<NamespacedName> {
    public NamespacedName {
        Objects.requireNonNull(namespace, "namespace");
        Objects.requireNonNull(name, "name");
    }

    public static NamespacedName of(String namespace, String name) {
        return new NamespacedName(namespace, name);
    }

    /** Parses "namespace/name"; a bare "name" is in namespace "default". */
    public static NamespacedName parse(String text) {
        int slash = text.indexOf('/');
        return slash < 0
                ? new NamespacedName("default", text)
                : new NamespacedName(text.substring(0, slash), text.substring(slash + 1));
    }

    @Override
    public int compareTo(NamespacedName o) {
        int c = namespace.compareTo(o.namespace);
        return c != 0 ? c : name.compareTo(o.name);
    }

    @Override
    public String toString() {
        return namespace + "/" + name;
    }
}
