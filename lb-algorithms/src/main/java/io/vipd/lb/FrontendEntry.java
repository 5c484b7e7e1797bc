package io.vipd.lb;

/** A table value: the service port a frontend belongs to and how traffic through it is classified. Immutable. */
public record FrontendEntry(ServicePortEntry entry, FrontendType type) {}
