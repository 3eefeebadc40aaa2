package re6st.slap.xml;

import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.util.IdentityHashMap;
import java.util.Map;

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

/**
 * Writes a value as Python's xml_marshaller {@code dumps} does (lxml's {@code etree.tostring}, no
 * XML declaration, ASCII with decimal character references): {@code <marshal>} around the value;
 * ids {@code iN} in emission order from {@code i2} on lists, dictionaries, sets and objects (an
 * object takes its id before its args tuple and attribute dictionary); a container written a
 * second time (same Java instance) becomes {@code <reference id="iN"/>}; dictionary items sorted
 * by {@link PythonOrder}; string text escaped twice (saxutils.escape, then lxml), so
 * {@code a&b} is written {@code a&amp;amp;b}; ints from 10^24 on written {@code <long>}.
 */
public final class XmlMarshaller {
    /** Same bound as the decoder: what decodes always encodes. */
    static final int MAX_DEPTH = XmlUnmarshaller.MAX_DEPTH;
    private static final BigInteger LONG_FROM = BigInteger.TEN.pow(24);

    private final StringBuilder out = new StringBuilder();
    private final Map<XmlValue, Integer> ids = new IdentityHashMap<>();
    private int lastId = 1;

    private XmlMarshaller() {
    }

    public static byte[] encode(XmlValue value) throws XmlMarshallerException {
        return encodeToString(value).getBytes(StandardCharsets.US_ASCII);
    }

    public static String encodeToString(XmlValue value) throws XmlMarshallerException {
        XmlMarshaller m = new XmlMarshaller();
        m.out.append("<marshal>");
        m.write(value, 1);
        return m.out.append("</marshal>").toString();
    }

    private void write(XmlValue v, int depth) throws XmlMarshallerException {
        if (depth > MAX_DEPTH)
            throw new XmlMarshallerException("value nested deeper than " + MAX_DEPTH);
        Integer seen = ids.get(v);
        if (seen != null) {
            out.append("<reference id=\"i").append(seen).append("\"/>");
            return;
        }
        if (v instanceof Str s) {
            if (s.value().isEmpty()) {
                out.append("<string></string>");
                return;
            }
            out.append("<string>");
            text(out, s.value().replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;"), true);
            out.append("</string>");
        } else if (v instanceof Int i) {
            String tag = i.value().abs().compareTo(LONG_FROM) < 0 ? "int" : "long";
            out.append('<').append(tag).append('>').append(i.value()).append("</").append(tag).append('>');
        } else if (v instanceof Float f) {
            out.append("<float>").append(PythonOrder.floatRepr(f.value())).append("</float>");
        } else if (v instanceof Bool b) {
            out.append("<bool>").append(b.value() ? '1' : '0').append("</bool>");
        } else if (v instanceof None) {
            out.append("<none/>");
        } else if (v instanceof Tuple t) {
            if (t.items().isEmpty()) {
                out.append("<tuple/>");
                return;
            }
            out.append("<tuple>");
            for (XmlValue x : t.items())
                write(x, depth + 1);
            out.append("</tuple>");
        } else if (v instanceof ListV l) {
            writeSequence("list", register(v), l.items(), depth);
        } else if (v instanceof Dict d) {
            writeDict(d, depth);
        } else if (v instanceof SetV s) {
            writeSequence("set", register(v), s.members(), depth);
        } else if (v instanceof Obj o) {
            if (!XmlUnmarshaller.isName(o.module()) || !XmlUnmarshaller.isName(o.className()))
                throw new XmlMarshallerException("object module/class not a Python name: " + o.module() + "." + o.className());
            int id = register(v);
            out.append("<object id=\"i").append(id).append("\" module=\"").append(o.module()).append("\" class=\"")
                    .append(o.className()).append("\">");
            write(o.args(), depth + 1);
            write(o.attributes(), depth + 1);
            out.append("</object>");
        }
    }

    private void writeSequence(String tag, int id, Iterable<XmlValue> items, int depth) throws XmlMarshallerException {
        out.append('<').append(tag).append(" id=\"i").append(id).append('"');
        if (!items.iterator().hasNext()) {
            out.append("/>");
            return;
        }
        out.append('>');
        for (XmlValue x : items)
            write(x, depth + 1);
        out.append("</").append(tag).append('>');
    }

    private void writeDict(Dict d, int depth) throws XmlMarshallerException {
        int id = register(d);
        if (d.entries().isEmpty()) {
            out.append("<dictionary id=\"i").append(id).append("\"/>");
            return;
        }
        out.append("<dictionary id=\"i").append(id).append("\">");
        for (Map.Entry<XmlValue, XmlValue> e : PythonOrder.sortedItems(d)) {
            write(e.getKey(), depth + 1);
            write(e.getValue(), depth + 1);
        }
        out.append("</dictionary>");
    }

    private int register(XmlValue v) {
        ids.put(v, ++lastId);
        return lastId;
    }

    /**
     * libxml2's text escaping into an ASCII document: {@code & < >} as entities, CR as
     * {@code &#13;}, non-ASCII as decimal character references; or, for attributes, also
     * {@code "}, TAB and LF. Characters XML cannot carry are refused, as lxml refuses them.
     */
    static void text(StringBuilder sb, String s, boolean ascii) throws XmlMarshallerException {
        escape(sb, s, ascii, false);
    }

    static void escape(StringBuilder sb, String s, boolean ascii, boolean attribute) throws XmlMarshallerException {
        for (int k = 0; k < s.length();) {
            int c = s.codePointAt(k);
            k += Character.charCount(c);
            if (!XmlUnmarshaller.isXmlChar(c))
                throw new XmlMarshallerException(String.format("string holds U+%04X, which XML cannot carry", c));
            switch (c) {
                case '&' -> sb.append("&amp;");
                case '<' -> sb.append("&lt;");
                case '>' -> sb.append("&gt;");
                case '\r' -> sb.append("&#13;");
                case '"' -> sb.append(attribute ? "&quot;" : "\"");
                case '\n' -> sb.append(attribute ? "&#10;" : "\n");
                case '\t' -> sb.append(attribute ? "&#9;" : "\t");
                default -> {
                    if (c > 0x7f && ascii)
                        sb.append("&#").append(c).append(';');
                    else
                        sb.appendCodePoint(c);
                }
            }
        }
    }
}
