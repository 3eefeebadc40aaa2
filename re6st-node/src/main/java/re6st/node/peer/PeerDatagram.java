package re6st.node.peer;

import re6st.net.Ipv6Address;

/**
 * One UDP datagram of the peer protocol as the sans-I/O {@link PeerService} sees it: for a
 * received one, {@code address} and {@code port} are its source; for one to send, its
 * destination. An IPv4 source reaches the service as its IPv4-mapped form ({@code ::ffff:a.b.c.d}),
 * as a dual-stack socket names it, so that one type covers every source the filter must refuse.
 *
 * @param port 0..65535
 */
public record PeerDatagram(Ipv6Address address, int port, byte[] data) {
    /** {@code [::1]}: the only source of the registry's plaintext requests (spec 6.1). */
    public static final Ipv6Address LOOPBACK = new Ipv6Address(0, 1);

    public PeerDatagram {
        if (address == null || data == null)
            throw new IllegalArgumentException("a datagram needs an address and data");
        if (port < 0 || port > 65535)
            throw new IllegalArgumentException("port " + port + " outside 0..65535");
        data = data.clone();
    }

    @Override
    public byte[] data() {
        return data.clone();
    }

    public boolean fromLoopback() {
        return address.equals(LOOPBACK);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof PeerDatagram d && d.address.equals(address) && d.port == port && java.util.Arrays.equals(d.data, data);
    }

    @Override
    public int hashCode() {
        return address.hashCode() * 31 * 31 + port * 31 + java.util.Arrays.hashCode(data);
    }

    @Override
    public String toString() {
        return "PeerDatagram[[" + address + "]:" + port + ", " + data.length + " bytes]";
    }
}
