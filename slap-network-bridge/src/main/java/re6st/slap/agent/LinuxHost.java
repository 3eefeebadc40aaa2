package re6st.slap.agent;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.GroupPrincipal;
import java.nio.file.attribute.PosixFileAttributeView;
import java.nio.file.attribute.UserPrincipal;
import java.nio.file.attribute.UserPrincipalLookupService;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import re6st.jni.Netlink;
import re6st.jni.NetlinkEvent;
import re6st.jni.NetlinkException;
import re6st.jni.Route;
import re6st.jni.RouteType;
import re6st.net.IpPrefix;

/**
 * The system side of format on Linux: addresses and local routes by rtnetlink (our JNI), users
 * with {@code groupadd}/{@code useradd}, ownership with the JDK. An address or route that is
 * there already is fine (format runs again at every start).
 */
public final class LinuxHost implements NodeAgent.Host {
    @Override
    public void addAddress(String iface, String addressWithLength) throws IOException {
        try (Netlink nl = Netlink.open()) {
            nl.addAddress(index(nl, iface), IpPrefix.parse(addressWithLength), true);
        } catch (NetlinkException e) {
            if (!String.valueOf(e.getMessage()).contains("EEXIST"))
                throw new IOException("cannot add " + addressWithLength + " to " + iface + ": " + e.getMessage(), e);
        } catch (re6st.jni.ErrnoException e) {
            throw new IOException("rtnetlink: " + e.getMessage(), e);
        }
    }

    /** {@code ip -6 route add local PREFIX dev IFACE}: every address of the range is this host's (services bind to any). */
    @Override
    public void addLocalRoute(String iface, String prefix) throws IOException {
        try (Netlink nl = Netlink.open()) {
            nl.replaceRoute(Route.to(prefix).type(RouteType.LOCAL).dev(index(nl, iface)).table(Route.TABLE_LOCAL).build());
        } catch (NetlinkException e) {
            throw new IOException("cannot add the local route " + prefix + " on " + iface + ": " + e.getMessage(), e);
        } catch (re6st.jni.ErrnoException e) {
            throw new IOException("rtnetlink: " + e.getMessage(), e);
        }
        Files.writeString(Path.of("/proc/sys/net/ipv6/ip_nonlocal_bind"), "1");
    }

    private static int index(Netlink nl, String iface) throws IOException {
        try {
            return nl.index(iface);
        } catch (NetlinkException e) {
            throw new IOException("no interface " + iface + " ('ip link' lists them)", e);
        }
    }

    /** The global IPv6 addresses of {@code iface} (loopback and link-local left out), e.g. re6st's {@code 2001:db8:42:7::1/64}. */
    public static List<IpPrefix> globalAddresses(String iface) throws IOException {
        List<IpPrefix> out = new ArrayList<>();
        try (Netlink nl = Netlink.open()) {
            for (NetlinkEvent.AddressChanged a : nl.addresses(IpPrefix.AF_INET6, index(nl, iface))) {
                byte[] b = a.address().address().getAddress();
                boolean linkLocal = (b[0] & 0xff) == 0xfe && (b[1] & 0xc0) == 0x80;
                if (!a.address().address().isLoopbackAddress() && !linkLocal)
                    out.add(a.address());
            }
        } catch (re6st.jni.ErrnoException e) {
            throw new IOException("cannot read the addresses of " + iface + ": " + e.getMessage(), e);
        }
        return out;
    }

    @Override
    public void ensureUser(String user, String group, Path home) throws IOException {
        if (!exists("getent", "group", group))
            run("groupadd", "--system", group);
        if (exists("getent", "passwd", user))
            return;
        if (user.equals(group)) // the software user: the group is its own
            run("useradd", "--system", "--no-create-home", "--home-dir", home.toString(), "--gid", group, "--shell", "/usr/sbin/nologin", user);
        else // a partition's: a group of its own (the others cannot read its files), the shared one besides
            run("useradd", "--system", "--no-create-home", "--home-dir", home.toString(), "--user-group", "--groups", group, "--shell",
                    "/usr/sbin/nologin", user);
    }

    @Override
    public void chown(Path path, String user, String group) throws IOException {
        if (!Files.exists(path, LinkOption.NOFOLLOW_LINKS))
            return;
        UserPrincipalLookupService l = path.getFileSystem().getUserPrincipalLookupService();
        UserPrincipal u = l.lookupPrincipalByName(user);
        GroupPrincipal g = l.lookupPrincipalByGroupName(group);
        PosixFileAttributeView v = Files.getFileAttributeView(path, PosixFileAttributeView.class, LinkOption.NOFOLLOW_LINKS);
        v.setOwner(u);
        v.setGroup(g);
    }

    @Override
    public void killUser(String user) throws IOException {
        exec("pkill", "-KILL", "-u", user); // 1: nothing to kill
    }

    /** Removes a user made by {@link #ensureUser}, and its own group (for tests that clean up after themselves). */
    public static void removeUser(String user) throws IOException {
        if (exists("getent", "passwd", user))
            run("userdel", user);
        if (exists("getent", "group", user))
            run("groupdel", user);
    }

    public static void removeGroup(String group) throws IOException {
        if (exists("getent", "group", group))
            run("groupdel", group);
    }

    private static boolean exists(String... cmd) throws IOException {
        return exec(cmd) == 0;
    }

    private static void run(String... cmd) throws IOException {
        int code = exec(cmd);
        if (code != 0)
            throw new IOException(String.join(" ", cmd) + " failed (exit " + code + ")");
    }

    private static int exec(String... cmd) throws IOException {
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        try {
            byte[] out = p.getInputStream().readAllBytes();
            if (!p.waitFor(30, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                throw new IOException(String.join(" ", cmd) + " did not end within 30 s");
            }
            if (p.exitValue() != 0 && out.length > 0 && !cmd[0].equals("getent"))
                System.getLogger("re6st.slap.agent").log(System.Logger.Level.WARNING, "{0}: {1}", String.join(" ", cmd),
                        new String(out, StandardCharsets.UTF_8).strip());
            return p.exitValue();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted: " + String.join(" ", cmd), e);
        }
    }
}
