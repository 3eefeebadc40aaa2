package re6st.node.upnp;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.Set;

import com.code_intelligence.jazzer.api.FuzzedDataProvider;
import com.code_intelligence.jazzer.junit.FuzzTest;

/**
 * Jazzer on SOAP answers (what the IGD's control URL returns): a fault with a code 0-9999, a refusal
 * with a known reason, or out arguments each at most {@link Soap#MAX_VALUE} characters, no more
 * than the body holds; and a success only with HTTP 200.
 */
class SoapFuzzTest {
    @FuzzTest(maxDuration = "5s")
    void anyAnswer(FuzzedDataProvider in) {
        int status = in.pickValue(new int[] {200, 500, 404});
        byte[] body = in.consumeBoolean() ? (SoapTest.ENVELOPE + in.consumeRemainingAsString() + "</s:Body></s:Envelope>")
                .getBytes(StandardCharsets.UTF_8) : in.consumeRemainingAsBytes();
        try {
            Map<String, String> out = Soap.response("GetExternalIPAddress", status, body);
            assertTrue(status == 200, "a success only with 200");
            for (String v : out.values())
                assertTrue(v.length() <= Soap.MAX_VALUE && v.length() <= body.length);
        } catch (UpnpFault f) {
            assertTrue(f.code() >= 0 && f.code() <= 9999, "code " + f.code());
        } catch (UpnpException e) {
            assertTrue(Set.of(UpnpException.BAD_ANSWER, UpnpException.HTTP).contains(e.reason()), e.reason());
        }
    }
}
