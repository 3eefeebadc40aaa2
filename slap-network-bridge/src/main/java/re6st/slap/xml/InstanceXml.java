package re6st.slap.xml;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import javax.xml.stream.XMLStreamConstants;
import javax.xml.stream.XMLStreamException;
import javax.xml.stream.XMLStreamReader;

/**
 * The "instance XML" slapos keeps parameters and connection parameters in, as slapos.core's
 * {@code slapos.util.dict2xml} writes it (lxml, pretty-printed, UTF-8 with declaration, items
 * sorted by key): <pre>
 * &lt;?xml version='1.0' encoding='utf-8'?&gt;
 * &lt;instance&gt;
 *   &lt;parameter id="foo"&gt;bar&lt;/parameter&gt;
 * &lt;/instance&gt;
 * </pre> Every value is a string. Reading is as hardened as {@link XmlUnmarshaller}: no DOCTYPE,
 * the same size and element limits, only {@code <parameter id>} under {@code <instance>}, no
 * duplicate id.
 */
public final class InstanceXml {
    private InstanceXml() {
    }

    public static byte[] encode(Map<String, String> parameters) throws XmlMarshallerException {
        StringBuilder sb = new StringBuilder("<?xml version='1.0' encoding='utf-8'?>\n");
        if (parameters.isEmpty())
            return sb.append("<instance/>\n").toString().getBytes(StandardCharsets.UTF_8);
        List<String> keys = new ArrayList<>(parameters.keySet());
        keys.sort(PythonOrder::codePoints);
        sb.append("<instance>\n");
        for (String k : keys) {
            String v = parameters.get(k);
            if (k == null || v == null)
                throw new XmlMarshallerException("null parameter id or value");
            sb.append("  <parameter id=\"");
            XmlMarshaller.escape(sb, k, false, true);
            sb.append("\">");
            XmlMarshaller.escape(sb, v, false, false);
            sb.append("</parameter>\n");
        }
        return sb.append("</instance>\n").toString().getBytes(StandardCharsets.UTF_8);
    }

    public static Map<String, String> decode(byte[] body) throws XmlMarshallerException {
        XMLStreamReader r = XmlUnmarshaller.open(body, "instance XML");
        try {
            int ev = r.getEventType();
            while (ev != XMLStreamConstants.START_ELEMENT) {
                if (ev == XMLStreamConstants.END_DOCUMENT)
                    throw XmlUnmarshaller.refuse(r, "instance XML: no element");
                ev = next(r);
            }
            if (!r.getLocalName().equals("instance") || r.getNamespaceURI() != null && !r.getNamespaceURI().isEmpty())
                throw XmlUnmarshaller.refuse(r, "instance XML: root <" + r.getLocalName() + ">, not <instance>");
            Map<String, String> out = new LinkedHashMap<>();
            int elements = 1;
            while ((ev = next(r)) != XMLStreamConstants.END_ELEMENT) {
                if (ev == XMLStreamConstants.START_ELEMENT) {
                    if (++elements > XmlUnmarshaller.MAX_ELEMENTS)
                        throw XmlUnmarshaller.refuse(r, "instance XML: more than " + XmlUnmarshaller.MAX_ELEMENTS + " elements");
                    if (!r.getLocalName().equals("parameter") || r.getNamespaceURI() != null && !r.getNamespaceURI().isEmpty())
                        throw XmlUnmarshaller.refuse(r, "instance XML: unknown element <" + r.getLocalName() + ">");
                    String id = r.getAttributeValue(null, "id");
                    if (id == null)
                        throw XmlUnmarshaller.refuse(r, "instance XML: <parameter> without id");
                    if (out.containsKey(id))
                        throw XmlUnmarshaller.refuse(r, "instance XML: duplicate parameter \"" + id + "\"");
                    out.put(id, text(r));
                } else {
                    other(r, ev);
                }
            }
            while ((ev = next(r)) != XMLStreamConstants.END_DOCUMENT)
                if (ev == XMLStreamConstants.START_ELEMENT)
                    throw XmlUnmarshaller.refuse(r, "instance XML: content after </instance>");
            return Collections.unmodifiableMap(out);
        } finally {
            XmlUnmarshaller.close(r);
        }
    }

    private static String text(XMLStreamReader r) throws XmlMarshallerException {
        StringBuilder sb = new StringBuilder();
        int ev;
        while ((ev = next(r)) != XMLStreamConstants.END_ELEMENT) {
            switch (ev) {
                case XMLStreamConstants.CHARACTERS, XMLStreamConstants.SPACE, XMLStreamConstants.CDATA -> sb.append(r.getText());
                case XMLStreamConstants.COMMENT, XMLStreamConstants.PROCESSING_INSTRUCTION -> {
                }
                case XMLStreamConstants.START_ELEMENT -> throw XmlUnmarshaller.refuse(r,
                        "instance XML: element <" + r.getLocalName() + "> inside <parameter>");
                default -> throw XmlUnmarshaller.refuse(r, "instance XML: unexpected XML event " + ev);
            }
        }
        return sb.toString();
    }

    private static void other(XMLStreamReader r, int ev) throws XmlMarshallerException {
        if ((ev == XMLStreamConstants.CHARACTERS || ev == XMLStreamConstants.SPACE || ev == XMLStreamConstants.CDATA)
                && !r.getText().isBlank())
            throw XmlUnmarshaller.refuse(r, "instance XML: text inside <instance>");
        if (ev != XMLStreamConstants.CHARACTERS && ev != XMLStreamConstants.SPACE && ev != XMLStreamConstants.CDATA
                && ev != XMLStreamConstants.COMMENT && ev != XMLStreamConstants.PROCESSING_INSTRUCTION)
            throw XmlUnmarshaller.refuse(r, "instance XML: unexpected XML event " + ev);
    }

    private static int next(XMLStreamReader r) throws XmlMarshallerException {
        int ev;
        try {
            ev = r.next();
        } catch (XMLStreamException | RuntimeException e) {
            throw new XmlMarshallerException("instance XML: not acceptable XML: " + e.getMessage());
        }
        if (ev == XMLStreamConstants.DTD)
            throw XmlUnmarshaller.refuse(r, "instance XML: DOCTYPE refused");
        if (ev == XMLStreamConstants.ENTITY_REFERENCE)
            throw XmlUnmarshaller.refuse(r, "instance XML: entity reference refused");
        return ev;
    }
}
