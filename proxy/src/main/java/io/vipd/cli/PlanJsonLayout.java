package io.vipd.cli;

import java.util.Set;
import tools.jackson.core.JsonGenerator;
import tools.jackson.core.PrettyPrinter;
import tools.jackson.core.TokenStreamContext;

/**
 * The layout of {@code vipd plan -o json}: one line per service port field and per frontend, so a plan diffs well
 * line by line; short values (endpoint lists, a frontend) stay on one line as {@code {"a": 1, "b": [2, 3]}}.
 * Multi-line are the document, its {@code servicePorts} and their objects, and each {@code frontends} list.
 * Stateless: it reads the generator's position, so one instance serves every writer.
 */
final class PlanJsonLayout implements PrettyPrinter {
    private static final Set<String> MULTI_LINE_ARRAYS = Set.of("servicePorts", "frontends");

    @Override
    public void writeRootValueSeparator(JsonGenerator g) {
        g.writeRaw('\n');
    }

    @Override
    public void writeStartObject(JsonGenerator g) {
        g.writeRaw('{');
    }

    @Override
    public void beforeObjectEntries(JsonGenerator g) {
        newLineIfMultiLine(g, 0);
    }

    @Override
    public void writeObjectNameValueSeparator(JsonGenerator g) {
        g.writeRaw(": ");
    }

    @Override
    public void writeObjectEntrySeparator(JsonGenerator g) {
        g.writeRaw(',');
        if (!newLineIfMultiLine(g, 0)) {
            g.writeRaw(' ');
        }
    }

    @Override
    public void writeEndObject(JsonGenerator g, int entries) {
        if (entries > 0) {
            newLineIfMultiLine(g, -1);
        }
        g.writeRaw('}');
    }

    @Override
    public void writeStartArray(JsonGenerator g) {
        g.writeRaw('[');
    }

    @Override
    public void beforeArrayValues(JsonGenerator g) {
        newLineIfMultiLine(g, 0);
    }

    @Override
    public void writeArrayValueSeparator(JsonGenerator g) {
        g.writeRaw(',');
        if (!newLineIfMultiLine(g, 0)) {
            g.writeRaw(' ');
        }
    }

    @Override
    public void writeEndArray(JsonGenerator g, int values) {
        if (values > 0) {
            newLineIfMultiLine(g, -1);
        }
        g.writeRaw(']');
    }

    /** In a multi-line container, starts a new line indented to its depth plus {@code shift}; else nothing. */
    private static boolean newLineIfMultiLine(JsonGenerator g, int shift) {
        TokenStreamContext c = g.streamWriteContext();
        if (!multiLine(c)) {
            return false;
        }
        g.writeRaw('\n');
        g.writeRaw("  ".repeat(c.getNestingDepth() + shift));
        return true;
    }

    private static boolean multiLine(TokenStreamContext c) {
        TokenStreamContext parent = c.getParent();
        if (c.inArray()) {
            return MULTI_LINE_ARRAYS.contains(parent.currentName());
        }
        return parent.inRoot()
                || (parent.inArray() && "servicePorts".equals(parent.getParent().currentName()));
    }
}
