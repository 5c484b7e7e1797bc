package io.vipd.edge;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.snakeyaml.engine.v2.nodes.MappingNode;
import org.snakeyaml.engine.v2.nodes.Node;
import org.snakeyaml.engine.v2.nodes.NodeTuple;
import org.snakeyaml.engine.v2.nodes.ScalarNode;
import org.snakeyaml.engine.v2.nodes.SequenceNode;

/**
 * Reading composed YAML nodes with errors that name the file, line and path: the typed accessors a
 * configuration format needs, with unknown and duplicate keys treated as errors.
 */
final class YamlNodes {
    private final String file;

    YamlNodes(String file) {
        this.file = file;
    }

    /** The node's 1-based start line, or 0 when it has none. */
    static int line(Node node) {
        return node.getStartMark().map(m -> m.getLine() + 1).orElse(0);
    }

    EdgeConfigException error(Node node, String path, String reason) {
        return new EdgeConfigException(
                file, node == null ? 0 : line(node), path.isEmpty() ? reason : path + ": " + reason);
    }

    /**
     * The mapping's entries by key, in file order, after checking that every key is a scalar in
     * {@code allowed} and appears once.
     */
    Map<String, Node> mapping(Node node, String path, Set<String> allowed) throws EdgeConfigException {
        if (!(node instanceof MappingNode)) {
            throw error(node, path, "want a mapping, got " + describe(node));
        }
        Map<String, Node> out = new LinkedHashMap<>();
        for (NodeTuple t : ((MappingNode) node).getValue()) {
            Node keyNode = t.getKeyNode();
            if (!(keyNode instanceof ScalarNode)) {
                throw error(keyNode, path, "keys must be plain names");
            }
            String key = ((ScalarNode) keyNode).getValue();
            String keyPath = path.isEmpty() ? key : path + "." + key;
            if (!allowed.contains(key)) {
                throw error(keyNode, keyPath, "unknown field (want one of " + String.join(", ", allowed) + ")");
            }
            if (out.putIfAbsent(key, t.getValueNode()) != null) {
                throw error(keyNode, keyPath, "duplicate field");
            }
        }
        return out;
    }

    List<Node> sequence(Node node, String path) throws EdgeConfigException {
        if (!(node instanceof SequenceNode)) {
            throw error(node, path, "want a list, got " + describe(node));
        }
        return ((SequenceNode) node).getValue();
    }

    String scalar(Node node, String path) throws EdgeConfigException {
        if (!(node instanceof ScalarNode)) {
            throw error(node, path, "want a single value, got " + describe(node));
        }
        return ((ScalarNode) node).getValue();
    }

    int integer(Node node, String path, int min, int max) throws EdgeConfigException {
        String text = scalar(node, path);
        int value;
        try {
            value = Integer.parseInt(text.trim());
        } catch (NumberFormatException e) {
            throw error(node, path, "not a whole number: \"" + text + "\"");
        }
        if (value < min || value > max) {
            throw error(node, path, value + " is outside " + min + ".." + max);
        }
        return value;
    }

    static boolean isNull(Node node) {
        return node instanceof ScalarNode && node.getTag().getValue().endsWith(":null");
    }

    private static String describe(Node node) {
        if (node == null) {
            return "nothing";
        }
        if (node instanceof MappingNode) {
            return "a mapping";
        }
        if (node instanceof SequenceNode) {
            return "a list";
        }
        return isNull(node) ? "an empty value" : "\"" + ((ScalarNode) node).getValue() + "\"";
    }
}
