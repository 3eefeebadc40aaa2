package re6st.babel;

import java.util.ArrayList;
import java.util.List;

import re6st.babel.message.Addr;

/** Babel's view of one network interface: settings, our link-local address, Hello and update timers. */
final class Interface {
    final String name;
    InterfaceSettings settings;
    Addr linkLocal;
    Addr ipv4;            // optional: our IPv4 address here (Next Hop for IPv4 updates)
    boolean up;
    int helloSeqno;
    int hellosSinceIhu;
    long nextHello;
    long nextUpdate;
    long lastFullUpdate = Long.MIN_VALUE;
    final List<Neighbour> neighbours = new ArrayList<>();

    Interface(String name, InterfaceSettings settings, Addr linkLocal) {
        this.name = name;
        this.settings = settings;
        this.linkLocal = linkLocal;
    }

    Neighbour neighbour(Addr a) {
        for (Neighbour n : neighbours)
            if (n.address.equals(a))
                return n;
        return null;
    }
}
