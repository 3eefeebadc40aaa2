package re6st.peer;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * One address a node's tunnel server listens on, as the peer protocol's code 1 and the registry's
 * bootstrap answers carry it (spec/peer-protocol.md 5.2): {@code ip,port,proto[,country]}, a list
 * joined by {@code ;}, no spaces. The country (ISO 3166 alpha-2) is there only when the network
 * config has {@code same_country}, and is dropped for peers below protocol 7.
 *
 * @param ip       a dotted IPv4 or a textual IPv6 underlay address, as written
 * @param port     1..65535
 * @param protocol {@code udp}, {@code tcp}, {@code udp6} or {@code tcp6} ({@code udp4}/{@code tcp4} read as udp/tcp)
 * @param country  two letters, or null
 */
public record PeerAddress(String ip, int port, String protocol, String country) {
    static final Set<String> PROTOCOLS = Set.of("udp", "tcp", "udp6", "tcp6");
    /** The first protocol whose peers read the country field. */
    public static final int COUNTRY_SINCE_PROTOCOL = 7;

    public PeerAddress {
        if (ip == null || ip.isEmpty() || !ip.matches("[0-9A-Fa-f.:]+"))
            throw new IllegalArgumentException("not an IP address: '" + ip + "'");
        if (port < 1 || port > 65535)
            throw new IllegalArgumentException("port " + port + " outside 1..65535");
        if (!PROTOCOLS.contains(protocol))
            throw new IllegalArgumentException("protocol '" + protocol + "' is not one of " + PROTOCOLS);
        if (country != null && !country.matches("[A-Z]{2}"))
            throw new IllegalArgumentException("country '" + country + "' is not two capital letters");
    }

    /** {@code ip,port,proto[,country]}. */
    @Override
    public String toString() {
        return ip + "," + port + "," + protocol + (country != null ? "," + country : "");
    }

    /** The list as sent to a peer of {@code peerProtocol} (countries dropped below protocol 7). */
    public static String format(List<PeerAddress> list, long peerProtocol) {
        StringBuilder s = new StringBuilder();
        for (PeerAddress a : list) {
            if (s.length() > 0)
                s.append(';');
            s.append(peerProtocol < COUNTRY_SINCE_PROTOCOL ? new PeerAddress(a.ip, a.port, a.protocol, null) : a);
        }
        return s.toString();
    }

    /**
     * Reads a list as the original does: an entry whose port is not a number, or that has fewer
     * than three fields, an unknown protocol or a malformed address is skipped; fields beyond
     * the fourth are ignored. Never throws; an empty or hopeless text gives an empty list.
     */
    public static List<PeerAddress> parse(String text) {
        List<PeerAddress> out = new ArrayList<>();
        if (text == null)
            return out;
        for (String entry : text.split(";", -1)) {
            String[] f = entry.split(",", -1);
            if (f.length < 3 || !f[1].matches("[0-9]{1,5}"))
                continue;
            String proto = f[2].toLowerCase(Locale.ROOT);
            proto = proto.equals("udp4") ? "udp" : proto.equals("tcp4") ? "tcp" : proto;
            String country = f.length > 3 && f[3].matches("[A-Z]{2}") ? f[3] : null;
            try {
                out.add(new PeerAddress(f[0], Integer.parseInt(f[1]), proto, country));
            } catch (IllegalArgumentException e) {
                // skipped, as the original skips what it cannot use
            }
        }
        return out;
    }
}
