package re6st.babel;

import java.util.Locale;

/** Router-ids: 64 bits, written as babeld writes them (02:00:00:00:00:00:00:01). */
public final class RouterId {
    private RouterId() {}

    public static String format(long id) {
        StringBuilder s = new StringBuilder(23);
        for (int i = 7; i >= 0; i--) {
            s.append(String.format(Locale.ROOT, "%02x", (id >>> (8 * i)) & 0xff));
            if (i > 0)
                s.append(':');
        }
        return s.toString();
    }

    public static long parse(String text) {
        String[] parts = text.split(":");
        if (parts.length != 8)
            throw new IllegalArgumentException("router-id must be 8 hex bytes separated by ':', got '" + text + "'");
        long id = 0;
        for (String p : parts) {
            if (p.length() < 1 || p.length() > 2)
                throw new IllegalArgumentException("bad router-id byte '" + p + "' in '" + text + "'");
            id = (id << 8) | Integer.parseInt(p, 16);
        }
        return id;
    }
}
