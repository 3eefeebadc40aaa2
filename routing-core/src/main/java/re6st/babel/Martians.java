package re6st.babel;

import re6st.babel.message.Addr;
import re6st.babel.message.Prefix;

/**
 * Prefixes nobody may announce or redistribute, as babeld's martian_prefix (util.c):
 * multicast ff00::/8, link-local fe80::/10, :: and ::1, and for IPv4 0/8, 127/8, 224/4 and
 * 255.255.255.255 (IPv4 prefixes are IPv4-mapped, so their lengths here are plen + 96).
 */
public final class Martians {
    private Martians() {}

    public static boolean isMartian(Prefix p) {
        Addr a = p.addr();
        int plen = p.plen();
        int b0 = (int) (a.hi() >>> 56) & 0xff, b1 = (int) (a.hi() >>> 48) & 0xff;
        if (plen >= 8 && b0 == 0xff)
            return true;
        if (plen >= 10 && b0 == 0xfe && (b1 & 0xc0) == 0x80)
            return true;
        if (plen >= 128 && a.hi() == 0 && (a.lo() == 0 || a.lo() == 1))
            return true;
        if (p.isV4()) {
            int v4 = (int) a.lo();
            int first = (v4 >>> 24) & 0xff;
            if (plen >= 104 && (first == 127 || first == 0))
                return true;
            if (plen >= 100 && (first & 0xf0) == 0xe0)
                return true;
            if (plen >= 128 && v4 == -1)
                return true;
        }
        return false;
    }
}
