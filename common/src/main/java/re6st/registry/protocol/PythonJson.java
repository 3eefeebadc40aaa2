package re6st.registry.protocol;

import java.math.BigInteger;
import java.util.Collection;
import java.util.Iterator;
import java.util.Map;
import java.util.TreeMap;

/**
 * JSON text exactly as Python's {@code json.dumps(obj, sort_keys=True)} writes it: ", " and ": "
 * separators, keys sorted, only ASCII out (other characters as lower-case {@code \\uXXXX}, UTF-16
 * surrogates for the rest, like {@code ensure_ascii}). The original stores this text as
 * {@code last_config} and bumps the network version when it changes, so our registry must
 * write the same text to reopen an original {@code registry.db} without a spurious bump.
 * Values: null, Boolean, Integer, Long, BigInteger, String, Collection, Map with String keys.
 */
public final class PythonJson {
    private PythonJson() {
    }

    public static String dumps(Object value) {
        StringBuilder s = new StringBuilder();
        write(s, value);
        return s.toString();
    }

    private static void write(StringBuilder s, Object v) {
        if (v == null) {
            s.append("null");
        } else if (v instanceof Boolean b) {
            s.append(b ? "true" : "false");
        } else if (v instanceof Integer || v instanceof Long || v instanceof BigInteger) {
            s.append(v);
        } else if (v instanceof String str) {
            string(s, str);
        } else if (v instanceof Collection<?> c) {
            s.append('[');
            for (Iterator<?> it = c.iterator(); it.hasNext(); ) {
                write(s, it.next());
                if (it.hasNext())
                    s.append(", ");
            }
            s.append(']');
        } else if (v instanceof Map<?, ?> m) {
            TreeMap<String, Object> sorted = new TreeMap<>();
            for (Map.Entry<?, ?> e : m.entrySet()) {
                if (!(e.getKey() instanceof String k))
                    throw new IllegalArgumentException("JSON object keys must be strings, got " + e.getKey());
                sorted.put(k, e.getValue());
            }
            s.append('{');
            for (Iterator<Map.Entry<String, Object>> it = sorted.entrySet().iterator(); it.hasNext(); ) {
                Map.Entry<String, Object> e = it.next();
                string(s, e.getKey());
                s.append(": ");
                write(s, e.getValue());
                if (it.hasNext())
                    s.append(", ");
            }
            s.append('}');
        } else {
            throw new IllegalArgumentException("no JSON form for " + v.getClass().getName());
        }
    }

    private static void string(StringBuilder s, String str) {
        s.append('"');
        for (int i = 0; i < str.length(); i++) {
            char c = str.charAt(i);
            switch (c) {
                case '"' -> s.append("\\\"");
                case '\\' -> s.append("\\\\");
                case '\b' -> s.append("\\b");
                case '\f' -> s.append("\\f");
                case '\n' -> s.append("\\n");
                case '\r' -> s.append("\\r");
                case '\t' -> s.append("\\t");
                default -> {
                    if (c >= ' ' && c <= '~')
                        s.append(c);
                    else
                        s.append(String.format("\\u%04x", (int) c));
                }
            }
        }
        s.append('"');
    }
}
