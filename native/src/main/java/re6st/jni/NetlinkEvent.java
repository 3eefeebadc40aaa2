package re6st.jni;

import re6st.net.IpPrefix;


/** A change the kernel announced on a {@link NetlinkMonitor}. */
public sealed interface NetlinkEvent {
    /** A link appeared, changed (up/down, MTU, name) or, if {@code removed}, disappeared. */
    record LinkChanged(Link link, boolean removed) implements NetlinkEvent {}

    /** An address was added to or removed from interface {@code index}. */
    record AddressChanged(int index, IpPrefix address, boolean removed) implements NetlinkEvent {}

    /** A route was added/replaced, or removed. */
    record RouteChanged(Route route, boolean removed) implements NetlinkEvent {}

    /** A rule was added or removed. */
    record RuleChanged(Rule rule, boolean removed) implements NetlinkEvent {}

    /**
     * The socket buffer overflowed (ENOBUFS): some events were lost and the listener must
     * re-read the state it cares about with a dump.
     */
    record Overflow() implements NetlinkEvent {}
}
