package io.vipd.edge;

import io.vipd.lb.BackendSet;
import io.vipd.lb.ServicePortEntry;
import io.vipd.lb.ServicePortName;
import io.vipd.lb.ServiceTable;
import io.vipd.proxy.BackendDrains;
import java.util.Map;
import java.util.Set;

/**
 * What a reload does to run-time drains ({@code vipd backend drain}): a drain outlives reloads that leave its
 * backend as it was, and ends when the file changes that backend (its weight, say): the file's newer word
 * wins. A backend that left its port took its drain with it already.
 */
final class ReloadedDrains {
    private ReloadedDrains() {}

    /** Ends the drains of backends whose definition differs between {@code before} and the table now. */
    static void forgetChanged(Map<ServicePortName, ServicePortEntry> before, ServiceTable table, BackendDrains drains) {
        for (Map.Entry<ServicePortName, Set<String>> d : drains.drained().entrySet()) {
            ServicePortEntry was = before.get(d.getKey());
            ServicePortEntry now = table.get(d.getKey());
            for (String key : d.getValue()) {
                if (was == null || now == null || !same(was.endpoints(), now.endpoints(), key)) {
                    drains.undrain(d.getKey(), key);
                }
            }
        }
    }

    private static boolean same(BackendSet was, BackendSet now, String key) {
        int i = was.indexOf(key);
        int j = now.indexOf(key);
        return i >= 0 && j >= 0 && was.get(i).equals(now.get(j));
    }
}
