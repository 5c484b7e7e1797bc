package io.vipd.bench;

import io.vipd.lb.Backend;
import io.vipd.lb.BackendSet;
import io.vipd.lb.MaglevTable;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

/**
 * Prints how many slots change owner when one backend is removed or added at a given M (docs/maglev.md §3.4):
 * "changed" is every slot with a new owner, "collateral" the slots that moved between two surviving backends.
 * Usage: {@code java -cp bench/target/benchmarks.jar io.vipd.bench.MaglevDisruption [M] [trials] [N...]}.
 */
public final class MaglevDisruption {
    private MaglevDisruption() {}

    public static void main(String[] args) {
        int m = args.length > 0 ? Integer.parseInt(args[0]) : 65537;
        int trials = args.length > 1 ? Integer.parseInt(args[1]) : 20;
        int[] ns = {10, 100, 200, 330, 500, 655, 1000};
        if (args.length > 2) {
            ns = new int[args.length - 2];
            for (int i = 2; i < args.length; i++) {
                ns[i - 2] = Integer.parseInt(args[i]);
            }
        }
        System.out.printf("| M | N | op | ideal %% | changed %% mean (max) | collateral %% mean (max) |%n");
        System.out.printf("|---|---|---|---|---|---|%n");
        for (int n : ns) {
            for (String op : new String[] {"remove", "add"}) {
                double[] changed = new double[trials];
                double[] collateral = new double[trials];
                for (int t = 0; t < trials; t++) {
                    List<Backend> all = MaglevBuildBench.backends(n + 1, 1000L * n + t);
                    List<Backend> base = new ArrayList<>(all.subList(0, n));
                    List<Backend> larger;
                    List<Backend> smaller;
                    Backend extra;
                    if (op.equals("remove")) {
                        extra = base.get(new Random(t).nextInt(n));
                        larger = base;
                        smaller = new ArrayList<>(base);
                        smaller.remove(extra);
                    } else {
                        extra = all.get(n);
                        larger = all;
                        smaller = base;
                    }
                    String[] a = owners(BackendSet.of(larger), m);
                    String[] b = owners(BackendSet.of(smaller), m);
                    int ch = 0;
                    int col = 0;
                    for (int s = 0; s < m; s++) {
                        if (!a[s].equals(b[s])) {
                            ch++;
                            col += a[s].equals(extra.key()) ? 0 : 1;
                        }
                    }
                    changed[t] = 100.0 * ch / m;
                    collateral[t] = 100.0 * col / m;
                }
                double ideal = 100.0 / (op.equals("remove") ? n : n + 1);
                System.out.printf(
                        "| %d | %d | %s | %.2f | %.2f (%.2f) | %.2f (%.2f) |%n",
                        m, n, op, ideal, mean(changed), max(changed), mean(collateral), max(collateral));
            }
        }
    }

    private static String[] owners(BackendSet set, int m) {
        MaglevTable t = MaglevTable.build(set.keys(), set.weights(), m);
        String[] out = new String[m];
        for (int s = 0; s < m; s++) {
            out[s] = set.key(t.slot(s));
        }
        return out;
    }

    private static double mean(double[] v) {
        double sum = 0;
        for (double x : v) {
            sum += x;
        }
        return sum / v.length;
    }

    private static double max(double[] v) {
        double best = 0;
        for (double x : v) {
            best = Math.max(best, x);
        }
        return best;
    }
}
