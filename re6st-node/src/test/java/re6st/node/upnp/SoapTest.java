package re6st.node.upnp;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;

class SoapTest {
    static final String ENVELOPE = "<?xml version=\"1.0\"?>\r\n<s:Envelope xmlns:s=\"http://schemas.xmlsoap.org/soap/envelope/\" "
            + "s:encodingStyle=\"http://schemas.xmlsoap.org/soap/encoding/\"><s:Body>";

    static byte[] b(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    @Test
    void addPortMappingRequestHasTheArgumentsInTheSpecsOrder() {
        String r = new String(Soap.request("urn:schemas-upnp-org:service:WANIPConnection:1", "DeletePortMapping",
                List.of(new Soap.Arg("NewRemoteHost", ""), new Soap.Arg("NewExternalPort", "40000"), new Soap.Arg("NewProtocol", "UDP"))),
                StandardCharsets.UTF_8);
        assertEquals(ENVELOPE + "<u:DeletePortMapping xmlns:u=\"urn:schemas-upnp-org:service:WANIPConnection:1\"><NewRemoteHost></NewRemoteHost>"
                + "<NewExternalPort>40000</NewExternalPort><NewProtocol>UDP</NewProtocol></u:DeletePortMapping></s:Body></s:Envelope>\r\n", r);
        assertEquals("a&lt;b&gt;&amp;&quot;", Soap.escape("a<b>&\""));
    }

    @Test
    void miniupnpdsAnswersParse() throws Exception {
        assertEquals(Map.of(), Soap.response("AddPortMapping", 200, b(ENVELOPE
                + "<u:AddPortMappingResponse xmlns:u=\"urn:schemas-upnp-org:service:WANIPConnection:1\"/></s:Body></s:Envelope>")));
        assertEquals(Map.of("NewExternalIPAddress", "198.18.81.50"), Soap.response("GetExternalIPAddress", 200, b(ENVELOPE
                + "<u:GetExternalIPAddressResponse xmlns:u=\"urn:schemas-upnp-org:service:WANIPConnection:2\"><NewExternalIPAddress>198.18.81.50"
                + "</NewExternalIPAddress></u:GetExternalIPAddressResponse></s:Body></s:Envelope>")));
    }

    @Test
    void aConflictFaultCarriesItsCode() {
        UpnpFault f = assertThrows(UpnpFault.class, () -> Soap.response("AddPortMapping", 500, b(ENVELOPE
                + "<s:Fault><faultcode>s:Client</faultcode><faultstring>UPnPError</faultstring><detail><UPnPError "
                + "xmlns=\"urn:schemas-upnp-org:control-1-0\"><errorCode>718</errorCode><errorDescription>ConflictInMappingEntry"
                + "</errorDescription></UPnPError></detail></s:Fault></s:Body></s:Envelope>")));
        assertEquals(UpnpFault.CONFLICT_IN_MAPPING_ENTRY, f.code());
        assertEquals(UpnpException.FAULT, f.reason());
        assertEquals("AddPortMapping: UPnP error 718 (ConflictInMappingEntry)", f.getMessage());
    }

    @Test
    void otherAnswersAreRefusedWithTheirReason() {
        assertEquals(UpnpException.HTTP, assertThrows(UpnpException.class, () -> Soap.response("X", 500, b("Internal error"))).reason());
        assertEquals(UpnpException.HTTP, assertThrows(UpnpException.class, () -> Soap.response("X", 404, b(ENVELOPE + "</s:Body></s:Envelope>"))).reason());
        assertEquals(UpnpException.BAD_ANSWER, assertThrows(UpnpException.class, () -> Soap.response("X", 200, b(ENVELOPE + "</s:Body></s:Envelope>"))).reason());
        assertEquals(UpnpException.BAD_ANSWER, assertThrows(UpnpException.class, () -> Soap.response("X", 500,
                b(ENVELOPE + "<UPnPError><errorCode>x</errorCode></UPnPError></s:Body></s:Envelope>"))).reason());
        assertEquals(UpnpException.BAD_ANSWER, assertThrows(UpnpException.class, () -> Soap.response("X", 200,
                b(ENVELOPE + "<XResponse><A>" + "1".repeat(300) + "</A></XResponse></s:Body></s:Envelope>"))).reason());
    }
}
