package re6st.node.upnp;

import java.util.List;

import org.w3c.dom.Document;
import org.w3c.dom.Element;

/**
 * What we need of an IGD's device description (UPnP Device Architecture 1.1, 2.3): the WAN
 * connection service, WANIPConnection (versions 1 and 2) before WANPPPConnection:1, with its
 * controlURL as written (relative or not) and the root's URLBase if any (UDA 1.0 only).
 */
public record DeviceDescription(String serviceType, String controlUrl, String urlBase) {
    static final String WAN_IP = "urn:schemas-upnp-org:service:WANIPConnection:";
    static final String WAN_PPP = "urn:schemas-upnp-org:service:WANPPPConnection:1";

    public static DeviceDescription parse(byte[] body) throws UpnpException {
        Document doc = SafeXml.parse(body, "device description");
        Element root = doc.getDocumentElement();
        if (!"root".equals(SafeXml.name(root)))
            throw new UpnpException(UpnpException.BAD_ANSWER, "device description: root element <" + SafeXml.name(root) + ">, not <root>");
        List<Element> services = SafeXml.all(root, "service");
        for (String wanted : List.of(WAN_IP + "2", WAN_IP + "1", WAN_PPP))
            for (Element s : services) {
                String type = SafeXml.childText(s, "serviceType");
                String control = SafeXml.childText(s, "controlURL");
                if (type.equals(wanted) && !control.isEmpty())
                    return new DeviceDescription(type, control, SafeXml.childText(root, "URLBase"));
            }
        throw new UpnpException(UpnpException.NO_IGD, "device description: no WANIPConnection or WANPPPConnection service with a controlURL ("
                + services.size() + " services)");
    }
}
