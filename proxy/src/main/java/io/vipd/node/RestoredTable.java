package io.vipd.node;

import io.vipd.lb.ServicePortEntry;
import io.vipd.lb.ServicePortName;
import io.vipd.lb.ServiceTable;
import io.vipd.snapshot.TableSnapshot;
import java.util.ArrayList;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A table snapshot served after a restart until the API server answers: installed in the table at start, and at
 * the first sync, which rebuilds every service port the cluster still has, whatever the sync did not replace is
 * removed as gone from the cluster. Called from the start-up thread, then from the sync thread; the state is
 * volatile for the readers of {@link #serving()} (metrics, /services).
 */
final class RestoredTable {
    private static final Logger log = LoggerFactory.getLogger(RestoredTable.class);

    private final ServiceTable table;
    /** The entries the snapshot installed, by identity: a rebuilt entry is a new object. Empty once reconciled. */
    private volatile Set<ServicePortEntry> restored = Set.of();

    private volatile String takenAt;

    RestoredTable(ServiceTable table) {
        this.table = table;
    }

    void restore(TableSnapshot snapshot) {
        table.apply(snapshot.entries(), List.of());
        Set<ServicePortEntry> ids = Collections.newSetFromMap(new IdentityHashMap<>());
        ids.addAll(snapshot.entries());
        restored = ids;
        takenAt = snapshot.takenAt().toString();
        log.atWarn()
                .addKeyValue("service_ports", snapshot.entries().size())
                .addKeyValue("taken_at", takenAt)
                .log("serving the table snapshot until the API server answers");
    }

    /** After the first sync: removes what the snapshot restored and the sync did not replace. */
    void reconcile() {
        Set<ServicePortEntry> left = restored;
        if (left.isEmpty()) {
            return;
        }
        List<ServicePortName> gone = new ArrayList<>();
        for (ServicePortEntry e : left) {
            if (table.get(e.name()) == e) {
                gone.add(e.name());
            }
        }
        table.apply(List.of(), gone);
        restored = Set.of();
        log.atInfo()
                .addKeyValue("removed", gone.size())
                .log("the API server answered: the restored table is reconciled with the cluster");
    }

    /** Whether the table is still the restored snapshot, unconfirmed by the API server. */
    boolean serving() {
        return !restored.isEmpty();
    }

    /** When the restored snapshot was taken, or null. */
    String takenAt() {
        return takenAt;
    }
}
