package io.vipd.admin;

import java.util.Map;
import tools.jackson.core.JacksonException;
import tools.jackson.core.io.JsonStringEncoder;
import tools.jackson.core.type.TypeReference;
import tools.jackson.databind.ObjectMapper;
import tools.jackson.databind.json.JsonMapper;

/**
 * JSON for the admin endpoints and the command line, through Jackson (on the classpath already for fabric8): a
 * tree of maps (written in their iteration order), lists, strings, numbers, booleans and nulls, written compactly.
 * Thread-safe.
 */
public final class Json {
    private static final JsonMapper MAPPER = JsonMapper.builder().build();
    private static final TypeReference<Map<String, Object>> OBJECT = new TypeReference<>() {};

    private Json() {}

    /** The shared mapper, for callers that need their own writer (a layout, say). */
    public static ObjectMapper mapper() {
        return MAPPER;
    }

    /** Reads a JSON object; anything else (an array, a scalar, broken text) is an IllegalArgumentException. */
    public static Map<String, Object> read(String json) {
        try {
            Map<String, Object> value = MAPPER.readValue(json, OBJECT);
            if (value == null) {
                throw new IllegalArgumentException("not a JSON object: null");
            }
            return value;
        } catch (JacksonException e) {
            throw new IllegalArgumentException("not a JSON object: " + e.getOriginalMessage(), e);
        }
    }

    public static String write(Object value) {
        return MAPPER.writeValueAsString(value);
    }

    /** A JSON string literal, quotes included. */
    public static String quote(String s) {
        StringBuilder sb = new StringBuilder(s.length() + 2).append('"');
        JsonStringEncoder.getInstance().quoteAsString(s, sb);
        return sb.append('"').toString();
    }
}
