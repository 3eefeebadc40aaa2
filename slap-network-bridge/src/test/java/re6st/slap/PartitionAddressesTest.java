package re6st.slap;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;

import org.junit.jupiter.api.Test;

import re6st.net.Ipv6Address;
import re6st.net.Ipv6Prefix;

class PartitionAddressesTest {

    @Test
    void specExampleForASlash48() {
        PartitionAddresses p = new PartitionAddresses(Ipv6Prefix.parse("2001:db8:a::/48"), true);
        PartitionNetwork first = p.partition(0);
        assertEquals("slappart0", first.reference());
        assertEquals("2001:db8:a::2", first.address().toString());
        assertEquals("2001:db8:a:4001::/64", first.range().orElseThrow().toString());
        assertEquals("2001:db8:a::3", p.partition(1).address().toString());
        assertEquals("2001:db8:a:4002::/64", p.partition(1).range().orElseThrow().toString());
        assertEquals("2001:db8:a::1", p.computerAddress().toString());
    }

    @Test
    void re6stSlash64WithoutRanges() {
        PartitionAddresses p = PartitionAddresses.ofInterfaceAddress(Ipv6Address.parse("2001:db8:42:7::1"), 64, false);
        assertEquals("2001:db8:42:7::/64", p.nodePrefix().toString());
        assertEquals(Optional.empty(), p.partition(0).range());
        assertEquals("2001:db8:42:7::c", p.partition(10).address().toString());
        assertEquals(Integer.MAX_VALUE, p.capacity());
    }

    @Test
    void slash64WithRangesGetsSlash80s() {
        PartitionAddresses p = new PartitionAddresses(Ipv6Prefix.parse("2001:db8:42:7::/64"), true);
        assertEquals("2001:db8:42:7:4001::/80", p.partition(0).range().orElseThrow().toString());
        assertEquals("2001:db8:42:7:ffff::/80", p.partition(49150).range().orElseThrow().toString());
        assertEquals(49151, p.capacity(), "range numbers 0x4001..0xffff");
        assertThrows(PrefixExhaustedException.class, () -> p.partition(49151));
    }

    @Test
    void deterministic() {
        PartitionAddresses a = new PartitionAddresses(Ipv6Prefix.parse("fd00:1:2:3::/64"), true);
        PartitionAddresses b = new PartitionAddresses(Ipv6Prefix.parse("fd00:1:2:3::/64"), true);
        assertEquals(a.partitions(20), b.partitions(20));
        assertEquals(a.partitions(20).get(7), a.partition(7));
    }

    @Test
    void noCollisionsEvenWhenAddressesReachTheRangeBits() {
        // A /112 leaves exactly 16 bits: ranges are /128s and addresses share their 16 bits.
        PartitionAddresses p = new PartitionAddresses(Ipv6Prefix.parse("fd00::/112"), true);
        assertEquals(0x4001 - 2, p.capacity());
        Set<Ipv6Address> used = new HashSet<>();
        used.add(p.computerAddress());
        for (PartitionNetwork n : p.partitions(p.capacity())) {
            assertTrue(used.add(n.address()), "address " + n.address());
            Ipv6Prefix range = n.range().orElseThrow();
            assertEquals(128, range.length());
            assertTrue(used.add(range.address()), "range " + range);
            assertTrue(p.nodePrefix().contains(n.address()));
        }
        assertEquals("fd00::4000", p.partition(p.capacity() - 1).address().toString());
        assertEquals("fd00::4001", p.partition(0).range().orElseThrow().address().toString());
    }

    @Test
    void rangesNeverContainAPartitionAddress() {
        PartitionAddresses p = new PartitionAddresses(Ipv6Prefix.parse("fd00::/100"), true);
        List<PartitionNetwork> all = p.partitions(500);
        for (PartitionNetwork n : all)
            for (PartitionNetwork m : all)
                assertFalse(n.range().orElseThrow().contains(m.address()), n.reference() + " range holds " + m.reference());
    }

    @Test
    void exhaustion() {
        PartitionAddresses p = new PartitionAddresses(Ipv6Prefix.parse("2001:db8:42:7::/124"), false);
        assertEquals(14, p.capacity());
        assertEquals("2001:db8:42:7::f", p.partition(13).address().toString());
        PrefixExhaustedException e = assertThrows(PrefixExhaustedException.class, () -> p.partition(14));
        assertEquals("slappart14 does not fit in 2001:db8:42:7::/124: room for 14 partitions (slappart0..slappart13)",
                e.getMessage());
        assertEquals(14, e.capacity());
        assertThrows(PrefixExhaustedException.class, () -> p.partitions(15));
        assertEquals(14, p.partitions(14).size());
        PrefixExhaustedException none = assertThrows(PrefixExhaustedException.class,
                () -> new PartitionAddresses(Ipv6Prefix.parse("::1/128"), false).partition(0));
        assertEquals("slappart0 does not fit in ::1/128: room for no partition", none.getMessage());
        assertEquals(0, new PartitionAddresses(Ipv6Prefix.parse("::/127"), false).capacity());
    }

    @Test
    void rejects() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> new PartitionAddresses(Ipv6Prefix.parse("fd00::/120"), true));
        assertEquals("partition ranges need 16 bits after the node prefix; fd00::/120 leaves 8", e.getMessage());
        PartitionAddresses p = new PartitionAddresses(Ipv6Prefix.parse("fd00::/64"), false);
        assertThrows(IllegalArgumentException.class, () -> p.partition(-1));
    }
}
