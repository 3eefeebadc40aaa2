package re6st.babel.daemon;

import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;

import re6st.babel.BabelRouter;
import re6st.babel.Neighbour;
import re6st.babel.Route;
import re6st.babel.RouterId;
import re6st.babel.XRoute;
import re6st.babel.message.Prefix;

/**
 * The state of a {@link BabelRouter} in babeld's local-interface line format (the same lines
 * as {@code echo dump | nc ::1 33123} on babeld), keyed by object so that monitors can send
 * {@code add}/{@code change}/{@code flush} for what changed.
 */
final class ControlDump {
    private ControlDump() {}

    /** key ("interface eth0", "neighbour 1a2b"...) -> line without the leading verb. */
    static Map<String, String> snapshot(BabelRouter core, long now) {
        Map<String, String> out = new LinkedHashMap<>();
        for (String name : core.interfaceNames())
            out.put("interface " + name, "interface " + name + " up true ipv6 " + core.linkLocal(name));
        for (Neighbour n : core.neighbours()) {
            String id = id(n);
            StringBuilder s = new StringBuilder("neighbour ").append(id).append(" address ").append(n.address())
                    .append(" if ").append(n.interfaceName())
                    .append(String.format(Locale.ROOT, " reach %04x ureach %04x rxcost %d txcost %d", n.reach(),
                            n.unicastReach(), n.rxcost(now), n.txcost()));
            int rtt = n.rttMicros(now);
            if (rtt >= 0)
                s.append(String.format(Locale.ROOT, " rtt %d.%03d rttcost %d", rtt / 1000, rtt % 1000, n.rttCost(now)));
            s.append(" cost ").append(n.cost(now));
            if (n.costMultiplier() != 1)
                s.append(" cost-multiplier ").append(n.costMultiplier());
            out.put("neighbour " + id, s.toString());
        }
        for (XRoute x : core.xroutes()) {
            String dst = x.prefix().toString(), src = from(x.prefix(), x.src());
            out.put("xroute " + dst + "-" + src, "xroute " + dst + "-" + src + " prefix " + dst + " from " + src
                    + " metric " + x.metric());
        }
        for (Route r : core.routes()) {
            String id = id(r);
            out.put("route " + id, "route " + id + " prefix " + r.prefix() + " from " + from(r.prefix(), r.sourcePrefix())
                    + " installed " + (r.installed() ? "yes" : "no") + " id " + RouterId.format(r.routerId())
                    + " metric " + r.metric() + " refmetric " + r.refmetric() + " via " + r.neighbour().address()
                    + " if " + r.neighbour().interfaceName());
        }
        return out;
    }

    /**
     * The {@code routes ADDRESS} answer: every route whose prefix holds {@code a} (installed or
     * not, most specific first), one line each in the dump's route format plus its feasibility
     * and the neighbour's router-id-less identity (address, interface): what a tool needs to know
     * whether traffic to {@code a} has somewhere else to go.
     */
    static String routesTo(BabelRouter core, re6st.babel.message.Addr a, long now) {
        StringBuilder b = new StringBuilder();
        core.routes().stream().filter(r -> r.prefix().contains(a))
                .sorted(java.util.Comparator.comparingInt((Route r) -> -r.prefix().plen()).thenComparingInt(Route::metric))
                .forEach(r -> b.append("route prefix ").append(r.prefix()).append(" from ").append(from(r.prefix(), r.sourcePrefix()))
                        .append(" installed ").append(r.installed() ? "yes" : "no").append(" feasible ").append(r.feasible(now) ? "yes" : "no")
                        .append(" id ").append(RouterId.format(r.routerId())).append(" metric ").append(r.metric())
                        .append(" refmetric ").append(r.refmetric()).append(" via ").append(r.neighbour().address())
                        .append(" if ").append(r.neighbour().interfaceName()).append('\n'));
        return b.toString();
    }

    private static String from(Prefix dst, Prefix src) {
        if (src != null)
            return src.toString();
        return dst.isV4() ? "0.0.0.0/0" : "::/0";
    }

    private static String id(Object o) {
        return Integer.toHexString(System.identityHashCode(o));
    }
}
