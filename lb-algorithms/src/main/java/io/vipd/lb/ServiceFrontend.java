package io.vipd.lb;

import java.util.Objects;

/** One frontend of a service port and how traffic through it is classified. Immutable. */
public record ServiceFrontend(Frontend frontend, FrontendType type) {
    public ServiceFrontend {
        Objects.requireNonNull(frontend, "frontend");
        Objects.requireNonNull(type, "type");
    }
}
