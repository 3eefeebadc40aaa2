package re6st.node.upnp;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.util.Set;

import com.code_intelligence.jazzer.api.FuzzedDataProvider;
import com.code_intelligence.jazzer.junit.FuzzTest;

/**
 * Jazzer on device descriptions (what an IGD, or anyone answering an M-SEARCH, serves): refused
 * with a known reason, or a WAN connection service with a non-empty controlURL; a document with a
 * DOCTYPE is never accepted; half the inputs are mutations inside a real description's frame.
 */
class DeviceDescriptionFuzzTest {
    @FuzzTest(maxDuration = "5s")
    void anyDescription(FuzzedDataProvider in) {
        byte[] body;
        if (in.consumeBoolean())
            body = ("<root><device><serviceList><service><serviceType>" + in.consumeString(60) + "</serviceType><controlURL>"
                    + in.consumeString(40) + "</controlURL></service>" + in.consumeRemainingAsString() + "</serviceList></device></root>")
                    .getBytes(StandardCharsets.UTF_8);
        else
            body = in.consumeRemainingAsBytes();
        try {
            DeviceDescription d = DeviceDescription.parse(body);
            assertTrue(d.serviceType().startsWith(DeviceDescription.WAN_IP) || d.serviceType().equals(DeviceDescription.WAN_PPP));
            assertFalse(d.controlUrl().isEmpty());
            assertFalse(new String(body, StandardCharsets.ISO_8859_1).contains("<!DOCTYPE"), "a DOCTYPE was accepted");
        } catch (UpnpException e) {
            assertTrue(Set.of(UpnpException.BAD_ANSWER, UpnpException.NO_IGD).contains(e.reason()), e.reason());
        }
    }
}
