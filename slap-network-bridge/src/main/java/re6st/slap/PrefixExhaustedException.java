package re6st.slap;

import re6st.net.Ipv6Prefix;

/** A node prefix has no room for the partition asked for: use a shorter prefix or fewer partitions. */
public class PrefixExhaustedException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    private final int index;
    private final int capacity;

    public PrefixExhaustedException(Ipv6Prefix prefix, boolean ranges, int index, int capacity) {
        super("slappart" + index + " does not fit in " + prefix + (ranges ? " with ranges" : "") + ": room for "
                + (capacity == 0 ? "no partition" : capacity + " partitions (slappart0..slappart" + (capacity - 1) + ")"));
        this.index = index;
        this.capacity = capacity;
    }

    public int index() {
        return index;
    }

    public int capacity() {
        return capacity;
    }
}
