package io.vipd.snapshot;

import io.vipd.lb.ServicePortEntry;
import java.time.Instant;
import java.util.List;

/**
 * A service table as a process last applied it: what a restarted vipd serves from until its sources answer.
 *
 * @param mode    "node" or "edge": a snapshot of the other mode is not restored
 * @param source  what the entries came from (the node name, or the configuration file), for the log
 * @param takenAt when the table was captured
 * @param entries every service port entry
 */
public record TableSnapshot(String mode, String source, Instant takenAt, List<ServicePortEntry> entries) {
    public TableSnapshot {
        entries = List.copyOf(entries);
    }
}
