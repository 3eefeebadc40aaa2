package re6st.slap;

import java.math.BigInteger;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

import re6st.net.Ipv6Address;
import re6st.net.Ipv6Prefix;

/**
 * The overlay addresses of a node's computer partitions, carved out of the node's re6st prefix
 * the way {@code slapos node format} does (slap-protocol.md, "Node agent"): partition i
 * ({@code slappart<i>}) gets address prefix + (i + 2), since prefix + 1 is the node's own re6st
 * address; and when ranges are on, also a /(L+16) range whose 16 bits after the node prefix are
 * {@code (1 << 14) + i + 1}, e.g. {@code 2001:db8:a:4001::/64} for slappart0 of a /48.
 *
 * <p>Why this piece first: it is what the spec states most exactly (a formula and a worked
 * example), and everything after it depends on it: format posts these addresses to the master,
 * the master returns them in {@code ip_list}, and every published URL embeds one. The other
 * concrete candidate, the xml_marshaller payload, has escaping the spec itself marks unverified.
 *
 * <p>Deterministic (a partition's addresses depend only on the prefix and its index, so they
 * survive re-running format) and collision-free: addresses stay below the first range, so no
 * partition address falls into another partition's range. Asking for more partitions than the
 * prefix holds is a {@link PrefixExhaustedException}, never a wrap-around.
 */
public record PartitionAddresses(Ipv6Prefix nodePrefix, boolean ranges) {
    /** Width of the range number placed after the node prefix. */
    public static final int RANGE_BITS = 16;
    private static final long FIRST_RANGE = (1L << 14) + 1; // slappart0's range number, 0x4001
    private static final long LAST_RANGE = (1L << RANGE_BITS) - 1;

    public PartitionAddresses {
        if (nodePrefix == null)
            throw new IllegalArgumentException("node prefix is null");
        if (ranges && nodePrefix.length() + RANGE_BITS > 128)
            throw new IllegalArgumentException("partition ranges need " + RANGE_BITS + " bits after the node prefix; "
                    + nodePrefix + " leaves " + (128 - nodePrefix.length()));
    }

    /** From the address re6st put on the main interface, e.g. {@code 2001:db8:42:7::1} and 64. */
    public static PartitionAddresses ofInterfaceAddress(Ipv6Address address, int length, boolean ranges) {
        return new PartitionAddresses(Ipv6Prefix.containing(address, length), ranges);
    }

    /** The computer's own address: the node's re6st address, prefix + 1 (a /128 is its own). */
    public Ipv6Address computerAddress() {
        return nodePrefix.length() == 128 ? nodePrefix.address() : nodePrefix.host(1);
    }

    /** How many partitions fit: slappart0 .. slappart(capacity - 1). */
    public int capacity() {
        int hostBits = 128 - nodePrefix.length();
        // Address offsets run from 2 up to, excluding, the first offset that leaves the prefix or,
        // with ranges, that would reach the first range number in the 16 bits after the prefix.
        BigInteger end = ranges
                ? BigInteger.valueOf(FIRST_RANGE).shiftLeft(hostBits - RANGE_BITS)
                : BigInteger.ONE.shiftLeft(hostBits);
        BigInteger count = end.subtract(BigInteger.TWO).max(BigInteger.ZERO);
        if (ranges)
            count = count.min(BigInteger.valueOf(LAST_RANGE - FIRST_RANGE + 1));
        return count.min(BigInteger.valueOf(Integer.MAX_VALUE)).intValue();
    }

    /** The addresses of {@code slappart<index>}. */
    public PartitionNetwork partition(int index) {
        if (index < 0)
            throw new IllegalArgumentException("partition index " + index + " is negative");
        int capacity = capacity();
        if (index >= capacity)
            throw new PrefixExhaustedException(nodePrefix, ranges, index, capacity);
        Ipv6Address address = nodePrefix.host(index + 2L);
        Optional<Ipv6Prefix> range = ranges
                ? Optional.of(nodePrefix.subprefix(RANGE_BITS, FIRST_RANGE + index))
                : Optional.empty();
        return new PartitionNetwork(index, address, range);
    }

    /** slappart0 .. slappart(count - 1); all or nothing. */
    public List<PartitionNetwork> partitions(int count) {
        if (count < 0)
            throw new IllegalArgumentException("partition count " + count + " is negative");
        if (count > capacity())
            throw new PrefixExhaustedException(nodePrefix, ranges, count - 1, capacity());
        List<PartitionNetwork> list = new ArrayList<>(count);
        for (int i = 0; i < count; i++)
            list.add(partition(i));
        return List.copyOf(list);
    }
}
