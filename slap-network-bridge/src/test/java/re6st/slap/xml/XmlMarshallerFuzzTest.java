package re6st.slap.xml;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.Map;

import com.code_intelligence.jazzer.junit.FuzzTest;

/**
 * Jazzer on any body, read both as xml_marshaller and as instance XML: reading throws nothing but
 * {@link XmlMarshallerException}, and what reads is written without refusal and reads back equal.
 */
class XmlMarshallerFuzzTest {
    @FuzzTest(maxDuration = "5s")
    void anyBody(byte[] body) throws XmlMarshallerException {
        XmlValue v = null;
        try {
            v = XmlUnmarshaller.decode(body);
        } catch (XmlMarshallerException refused) {
            // a clear refusal is the expected answer to most inputs
        }
        if (v != null)
            assertEquals(v, XmlUnmarshaller.decode(XmlMarshaller.encode(v)));
        Map<String, String> p = null;
        try {
            p = InstanceXml.decode(body);
        } catch (XmlMarshallerException refused) {
            // idem
        }
        if (p != null)
            assertEquals(p, InstanceXml.decode(InstanceXml.encode(p)));
    }
}
