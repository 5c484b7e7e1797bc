package io.vipd.bench;

import java.util.Arrays;

/** Medians and spreads of repeated runs. Pure. */
public final class Stats {
    private Stats() {}

    /** The median (mean of the middle two for an even count); NaN for no values. */
    public static double median(double[] values) {
        if (values.length == 0) {
            return Double.NaN;
        }
        double[] sorted = values.clone();
        Arrays.sort(sorted);
        int mid = sorted.length / 2;
        return sorted.length % 2 == 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
    }

    /** The smallest value; NaN for no values. */
    public static double min(double[] values) {
        return Arrays.stream(values).min().orElse(Double.NaN);
    }

    /** The largest value; NaN for no values. */
    public static double max(double[] values) {
        return Arrays.stream(values).max().orElse(Double.NaN);
    }

    public static double median(long[] values) {
        return median(Arrays.stream(values).asDoubleStream().toArray());
    }
}
