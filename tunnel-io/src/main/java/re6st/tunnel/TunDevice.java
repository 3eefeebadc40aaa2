package re6st.tunnel;

import java.io.IOException;
import java.lang.System.Logger;
import java.lang.System.Logger.Level;
import java.nio.file.Files;
import java.nio.file.Path;

import re6st.jni.ErrnoException;
import re6st.jni.Netlink;
import re6st.jni.Offload;
import re6st.jni.Tun;
import re6st.net.IpPrefix;

/**
 * How a tunnel's TUN interface is made and prepared, in one place for every transport (UDP
 * endpoint, TCP tunnel, the fixed-key test tunnel) and for the commands: opened with a vnet
 * header and the checksum/TSO offloads {@link TunPump} and {@link TunSink} rely on, addresses
 * kept when the link goes down (a tunnel taken down for a black hole comes back with them),
 * non-blocking, and a read slot sized from its MTU.
 */
public final class TunDevice {
    private static final Logger LOG = System.getLogger("re6st.tunnel");

    private TunDevice() {
    }

    /** A prepared interface: its index and the size of one read slot (MTU + room for headers, at least 2 KiB). */
    public record Attached(int index, int slot) {
    }

    /** Opens TUN device {@code name} (created if missing) with vnet header and offloads. */
    public static Tun open(String name) throws ErrnoException {
        Tun t = Tun.open(name, Tun.Mode.TUN, Tun.VNET_HDR);
        try {
            t.setOffload(Offload.TUN_OFFLOADS);
        } catch (ErrnoException e) {
            t.close();
            throw e;
        }
        return t;
    }

    /**
     * Opens {@code name} as {@link #open}, sets its MTU, adds {@code address} (may be null, no
     * duplicate address detection) and brings it up. Call in the interface's namespace.
     */
    public static Tun open(String name, int mtu, IpPrefix address) throws IOException {
        Tun tun = open(name);
        try (Netlink nl = Netlink.open()) {
            int idx = nl.index(tun.name());
            nl.setMtu(idx, mtu);
            if (address != null)
                nl.addAddress(idx, address, true);
            nl.setUp(idx, true);
        } catch (IOException | RuntimeException e) {
            tun.close();
            throw e;
        }
        return tun;
    }

    /** Refuses a device opened otherwise: without the vnet header, offloaded segments would be misread. */
    public static void requireOffloads(Tun tun) {
        if (!tun.hasVnetHdr())
            throw new IllegalArgumentException("the TUN device " + tun.name()
                    + " must be opened with TunDevice.open (vnet header, offloads)");
    }

    /**
     * Prepares an open device for a tunnel's data path: checks it, keeps its IPv6 addresses when
     * it goes down, makes it non-blocking, and sizes a read slot from its current MTU.
     */
    public static Attached attach(Netlink netlink, Tun tun) throws IOException {
        requireOffloads(tun);
        int index = netlink.index(tun.name());
        int slot = Math.max(2048, netlink.link(index).mtu() + 64);
        keepAddressesWhenDown(tun.name());
        tun.setNonBlocking(true);
        return new Attached(index, slot);
    }

    /**
     * Linux removes an interface's IPv6 addresses when it goes down (keep_addr_on_down = 0): a
     * tunnel that goes down for a black hole must come back with its addresses, so keep them.
     * Written through /proc of the calling thread's namespace.
     */
    static void keepAddressesWhenDown(String ifname) {
        Path p = Path.of("/proc/sys/net/ipv6/conf", ifname, "keep_addr_on_down");
        try {
            Files.writeString(p, "1");
        } catch (IOException e) {
            LOG.log(Level.WARNING, "cannot set {0}: {1} (addresses will be lost when the tunnel goes down)", p, e.getMessage());
        }
    }
}
