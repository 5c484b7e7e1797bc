package io.vipd.edge;

import io.vipd.lb.ServicePortEntry;
import io.vipd.lb.ServicePortName;
import java.util.List;
import java.util.function.Function;
import org.snakeyaml.engine.v2.nodes.Node;

/**
 * One file format {@code vipd edge --config} understands. The loader composes the file's YAML documents
 * once (so YAML syntax errors are reported the same way for every format) and hands them to the first
 * format that recognizes them.
 *
 * <p>Formats: {@link CompactConfigFormat} (the {@code services:} list) and {@link KubernetesManifestFormat}
 * (detected by a top-level {@code apiVersion} or {@code kind}).
 * A format reports every problem as an {@link EdgeConfigException} naming the file and line.
 */
public interface EdgeConfigFormat {
    /** Whether the documents are in this format (cheap: look at top-level keys only). */
    boolean recognizes(List<Node> documents);

    /**
     * Parses and validates the documents into a configuration: built service port entries, or Kubernetes
     * objects for the endpoints watcher's tracker to build.
     *
     * @param file      the file name for error messages
     * @param text      the file's text, for formats that parse it with another library
     * @param documents the file's YAML documents, with line marks
     * @param previous  the entry in force under a name, or null: entries are built over it, so services whose
     *                  backends did not change keep their pickers and Maglev tables on a reload (a format that
     *                  builds no entries ignores it: the tracker builds over the entries it installed)
     */
    EdgeConfig parse(
            String file, String text, List<Node> documents, Function<ServicePortName, ServicePortEntry> previous)
            throws EdgeConfigException;
}
