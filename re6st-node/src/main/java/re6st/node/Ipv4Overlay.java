package re6st.node;

import java.util.Optional;

import re6st.net.Ipv4Text;

/**
 * The optional IPv4 payload address of a node (startup step 7). The network config's
 * {@code ipv4 = "NET/N"} and {@code ipv4_sublen} give every node a /(N+sublen) block numbered by
 * its certificate's subject serialNumber (the registry keeps those serials small for this):
 * {@code address = net | serial << (32 - (N+sublen))}, plus 1 when the block is longer than two
 * addresses so the node does not take the block's network address.
 */
public record Ipv4Overlay(long block, int prefixLength, long address) {
    /** Serials are limited to 16 bits, as in the original. */
    public static final int MAX_SUBLEN = 16;

    public Ipv4Overlay {
        if (prefixLength < 0 || prefixLength > 32 || block >>> 32 != 0 || address >>> 32 != 0)
            throw new IllegalArgumentException("not an IPv4 block/address: " + block + "/" + prefixLength + ", " + address);
    }

    /**
     * The node's IPv4 overlay, or empty when the parameters cannot number this node (sublen over
     * 16, a serial that does not fit in sublen bits, or N + sublen over 32): the original then
     * logs "IPv4 payload disabled due to wrong network parameters" and runs IPv6-only.
     *
     * @throws IllegalArgumentException if {@code ipv4} is not {@code a.b.c.d/N}
     */
    public static Optional<Ipv4Overlay> of(String ipv4, int sublen, long serial) {
        int slash = ipv4.indexOf('/');
        if (slash < 0 || !ipv4.substring(slash + 1).matches("[0-9]{1,2}") || Integer.parseInt(ipv4.substring(slash + 1)) > 32)
            throw new IllegalArgumentException("bad ipv4 network '" + ipv4 + "' (expected a.b.c.d/N)");
        long net = Ipv4Text.parse(ipv4.substring(0, slash));
        int n = Integer.parseInt(ipv4.substring(slash + 1)) + sublen;
        if (sublen < 0 || sublen > MAX_SUBLEN || serial < 0 || serial >= 1L << sublen || n > 32)
            return Optional.empty();
        // OR, as the original: for a network address with host bits clear this is the "+1".
        long block = (net | serial << (32 - n)) & 0xFFFFFFFFL;
        return Optional.of(new Ipv4Overlay(block, n, n < 31 ? block | 1 : block));
    }

    public String addressText() {
        return Ipv4Text.format(address);
    }

    /** The node's block, e.g. {@code 10.42.0.8/29}: unreachable route on {@code lo}. */
    public String blockText() {
        return Ipv4Text.format(block) + "/" + prefixLength;
    }

    /** Dotted netmask of the block ({@code (1<<32) - (1<<32-n)}), as given to the tunnel ifconfig. */
    public String netmaskText() {
        return Ipv4Text.format((0xFFFFFFFFL << (32 - prefixLength)) & 0xFFFFFFFFL);
    }
}
