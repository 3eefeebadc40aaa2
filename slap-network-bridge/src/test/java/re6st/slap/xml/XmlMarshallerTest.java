package re6st.slap.xml;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

import org.junit.jupiter.api.Test;

import re6st.slap.xml.XmlValue.Bool;
import re6st.slap.xml.XmlValue.Dict;
import re6st.slap.xml.XmlValue.Float;
import re6st.slap.xml.XmlValue.Int;
import re6st.slap.xml.XmlValue.ListV;
import re6st.slap.xml.XmlValue.None;
import re6st.slap.xml.XmlValue.Obj;
import re6st.slap.xml.XmlValue.SetV;
import re6st.slap.xml.XmlValue.Str;
import re6st.slap.xml.XmlValue.Tuple;

class XmlMarshallerTest {
    static String enc(XmlValue v) throws XmlMarshallerException {
        return XmlMarshaller.encodeToString(v);
    }

    static XmlValue dec(String s) throws XmlMarshallerException {
        return XmlUnmarshaller.decode(s.getBytes(StandardCharsets.UTF_8));
    }

    static String refusal(String s) {
        return assertThrows(XmlMarshallerException.class, () -> dec(s)).getMessage();
    }

    static void golden(XmlValue v, String xml) throws XmlMarshallerException {
        assertEquals(xml, enc(v));
        assertEquals(v, dec(xml));
        assertEquals(xml, enc(dec(xml)));
    }

    // The three form fields of docs/spec/slap-protocol.md, byte for byte.
    @Test
    void anEmptyDictionaryIsWrittenAsTheSpecsPartitionParameterXml() throws Exception {
        golden(new Dict(Map.of()), "<marshal><dictionary id=\"i2\"/></marshal>");
        assertEquals("<marshal><dictionary id=\"i2\"/></marshal>",
                new String(XmlMarshaller.encode(new Dict(Map.of())), StandardCharsets.US_ASCII));
    }

    @Test
    void aStringIsWrittenAsTheSpecsState() throws Exception {
        golden(new Str("started"), "<marshal><string>started</string></marshal>");
    }

    @Test
    void falseIsWrittenAsTheSpecsSharedXml() throws Exception {
        golden(new Bool(false), "<marshal><bool>0</bool></marshal>");
        golden(new Bool(true), "<marshal><bool>1</bool></marshal>");
    }

    @Test
    void scalarsAreWrittenAsPythonWritesThem() throws Exception {
        golden(None.NONE, "<marshal><none/></marshal>");
        golden(Int.of(-5), "<marshal><int>-5</int></marshal>");
        golden(new Int(BigInteger.TEN.pow(24).subtract(BigInteger.ONE)), "<marshal><int>999999999999999999999999</int></marshal>");
        golden(new Int(BigInteger.TEN.pow(24)), "<marshal><long>1000000000000000000000000</long></marshal>");
        golden(new Str(""), "<marshal><string></string></marshal>");
        golden(Tuple.of(), "<marshal><tuple/></marshal>");
        golden(new ListV(List.of()), "<marshal><list id=\"i2\"/></marshal>");
        golden(new SetV(Set.of()), "<marshal><set id=\"i2\"/></marshal>");
    }

    @Test
    void floatsAreWrittenAsPythonsRepr() throws Exception {
        Map<Double, String> cases = new LinkedHashMap<>();
        cases.put(1.0, "1.0");
        cases.put(0.1, "0.1");
        cases.put(-0.0, "-0.0");
        cases.put(19.72, "19.72");
        cases.put(1e15, "1000000000000000.0");
        cases.put(1e16, "1e+16");
        cases.put(1.5e-5, "1.5e-05");
        cases.put(0.0001, "0.0001");
        cases.put(1.2345e100, "1.2345e+100");
        cases.put(5e-324, "5e-324");
        cases.put(Double.MAX_VALUE, "1.7976931348623157e+308");
        cases.put(123456789.125, "123456789.125");
        cases.put(Double.NaN, "nan");
        cases.put(Double.NEGATIVE_INFINITY, "-inf");
        for (Map.Entry<Double, String> c : cases.entrySet())
            golden(new Float(c.getKey()), "<marshal><float>" + c.getValue() + "</float></marshal>");
    }

    @Test
    void stringTextIsEscapedTwiceAndNonAsciiBecomesDecimalCharacterReferences() throws Exception {
        golden(new Str("a<b & \"c\" 'd' >\u00e9\r\n\t\ud83d\ude00"),
                "<marshal><string>a&amp;lt;b &amp;amp; \"c\" 'd' &amp;gt;&#233;&#13;\n\t&#128512;</string></marshal>");
        // Text escaped once (what a hand-written body holds) reads the same: the second unescape is a no-op.
        assertEquals(new Str("a<b & c"), dec("<marshal><string>a&lt;b &amp; c</string></marshal>"));
        // Python's saxutils.unescape: "&amp;lt;" after XML parsing is "&lt;", then "<".
        assertEquals(new Str("&lt;"), dec("<marshal><string>&amp;amp;lt;</string></marshal>"));
    }

    @Test
    void aStringXmlCannotCarryIsRefusedWhenWriting() {
        assertThrows(XmlMarshallerException.class, () -> enc(new Str("a\u0000b")));
        assertThrows(XmlMarshallerException.class, () -> enc(new Str("\ud800")));
    }

    @Test
    void dictionaryKeysAreSortedByCodePointNotByUtf16Unit() throws Exception {
        Map<String, XmlValue> m = new LinkedHashMap<>();
        for (String k : List.of("b", "\ud83d\ude00", "a", "\ufffd", "B", "\u00e9"))
            m.put(k, None.NONE);
        assertEquals("<marshal><dictionary id=\"i2\"><string>B</string><none/><string>a</string><none/><string>b</string><none/>"
                + "<string>&#233;</string><none/><string>&#65533;</string><none/><string>&#128512;</string><none/>"
                + "</dictionary></marshal>", enc(Dict.ofStrings(m)));
    }

    @Test
    void keysOfTypesPythonCannotCompareAreSortedByTheirRepr() throws Exception {
        Map<XmlValue, XmlValue> m = new LinkedHashMap<>();
        m.put(None.NONE, Int.of(1));
        m.put(Int.of(2), Int.of(2));
        m.put(new Str("a"), Int.of(3));
        m.put(new Float(1.5), Int.of(4));
        // 1.5 < 2 numerically; 'a' vs 2 and None vs anything fall back to repr: "'a'" < "1.5" < "2" < "None".
        assertEquals("<marshal><dictionary id=\"i2\"><string>a</string><int>3</int><float>1.5</float><int>4</int>"
                + "<int>2</int><int>2</int><none/><int>1</int></dictionary></marshal>", enc(new Dict(m)));
    }

    @Test
    void aComputerPartitionRoundTripsWithIdsInEmissionOrder() throws Exception {
        Map<String, XmlValue> attrs = new LinkedHashMap<>();
        attrs.put("_requested_state", new Str("started"));
        attrs.put("_partition_id", new Str("slappart0"));
        attrs.put("_computer_id", new Str("COMP-1"));
        attrs.put("_parameter_dict", Dict.ofStrings(Map.of("url", new Str("http://[2001:db8::1]:80/"))));
        attrs.put("_connection_dict", new Dict(Map.of()));
        Obj cp = new Obj("slapos.slap.slap", "ComputerPartition", Tuple.of(new Str("COMP-1"), new Str("slappart0")),
                Dict.ofStrings(attrs));
        golden(cp, "<marshal><object id=\"i2\" module=\"slapos.slap.slap\" class=\"ComputerPartition\">"
                + "<tuple><string>COMP-1</string><string>slappart0</string></tuple>"
                + "<dictionary id=\"i3\"><string>_computer_id</string><string>COMP-1</string>"
                + "<string>_connection_dict</string><dictionary id=\"i4\"/>"
                + "<string>_parameter_dict</string><dictionary id=\"i5\"><string>url</string><string>http://[2001:db8::1]:80/</string></dictionary>"
                + "<string>_partition_id</string><string>slappart0</string>"
                + "<string>_requested_state</string><string>started</string></dictionary></object></marshal>");
    }

    @Test
    void aContainerWrittenTwiceBecomesAReferenceAndReadsBackAsTheSameInstance() throws Exception {
        ListV shared = new ListV(List.of(new Str("a")));
        ListV outer = new ListV(List.of(shared, Tuple.of(shared), shared));
        String xml = "<marshal><list id=\"i2\"><list id=\"i3\"><string>a</string></list>"
                + "<tuple><reference id=\"i3\"/></tuple><reference id=\"i3\"/></list></marshal>";
        golden(outer, xml);
        ListV back = (ListV) dec(xml);
        assertSame(back.items().get(0), back.items().get(2));
        assertSame(back.items().get(0), ((Tuple) back.items().get(1)).items().get(0));
    }

    @Test
    void equalButDistinctContainersAreWrittenTwice() throws Exception {
        ListV outer = new ListV(List.of(new ListV(List.of()), new ListV(List.of())));
        assertEquals("<marshal><list id=\"i2\"><list id=\"i3\"/><list id=\"i4\"/></list></marshal>", enc(outer));
    }

    /** xml_marshaller's own runtests(): pretty-printed input, with and without its namespace. */
    @Test
    void whitespaceBetweenElementsAndTheMarshallersNamespaceAreAccepted() throws Exception {
        XmlValue expected = Tuple.of(new Float(1.0), new Str("abc"), new ListV(List.of()));
        assertEquals(expected, dec("<?xml version=\"1.0\"?>\n<marshal>\n  <tuple>\n    <float> 1.0 </float>\n"
                + "    <string>abc</string>\n    <list id=\"i2\" />\n  </tuple>\n</marshal>"));
        assertEquals(expected, dec("<?xml version=\"1.0\"?>\n<marshal:marshal xmlns:marshal=\"http://www.erp5.org/namespaces/marshaller\">\n"
                + "  <marshal:tuple>\n    <marshal:float> 1.0 </marshal:float>\n    <marshal:string>abc</marshal:string>\n"
                + "    <marshal:list id=\"i2\" />\n  </marshal:tuple>\n</marshal:marshal>"));
    }

    @Test
    void theMarshalRootIsOptionalAndUnicodeReadsAsAString() throws Exception {
        assertEquals(new Str("x"), dec("<string>x</string>"));
        assertEquals(new Str("\u00e9"), dec("<marshal><unicode>\u00e9</unicode></marshal>"));
        assertEquals(Int.of(7), dec("<marshal><long> 7 </long></marshal>"));
    }

    @Test
    void aDoctypeIsRefusedByName() {
        assertTrue(refusal("<!DOCTYPE marshal [<!ENTITY x \"yyyy\">]><marshal><string>&x;</string></marshal>").contains("DOCTYPE"));
        assertTrue(refusal("<!DOCTYPE marshal SYSTEM \"http://192.0.2.1/x.dtd\"><marshal><none/></marshal>").contains("DOCTYPE"));
    }

    @Test
    void anUndeclaredEntityIsRefused() {
        refusal("<marshal><string>&x;</string></marshal>");
    }

    @Test
    void nestingDeeperThanTheLimitIsRefused() throws Exception {
        String ok = "<tuple>".repeat(XmlUnmarshaller.MAX_DEPTH - 1) + "<none/>" + "</tuple>".repeat(XmlUnmarshaller.MAX_DEPTH - 1);
        dec("<marshal>" + ok + "</marshal>");
        assertTrue(refusal("<marshal><tuple>" + ok + "</tuple></marshal>").contains("deeper"));
    }

    @Test
    void aReferenceThatWouldNestTooDeepOrStandForTooMuchIsRefused() {
        String deep = "<list id=\"i2\">" + "<tuple>".repeat(60) + "<none/>" + "</tuple>".repeat(60) + "</list>";
        assertTrue(refusal("<marshal><tuple>" + deep + "<tuple><tuple><tuple><tuple><reference id=\"i2\"/></tuple></tuple></tuple></tuple></tuple></marshal>")
                .contains("deeper"));
        StringBuilder bomb = new StringBuilder("<marshal><list id=\"i0\"><none/><none/></list>");
        for (int k = 1; k < 40; k++)
            bomb.append("<list id=\"i").append(k).append("\"><reference id=\"i").append(k - 1).append("\"/><reference id=\"i")
                    .append(k - 1).append("\"/></list>");
        assertTrue(refusal("<tuple>" + bomb.substring(9) + "</tuple>").contains("stands for more"));
    }

    @Test
    void aBodyOverTheSizeLimitIsRefusedBeforeParsing() {
        byte[] big = new byte[XmlUnmarshaller.MAX_BYTES + 1];
        assertTrue(assertThrows(XmlMarshallerException.class, () -> XmlUnmarshaller.decode(big)).getMessage().contains("bytes"));
    }

    @Test
    void moreElementsThanTheLimitAreRefused() {
        assertTrue(refusal("<marshal><tuple>" + "<none/>".repeat(XmlUnmarshaller.MAX_ELEMENTS) + "</tuple></marshal>")
                .contains("elements"));
    }

    @Test
    void unknownOrUnsupportedElementsAreRefusedByName() {
        assertTrue(refusal("<marshal><blob>x</blob></marshal>").contains("<blob>"));
        assertTrue(refusal("<marshal><code>YQ==</code></marshal>").contains("<code>"));
        assertTrue(refusal("<marshal><complex>1 2</complex></marshal>").contains("<complex>"));
        assertTrue(refusal("<marshal><marshal><none/></marshal></marshal>").contains("elsewhere"));
        assertTrue(refusal("<x:string xmlns:x=\"urn:other\">a</x:string>").contains("namespace"));
    }

    @Test
    void objectsOfOtherClassesOrModulesAreRefusedByName() {
        assertTrue(refusal("<marshal><object id=\"i2\" module=\"os\" class=\"system\"><tuple/><dictionary id=\"i3\"/></object></marshal>")
                .contains("os.system"));
        assertTrue(refusal("<marshal><object id=\"i2\" module=\"slapos.slap.slap\" class=\"Supply\"><tuple/><dictionary id=\"i3\"/></object></marshal>")
                .contains("slapos.slap.slap.Supply"));
        assertTrue(refusal("<marshal><object id=\"i2\" module=\"slapos.slap.slap\" class=\"Computer\"><tuple/></object></marshal>")
                .contains("<tuple>"));
    }

    @Test
    void badNumbersAreRefused() {
        assertTrue(refusal("<marshal><int>12a</int></marshal>").contains("not an integer"));
        assertTrue(refusal("<marshal><int></int></marshal>").contains("not an integer"));
        assertTrue(refusal("<marshal><bool>yes</bool></marshal>").contains("not an integer"));
        assertTrue(refusal("<marshal><float>1.0f</float></marshal>").contains("not a number"));
        assertTrue(refusal("<marshal><int>" + "9".repeat(5000) + "</int></marshal>").contains("not an integer"));
    }

    @Test
    void malformedStructuresAreRefused() {
        assertTrue(refusal("<marshal><reference id=\"i9\"/></marshal>").contains("no earlier"));
        assertTrue(refusal("<marshal><list id=\"i2\"><reference id=\"i2\"/></list></marshal>").contains("cycle"));
        assertTrue(refusal("<marshal><list id=\"i2\"/><none/></marshal>").contains("more than one"));
        assertTrue(refusal("<marshal></marshal>").contains("no value"));
        assertTrue(refusal("<marshal><dictionary id=\"i2\"><string>a</string></dictionary></marshal>").contains("odd"));
        assertTrue(refusal("<marshal><dictionary id=\"i2\"><string>a</string><none/><string>a</string><none/></dictionary></marshal>")
                .contains("duplicate key"));
        assertTrue(refusal("<marshal><dictionary id=\"i2\"><list id=\"i3\"/><none/></dictionary></marshal>").contains("unhashable"));
        assertTrue(refusal("<marshal><list id=\"i2\"><list id=\"i2\"/></list></marshal>").contains("duplicate id"));
        assertTrue(refusal("<marshal><list id=\"i2\">x<none/></list></marshal>").contains("text inside"));
        assertTrue(refusal("<marshal><string>a<none/></string></marshal>").contains("inside <string>"));
        assertTrue(refusal("<marshal><none/></marshal><x/>").length() > 0);
        assertTrue(refusal("not xml").length() > 0);
        assertTrue(refusal("").length() > 0);
    }
}
