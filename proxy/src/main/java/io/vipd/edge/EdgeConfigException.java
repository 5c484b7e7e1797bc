package io.vipd.edge;

/**
 * An edge configuration file that cannot be used. The message is {@code <file>:<line>: <reason>}
 * (or {@code <file>: <reason>} when no line applies), ready for a log line or stderr.
 */
public final class EdgeConfigException extends Exception {
    private static final long serialVersionUID = 1L;

    private final String file;
    private final int line;
    private final String reason;

    /**
     * @param line 1-based line number, or 0 when the problem is not tied to a line
     */
    public EdgeConfigException(String file, int line, String reason) {
        this(file, line, reason, null);
    }

    public EdgeConfigException(String file, int line, String reason, Throwable cause) {
        super(file + (line > 0 ? ":" + line : "") + ": " + reason, cause);
        this.file = file;
        this.line = line;
        this.reason = reason;
    }

    public String file() {
        return file;
    }

    /** 1-based, or 0 when the problem is not tied to a line. */
    public int line() {
        return line;
    }

    public String reason() {
        return reason;
    }
}
