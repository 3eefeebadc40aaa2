package re6st.node;

import java.io.IOException;
import java.lang.System.Logger;
import java.lang.System.Logger.Level;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import re6st.jni.Netlink;
import re6st.jni.NetlinkException;
import re6st.jni.Route;
import re6st.jni.RouteType;
import re6st.net.IpPrefix;

/**
 * What the node sets in the kernel before routing (startup step 6), and takes back at exit:
 * its address on the main interface with the subnet's length (the kernel then routes the subnet
 * there, which Babel redistributes), an {@code unreachable} route for the whole network (an
 * unknown overlay destination fails at once instead of leaking to the default route), IPv6
 * forwarding (transit traffic, and the subnet-router anycast address the peer protocol is sent
 * to is only local to a forwarding host), and the same for the optional IPv4 overlay.
 */
public final class KernelSetup implements AutoCloseable {
    private static final Logger LOG = System.getLogger("re6st.node");
    private final Netlink netlink;
    private final List<Runnable> undo = new ArrayList<>();

    private KernelSetup(Netlink netlink) {
        this.netlink = netlink;
    }

    /** Sets everything up in the caller's namespace; on failure, what was done is undone and the reason thrown. */
    public static KernelSetup apply(NodeAddressing a, java.util.Optional<Ipv4Overlay> ipv4) throws IOException {
        KernelSetup k = new KernelSetup(Netlink.open());
        try {
            k.sysctl("net/ipv6/conf/all/forwarding", "1");
            int main = k.index(a.mainInterface());
            k.netlink.setUp(main, true);
            k.address(main, IpPrefix.parse(a.interfaceAddress()));
            k.route(Route.to(IpPrefix.parse(a.network().toString())).type(RouteType.UNREACHABLE).build());
            if (ipv4.isPresent()) {
                k.sysctl("net/ipv4/ip_forward", "1");
                Ipv4Overlay v4 = ipv4.get();
                k.address(main, IpPrefix.parse(v4.addressText() + "/32"));
                k.route(Route.to(IpPrefix.parse(v4.blockText())).type(RouteType.UNREACHABLE).build());
            }
        } catch (IOException | RuntimeException e) {
            k.close();
            throw e;
        }
        return k;
    }

    private int index(String name) throws IOException {
        try {
            return netlink.index(name);
        } catch (NetlinkException e) {
            throw new IOException("--main-interface " + name + ": no such interface ('ip link' lists them)", e);
        }
    }

    private void address(int index, IpPrefix p) throws IOException {
        try {
            netlink.addAddress(index, p, true);
        } catch (NetlinkException e) {
            if (!String.valueOf(e.getMessage()).contains("EEXIST"))
                throw new IOException("cannot add " + p + " to the main interface: " + e.getMessage(), e);
            LOG.log(Level.INFO, "{0} was already on the main interface", p);
            return; // someone else's: not ours to remove
        }
        undo.add(() -> {
            try {
                netlink.deleteAddress(index, p);
            } catch (NetlinkException e) {
                LOG.log(Level.DEBUG, "remove {0}: {1}", p, e.getMessage());
            }
        });
    }

    private void route(Route r) throws IOException {
        try {
            netlink.replaceRoute(r);
        } catch (NetlinkException e) {
            throw new IOException("cannot add the route " + r + ": " + e.getMessage(), e);
        }
        undo.add(() -> {
            try {
                netlink.deleteRoute(r);
            } catch (NetlinkException e) {
                LOG.log(Level.DEBUG, "remove {0}: {1}", r, e.getMessage());
            }
        });
    }

    private void sysctl(String key, String value) throws IOException {
        Path p = Path.of("/proc/sys", key);
        try {
            if (!Files.readString(p).trim().equals(value))
                Files.writeString(p, value);
        } catch (IOException e) {
            throw new IOException("cannot set " + key.replace('/', '.') + " = " + value + " (" + e.getMessage() + ")", e);
        }
    }

    /** Removes the routes and addresses added (forwarding stays on: other things may rely on it). */
    @Override
    public void close() {
        for (int i = undo.size() - 1; i >= 0; i--)
            undo.get(i).run();
        undo.clear();
        try {
            netlink.close();
        } catch (IOException e) {
            LOG.log(Level.DEBUG, "netlink close: {0}", e.getMessage());
        }
    }
}
