package re6st.net;

/** Dotted-quad IPv4 text, strict (four decimal parts 0..255) and offline. */
public final class Ipv4Text {
    private Ipv4Text() {
    }

    /** The address as an unsigned 32-bit value. */
    public static long parse(String text) {
        String[] p = text.split("\\.", -1);
        if (p.length != 4)
            throw new IllegalArgumentException("not an IPv4 address: '" + text + "'");
        long v = 0;
        for (String part : p) {
            if (!part.matches("[0-9]{1,3}") || Integer.parseInt(part) > 255)
                throw new IllegalArgumentException("not an IPv4 address: '" + text + "'");
            v = v << 8 | Integer.parseInt(part);
        }
        return v;
    }

    public static String format(long address) {
        if (address < 0 || address > 0xFFFFFFFFL)
            throw new IllegalArgumentException("not a 32-bit value: " + address);
        return (address >>> 24) + "." + (address >>> 16 & 0xFF) + "." + (address >>> 8 & 0xFF) + "." + (address & 0xFF);
    }
}
