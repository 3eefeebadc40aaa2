package re6st.node.upnp;

import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import org.w3c.dom.Document;
import org.w3c.dom.Element;
import org.w3c.dom.Node;

/**
 * The SOAP 1.1 envelopes of UPnP control (UPnP Device Architecture 1.1, 3.2): a request is the
 * action element with its arguments in order; an answer is {@code <actionResponse>} with its out
 * arguments, or a Fault whose detail holds {@code <UPnPError><errorCode>}. Pure: bytes in, bytes out.
 */
public final class Soap {
    /** Out argument values longer than this are refused (an IP address, a port: a few characters). */
    static final int MAX_VALUE = 256;

    private Soap() {
    }

    /** One in argument: name and value. */
    public record Arg(String name, String value) {
    }

    /** The request body of {@code action} of {@code serviceType}; the header SOAPACTION is {@code "serviceType#action"}. */
    public static byte[] request(String serviceType, String action, List<Arg> args) {
        StringBuilder b = new StringBuilder(400);
        b.append("<?xml version=\"1.0\"?>\r\n<s:Envelope xmlns:s=\"http://schemas.xmlsoap.org/soap/envelope/\" ")
         .append("s:encodingStyle=\"http://schemas.xmlsoap.org/soap/encoding/\"><s:Body><u:").append(action)
         .append(" xmlns:u=\"").append(escape(serviceType)).append("\">");
        for (Arg a : args)
            b.append('<').append(a.name()).append('>').append(escape(a.value())).append("</").append(a.name()).append('>');
        b.append("</u:").append(action).append("></s:Body></s:Envelope>\r\n");
        return b.toString().getBytes(StandardCharsets.UTF_8);
    }

    /**
     * The out arguments of an answer to {@code action} (HTTP {@code status}), by name; a UpnpFault for
     * a UPnP error (whatever the status: 500 by the spec), an UpnpException for anything else.
     */
    public static Map<String, String> response(String action, int status, byte[] body) throws UpnpException {
        Document doc;
        try {
            doc = SafeXml.parse(body, action + " answer");
        } catch (UpnpException e) {
            if (status != 200)
                throw new UpnpException(UpnpException.HTTP, action + ": HTTP status " + status);
            throw e;
        }
        List<Element> errors = SafeXml.all(doc, "UPnPError");
        if (!errors.isEmpty()) {
            String code = SafeXml.childText(errors.get(0), "errorCode");
            if (!code.matches("[0-9]{1,4}"))
                throw new UpnpException(UpnpException.BAD_ANSWER, action + ": UPnP fault without a numeric errorCode");
            String description = SafeXml.childText(errors.get(0), "errorDescription");
            return fault(Integer.parseInt(code), SsdpAnswer.printable(description), action);
        }
        if (status != 200)
            throw new UpnpException(UpnpException.HTTP, action + ": HTTP status " + status + " without a UPnP fault");
        List<Element> answers = SafeXml.all(doc, action + "Response");
        if (answers.isEmpty())
            throw new UpnpException(UpnpException.BAD_ANSWER, action + ": no <" + action + "Response> in the answer");
        Map<String, String> out = new LinkedHashMap<>();
        for (Node c = answers.get(0).getFirstChild(); c != null; c = c.getNextSibling())
            if (c instanceof Element e) {
                String v = e.getTextContent().trim();
                if (v.length() > MAX_VALUE)
                    throw new UpnpException(UpnpException.BAD_ANSWER, action + ": " + SafeXml.name(e) + " longer than " + MAX_VALUE);
                out.putIfAbsent(SafeXml.name(e), v);
            }
        return out;
    }

    private static Map<String, String> fault(int code, String description, String action) throws UpnpFault {
        throw new UpnpFault(code, description, action);
    }

    static String escape(String s) {
        StringBuilder b = new StringBuilder(s.length());
        for (char c : s.toCharArray())
            switch (c) {
                case '<' -> b.append("&lt;");
                case '>' -> b.append("&gt;");
                case '&' -> b.append("&amp;");
                case '"' -> b.append("&quot;");
                default -> b.append(c);
            }
        return b.toString();
    }
}
