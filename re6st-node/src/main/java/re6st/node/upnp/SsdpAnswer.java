package re6st.node.upnp;

import java.nio.charset.StandardCharsets;
import java.util.Locale;

/**
 * An answer to our M-SEARCH (UPnP Device Architecture 1.1, 1.3.3): a unicast datagram holding an
 * HTTP/1.1 200 status line and headers, of which we keep ST and LOCATION (where the device
 * description is). Refused: anything else, a missing LOCATION, a datagram over {@link #MAX_BYTES}.
 */
public record SsdpAnswer(String st, String location) {
    /** Real answers are ~400 bytes; one datagram. */
    public static final int MAX_BYTES = 2048;

    public static SsdpAnswer parse(byte[] datagram, int length) throws UpnpException {
        if (length > MAX_BYTES || length > datagram.length)
            throw new UpnpException(UpnpException.BAD_ANSWER, "SSDP answer of " + length + " bytes refused (at most " + MAX_BYTES + ")");
        String text = new String(datagram, 0, length, StandardCharsets.ISO_8859_1);
        String[] lines = text.split("\r?\n", -1);
        if (!lines[0].matches("HTTP/1\\.[01] 200( .*)?"))
            throw new UpnpException(UpnpException.BAD_ANSWER, "SSDP answer without 'HTTP/1.1 200': '" + printable(lines[0]) + "'");
        String st = "", location = null;
        for (int i = 1; i < lines.length && !lines[i].isEmpty(); i++) {
            int colon = lines[i].indexOf(':');
            if (colon <= 0)
                throw new UpnpException(UpnpException.BAD_ANSWER, "SSDP answer: header line without a name: '" + printable(lines[i]) + "'");
            String name = lines[i].substring(0, colon).trim().toUpperCase(Locale.ROOT);
            String value = lines[i].substring(colon + 1).trim();
            if (name.equals("LOCATION"))
                location = value;
            else if (name.equals("ST"))
                st = value;
        }
        if (location == null || location.isEmpty())
            throw new UpnpException(UpnpException.BAD_ANSWER, "SSDP answer without LOCATION");
        if (CONTROL.matcher(location).find() || CONTROL.matcher(st).find())
            throw new UpnpException(UpnpException.BAD_ANSWER, "SSDP answer: control characters in LOCATION or ST");
        return new SsdpAnswer(st, location);
    }

    private static final java.util.regex.Pattern CONTROL = java.util.regex.Pattern.compile("[\\p{Cntrl}\\u0080-\\u00ff]");

    /** A header value for the log: control characters replaced, at most 100 characters. */
    static String printable(String s) {
        String p = CONTROL.matcher(s).replaceAll("?");
        return p.length() > 100 ? p.substring(0, 100) + "..." : p;
    }
}
