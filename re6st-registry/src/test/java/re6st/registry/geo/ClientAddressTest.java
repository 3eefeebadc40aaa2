package re6st.registry.geo;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.net.InetAddress;
import java.util.List;

import org.junit.jupiter.api.Test;

/** Which address requestCertificate locates: ip, else the first X-Forwarded-For entry, else the peer's address. */
class ClientAddressTest {
    @Test
    void ipThenForwardedForThenPeer() throws Exception {
        InetAddress peer = InetAddress.getByName("198.18.2.3");
        assertEquals("198.18.0.5", ClientAddress.of("198.18.0.5", List.of("198.18.1.9"), peer));
        assertEquals("198.18.1.9", ClientAddress.of("", List.of("198.18.1.9", "10.0.0.1"), peer));
        assertEquals("198.18.2.3", ClientAddress.of("", List.of(), peer));
        assertEquals("2001:db8:1:0:0:0:0:9", ClientAddress.of("", List.of(), InetAddress.getByName("2001:db8:1::9")));
        assertEquals("fe80:0:0:0:0:0:0:1", ClientAddress.of("", List.of(), java.net.Inet6Address.getByAddress(null,
                InetAddress.getByName("fe80::1").getAddress(), 3)), "without its scope");
        assertEquals("", ClientAddress.of("", List.of(), null));
    }
}
