package re6st.node;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import re6st.netsim.Mesh;
import re6st.cli.NotifyListener;
import re6st.netsim.Cmd;
import re6st.netsim.Prerequisites;
import re6st.netsim.RequiresRoot;
import re6st.netsim.TestNet;

/**
 * The systemd units in {@code dist/systemd} (issue 14, "Run it"): systemd accepts them, and the
 * registry and the node run as the units run them: with only the capabilities the units bound them
 * to, /usr, /etc and the home directories read-only as the units make them, telling the service manager READY=1 once they serve (Type=notify), RELOADING=1 then READY=1
 * on SIGHUP, STOPPING=1 at SIGTERM and exiting 0.
 */
@RequiresRoot
class SystemdUnitsTest {
    private static final Path UNITS = Path.of(System.getProperty("user.dir")).getParent().resolve("dist/systemd");

    @TempDir
    Path tmp;

    private static String unit(String name) throws IOException {
        return Files.readString(UNITS.resolve(name));
    }

    private static String value(String unit, String key) {
        Matcher m = Pattern.compile("(?m)^" + key + "=(.*)$").matcher(unit);
        assertTrue(m.find(), key + " in the unit");
        return m.group(1).trim();
    }

    /** The unit's CapabilityBoundingSet as setpriv's --bounding-set (e.g. "-all,+net_admin"). */
    static String boundingSet(String unit) {
        StringBuilder b = new StringBuilder("-all");
        for (String cap : value(unit, "CapabilityBoundingSet").split("\\s+"))
            b.append(",+").append(cap.toLowerCase(Locale.ROOT).replaceFirst("^cap_", ""));
        return b.toString();
    }

    /**
     * What runs a daemon as {@code unit} does: its file-system protections ({@link #sandbox}), its notify socket, its
     * capability bounding set, no new privileges.
     */
    static List<String> asTheUnitRunsIt(String unit, NotifyListener notify) {
        List<String> w = new ArrayList<>(List.of("unshare", "--mount", "--propagation", "private", "sh", "-c", sandbox(unit), "sandbox",
                "env", "NOTIFY_SOCKET=" + notify.name(), "setpriv", "--bounding-set", boundingSet(unit)));
        if (value(unit, "NoNewPrivileges").equals("yes"))
            w.add("--no-new-privs");
        w.add("--");
        return w;
    }

    /**
     * A shell script that makes, in a new mount namespace, what the unit's ProtectSystem=full (/usr, /boot, /etc
     * read-only), ProtectHome (read-only: /root, /home; yes: hidden) and ReadWritePaths make, then execs its arguments.
     * (PrivateTmp is left out: the test's files live in /tmp.)
     */
    static String sandbox(String unit) {
        StringBuilder b = new StringBuilder("set -e\nro() { [ -d \"$1\" ] || return 0; mount --bind \"$1\" \"$1\"; mount -o remount,bind,ro \"$1\"; }\n");
        String system = value(unit, "ProtectSystem");
        assertEquals("full", system, "the sandbox below knows ProtectSystem=full");
        b.append("ro /usr; ro /boot; ro /etc\n");
        String home = value(unit, "ProtectHome");
        if (home.equals("read-only"))
            b.append("ro /root; ro /home\n");
        else if (home.equals("yes"))
            b.append("for d in /root /home; do [ -d \"$d\" ] && mount -t tmpfs -o ro,mode=0 tmpfs \"$d\"; done\n");
        Matcher rw = Pattern.compile("(?m)^ReadWritePaths=(.*)$").matcher(unit);
        while (rw.find())
            for (String d : rw.group(1).trim().split("\\s+"))
                b.append("[ -d ").append(d).append(" ] && mount --bind ").append(d).append(' ').append(d).append(" || true\n");
        return b.append("exec \"$@\"\n").toString();
    }

    /** A stop systemd counts as clean: status 0 or one of the unit's SuccessExitStatus (else the unit ends "failed"). */
    private static void assertClean(String unit, Integer status, String log) {
        assertNotNull(status, () -> "no exit within 60 s of SIGTERM:\n" + log);
        assertTrue(status == 0 || List.of(value(unit, "SuccessExitStatus").split("\\s+")).contains(status.toString()),
                () -> "exit status " + status + " at SIGTERM, not clean for systemd:\n" + log);
    }

    @Test
    void systemdAcceptsTheUnits() throws Exception {
        String skip = "SKIPPED systemdAcceptsTheUnits: needs systemd-analyze (Debian package systemd); ./re6st test installs it as root";
        if (!Prerequisites.onPath("systemd-analyze"))
            System.err.println(skip);
        Assumptions.assumeTrue(Prerequisites.onPath("systemd-analyze"), skip);
        Path launcher = UNITS.getParent().getParent().resolve("re6st");
        for (String name : List.of("re6st-node.service", "re6st-registry.service")) {
            String u = unit(name);
            assertEquals("notify", value(u, "Type"), name);
            assertEquals("on-failure", value(u, "Restart"), name);
            Path copy = tmp.resolve(name); // ExecStart must name an executable that exists: this checkout's launcher
            Files.writeString(copy, u.replace("/opt/re6st/re6st", launcher.toString()));
            Cmd.Result r = Cmd.exec(Duration.ofSeconds(60), "systemd-analyze", "verify", copy.toString());
            assertTrue(r.ok() && r.output().isBlank(), () -> "systemd-analyze verify " + name + ":\n" + r.output());
        }
    }

    @Test
    void theRegistryAndTheNodesRunWithOnlyTheUnitsCapabilitiesAndTellSystemdTheirState() throws Exception {
        String registryUnit = unit("re6st-registry.service"), nodeUnit = unit("re6st-node.service");
        assertTrue(value(registryUnit, "ExecStart").startsWith("/opt/re6st/re6st registry @"), "the registry reads its options file");
        assertTrue(value(nodeUnit, "ExecStart").startsWith("/opt/re6st/re6st node @"), "the node reads re6stnet.conf");
        try (TestNet net = TestNet.create("units"); Mesh mesh = new Mesh(net, 3);
                NotifyListener registryNotify = new NotifyListener(tmp.resolve("registry.notify").toString());
                NotifyListener n0 = new NotifyListener(tmp.resolve("n0.notify").toString());
                NotifyListener n1 = new NotifyListener(tmp.resolve("n1.notify").toString())) {
            // the registry again, as its unit runs it
            mesh.registry.close();
            mesh.registryWrap = asTheUnitRunsIt(registryUnit, registryNotify);
            mesh.startRegistry();
            assertEquals("READY=1\nSTATUS=re6st registry running", registryNotify.next(60));
            mesh.enrol();
            Mesh.Host reg = mesh.hosts.get(0), a = mesh.hosts.get(1), b = mesh.hosts.get(2);
            mesh.startNode(reg, asTheUnitRunsIt(nodeUnit, n0));
            mesh.startNode(a, asTheUnitRunsIt(nodeUnit, n1));
            mesh.startNode(b);
            String ready = n1.next(120);
            assertNotNull(ready, () -> "no READY=1 from " + a.label() + ":\n" + a.node.log());
            assertTrue(ready.startsWith("READY=1\nSTATUS=node " + a.cn + " at " + a.address), () -> ready + "\n" + a.node.log());
            assertNotNull(n0.next(120), () -> "no READY=1 from the registry's node:\n" + reg.node.log());
            mesh.pingAll(Duration.ofSeconds(120), mesh.awaitRunning(Duration.ofSeconds(120)));
            System.out.println("with only " + boundingSet(nodeUnit) + ", the nodes run and every pair pings");

            a.node.signal("HUP");
            String reloading = n1.next(60);
            assertNotNull(reloading, "RELOADING=1 at SIGHUP");
            assertTrue(reloading.startsWith("RELOADING=1\n"), reloading);
            String again = n1.next(120);
            assertNotNull(again, () -> "READY=1 after the restart:\n" + a.node.log());
            assertTrue(again.startsWith("READY=1\n"), again);

            a.node.signal("TERM");
            assertEquals("STOPPING=1", n1.next(60));
            assertClean(nodeUnit, a.node.waitFor(Duration.ofSeconds(60)), a.node.log());
            mesh.registry.signal("TERM");
            assertEquals("STOPPING=1", registryNotify.next(60));
            assertClean(registryUnit, mesh.registry.waitFor(Duration.ofSeconds(60)), mesh.registry.log());
        }
    }
}
