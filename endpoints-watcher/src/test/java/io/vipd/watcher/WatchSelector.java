package io.vipd.watcher;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * What one list or watch request of {@link FakeApiServer} asked to see: equality-based and existence label selectors,
 * a {@code metadata.name} field selector (the Node-by-name informer), and whether it takes bookmarks.
 */
final class WatchSelector {
    private final List<String[]> labelTerms = new ArrayList<>();
    private final String name;
    final boolean bookmarks;

    WatchSelector(String labelSelector, String fieldSelector, boolean bookmarks) {
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

    /** Whether an object with this name and these labels (never null) is selected. */
    boolean matches(String objectName, Map<String, String> labels) {
        if (name != null && !name.equals(objectName)) {
            return false;
        }
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
