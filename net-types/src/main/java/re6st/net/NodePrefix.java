package re6st.net;

import java.math.BigInteger;

/**
 * A node's prefix inside the network, as the registry allocates it: a string of '0'/'1' bits
 * (the {@code cn} argument of authenticated RPCs, the {@code cert.prefix} column). Its CN text
 * is {@code "<value>/<length>"}, e.g. {@code 0000000000000111 <-> 7/16}, which is the subject CN of
 * the node's certificate and the form {@code revoke} and {@code getNodePrefix} use.
 */
public record NodePrefix(String bits) {
    public NodePrefix {
        Bits.check(bits, "node prefix");
        // The allocator never hands out the empty prefix, and the original cannot print one as a CN.
        if (bits.isEmpty() || bits.length() > 128)
            throw new IllegalArgumentException("node prefix length " + bits.length() + " outside 1..128");
    }

    /** Parses CN text {@code "7/16"}: decimal value, '/', decimal length; the value must fit. */
    public static NodePrefix parseCn(String cn) {
        int slash = cn.indexOf('/');
        if (slash < 1 || !cn.substring(0, slash).matches("[0-9]+") || !cn.substring(slash + 1).matches("[0-9]{1,3}"))
            throw new IllegalArgumentException("not a node CN: '" + cn + "' (expected VALUE/LENGTH, e.g. 7/16)");
        BigInteger value = new BigInteger(cn.substring(0, slash));
        int length = Integer.parseInt(cn.substring(slash + 1));
        if (length < 1 || length > 128)
            throw new IllegalArgumentException("node CN '" + cn + "': length outside 1..128");
        if (value.bitLength() > length)
            throw new IllegalArgumentException("node CN '" + cn + "': " + value + " does not fit in " + length + " bits");
        return new NodePrefix(Bits.format(value, length));
    }

    /** The CN text, {@code "%u/%u" % (int(prefix, 2), len(prefix))} in the original. */
    public String cn() {
        return new BigInteger(bits, 2) + "/" + bits.length();
    }

    public int length() {
        return bits.length();
    }
}
