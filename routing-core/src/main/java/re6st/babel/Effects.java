package re6st.babel;

import re6st.babel.message.Addr;
import re6st.babel.message.Message;

/**
 * What the protocol core asks the outside world to do. The daemon sends packets and talks to
 * the kernel; a simulation delivers them to other cores; a unit test records them.
 */
public interface Effects {
    /**
     * Queue {@code m} for sending on {@code ifname}, to {@code dest} (unicast to a neighbour's
     * link-local address) or to all Babel routers on the link when {@code dest} is null.
     * Messages queued for the same destination in one call of the core go in the same packet
     * where they fit, in order (an RTT-carrying IHU must share its Hello's packet).
     */
    void send(String ifname, Addr dest, Message m);

    /** Add or atomically replace the kernel route for {@code r.prefix()} / {@code r.src()}. */
    void install(KernelRoute r);

    /** Remove the kernel route for {@code r.prefix()} / {@code r.src()}. */
    void uninstall(KernelRoute r);
}
