package io.vipd.edge;

import io.vipd.lb.ServicePortEntry;
import io.vipd.lb.ServicePortName;
import java.io.IOException;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;
import org.snakeyaml.engine.v2.api.LoadSettings;
import org.snakeyaml.engine.v2.api.lowlevel.Compose;
import org.snakeyaml.engine.v2.exceptions.Mark;
import org.snakeyaml.engine.v2.exceptions.MarkedYamlEngineException;
import org.snakeyaml.engine.v2.exceptions.YamlEngineException;
import org.snakeyaml.engine.v2.nodes.Node;

/**
 * Reads an edge configuration file: composes its YAML (keeping line marks), picks the first
 * {@link EdgeConfigFormat} that recognizes the documents, and returns its validated {@link EdgeConfig}.
 * Every failure is an {@link EdgeConfigException} of the form {@code <file>:<line>: <reason>}. Thread-safe.
 */
public final class EdgeConfigLoader {
    private final List<EdgeConfigFormat> formats;

    public EdgeConfigLoader(List<EdgeConfigFormat> formats) {
        this.formats = List.copyOf(formats);
    }

    /** Kubernetes manifests (recognized by apiVersion/kind), else the compact format. */
    public static List<EdgeConfigFormat> defaultFormats() {
        return List.of(new KubernetesManifestFormat(), new CompactConfigFormat());
    }

    public static EdgeConfigLoader withDefaultFormats() {
        return new EdgeConfigLoader(defaultFormats());
    }

    public EdgeConfig load(Path path) throws EdgeConfigException {
        return parse(path.toString(), read(path));
    }

    /** A reload: entries are built over {@code previous}'s, so unchanged services keep their Maglev tables. */
    public EdgeConfig load(Path path, Function<ServicePortName, ServicePortEntry> previous) throws EdgeConfigException {
        return parse(path.toString(), read(path), previous);
    }

    /** Reads a file as UTF-8 text, with errors naming it. Follows symlinks, as ConfigMap volumes need. */
    public static String read(Path path) throws EdgeConfigException {
        try {
            return StandardCharsets.UTF_8
                    .newDecoder()
                    .decode(java.nio.ByteBuffer.wrap(Files.readAllBytes(path)))
                    .toString();
        } catch (NoSuchFileException e) {
            throw new EdgeConfigException(path.toString(), 0, "no such file");
        } catch (CharacterCodingException e) {
            throw new EdgeConfigException(path.toString(), 0, "not UTF-8 text");
        } catch (IOException e) {
            throw new EdgeConfigException(path.toString(), 0, "cannot read: " + e.getMessage());
        }
    }

    public EdgeConfig parse(String file, String text) throws EdgeConfigException {
        return parse(file, text, name -> null);
    }

    public EdgeConfig parse(String file, String text, Function<ServicePortName, ServicePortEntry> previous)
            throws EdgeConfigException {
        List<Node> documents = compose(file, text);
        for (EdgeConfigFormat format : formats) {
            if (format.recognizes(documents)) {
                return format.parse(file, text, documents, previous);
            }
        }
        throw new EdgeConfigException(file, 0, "not a format vipd knows (want a services: list)");
    }

    private static List<Node> compose(String file, String text) throws EdgeConfigException {
        LoadSettings settings = LoadSettings.builder()
                .setLabel(file)
                .setAllowDuplicateKeys(false)
                .setUseMarks(true)
                .build();
        List<Node> documents = new ArrayList<>();
        try {
            for (Node n : new Compose(settings).composeAllFromString(text)) {
                documents.add(n);
            }
        } catch (MarkedYamlEngineException e) {
            int line =
                    e.getProblemMark().or(e::getContextMark).map(Mark::getLine).orElse(-1) + 1;
            String problem = e.getProblem() == null ? "invalid YAML" : e.getProblem();
            String context = e.getContext() == null ? "" : e.getContext() + ": ";
            throw new EdgeConfigException(file, line, "YAML error: " + context + problem, e);
        } catch (YamlEngineException e) {
            throw new EdgeConfigException(file, 0, "YAML error: " + e.getMessage(), e);
        }
        return documents;
    }
}
