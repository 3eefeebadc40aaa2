package re6st.babel;

import re6st.babel.message.Addr;
import re6st.babel.message.Prefix;

/**
 * What the kernel should hold for one destination: a route via a neighbour on an interface, or
 * an {@code unreachable} route while the destination is retracted (so traffic is dropped
 * instead of leaking to a less specific route). Installing a KernelRoute for a destination
 * that already has one replaces it atomically. {@code routerId} is the originator (for install filters).
 */
public record KernelRoute(Prefix prefix, Prefix src, String ifname, Addr nextHop, boolean unreachable, long routerId) {}
