package re6st.slap.xml;

/**
 * Refusal of an xml_marshaller or instance-XML body (or of a value that cannot be written). The
 * message names the element and, when parsing, the line:column, so a master can answer 400 with it.
 */
public final class XmlMarshallerException extends Exception {
    private static final long serialVersionUID = 1L;

    public XmlMarshallerException(String message) {
        super(message);
    }
}
