package re6st.jni;

import java.util.Objects;

import re6st.net.IpPrefix;

/**
 * A policy routing rule: {@code ip rule add [from SRC] [to DST] [iif IF] lookup TABLE priority P}.
 * Family comes from the prefixes; {@code family} is used when neither is given.
 */
public record Rule(int family, int priority, int table, IpPrefix from, IpPrefix to, String iif) {
    public Rule {
        if (family != Netlink.AF_INET && family != Netlink.AF_INET6)
            throw new IllegalArgumentException("rule family must be AF_INET or AF_INET6, not " + family);
        if (table <= 0)
            throw new IllegalArgumentException("rule table " + table + " (must be > 0)");
        if (from != null && from.family() != family || to != null && to.family() != family)
            throw new IllegalArgumentException("rule prefixes do not match the family");
    }

    public static Rule lookup(int family, int table, int priority) {
        return new Rule(family, priority, table, null, null, null);
    }

    public Rule from(IpPrefix p) {
        return new Rule(family, priority, table, p, to, iif);
    }

    public Rule to(IpPrefix p) {
        return new Rule(family, priority, table, from, p, iif);
    }

    public Rule iif(String name) {
        return new Rule(family, priority, table, from, to, name);
    }

    @Override
    public String toString() {
        return priority + ": " + (from == null ? "from all" : "from " + from) + (to == null ? "" : " to " + to)
                + (iif == null ? "" : " iif " + iif) + " lookup " + table;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Rule r && family == r.family && priority == r.priority && table == r.table
                && Objects.equals(from, r.from) && Objects.equals(to, r.to) && Objects.equals(iif, r.iif);
    }

    @Override
    public int hashCode() {
        return Objects.hash(family, priority, table, from, to, iif);
    }
}
