package io.vipd.lb;

import java.util.Set;

/** Told after each {@link ServiceTable#apply}, on the thread that applied it (the sync thread). */
@FunctionalInterface
public interface TableListener {
    /**
     * @param table   the table after the change
     * @param changed service ports added, replaced or removed by this change
     */
    void onTableChanged(ServiceTable table, Set<ServicePortName> changed);
}
