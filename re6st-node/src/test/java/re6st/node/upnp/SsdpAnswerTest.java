package re6st.node.upnp;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.URI;
import java.nio.charset.StandardCharsets;

import org.junit.jupiter.api.Test;

class SsdpAnswerTest {
    /** miniupnpd 2.3.1's answer to an M-SEARCH for InternetGatewayDevice:1, as captured. */
    static final String MINIUPNPD = "HTTP/1.1 200 OK\r\nCACHE-CONTROL: max-age=120\r\nST: urn:schemas-upnp-org:device:InternetGatewayDevice:1\r\n"
            + "USN: uuid:39c96d6e-b8c4-459c-91c0-c84882c10000::urn:schemas-upnp-org:device:InternetGatewayDevice:1\r\nEXT:\r\n"
            + "SERVER: Debian/6.18.44-fc-v1045 UPnP/1.1 MiniUPnPd/2.3.1\r\nLOCATION: http://198.19.1.1:39881/rootDesc.xml\r\n"
            + "OPT: \"http://schemas.upnp.org/upnp/1/0/\"; ns=01\r\n01-NLS: 1796278638\r\nBOOTID.UPNP.ORG: 1796278638\r\n"
            + "CONFIGID.UPNP.ORG: 1337\r\n\r\n";

    static SsdpAnswer parse(String s) throws UpnpException {
        byte[] b = s.getBytes(StandardCharsets.ISO_8859_1);
        return SsdpAnswer.parse(b, b.length);
    }

    @Test
    void miniupnpdsAnswerGivesItsLocationAndSearchTarget() throws Exception {
        SsdpAnswer a = parse(MINIUPNPD);
        assertEquals("http://198.19.1.1:39881/rootDesc.xml", a.location());
        assertEquals("urn:schemas-upnp-org:device:InternetGatewayDevice:1", a.st());
        assertEquals(URI.create("http://198.19.1.1:39881/rootDesc.xml"), IgdUrl.check(null, a.location(), "198.19.1.1"));
    }

    @Test
    void headerNamesAreCaseInsensitiveAndBareLineFeedsAccepted() throws Exception {
        assertEquals("http://198.19.1.1/d.xml", parse("HTTP/1.1 200 OK\nlocation:http://198.19.1.1/d.xml\n\n").location());
    }

    @Test
    void anythingElseIsRefusedWithAReasonCounted() {
        for (String bad : new String[] {"NOTIFY * HTTP/1.1\r\nLOCATION: http://198.19.1.1/\r\n\r\n",
                "HTTP/1.1 404 Not Found\r\nLOCATION: http://198.19.1.1/\r\n\r\n", "HTTP/1.1 200 OK\r\nST: x\r\n\r\n",
                "HTTP/1.1 200 OK\r\nLOCATION: \r\n\r\n", "HTTP/1.1 200 OK\r\nno colon here\r\n\r\n",
                "HTTP/1.1 200 OK\r\nLOCATION: http://198.19.1.1/\u0000x\r\n\r\n", "", "HTTP/1.1 200 OK\r\nLOCATION: http://a/" + "x".repeat(2100)}) {
            UpnpException e = assertThrows(UpnpException.class, () -> parse(bad), bad);
            assertEquals(UpnpException.BAD_ANSWER, e.reason());
        }
    }

    @Test
    void theLocationMustBePlainHttpToTheAnswersSource() throws Exception {
        assertEquals(URI.create("http://198.19.1.1:5000/ctl/IPConn"),
                IgdUrl.check(URI.create("http://198.19.1.1:5000/rootDesc.xml"), "/ctl/IPConn", "198.19.1.1"));
        for (String bad : new String[] {"http://198.19.1.9/d.xml", "https://198.19.1.1/d.xml", "http://router.lan/d.xml",
                "http://user@198.19.1.1/d.xml", "http://198.019.1.1/d.xml", "file:///etc/passwd", "http://[::1]/d.xml",
                "http://127.0.0.1/d.xml", "//198.19.1.1/d.xml", "http://198.19.1.1:0/d.xml", "http://3323134209/d.xml", ""}) {
            UpnpException e = assertThrows(UpnpException.class, () -> IgdUrl.check(null, bad, "198.19.1.1"), bad);
            assertEquals(UpnpException.BAD_ANSWER, e.reason());
            assertTrue(e.getMessage().contains("refused"), e.getMessage());
        }
        // a controlURL cannot leave the IGD either
        assertThrows(UpnpException.class, () -> IgdUrl.check(URI.create("http://198.19.1.1/d.xml"), "http://198.18.0.1/x", "198.19.1.1"));
    }
}
