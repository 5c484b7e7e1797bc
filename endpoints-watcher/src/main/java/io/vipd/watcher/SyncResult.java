package io.vipd.watcher;

import io.vipd.lb.ServicePortName;
import java.time.Duration;
import java.util.Set;

/**
 * What one {@link ChangeTracker#sync()} did.
 *
 * @param full             whether every service was re-examined (first sync, re-list, node zone change)
 * @param servicesExamined services whose ports were recomputed (each port still reused when unchanged)
 * @param upserted         service ports whose entries were rebuilt and installed
 * @param removed          service ports removed from the table
 * @param generation       the table generation after the sync
 * @param duration         how long the sync took
 */
public record SyncResult(
        boolean full,
        int servicesExamined,
        Set<ServicePortName> upserted,
        Set<ServicePortName> removed,
        long generation,
        Duration duration) {
    public SyncResult {
        upserted = Set.copyOf(upserted);
        removed = Set.copyOf(removed);
    }

    /** True when the table changed. */
    public boolean changed() {
        return !upserted.isEmpty() || !removed.isEmpty();
    }
}
