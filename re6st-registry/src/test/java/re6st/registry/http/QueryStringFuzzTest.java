package re6st.registry.http;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.stream.Collectors;

import com.code_intelligence.jazzer.junit.FuzzTest;

/**
 * Jazzer on the query string of every request: {@link QueryString#parse} either refuses with a
 * 400 or gives parameters that survive a round trip (encoded as a client would, parsed again:
 * the same names and values in the same order). Any other exception is a finding.
 */
class QueryStringFuzzTest {
    @FuzzTest(maxDuration = "5s")
    void queryString(byte[] input) {
        String q = new String(input, StandardCharsets.ISO_8859_1);
        Map<String, String> p;
        try {
            p = QueryString.parse(q);
        } catch (RpcException e) {
            assertEquals(400, e.status(), e.getMessage());
            return;
        }
        String again = p.entrySet().stream().map(e -> URLEncoder.encode(e.getKey(), StandardCharsets.UTF_8) + "="
                + URLEncoder.encode(e.getValue(), StandardCharsets.UTF_8)).collect(Collectors.joining("&"));
        try {
            assertEquals(p, QueryString.parse(again));
            assertEquals(String.join(",", p.keySet()), String.join(",", QueryString.parse(again).keySet()), "order kept");
        } catch (RpcException e) {
            throw new AssertionError("our own encoding of " + p + " is refused: " + e.getMessage(), e);
        }
    }
}
