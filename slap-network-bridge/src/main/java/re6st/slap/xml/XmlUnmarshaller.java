package re6st.slap.xml;

import java.io.ByteArrayInputStream;
import java.math.BigInteger;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;

import javax.xml.XMLConstants;
import javax.xml.stream.Location;
import javax.xml.stream.XMLInputFactory;
import javax.xml.stream.XMLStreamConstants;
import javax.xml.stream.XMLStreamException;
import javax.xml.stream.XMLStreamReader;

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
 * Reads an xml_marshaller body from a peer, refusing rather than guessing: no DOCTYPE (so no
 * entity of any kind beyond the five predefined ones), at most {@link #MAX_BYTES} bytes,
 * {@link #MAX_ELEMENTS} elements, {@link #MAX_DEPTH} levels; only the marshaller's elements
 * ({@code <complex>} and {@code <code>} refused: the latter is Python bytecode); {@code <object>}
 * only for the four slap classes; references only to a container already closed (so no cycles);
 * no duplicate id, dictionary key or set member; no unhashable key. {@code <marshal>} around the
 * value is optional, {@code <unicode>} reads as a string, whitespace between elements is ignored,
 * and string text is unescaped a second time as the original does.
 */
public final class XmlUnmarshaller {
    public static final int MAX_BYTES = 1 << 20;
    public static final int MAX_ELEMENTS = 65_536;
    public static final int MAX_DEPTH = 64;
    /**
     * References let a small body stand for a huge tree (each list naming the previous one twice
     * doubles it); comparing or hashing such a value would never end, so the tree a body stands
     * for is capped too, in depth by {@link #MAX_DEPTH} and in size by this.
     */
    public static final long MAX_EXPANDED = 1 << 20;
    /** Python 3.11's int() refuses longer decimal strings too. */
    static final int MAX_INT_DIGITS = 4300;
    static final String MODULE = "slapos.slap.slap";
    static final Set<String> CLASSES = Set.of("Computer", "ComputerPartition", "SoftwareRelease", "SoftwareInstance");
    /** The namespace of xml_marshaller's {@code dumps_ns}; no namespace is the usual form. */
    static final String NAMESPACE = "http://www.erp5.org/namespaces/marshaller";

    private static final Pattern INT = Pattern.compile("[+-]?[0-9]+");
    private static final Pattern FLOAT = Pattern
            .compile("[+-]?(?:(?:[0-9]+\\.?[0-9]*|\\.[0-9]+)(?:[eE][+-]?[0-9]+)?|(?i:inf|infinity|nan))");
    private static final Pattern NAME = Pattern.compile("[A-Za-z_][A-Za-z0-9_]*(?:\\.[A-Za-z_][A-Za-z0-9_]*)*");

    private final XMLStreamReader r;
    private final Map<String, XmlValue> done = new HashMap<>();
    private final Set<String> open = new HashSet<>();
    /** Height and size of each closed container with an id, counting through references. */
    private final Map<String, long[]> shape = new HashMap<>();
    private int elements;
    /** Height and expanded size (references counted as what they stand for) of the last value read. */
    private int height;
    private long size;

    private XmlUnmarshaller(XMLStreamReader r) {
        this.r = r;
    }

    public static XmlValue decode(byte[] body) throws XmlMarshallerException {
        XMLStreamReader r = open(body, "xml_marshaller body");
        try {
            XmlUnmarshaller u = new XmlUnmarshaller(r);
            u.toRoot();
            XmlValue v;
            if (u.local().equals("marshal")) {
                u.element();
                v = null;
                while (true) {
                    int ev = u.next();
                    if (ev == XMLStreamConstants.START_ELEMENT) {
                        if (v != null)
                            throw u.refuse("<marshal> holds more than one value");
                        v = u.value(1);
                    } else if (ev == XMLStreamConstants.END_ELEMENT) {
                        break;
                    } else {
                        u.between("marshal", ev);
                    }
                }
                if (v == null)
                    throw u.refuse("<marshal> holds no value");
            } else {
                v = u.value(1);
            }
            u.toEnd();
            return v;
        } finally {
            close(r);
        }
    }

    // ---- shared with InstanceXml

    static XMLStreamReader open(byte[] body, String what) throws XmlMarshallerException {
        if (body.length > MAX_BYTES)
            throw new XmlMarshallerException(what + ": " + body.length + " bytes, more than " + MAX_BYTES);
        XMLInputFactory f = XMLInputFactory.newFactory();
        f.setProperty(XMLInputFactory.SUPPORT_DTD, false);
        f.setProperty(XMLInputFactory.IS_SUPPORTING_EXTERNAL_ENTITIES, false);
        f.setProperty(XMLInputFactory.IS_NAMESPACE_AWARE, true);
        f.setProperty(XMLInputFactory.IS_COALESCING, true);
        f.setProperty(XMLConstants.ACCESS_EXTERNAL_DTD, "");
        f.setXMLResolver((publicId, systemId, base, ns) -> {
            throw new XMLStreamException("external entity " + systemId + " refused");
        });
        try {
            return f.createXMLStreamReader(new ByteArrayInputStream(body));
        } catch (XMLStreamException | RuntimeException e) {
            throw new XmlMarshallerException(what + ": not acceptable XML: " + e.getMessage());
        }
    }

    static void close(XMLStreamReader r) {
        try {
            r.close();
        } catch (XMLStreamException | RuntimeException ignored) {
            // nothing held: the input is an array
        }
    }

    public static boolean isXmlChar(int c) {
        return c == 0x9 || c == 0xA || c == 0xD || (c >= 0x20 && c <= 0xD7FF) || (c >= 0xE000 && c <= 0xFFFD)
                || (c >= 0x10000 && c <= 0x10FFFF);
    }

    static boolean isName(String s) {
        return s.length() <= 200 && NAME.matcher(s).matches();
    }

    /** Python's {@code xml.sax.saxutils.unescape}: &lt; and &gt; first, &amp; last. */
    static String unescape(String s) {
        if (s.indexOf('&') < 0)
            return s;
        return s.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&");
    }

    // ---- the reader

    private int next() throws XmlMarshallerException {
        try {
            int ev = r.next();
            if (ev == XMLStreamConstants.DTD)
                throw refuse("DOCTYPE refused");
            if (ev == XMLStreamConstants.ENTITY_REFERENCE)
                throw refuse("entity reference &" + r.getLocalName() + "; refused");
            return ev;
        } catch (XMLStreamException | RuntimeException e) {
            throw new XmlMarshallerException("not acceptable XML: " + e.getMessage());
        }
    }

    private void toRoot() throws XmlMarshallerException {
        int ev = r.getEventType();
        while (ev != XMLStreamConstants.START_ELEMENT) {
            if (ev == XMLStreamConstants.DTD)
                throw refuse("DOCTYPE refused");
            if (ev == XMLStreamConstants.END_DOCUMENT)
                throw refuse("no element");
            ev = next();
        }
    }

    private void toEnd() throws XmlMarshallerException {
        int ev;
        while ((ev = next()) != XMLStreamConstants.END_DOCUMENT)
            if (ev == XMLStreamConstants.START_ELEMENT || ev == XMLStreamConstants.CHARACTERS && !r.isWhiteSpace())
                throw refuse("content after the root element");
    }

    private String local() {
        return r.getLocalName();
    }

    /** Counts the current start tag and checks its namespace. */
    private void element() throws XmlMarshallerException {
        if (++elements > MAX_ELEMENTS)
            throw refuse("more than " + MAX_ELEMENTS + " elements");
        String ns = r.getNamespaceURI();
        if (ns != null && !ns.isEmpty() && !ns.equals(NAMESPACE))
            throw refuse("<" + local() + "> in namespace " + ns + " refused");
    }

    /** Whitespace, comments and processing instructions may sit between elements; text may not. */
    private void between(String parent, int ev) throws XmlMarshallerException {
        switch (ev) {
            case XMLStreamConstants.CHARACTERS, XMLStreamConstants.SPACE, XMLStreamConstants.CDATA -> {
                if (!r.getText().isBlank())
                    throw refuse("text inside <" + parent + ">");
            }
            case XMLStreamConstants.COMMENT, XMLStreamConstants.PROCESSING_INSTRUCTION -> {
            }
            default -> throw refuse("unexpected XML event " + ev + " inside <" + parent + ">");
        }
    }

    /** The value whose start tag is current; on return its end tag is current. */
    private XmlValue value(int depth) throws XmlMarshallerException {
        height = 1;
        size = 1;
        XmlValue v = parseValue(depth);
        if (depth + height - 1 > MAX_DEPTH)
            throw refuse("nested deeper than " + MAX_DEPTH + " (counting references)");
        if (size > MAX_EXPANDED)
            throw refuse("stands for more than " + MAX_EXPANDED + " values (counting references)");
        return v;
    }

    private XmlValue parseValue(int depth) throws XmlMarshallerException {
        element();
        if (depth > MAX_DEPTH)
            throw refuse("nested deeper than " + MAX_DEPTH);
        String tag = local();
        switch (tag) {
            case "string", "unicode":
                return new Str(unescape(text(tag)));
            case "int", "long":
                return new Int(integer(tag, text(tag)));
            case "bool":
                return new Bool(integer(tag, text(tag)).signum() != 0);
            case "float":
                return new Float(floating(text(tag)));
            case "none":
                if (!text(tag).isBlank())
                    throw refuse("text inside <none>");
                return None.NONE;
            case "tuple":
                return new Tuple(children(tag, depth));
            case "list": {
                String id = declare();
                ListV l = new ListV(children(tag, depth));
                return finish(id, l);
            }
            case "set": {
                String id = declare();
                Set<XmlValue> members = new LinkedHashSet<>();
                for (XmlValue m : children(tag, depth)) {
                    hashable(m, "set member");
                    if (!members.add(m))
                        throw refuse("duplicate member in <set>");
                }
                return finish(id, new SetV(members));
            }
            case "dictionary": {
                String id = declare();
                return finish(id, dict(children(tag, depth)));
            }
            case "object":
                return object(depth);
            case "reference":
                return reference();
            case "marshal":
                throw refuse("<marshal> found elsewhere than root");
            case "complex", "code":
                throw refuse("<" + tag + "> not supported");
            default:
                throw refuse("unknown element <" + tag + ">");
        }
    }

    private Dict dict(List<XmlValue> items) throws XmlMarshallerException {
        if (items.size() % 2 != 0)
            throw refuse("<dictionary> holds an odd number of values");
        Map<XmlValue, XmlValue> m = new LinkedHashMap<>();
        for (int k = 0; k < items.size(); k += 2) {
            hashable(items.get(k), "dictionary key");
            if (m.put(items.get(k), items.get(k + 1)) != null || m.size() != k / 2 + 1)
                throw refuse("duplicate key " + PythonOrder.repr(items.get(k)) + " in <dictionary>");
        }
        return new Dict(m);
    }

    private XmlValue object(int depth) throws XmlMarshallerException {
        String module = r.getAttributeValue(null, "module"), cls = r.getAttributeValue(null, "class");
        if (module == null || cls == null)
            throw refuse("<object> without module and class");
        if (!module.equals(MODULE) || !CLASSES.contains(cls))
            throw refuse("<object> of class " + module + "." + cls + " refused (only " + MODULE + "." + CLASSES + ")");
        String id = declare();
        List<XmlValue> parts = children("object", depth);
        if (parts.size() != 2 || !(parts.get(0) instanceof Tuple args) || !(parts.get(1) instanceof Dict attrs))
            throw refuse("<object> must hold a <tuple> of init args then a <dictionary> of attributes");
        for (XmlValue k : attrs.entries().keySet())
            if (!(k instanceof Str))
                throw refuse("<object> attribute name " + PythonOrder.repr(k) + " is not a string");
        return finish(id, new Obj(module, cls, args, attrs));
    }

    private XmlValue reference() throws XmlMarshallerException {
        String id = r.getAttributeValue(null, "id");
        if (id == null)
            throw refuse("<reference> without id");
        XmlValue v = done.get(id);
        long[] s = shape.get(id);
        if (v == null)
            throw refuse(open.contains(id) ? "<reference id=\"" + id + "\"> to a container not yet closed (cycle)"
                    : "<reference id=\"" + id + "\"> to no earlier container");
        if (!children("reference", MAX_DEPTH).isEmpty())
            throw refuse("<reference> with content");
        height = (int) s[0];
        size = s[1];
        return v;
    }

    private String declare() throws XmlMarshallerException {
        String id = r.getAttributeValue(null, "id");
        if (id == null)
            return null;
        if (id.isEmpty() || id.length() > 32)
            throw refuse("bad id \"" + id + "\"");
        if (done.containsKey(id) || !open.add(id))
            throw refuse("duplicate id \"" + id + "\"");
        return id;
    }

    private XmlValue finish(String id, XmlValue v) {
        if (id != null) {
            open.remove(id);
            done.put(id, v);
            shape.put(id, new long[] {height, size});
        }
        return v;
    }

    /** The values inside the current element; leaves {@link #height} and {@link #size} as the element's. */
    private List<XmlValue> children(String tag, int depth) throws XmlMarshallerException {
        List<XmlValue> out = new ArrayList<>();
        int h = 1;
        long n = 1;
        while (true) {
            int ev = next();
            if (ev == XMLStreamConstants.START_ELEMENT) {
                out.add(value(depth + 1));
                h = Math.max(h, height + 1);
                n += size;
                if (n > MAX_EXPANDED)
                    throw refuse("<" + tag + "> stands for more than " + MAX_EXPANDED + " values (counting references)");
            } else if (ev == XMLStreamConstants.END_ELEMENT) {
                height = h;
                size = n;
                return out;
            } else {
                between(tag, ev);
            }
        }
    }

    private String text(String tag) throws XmlMarshallerException {
        StringBuilder sb = new StringBuilder();
        while (true) {
            int ev = next();
            switch (ev) {
                case XMLStreamConstants.CHARACTERS, XMLStreamConstants.SPACE, XMLStreamConstants.CDATA -> sb.append(r.getText());
                case XMLStreamConstants.COMMENT, XMLStreamConstants.PROCESSING_INSTRUCTION -> {
                }
                case XMLStreamConstants.END_ELEMENT -> {
                    return sb.toString();
                }
                case XMLStreamConstants.START_ELEMENT -> throw refuse("element <" + local() + "> inside <" + tag + ">");
                default -> throw refuse("unexpected XML event " + ev + " inside <" + tag + ">");
            }
        }
    }

    private BigInteger integer(String tag, String text) throws XmlMarshallerException {
        String t = text.strip();
        if (t.length() > MAX_INT_DIGITS + 1 || !INT.matcher(t).matches())
            throw refuse("<" + tag + "> holds \"" + clip(text) + "\", not an integer");
        return new BigInteger(t);
    }

    private double floating(String text) throws XmlMarshallerException {
        String t = text.strip();
        if (t.length() > 1000 || !FLOAT.matcher(t).matches())
            throw refuse("<float> holds \"" + clip(text) + "\", not a number");
        String l = t.toLowerCase();
        if (l.endsWith("nan"))
            return Double.NaN;
        if (l.endsWith("inf") || l.endsWith("infinity"))
            return l.startsWith("-") ? Double.NEGATIVE_INFINITY : Double.POSITIVE_INFINITY;
        return Double.parseDouble(t);
    }

    private void hashable(XmlValue v, String what) throws XmlMarshallerException {
        if (v instanceof ListV || v instanceof Dict || v instanceof SetV)
            throw refuse(what + " of unhashable type");
        if (v instanceof Tuple t)
            for (XmlValue x : t.items())
                hashable(x, what);
    }

    private static String clip(String s) {
        return s.length() > 40 ? s.substring(0, 40) + "..." : s;
    }

    private XmlMarshallerException refuse(String why) {
        return refuse(r, why);
    }

    static XmlMarshallerException refuse(XMLStreamReader r, String why) {
        Location l = null;
        try {
            l = r.getLocation();
        } catch (RuntimeException ignored) {
            // no location then
        }
        return new XmlMarshallerException(l == null ? why : why + " (at " + l.getLineNumber() + ":" + l.getColumnNumber() + ")");
    }
}
