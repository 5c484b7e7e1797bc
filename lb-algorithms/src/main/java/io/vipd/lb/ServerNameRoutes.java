package io.vipd.lb;

import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Which of the services sharing one listen address a TLS connection belongs to, by the server name (SNI) of its
 * ClientHello: an exact name first, then the longest matching wildcard ("*.example.org" matches any name below
 * example.org, not example.org itself), then the sharing service that names no server at all. Built by the
 * table whenever the services sharing an address change; lookups allocate nothing but the lower-casing of a
 * name that is not lower case already. Immutable.
 */
public final class ServerNameRoutes {
    private final Map<String, FrontendEntry> exact = new HashMap<>();
    /** By the suffix after "*", e.g. ".example.org". */
    private final Map<String, FrontendEntry> wildcard = new HashMap<>();

    private final FrontendEntry fallback;

    /** @param sharing the frontend entries of every service on the address, in a stable order */
    ServerNameRoutes(List<FrontendEntry> sharing) {
        FrontendEntry without = null;
        for (FrontendEntry fe : sharing) {
            List<String> names = fe.entry().edge().serverNames();
            if (names.isEmpty()) {
                without = without == null ? fe : without;
            }
            for (String name : names) {
                if (name.startsWith("*.")) {
                    wildcard.putIfAbsent(name.substring(1), fe);
                } else {
                    exact.putIfAbsent(name, fe);
                }
            }
        }
        fallback = without;
    }

    /**
     * The service for a ClientHello's server name.
     *
     * @param serverName the name, or null when the ClientHello had none
     * @return null when no service takes it
     */
    public FrontendEntry select(String serverName) {
        if (serverName == null || serverName.isEmpty()) {
            return fallback;
        }
        String name = serverName.toLowerCase(Locale.ROOT);
        FrontendEntry fe = exact.get(name);
        if (fe != null) {
            return fe;
        }
        if (!wildcard.isEmpty()) {
            // Longest suffix first: each dot after the first label starts a shorter one.
            for (int dot = name.indexOf('.'); dot > 0; dot = name.indexOf('.', dot + 1)) {
                fe = wildcard.get(name.substring(dot));
                if (fe != null) {
                    return fe;
                }
            }
        }
        return fallback;
    }
}
