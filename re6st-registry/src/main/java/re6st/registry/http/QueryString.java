package re6st.registry.http;

import java.io.ByteArrayOutputStream;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The registry's query-string rules, as Python's {@code parse_qsl(query, keep_blank_values=1,
 * strict_parsing=1)} that the original uses: pairs separated by '&' (or ';'), each must contain
 * '=', blank values are kept, '+' is a space, %XX escapes are decoded as UTF-8. Anything else
 * (a pair without '=', a bad escape, invalid UTF-8, a repeated name) is a 400; Python would pass
 * a bad escape through literally, but no re6st client sends one, and a 400 is clearer.
 */
public final class QueryString {
    private QueryString() {}

    public static Map<String, String> parse(String query) throws RpcException {
        Map<String, String> out = new LinkedHashMap<>();
        if (query == null || query.isEmpty())
            return out;
        for (String pair : query.split("[&;]", -1)) {
            if (pair.isEmpty())
                continue; // parse_qsl skips empty pairs even when strict
            int eq = pair.indexOf('=');
            if (eq < 0)
                throw RpcException.badRequest("bad query string: '" + abbreviate(pair) + "' has no '='");
            String name = decode(pair.substring(0, eq)), value = decode(pair.substring(eq + 1));
            if (out.put(name, value) != null)
                throw RpcException.badRequest("parameter '" + abbreviate(name) + "' given twice");
        }
        return out;
    }

    static String decode(String s) throws RpcException {
        ByteArrayOutputStream b = new ByteArrayOutputStream(s.length());
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c == '+') {
                b.write(' ');
            } else if (c == '%') {
                if (i + 2 >= s.length())
                    throw RpcException.badRequest("bad %-escape in the query string");
                int hi = Character.digit(s.charAt(i + 1), 16), lo = Character.digit(s.charAt(i + 2), 16);
                if (hi < 0 || lo < 0)
                    throw RpcException.badRequest("bad %-escape in the query string");
                b.write(hi << 4 | lo);
                i += 2;
            } else if (c > 0x7f) {
                byte[] u = String.valueOf(c).getBytes(StandardCharsets.UTF_8);
                b.write(u, 0, u.length);
            } else {
                b.write(c);
            }
        }
        try {
            return StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT).decode(java.nio.ByteBuffer.wrap(b.toByteArray())).toString();
        } catch (CharacterCodingException e) {
            throw RpcException.badRequest("the query string is not UTF-8");
        }
    }

    /** At most 40 characters of {@code s}, for error messages that quote client input. */
    public static String abbreviate(String s) {
        return s.length() <= 40 ? s : s.substring(0, 40) + "...";
    }
}
