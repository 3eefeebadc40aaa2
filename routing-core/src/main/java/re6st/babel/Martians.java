package re6st.babel;

import re6st.babel.message.Addr;
import re6st.babel.message.Prefix;

/** Prefixes nobody may announce (babeld's martian_prefix): multicast, link-local, loopback, unspecified... */
final class Martians {
    private static final Prefix[] V6 = {
        Prefix.parse("ff00::/8"), Prefix.parse("fe80::/10"),
    };
    private static final Prefix[] V4 = {
        Prefix.parse("0.0.0.0/8"), Prefix.parse("127.0.0.0/8"), Prefix.parse("224.0.0.0/4"),
    };
    private static final Addr LOOPBACK6 = Addr.parse("::1");
    private static final Addr BROADCAST4 = Addr.parse("255.255.255.255");

    private Martians() {}

    static boolean isMartian(Prefix p) {
        if (p.isV4()) {
            if (p.plen() >= 128 && p.addr().equals(BROADCAST4))
                return true;
            for (Prefix m : V4)
                if (m.contains(p) && !p.isDefault())
                    return true;
            return false;
        }
        if (p.plen() == 128 && (p.addr().equals(Addr.ZERO) || p.addr().equals(LOOPBACK6)))
            return true;
        for (Prefix m : V6)
            if (m.contains(p))
                return true;
        return false;
    }
}
