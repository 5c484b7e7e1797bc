package io.vipd.lb;

/** A transport protocol of a service port. Part of a service port's identity, as in kube-proxy. */
public enum Protocol {
    TCP,
    UDP,
    SCTP;

    /** Parses "TCP", "udp", ...; a null or empty value means TCP, Kubernetes' default. */
    public static Protocol parse(String value) {
        if (value == null || value.isEmpty()) {
            return TCP;
        }
        try {
            return valueOf(value.toUpperCase(java.util.Locale.ROOT));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("unknown protocol \"" + value + "\" (want TCP, UDP or SCTP)");
        }
    }
}
