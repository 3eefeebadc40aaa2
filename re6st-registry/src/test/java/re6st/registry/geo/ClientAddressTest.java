package re6st.registry.geo;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.List;

import org.junit.jupiter.api.Test;

/** Which address requestCertificate locates: ip, else the first X-Forwarded-For entry, else Host without its port. */
class ClientAddressTest {
    @Test
    void ipThenForwardedForThenHost() {
        assertEquals("198.18.0.5", ClientAddress.of("198.18.0.5", List.of("198.18.1.9"), "registry.example:80"));
        assertEquals("198.18.1.9", ClientAddress.of("", List.of("198.18.1.9", "10.0.0.1"), "registry.example:80"));
        assertEquals("198.18.2.3", ClientAddress.of("", List.of(), "198.18.2.3:8080"));
        assertEquals("198.18.2.3", ClientAddress.of("", List.of(), "198.18.2.3"));
        assertEquals("2001:db8:1::9", ClientAddress.of("", List.of(), "[2001:db8:1::9]:8080"));
        assertEquals("2001:db8:1::9", ClientAddress.of("", List.of(), "[2001:db8:1::9]"));
        assertEquals("2001:db8:1::9", ClientAddress.of("", List.of(), "2001:db8:1::9"), "a bare IPv6 address has no port");
        assertEquals("registry.example", ClientAddress.of("", List.of(), "registry.example:80"));
        assertEquals("[2001:db8", ClientAddress.of("", List.of(), "[2001:db8"), "unbalanced: left as is, the lookup finds nothing");
        assertEquals("", ClientAddress.of("", List.of(), null));
    }
}
