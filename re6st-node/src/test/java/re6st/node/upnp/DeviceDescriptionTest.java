package re6st.node.upnp;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;

import org.junit.jupiter.api.Test;

class DeviceDescriptionTest {
    static byte[] miniupnpd() throws Exception {
        try (var in = DeviceDescriptionTest.class.getResourceAsStream("miniupnpd-rootDesc.xml")) {
            return in.readAllBytes();
        }
    }

    @Test
    void miniupnpdsDescriptionGivesItsWanIpConnection2ControlUrl() throws Exception {
        DeviceDescription d = DeviceDescription.parse(miniupnpd());
        assertEquals("urn:schemas-upnp-org:service:WANIPConnection:2", d.serviceType());
        assertEquals("/ctl/IPConn", d.controlUrl());
        assertEquals("", d.urlBase());
    }

    @Test
    void wanIpConnectionIsPreferredToPppAndUrlBaseKept() throws Exception {
        String doc = "<root xmlns='urn:schemas-upnp-org:device-1-0'><URLBase>http://198.19.1.1:80/</URLBase><device><serviceList>"
                + "<service><serviceType>urn:schemas-upnp-org:service:WANPPPConnection:1</serviceType><controlURL>/ppp</controlURL></service>"
                + "<service><serviceType>urn:schemas-upnp-org:service:WANIPConnection:1</serviceType><controlURL> /ip </controlURL></service>"
                + "</serviceList></device></root>";
        DeviceDescription d = DeviceDescription.parse(doc.getBytes(StandardCharsets.UTF_8));
        assertEquals("/ip", d.controlUrl());
        assertEquals("http://198.19.1.1:80/", d.urlBase());
    }

    @Test
    void aDoctypeIsRefusedSoNoEntityIsExpandedOrFetched() {
        for (String doc : new String[] {
                "<?xml version='1.0'?><!DOCTYPE r [<!ENTITY x SYSTEM 'file:///etc/passwd'>]><root><URLBase>&x;</URLBase></root>",
                "<?xml version='1.0'?><!DOCTYPE r [<!ENTITY a 'aaaaaaaaaa'><!ENTITY b '&a;&a;&a;&a;&a;&a;&a;&a;'>]><root>&b;</root>",
                "<!DOCTYPE root SYSTEM 'http://198.18.0.1/x.dtd'><root/>"}) {
            UpnpException e = assertThrows(UpnpException.class, () -> DeviceDescription.parse(doc.getBytes(StandardCharsets.UTF_8)));
            assertEquals(UpnpException.BAD_ANSWER, e.reason());
            assertTrue(e.getMessage().contains("DOCTYPE"), e.getMessage());
        }
    }

    @Test
    void noWanServiceTooBigOrNotXmlAreRefused() {
        assertEquals(UpnpException.NO_IGD, assertThrows(UpnpException.class, () -> DeviceDescription.parse(
                "<root><device><serviceList><service><serviceType>urn:schemas-upnp-org:service:Layer3Forwarding:1</serviceType><controlURL>/x</controlURL></service></serviceList></device></root>"
                        .getBytes(StandardCharsets.UTF_8))).reason());
        assertEquals(UpnpException.BAD_ANSWER, assertThrows(UpnpException.class,
                () -> DeviceDescription.parse(("<root>" + " ".repeat(SafeXml.MAX_BYTES) + "</root>").getBytes(StandardCharsets.UTF_8))).reason());
        assertEquals(UpnpException.BAD_ANSWER, assertThrows(UpnpException.class,
                () -> DeviceDescription.parse("<root><unclosed></root>".getBytes(StandardCharsets.UTF_8))).reason());
        assertEquals(UpnpException.BAD_ANSWER, assertThrows(UpnpException.class,
                () -> DeviceDescription.parse("<html/>".getBytes(StandardCharsets.UTF_8))).reason());
    }
}
