package re6st.slap.xml;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;

import org.junit.jupiter.api.Test;

class InstanceXmlTest {
    static String refusal(String s) {
        return assertThrows(XmlMarshallerException.class, () -> InstanceXml.decode(s.getBytes(StandardCharsets.UTF_8))).getMessage();
    }

    @Test
    void parametersAreWrittenSortedPrettyPrintedInUtf8AsSlaposDict2xmlDoes() throws Exception {
        Map<String, String> p = new LinkedHashMap<>();
        p.put("b", "x & <y> \"z\"");
        p.put("a", "1");
        p.put("\u00e9\"", "caf\u00e9");
        String xml = "<?xml version='1.0' encoding='utf-8'?>\n<instance>\n"
                + "  <parameter id=\"a\">1</parameter>\n"
                + "  <parameter id=\"b\">x &amp; &lt;y&gt; \"z\"</parameter>\n"
                + "  <parameter id=\"\u00e9&quot;\">caf\u00e9</parameter>\n</instance>\n";
        assertEquals(xml, new String(InstanceXml.encode(p), StandardCharsets.UTF_8));
        assertEquals(p, InstanceXml.decode(xml.getBytes(StandardCharsets.UTF_8)));
    }

    @Test
    void noParametersIsAnEmptyInstance() throws Exception {
        assertEquals("<?xml version='1.0' encoding='utf-8'?>\n<instance/>\n",
                new String(InstanceXml.encode(Map.of()), StandardCharsets.UTF_8));
        assertEquals(Map.of(), InstanceXml.decode("<instance/>".getBytes(StandardCharsets.UTF_8)));
    }

    @Test
    void theSpecsExampleReads() throws Exception {
        assertEquals(Map.of("foo", "bar"), InstanceXml.decode(
                "<?xml version='1.0' encoding='utf-8'?><instance><parameter id=\"foo\">bar</parameter></instance>"
                        .getBytes(StandardCharsets.UTF_8)));
    }

    @Test
    void badInstanceXmlIsRefusedWithAReason() {
        assertTrue(refusal("<!DOCTYPE instance [<!ENTITY x \"y\">]><instance/>").contains("DOCTYPE"));
        assertTrue(refusal("<marshal/>").contains("not <instance>"));
        assertTrue(refusal("<instance><param id=\"a\">1</param></instance>").contains("<param>"));
        assertTrue(refusal("<instance><parameter>1</parameter></instance>").contains("without id"));
        assertTrue(refusal("<instance><parameter id=\"a\">1</parameter><parameter id=\"a\">2</parameter></instance>").contains("duplicate"));
        assertTrue(refusal("<instance><parameter id=\"a\">1<b/></parameter></instance>").contains("<b>"));
        assertTrue(refusal("<instance>text</instance>").contains("text"));
        assertTrue(refusal("<instance><parameter id=\"a\">&x;</parameter></instance>").length() > 0);
    }
}
