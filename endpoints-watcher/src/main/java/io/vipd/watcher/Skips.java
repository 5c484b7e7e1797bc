package io.vipd.watcher;

/** Where conversions report what they left out: one log line and one counter per skip. */
@FunctionalInterface
public interface Skips {
    Skips IGNORE = (reason, object, detail) -> {};

    /**
     * @param reason why
     * @param object "Kind ns/name", and a field where it helps
     * @param detail the offending value or a short explanation
     */
    void skipped(SkipReason reason, String object, String detail);
}
