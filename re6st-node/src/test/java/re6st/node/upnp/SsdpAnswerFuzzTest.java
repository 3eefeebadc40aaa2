package re6st.node.upnp;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.URI;
import java.nio.charset.StandardCharsets;

import com.code_intelligence.jazzer.api.FuzzedDataProvider;
import com.code_intelligence.jazzer.junit.FuzzTest;

/**
 * Jazzer on what anyone on the LAN can send to our M-SEARCH: any datagram is either refused as a
 * bad answer or gives a LOCATION that is a line of the datagram without control characters; and
 * any URL {@link IgdUrl} accepts is plain http to the answer's source address.
 */
class SsdpAnswerFuzzTest {
    @FuzzTest(maxDuration = "5s")
    void anyDatagram(FuzzedDataProvider in) {
        String base = in.consumeBoolean() ? "http://198.19.1.1:" + in.consumeInt(0, 70000) + "/" + in.consumeString(20) : null;
        byte[] datagram = in.consumeRemainingAsBytes();
        String text = new String(datagram, StandardCharsets.ISO_8859_1);
        try {
            SsdpAnswer a = SsdpAnswer.parse(datagram, datagram.length);
            assertTrue(text.contains(a.location()), "the location comes from the datagram");
            assertFalse(a.location().isEmpty());
            assertFalse(a.location().matches("(?s).*[\\p{Cntrl}].*"), "no control characters");
            try {
                URI u = IgdUrl.check(base == null ? null : URI.create(base), a.location(), "198.19.1.1");
                assertEquals("http", u.getScheme().toLowerCase());
                assertEquals("198.19.1.1", u.getHost());
                assertEquals(null, u.getRawUserInfo());
            } catch (UpnpException e) {
                assertEquals(UpnpException.BAD_ANSWER, e.reason());
            } catch (IllegalArgumentException e) {
                // the fuzzer's own base URL was not a URL: not the code under test
            }
        } catch (UpnpException e) {
            assertEquals(UpnpException.BAD_ANSWER, e.reason());
        }
    }
}
