package io.vipd.lb;

import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicInteger;

/** Factories for {@link Picker}s, one per {@link Algorithm}. */
public final class Pickers {
    private Pickers() {}

    public static Picker of(Algorithm algorithm, BackendSet set) {
        return of(algorithm, set, 0);
    }

    /**
     * @param maglevTableSize an explicit prime Maglev table size, or 0 for {@link MaglevTable#defaultSize}; a
     *                        size smaller than the set also falls back to the default rather than failing a sync
     */
    public static Picker of(Algorithm algorithm, BackendSet set, int maglevTableSize) {
        return switch (algorithm) {
            case MAGLEV -> maglev(set, maglevTableSize);
            case RANDOM -> random(set);
            case ROUND_ROBIN -> roundRobin(set);
            case LEAST_CONNECTIONS -> leastConnections(set);
        };
    }

    public static Picker maglev(BackendSet set) {
        return new MaglevPicker(MaglevTable.build(set.keys(), set.weights()));
    }

    /** Maglev with an explicit table size (0 or one too small for the set: the default size). */
    public static Picker maglev(BackendSet set, int tableSize) {
        int m = tableSize > 0 && tableSize >= set.size() ? tableSize : MaglevTable.defaultSize(set.size());
        return new MaglevPicker(MaglevTable.build(set.keys(), set.weights(), m));
    }

    public static Picker maglev(MaglevTable table) {
        return new MaglevPicker(table);
    }

    public static Picker random(BackendSet set) {
        return new RandomPicker(set);
    }

    public static Picker roundRobin(BackendSet set) {
        return new RoundRobinPicker(set);
    }

    public static Picker leastConnections(BackendSet set) {
        return new LeastConnectionsPicker(set);
    }

    /** Maglev: one array load. The preference order walks the table from the flow's slot. */
    static final class MaglevPicker implements Picker {
        final MaglevTable table;

        MaglevPicker(MaglevTable table) {
            this.table = table;
        }

        @Override
        public int pick(long flowHash, BackendLoad load) {
            return table.lookup(flowHash);
        }

        @Override
        public int preference(long flowHash, BackendLoad load, int[] out) {
            return table.preference(flowHash, out);
        }
    }

    /** Preference order shared by the non-hashing pickers: the first choice, then the rest in set order. */
    abstract static class SequentialPreference implements Picker {
        final BackendSet set;
        /** Indexes of backends with positive weight; weight-0 backends receive no new flows. */
        final int[] eligible;

        SequentialPreference(BackendSet set) {
            this.set = set;
            int n = 0;
            int[] e = new int[set.size()];
            for (int i = 0; i < set.size(); i++) {
                if (set.get(i).weight() > 0) {
                    e[n++] = i;
                }
            }
            this.eligible = java.util.Arrays.copyOf(e, n);
        }

        @Override
        public int preference(long flowHash, BackendLoad load, int[] out) {
            int first = pick(flowHash, load);
            if (first < 0 || out.length == 0) {
                return 0;
            }
            int count = 0;
            out[count++] = first;
            int start = 0;
            while (start < eligible.length && eligible[start] != first) {
                start++;
            }
            for (int k = 1; k < eligible.length && count < out.length; k++) {
                out[count++] = eligible[(start + k) % eligible.length];
            }
            return count;
        }
    }

    /**
     * Random among eligible backends in proportion to weight; with equal weights (every Kubernetes endpoint)
     * this is kube-proxy's uniform choice.
     */
    static final class RandomPicker extends SequentialPreference {
        /** Running weight sums over {@code eligible}, or null when all weights are equal. */
        private final long[] cumulative;

        RandomPicker(BackendSet set) {
            super(set);
            long[] sums = new long[eligible.length];
            long total = 0;
            boolean equal = true;
            for (int k = 0; k < eligible.length; k++) {
                int w = set.get(eligible[k]).weight();
                equal &= w == set.get(eligible[0]).weight();
                total += w;
                sums[k] = total;
            }
            cumulative = equal ? null : sums;
        }

        @Override
        public int pick(long flowHash, BackendLoad load) {
            int n = eligible.length;
            if (n == 0) {
                return -1;
            }
            if (cumulative == null) {
                return eligible[ThreadLocalRandom.current().nextInt(n)];
            }
            long r = ThreadLocalRandom.current().nextLong(cumulative[n - 1]);
            int k = java.util.Arrays.binarySearch(cumulative, r + 1);
            return eligible[k >= 0 ? k : -k - 1];
        }
    }

    /**
     * Round-robin over eligible backends in canonical order, ignoring weights (as kube-proxy's IPVS rr); the
     * only mutable state is this picker's own counter.
     */
    static final class RoundRobinPicker extends SequentialPreference {
        private final AtomicInteger next = new AtomicInteger();

        RoundRobinPicker(BackendSet set) {
            super(set);
        }

        @Override
        public int pick(long flowHash, BackendLoad load) {
            return eligible.length == 0 ? -1 : eligible[Math.floorMod(next.getAndIncrement(), eligible.length)];
        }
    }

    /**
     * Fewest active connections, weighted (connections / weight), ties broken from a random start so that
     * equal backends share new flows. The counts come with each pick; the picker keeps none.
     */
    static final class LeastConnectionsPicker extends SequentialPreference {
        LeastConnectionsPicker(BackendSet set) {
            super(set);
        }

        @Override
        public int pick(long flowHash, BackendLoad load) {
            int n = eligible.length;
            if (n == 0) {
                return -1;
            }
            int start = ThreadLocalRandom.current().nextInt(n);
            int best = -1;
            long bestLoad = Long.MAX_VALUE;
            long bestWeight = 1;
            for (int k = 0; k < n; k++) {
                int j = (start + k) % n;
                long active = load.activeConnections(set.key(eligible[j]));
                long weight = set.get(eligible[j]).weight();
                // active/weight < bestLoad/bestWeight without division
                if (best < 0 || active * bestWeight < bestLoad * weight) {
                    best = j;
                    bestLoad = active;
                    bestWeight = weight;
                }
            }
            return eligible[best];
        }
    }
}
