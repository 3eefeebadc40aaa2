package re6st.slap;

import java.util.Optional;

import re6st.net.Ipv6Address;
import re6st.net.Ipv6Prefix;

/** One computer partition's overlay addresses: its IPv6 address and, if ranges are on, its range. */
public record PartitionNetwork(int index, Ipv6Address address, Optional<Ipv6Prefix> range) {
    public PartitionNetwork {
        if (index < 0 || address == null || range == null)
            throw new IllegalArgumentException("bad partition network " + index + " " + address + " " + range);
    }

    /** The partition reference slapos uses, {@code slappart<index>}. */
    public String reference() {
        return "slappart" + index;
    }
}
