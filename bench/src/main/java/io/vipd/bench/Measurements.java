package io.vipd.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The raw results bench/run collects: one line per run, {@code path metric scale value} separated by tabs (scale 0
 * for the load tests), and the medians over the runs. Not thread-safe.
 */
public final class Measurements {
    private final Map<String, List<Double>> values = new LinkedHashMap<>();

    /** Parses the raw file; blank lines and lines starting with {@code #} are skipped, {@code NA} values ignored. */
    public static Measurements read(Path raw) throws IOException {
        Measurements m = new Measurements();
        int lineNo = 0;
        for (String line : Files.readAllLines(raw)) {
            lineNo++;
            if (line.isBlank() || line.startsWith("#")) {
                continue;
            }
            String[] f = line.split("\t");
            if (f.length != 4) {
                throw new IllegalArgumentException(
                        raw + ":" + lineNo + ": expected 4 tab-separated fields, got " + f.length);
            }
            if (f[3].equals("NA") || f[3].isEmpty()) {
                continue;
            }
            try {
                m.add(f[0], f[1], Integer.parseInt(f[2]), Double.parseDouble(f[3]));
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException(raw + ":" + lineNo + ": not a number: " + line, e);
            }
        }
        return m;
    }

    public void add(String path, String metric, int scale, double value) {
        values.computeIfAbsent(key(path, metric, scale), k -> new ArrayList<>()).add(value);
    }

    /** The median over the runs, or NaN when nothing was measured. */
    public double median(String path, String metric, int scale) {
        return Stats.median(values(path, metric, scale));
    }

    public int runs(String path, String metric, int scale) {
        List<Double> v = values.get(key(path, metric, scale));
        return v == null ? 0 : v.size();
    }

    /** The smallest value over the runs, or NaN when nothing was measured. */
    public double min(String path, String metric, int scale) {
        return Stats.min(values(path, metric, scale));
    }

    /** The largest value over the runs, or NaN when nothing was measured. */
    public double max(String path, String metric, int scale) {
        return Stats.max(values(path, metric, scale));
    }

    /** {@code median(path) / median(iptables)}, NaN when either is missing. */
    public double ratioToIptables(String path, String metric, int scale) {
        return ratio(path, "iptables", metric, scale);
    }

    /** {@code median(path) / median(base)}, NaN when either is missing. */
    public double ratio(String path, String base, String metric, int scale) {
        double b = median(base, metric, scale);
        double v = median(path, metric, scale);
        return b > 0 ? v / b : Double.NaN;
    }

    private double[] values(String path, String metric, int scale) {
        List<Double> v = values.get(key(path, metric, scale));
        return v == null
                ? new double[0]
                : v.stream().mapToDouble(Double::doubleValue).toArray();
    }

    private static String key(String path, String metric, int scale) {
        return path + '\t' + metric + '\t' + scale;
    }
}
