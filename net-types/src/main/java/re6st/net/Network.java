package re6st.net;

import java.math.BigInteger;

/**
 * The re6st network: the IPv6 prefix every node prefix lives in. It is carried by the CA
 * certificate's serial number: {@code bin(serial)} minus its leading 1 bit is the network's bits
 * (the leading 1 keeps leading zero bits), so {@code 2001:db8:42::/48 <-> 0x120010db80042}.
 */
public record Network(Ipv6Prefix prefix) {
    public Network {
        if (prefix == null)
            throw new IllegalArgumentException("network prefix is null");
    }

    /** The original's networkFromCa: {@code bin(ca.serial)[3:]}. */
    public static Network fromCaSerial(BigInteger serial) {
        if (serial.signum() <= 0)
            throw new IllegalArgumentException("CA serial " + serial + " does not encode a network: it must be positive");
        if (serial.bitLength() - 1 > 128)
            throw new IllegalArgumentException("CA serial 0x" + serial.toString(16) + " encodes "
                    + (serial.bitLength() - 1) + " network bits, more than 128");
        return new Network(Ipv6Prefix.ofBits(serial.toString(2).substring(1)));
    }

    public static Network parse(String prefix) {
        return new Network(Ipv6Prefix.parse(prefix));
    }

    /** The serial a CA for this network must have. */
    public BigInteger caSerial() {
        return new BigInteger("1" + prefix.bits(), 2);
    }

    public String bits() {
        return prefix.bits();
    }

    /** Node prefixes may be at most this long (the registry's {@code 128 - len(network)}). */
    public int maxNodePrefixLength() {
        return 128 - prefix.length();
    }

    public NodeSubnet subnet(NodePrefix node) {
        return new NodeSubnet(this, node);
    }

    @Override
    public String toString() {
        return prefix.toString();
    }
}
