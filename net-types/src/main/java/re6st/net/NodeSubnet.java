package re6st.net;

/**
 * A node's subnet: the network bits followed by its node prefix bits, e.g. network
 * {@code 2001:db8:42::/48} + node {@code 7/16} = {@code 2001:db8:42:7::/64}, and the node's own
 * address in it, {@code 2001:db8:42:7::1}.
 */
public record NodeSubnet(Network network, NodePrefix node) {
    public NodeSubnet {
        if (node.length() > network.maxNodePrefixLength())
            throw new IllegalArgumentException("node prefix " + node.cn() + " is longer than the "
                    + network.maxNodePrefixLength() + " bits left by network " + network);
    }

    public Ipv6Prefix prefix() {
        return Ipv6Prefix.ofBits(network.bits() + node.bits());
    }

    /**
     * The node's address: the subnet with the last bit of the /128 set, the original's
     * {@code ipFromBin(network + prefix, '1')}. A /128 subnet has no host bits and is itself the
     * address (setting its last bit could name a neighbour's /128; the allocator's reserved
     * all-zero prefix exists because of this case).
     */
    public Ipv6Address nodeAddress() {
        Ipv6Prefix p = prefix();
        return p.length() == 128 ? p.address() : p.host(1);
    }

    @Override
    public String toString() {
        return prefix().toString();
    }
}
