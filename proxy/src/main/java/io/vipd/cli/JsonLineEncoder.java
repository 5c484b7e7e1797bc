package io.vipd.cli;

import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.classic.spi.IThrowableProxy;
import ch.qos.logback.classic.spi.ThrowableProxyUtil;
import ch.qos.logback.core.encoder.EncoderBase;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import org.slf4j.event.KeyValuePair;
import tools.jackson.databind.json.JsonMapper;

/**
 * {@code --logging-format json}: one JSON object per line, written by Jackson, with {@code ts} (RFC 3339, UTC,
 * milliseconds), {@code level} (lower case), {@code logger}, {@code msg}, each of the event's key-value pairs as
 * a field of its own, and {@code error} (the stack trace) when a throwable was logged. A key-value pair named
 * like one of these fields is written as {@code kv_<name>} so that it cannot hide it. Thread-safe.
 */
public final class JsonLineEncoder extends EncoderBase<ILoggingEvent> {
    private static final JsonMapper JSON = JsonMapper.builder().build();
    static final DateTimeFormatter TS =
            DateTimeFormatter.ofPattern("yyyy-MM-dd'T'HH:mm:ss.SSSXXX").withZone(ZoneOffset.UTC);
    private static final Set<String> RESERVED = Set.of("ts", "level", "logger", "msg", "error");
    private static final byte[] NO_BYTES = new byte[0];

    @Override
    public byte[] headerBytes() {
        return NO_BYTES;
    }

    @Override
    public byte[] footerBytes() {
        return NO_BYTES;
    }

    @Override
    public byte[] encode(ILoggingEvent event) {
        Map<String, Object> line = new LinkedHashMap<>();
        line.put("ts", TS.format(event.getInstant()));
        line.put("level", event.getLevel().toString().toLowerCase(Locale.ROOT));
        line.put("logger", event.getLoggerName());
        line.put("msg", event.getFormattedMessage());
        List<KeyValuePair> pairs = event.getKeyValuePairs();
        if (pairs != null) {
            for (KeyValuePair kv : pairs) {
                line.put(RESERVED.contains(kv.key) ? "kv_" + kv.key : kv.key, value(kv.value));
            }
        }
        IThrowableProxy thrown = event.getThrowableProxy();
        if (thrown != null) {
            line.put("error", ThrowableProxyUtil.asString(thrown));
        }
        byte[] json = JSON.writeValueAsBytes(line);
        byte[] out = Arrays.copyOf(json, json.length + 1);
        out[json.length] = '\n';
        return out;
    }

    /**
     * Numbers, booleans and strings stay as they are; collections become arrays; anything else its string, so
     * that no object of vipd's is ever serialised field by field.
     */
    private static Object value(Object value) {
        if (value == null || value instanceof Number || value instanceof Boolean || value instanceof String) {
            return value;
        }
        if (value instanceof Iterable<?> items) {
            List<Object> out = new ArrayList<>();
            items.forEach(item -> out.add(value(item)));
            return out;
        }
        return String.valueOf(value);
    }
}
