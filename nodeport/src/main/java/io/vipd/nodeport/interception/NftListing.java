package io.vipd.nodeport.interception;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.TreeSet;

/**
 * The content of one nftables table as {@code nft list table} prints it, in a form two listings can be
 * compared in: per set its declaration lines and its elements (sorted: the kernel lists a hash set in bucket
 * order, which may change when the set is resized), per chain its lines in order. Anything else in the table
 * (flowtables, maps, objects) is kept as declaration lines, so it is compared too. Immutable.
 */
public final class NftListing {
    private final Map<String, Block> blocks;

    private NftListing(Map<String, Block> blocks) {
        this.blocks = blocks;
    }

    /** One {@code set}, {@code map} or {@code chain} (or the table's own lines, under the key {@code table}). */
    private record Block(List<String> lines, TreeSet<String> elements) {}

    /** Parses {@code nft list table FAMILY NAME} output (without {@code -a}, so no rule handles). */
    public static NftListing parse(String listing) {
        Map<String, Block> blocks = new LinkedHashMap<>();
        Block tableBlock = new Block(new ArrayList<>(), new TreeSet<>());
        blocks.put("table", tableBlock);
        Block current = tableBlock;
        boolean inElements = false;
        StringBuilder elementText = new StringBuilder();
        for (String raw : listing.split("\n", -1)) {
            String line = raw.strip();
            if (line.isEmpty()) {
                continue;
            }
            if (inElements) {
                elementText.append(' ').append(line);
                if (closesElements(line)) {
                    addElements(current, elementText);
                    inElements = false;
                }
                continue;
            }
            if (line.startsWith("elements = {")) {
                elementText.setLength(0);
                elementText.append(line, "elements = {".length(), line.length());
                if (closesElements(line)) {
                    addElements(current, elementText);
                } else {
                    inElements = true;
                }
                continue;
            }
            String kind = blockKind(line);
            if (kind != null) {
                current = new Block(new ArrayList<>(), new TreeSet<>());
                blocks.put(kind, current);
                continue;
            }
            if (line.equals("}")) {
                current = tableBlock;
                continue;
            }
            current.lines().add(line.replaceAll("\\s+", " "));
        }
        return new NftListing(blocks);
    }

    /** The elements of set {@code name}, sorted; empty when the set is absent or empty. */
    public List<String> elements(String setName) {
        Block b = blocks.get("set " + setName);
        return b == null ? List.of() : List.copyOf(b.elements());
    }

    /** The statement lines of chain {@code name} (its type line first), or empty when absent. */
    public List<String> chain(String chainName) {
        Block b = blocks.get("chain " + chainName);
        return b == null ? List.of() : List.copyOf(b.lines());
    }

    /**
     * What differs between this listing (what vipd left) and {@code now}, one line per set or chain, in a form
     * an operator can act on; empty when they are the same.
     */
    public List<String> differencesTo(NftListing now) {
        List<String> out = new ArrayList<>();
        for (Map.Entry<String, Block> e : blocks.entrySet()) {
            Block found = now.blocks.get(e.getKey());
            if (found == null) {
                out.add(e.getKey() + " is missing");
                continue;
            }
            Block expected = e.getValue();
            if (!expected.lines().equals(found.lines())) {
                out.add(e.getKey() + ": " + lineDifference(expected.lines(), found.lines()));
            }
            if (!expected.elements().equals(found.elements())) {
                TreeSet<String> missing = new TreeSet<>(expected.elements());
                missing.removeAll(found.elements());
                TreeSet<String> extra = new TreeSet<>(found.elements());
                extra.removeAll(expected.elements());
                out.add(e.getKey() + ": " + missing.size() + " element(s) missing" + sample(missing) + ", "
                        + extra.size() + " unexpected" + sample(extra));
            }
        }
        for (String key : now.blocks.keySet()) {
            if (!blocks.containsKey(key)) {
                out.add(key + " was added");
            }
        }
        return out;
    }

    /**
     * What differs from what vipd wrote, judged by counts where no earlier listing exists: each set or map
     * (keyed {@code "set NAME"} or {@code "map NAME"}) holds {@code elementCounts} elements, each named chain
     * has {@code ruleCounts} rules (after its type line).
     */
    public List<String> differencesToCounts(Map<String, Integer> elementCounts, Map<String, Integer> ruleCounts) {
        List<String> out = new ArrayList<>();
        elementCounts.forEach((set, expected) -> {
            Block b = blocks.get(set);
            if (b == null) {
                out.add(set + " is missing");
            } else if (b.elements().size() != expected) {
                out.add(set + ": " + b.elements().size() + " element(s), expected " + expected);
            }
        });
        ruleCounts.forEach((chain, expected) -> {
            Block b = blocks.get("chain " + chain);
            int rules = b == null
                    ? -1
                    : (int) b.lines().stream().filter(l -> !isChainHeader(l)).count();
            if (b == null) {
                out.add("chain " + chain + " is missing");
            } else if (rules != expected) {
                out.add("chain " + chain + ": " + rules + " rule(s), expected " + expected);
            }
        });
        return out;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof NftListing other && blocks.equals(other.blocks);
    }

    @Override
    public int hashCode() {
        return Objects.hash(blocks);
    }

    private static String blockKind(String line) {
        if (!line.endsWith("{") || line.startsWith("table ")) {
            return null;
        }
        String head = line.substring(0, line.length() - 1).strip();
        for (String kind : new String[] {"set ", "map ", "chain ", "flowtable ", "counter ", "quota ", "ct "}) {
            if (head.startsWith(kind)) {
                return head;
            }
        }
        return null;
    }

    private static boolean isChainHeader(String line) {
        return line.startsWith("type ") || line.startsWith("policy ") || line.startsWith("comment ");
    }

    private static boolean closesElements(String line) {
        return line.endsWith("}");
    }

    private static void addElements(Block block, StringBuilder text) {
        String body = text.toString().strip();
        body = body.substring(0, body.length() - 1); // the closing brace
        for (String element : body.split(",")) {
            String e = element.strip().replaceAll("\\s+", " ");
            if (!e.isEmpty()) {
                block.elements().add(e);
            }
        }
    }

    private static String lineDifference(List<String> expected, List<String> found) {
        List<String> missing = new ArrayList<>(expected);
        missing.removeAll(found);
        List<String> extra = new ArrayList<>(found);
        extra.removeAll(expected);
        if (missing.isEmpty() && extra.isEmpty()) {
            return "statements reordered";
        }
        return missing.size() + " statement(s) missing" + sample(missing) + ", " + extra.size() + " unexpected"
                + sample(extra);
    }

    private static String sample(java.util.Collection<String> lines) {
        return lines.isEmpty() ? "" : " (e.g. " + lines.iterator().next() + ")";
    }
}
