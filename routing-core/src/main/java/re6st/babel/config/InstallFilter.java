package re6st.babel.config;

import java.util.ArrayList;
import java.util.List;

import re6st.babel.message.Addr;
import re6st.babel.message.Prefix;

/**
 * Which selected routes go into the kernel, and where: babeld's install filter chain. Statements
 * are tried in order, first match wins; babeld appends an implicit {@code install allow}, so by
 * default every selected route is installed in the export table. {@code deny} keeps the route
 * out of the kernel (it is still used and announced). {@code proto}/{@code local}/{@code neigh}
 * never match here (babeld passes neither), {@code id} matches the route's originator.
 */
public final class InstallFilter {
    private static final Filter ALLOW = Filter.any(0, 0);

    private final List<Filter> statements;
    private final List<Filter> chain;

    public InstallFilter(List<Filter> statements) {
        this.statements = List.copyOf(statements);
        List<Filter> c = new ArrayList<>(statements);
        c.add(ALLOW);
        this.chain = List.copyOf(c);
    }

    public List<Filter> statements() {
        return statements;
    }

    /**
     * @param install whether to put the route in the kernel
     * @param table   the statement's {@code table}, or 0 for the configuration's export table
     * @param prefSrc the statement's {@code pref-src}, or null
     */
    public record Decision(boolean install, int table, Addr prefSrc) {}

    /**
     * @param src      source prefix, or null for a plain route
     * @param routerId the originator of the route
     * @param ifname   the interface the route goes through
     */
    public Decision decide(Prefix dst, Prefix src, long routerId, String ifname) {
        Prefix source = src != null ? src : dst.isV4() ? Prefix.V4_DEFAULT : Prefix.V6_DEFAULT;
        for (Filter f : chain) {
            if (f.matches(dst, source, 0, ifname, routerId, null))
                return new Decision(!f.isDeny(), f.table(), f.prefSrc());
        }
        throw new AssertionError("the implicit allow matches everything");
    }
}
