package re6st.babel;

/** 16-bit sequence number arithmetic (RFC 8966 section 3.2.1): modulo 2^16, compared over half the space. */
public final class Seqno {
    private Seqno() {}

    public static int plus(int s, int n) {
        return (s + n) & 0xFFFF;
    }

    /** s1 - s2 in -32768..32767. */
    public static int minus(int s1, int s2) {
        return (short) ((s1 - s2) & 0xFFFF);
    }

    /** Negative, 0 or positive as s1 is older than, equal to or newer than s2. */
    public static int compare(int s1, int s2) {
        return Integer.signum(minus(s1, s2));
    }
}
