package re6st.node.upnp;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;

import javax.xml.XMLConstants;
import javax.xml.parsers.DocumentBuilder;
import javax.xml.parsers.DocumentBuilderFactory;
import javax.xml.parsers.ParserConfigurationException;

import org.w3c.dom.Document;
import org.w3c.dom.Element;
import org.w3c.dom.Node;
import org.xml.sax.ErrorHandler;
import org.xml.sax.SAXException;
import org.xml.sax.SAXParseException;

/**
 * The one XML parser for what a LAN sends us (device descriptions, SOAP answers): any DOCTYPE is
 * refused (so no entity expansion and no external entity or DTD is ever fetched), XInclude off,
 * the JDK's secure-processing limits on, and the body capped before parsing. Lookups are by local
 * name, namespaces aside: IGDs disagree on prefixes.
 */
final class SafeXml {
    /** A description or a SOAP answer bigger than this is refused (miniupnpd's root description is ~3 KiB). */
    static final int MAX_BYTES = 64 * 1024;

    private static final ErrorHandler THROW = new ErrorHandler() {
        public void warning(SAXParseException e) {
        }

        public void error(SAXParseException e) throws SAXException {
            throw e;
        }

        public void fatalError(SAXParseException e) throws SAXException {
            throw e;
        }
    };

    private SafeXml() {
    }

    static Document parse(byte[] body, String what) throws UpnpException {
        if (body.length > MAX_BYTES)
            throw new UpnpException(UpnpException.BAD_ANSWER, what + ": " + body.length + " bytes, more than " + MAX_BYTES);
        try {
            DocumentBuilder b = factory().newDocumentBuilder();
            b.setErrorHandler(THROW);
            b.setEntityResolver((publicId, systemId) -> {
                throw new SAXException("external entity " + systemId + " refused");
            });
            return b.parse(new ByteArrayInputStream(body));
        } catch (SAXException e) {
            throw new UpnpException(UpnpException.BAD_ANSWER, what + ": not acceptable XML: " + e.getMessage());
        } catch (IOException | ParserConfigurationException e) {
            throw new UpnpException(UpnpException.BAD_ANSWER, what + ": " + e);
        }
    }

    private static DocumentBuilderFactory factory() throws ParserConfigurationException {
        DocumentBuilderFactory f = DocumentBuilderFactory.newInstance();
        f.setNamespaceAware(true);
        f.setFeature(XMLConstants.FEATURE_SECURE_PROCESSING, true);
        f.setFeature("http://apache.org/xml/features/disallow-doctype-decl", true);
        f.setFeature("http://xml.org/sax/features/external-general-entities", false);
        f.setFeature("http://xml.org/sax/features/external-parameter-entities", false);
        f.setFeature("http://apache.org/xml/features/nonvalidating/load-external-dtd", false);
        f.setAttribute(XMLConstants.ACCESS_EXTERNAL_DTD, "");
        f.setAttribute(XMLConstants.ACCESS_EXTERNAL_SCHEMA, "");
        f.setXIncludeAware(false);
        f.setExpandEntityReferences(false);
        return f;
    }

    /** Every element named {@code localName} under {@code root}, in document order. */
    static List<Element> all(Node root, String localName) {
        List<Element> out = new ArrayList<>();
        collect(root, localName, out);
        return out;
    }

    private static void collect(Node n, String localName, List<Element> out) {
        for (Node c = n.getFirstChild(); c != null; c = c.getNextSibling())
            if (c instanceof Element e) {
                if (localName.equals(name(e)))
                    out.add(e);
                collect(e, localName, out);
            }
    }

    /** The direct child named {@code localName}'s trimmed text, or "" when there is none. */
    static String childText(Element parent, String localName) {
        for (Node c = parent.getFirstChild(); c != null; c = c.getNextSibling())
            if (c instanceof Element e && localName.equals(name(e)))
                return e.getTextContent().trim();
        return "";
    }

    static String name(Element e) {
        return e.getLocalName() != null ? e.getLocalName() : e.getTagName();
    }
}
