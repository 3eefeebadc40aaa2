package re6st.node.upnp;

import java.net.URI;
import java.net.URISyntaxException;

import re6st.net.Ipv4Text;

/**
 * The URLs we accept from an IGD (its SSDP LOCATION, its description's URLBase and controlURL): plain
 * http to the very IPv4 address the SSDP answer came from, which {@link Igd#discover} accepts only
 * from our default gateway. Anyone on the LAN can answer an M-SEARCH (and a UDP source can be
 * forged): without these checks an answer could make the node fetch from (and POST to) another host,
 * by name or through a proxy, or take a stranger for our router.
 */
public final class IgdUrl {
    /** Longer URLs are refused (a LOCATION line of a datagram). */
    static final int MAX_LENGTH = 512;

    private IgdUrl() {
    }

    /**
     * {@code ref} resolved against {@code base} (null: {@code ref} must be absolute), refused unless it is
     * {@code http://<source>[:port]/...} without user info; the canonical dotted quad only.
     */
    public static URI check(URI base, String ref, String source) throws UpnpException {
        if (ref == null || ref.isEmpty() || ref.length() > MAX_LENGTH)
            throw refused(ref, "empty or longer than " + MAX_LENGTH + " characters");
        URI u;
        try {
            u = base == null ? new URI(ref) : base.resolve(new URI(ref));
        } catch (URISyntaxException | IllegalArgumentException e) {
            throw refused(ref, "not a URL");
        }
        if (!"http".equalsIgnoreCase(u.getScheme()))
            throw refused(ref, "not http");
        if (u.getRawUserInfo() != null || u.getHost() == null)
            throw refused(ref, "no host, or user info");
        String host = u.getHost();
        try {
            if (!Ipv4Text.format(Ipv4Text.parse(host)).equals(host))
                throw refused(ref, "host " + host + " is not a plain IPv4 address");
        } catch (IllegalArgumentException e) {
            throw refused(ref, "host " + host + " is not an IPv4 address");
        }
        if (!host.equals(source))
            throw refused(ref, "host " + host + " is not the IGD that answered (" + source + ")");
        if (u.getPort() == 0 || u.getPort() > 65535)
            throw refused(ref, "bad port");
        return u;
    }

    private static UpnpException refused(String ref, String why) {
        String shown = ref == null ? "null" : ref.length() > 80 ? ref.substring(0, 80) + "..." : ref;
        return new UpnpException(UpnpException.BAD_ANSWER, "IGD URL '" + shown.replaceAll("\\p{Cntrl}", "?") + "' refused: " + why);
    }
}
