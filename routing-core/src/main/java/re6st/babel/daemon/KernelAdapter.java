package re6st.babel.daemon;

import java.lang.System.Logger;
import java.lang.System.Logger.Level;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import re6st.babel.KernelRoute;
import re6st.babel.message.Prefix;
import re6st.jni.ErrnoException;
import re6st.jni.Netlink;
import re6st.jni.NetlinkException;
import re6st.jni.Route;
import re6st.jni.RouteType;

/**
 * Puts the core's routes into the kernel through our netlink API: protocol 42 (RTPROT_BABEL,
 * as babeld), gateway = the neighbour's link-local address with {@code onlink}, IPv6 source
 * prefixes as source-specific routes, retracted routes as {@code unreachable}. A change is one
 * atomic {@code replace} (babeld deletes then adds, leaving a gap).
 */
public final class KernelAdapter {
    public static final int PROTO_BABEL = 42;
    private static final Logger LOG = System.getLogger("re6st.babel.kernel");

    private final Netlink netlink;
    private final int table;
    private final int metric;
    private final Map<String, Integer> indexes = new HashMap<>();
    private InstallPolicy policy = InstallPolicy.DEFAULT;
    private final Map<List<Prefix>, Route> installed = new HashMap<>();
    public long installs, removals, errors;

    /** @param metric kernel route priority (0: the kernel's default, 1024 for IPv6) */
    public KernelAdapter(Netlink netlink, int table, int metric) {
        this.netlink = netlink;
        this.table = table;
        this.metric = metric;
    }

    /** Where and how a route goes into the kernel (babeld's {@code install} statements). */
    public interface InstallPolicy {
        /** Null: do not install. */
        Placement place(KernelRoute r);

        InstallPolicy DEFAULT = r -> Placement.DEFAULT;
    }

    /** @param table 0 for the adapter's table; @param prefSrc preferred source address, or null */
    public record Placement(int table, java.net.InetAddress prefSrc) {
        static final Placement DEFAULT = new Placement(0, null);
    }

    public void setInstallPolicy(InstallPolicy p) {
        this.policy = p;
    }

    /** Removes routes of our protocol left in our table by an earlier run that did not stop cleanly. */
    public int flushStale() throws NetlinkException {
        int n = 0;
        for (int family : new int[] {Netlink.AF_INET6, Netlink.AF_INET}) {
            for (Route r : netlink.routes(family, table, PROTO_BABEL)) {
                try {
                    netlink.deleteRoute(r);
                    n++;
                } catch (NetlinkException e) {
                    if (e.errno() != ErrnoException.ESRCH)
                        throw e;
                }
            }
        }
        if (n > 0)
            LOG.log(Level.INFO, "removed {0} stale proto {1} route(s) from table {2}", n, PROTO_BABEL, table);
        return n;
    }

    public void install(KernelRoute r) {
        Route k;
        try {
            k = toKernel(r);
        } catch (NetlinkException e) {
            errors++;
            LOG.log(Level.WARNING, "cannot install {0}: {1}", r.prefix(), e.getMessage());
            return;
        }
        List<Prefix> key = java.util.Arrays.asList(r.prefix(), r.src());
        if (k == null) { // the install policy says no
            uninstall(r);
            return;
        }
        try {
            Route old = installed.get(key);
            if (old != null && old.table() != k.table())
                uninstall(r); // moved to another table: replace cannot do that
            netlink.replaceRoute(k);
            installed.put(key, k);
            installs++;
        } catch (NetlinkException e) {
            errors++;
            LOG.log(Level.WARNING, "kernel refused {0}", e.getMessage());
        }
    }

    public void uninstall(KernelRoute r) {
        Route k = installed.remove(java.util.Arrays.asList(r.prefix(), r.src()));
        if (k == null)
            return;
        try {
            netlink.deleteRoute(k);
            removals++;
        } catch (NetlinkException e) {
            if (e.errno() != ErrnoException.ESRCH) {
                errors++;
                LOG.log(Level.WARNING, "kernel refused {0}", e.getMessage());
            }
        }
    }

    /** Removes every route we installed (graceful stop). */
    public void uninstallAll() {
        for (Route k : List.copyOf(installed.values())) {
            try {
                netlink.deleteRoute(k);
                removals++;
            } catch (NetlinkException e) {
                if (e.errno() != ErrnoException.ESRCH)
                    errors++;
            }
        }
        installed.clear();
    }

    public int installedCount() {
        return installed.size();
    }

    /** Forgets a cached interface index (the interface was removed or renamed). */
    public void forgetInterface(String ifname) {
        indexes.remove(ifname);
    }

    private int index(String ifname) throws NetlinkException {
        Integer i = indexes.get(ifname);
        if (i == null) {
            i = netlink.index(ifname);
            indexes.put(ifname, i);
        }
        return i;
    }

    Route toKernel(KernelRoute r) throws NetlinkException {
        Placement place = policy.place(r);
        if (place == null)
            return null;
        Route.Builder b = Route.to(r.prefix().toIpPrefix()).table(place.table() > 0 ? place.table() : table)
                .protocol(PROTO_BABEL).metric(metric);
        if (r.src() != null)
            b.from(r.src().toIpPrefix());
        if (r.unreachable())
            return b.type(RouteType.UNREACHABLE).build();
        return b.via(r.nextHop().toInetAddress()).dev(index(r.ifname())).onlink(true).prefSrc(place.prefSrc()).build();
    }
}
