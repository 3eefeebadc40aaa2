package re6st.slap;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.junit.jupiter.api.Test;

import re6st.netsim.Cmd;
import re6st.netsim.Mesh;
import re6st.netsim.NsProcess;
import re6st.netsim.RequiresRoot;
import re6st.netsim.TestNet;
import re6st.netsim.Wait;
import re6st.slap.agent.LinuxHost;

/**
 * SlapOS on the overlay, end to end (issue 16, acceptance 2 and 3): a registry whose node runs
 * the master, and three computers whose agents join the network by themselves
 * ({@code re6st slapos node --join}). From node C, {@code slapos request} places a small HTTP
 * service on node B; its published URL is an overlay IPv6 URL that curl on C fetches over the
 * mesh; the service killed is restarted and answers again; B's underlay paths to A and C break
 * and the URL still answers (the mesh reroutes through the registry's host); {@code --state destroyed} frees the
 * partition and removes its files.
 */
@RequiresRoot
class SlapOsEndToEndTest {
    static final Pattern URL = Pattern.compile("'url': '(http://\\[[0-9a-f:]+\\]:[0-9]+/)'");

    static String[] slapos(String... args) {
        return Mesh.java("re6st.slap.cli.SlaposCommand", args).toArray(String[]::new);
    }

    static String[] slapos(List<String> more, String... args) {
        List<String> all = new ArrayList<>(List.of(args));
        all.addAll(more);
        return slapos(all.toArray(String[]::new));
    }

    @Test
    void aServiceRequestedFromOneNodeRunsOnAnotherAndItsUrlWorksAcrossTheMesh() throws Exception {
        List<String> users = new ArrayList<>();
        String group = "r6tsgrp";
        try (TestNet net = TestNet.create("slapos"); Mesh mesh = Mesh.wan(net, new long[] {2, 5, 5, 5})) {
            Files.setPosixFilePermissions(mesh.top, PosixFilePermissions.fromString("rwxr-xr-x")); // partition users read the releases
            Mesh.Host reg = mesh.reg, a = mesh.hosts.get(1), b = mesh.hosts.get(2), c = mesh.hosts.get(3);
            mesh.enrol(reg);
            mesh.startNode(reg);
            String masterUrl = "http://[" + reg.address + "]:8080";
            NsProcess master = reg.ns.start("master", slapos("master", "--db", reg.dir.resolve("master.db").toString(), "--listen", "[::]:8080",
                    "--allow", Mesh.NETWORK, "--allow", "::1/128"));
            Wait.until("the master listens", Duration.ofSeconds(60), () -> {
                assertTrue(master.isAlive(), () -> "the master exited:\n" + master.log());
                return master.log().contains("slapos master listening on");
            });

            Path release = Files.createDirectories(mesh.top.resolve("release"));
            Files.writeString(release.resolve("server.py"), """
                    import http.server, socket, sys
                    class V6(http.server.ThreadingHTTPServer):
                        address_family = socket.AF_INET6
                    class H(http.server.BaseHTTPRequestHandler):
                        def do_GET(self):
                            body = ("hello from " + sys.argv[3] + "\\n").encode()
                            self.send_response(200); self.send_header("Content-Length", str(len(body))); self.end_headers(); self.wfile.write(body)
                        def log_message(self, *a): pass
                    V6((sys.argv[1], int(sys.argv[2])), H).serve_forever()
                    """);
            Files.writeString(release.resolve("software.json"), """
                    {"format": "re6st-slapos-software 1", "files": ["server.py"], "port": 8080,
                     "run": "exec python3 ${software_dir}/server.py ${ipv6} ${port} ${title}",
                     "promises": {"http": "exec curl -fsS -g -o /dev/null --max-time 5 http://[${ipv6}]:${port}/"},
                     "publish": {"url": "http://[${ipv6}]:${port}/"}}
                    """);
            String sr = release.resolve("software.json").toUri().toString();

            List<NsProcess> agents = new ArrayList<>();
            int i = 1;
            for (Mesh.Host h : List.of(a, b, c)) {
                Files.setPosixFilePermissions(h.dir, PosixFilePermissions.fromString("rwxr-xr-x"));
                for (int p = 0; p < 2; p++)
                    users.add("r6ts" + i + "_" + p);
                List<String> ranges = h == a ? List.of("--ranges") : List.of(); // A's partitions get an IPv6 range each too
                agents.add(h.ns.start("agent", slapos(ranges, "node", "--join", mesh.url(), "--re6st-dir", h.dir.toString(),
                        "--node-option=-s", "--node-option=" + h.dir.resolve("state"), "--node-option=-r", "--node-option=" + h.dir.resolve("run"),
                        "--node-option=-v", "--node-option=3", "--master-url", masterUrl, "--computer-id", "COMP-" + i, "--partitions", "2",
                        "--instance-root", h.dir.resolve("srv").toString(), "--software-root", h.dir.resolve("opt").toString(),
                        "--user-prefix", "r6ts" + i + "_", "--group", group, "--interval", "2")));
                i++;
            }
            long joined = System.nanoTime();
            Wait.until("the three computers registered with the master", Duration.ofSeconds(240), () -> {
                for (NsProcess ag : agents)
                    assertTrue(ag.isAlive(), () -> "an agent exited:\n" + ag.log());
                Cmd.Result r = c.ns.exec(Duration.ofSeconds(30), slapos("computer", "list", "--master-url", masterUrl));
                return r.ok() && r.output().contains("COMP-1 ") && r.output().contains("COMP-2 ") && r.output().contains("COMP-3 ");
            });
            System.out.printf("the agents joined the overlay and registered %.1f s after their start%n", (System.nanoTime() - joined) / 1e9);

            // --ranges on A: slappart0's range (the 16 bits after its /64 are 0x4001) is a local route, and bindable
            Cmd.Result computers = c.ns.exec(Duration.ofSeconds(30), slapos("computer", "list", "--master-url", masterUrl));
            Matcher ma = Pattern.compile("COMP-1 ([0-9a-f:]+)::1 ").matcher(computers.output());
            assertTrue(ma.find(), computers.output());
            String range = ma.group(1) + ":4001::/80", inRange = ma.group(1) + ":4001::5";
            String local = a.ns.run("ip", "-6", "route", "show", "table", "local").output();
            assertTrue(local.contains("local " + range + " dev lo"), () -> "no local route for " + range + ":\n" + local);
            Cmd.Result bind = a.ns.exec(Duration.ofSeconds(30), "python3", "-c",
                    "import socket; s = socket.socket(socket.AF_INET6); s.bind(('" + inRange + "', 0)); print('bound')");
            assertTrue(bind.ok() && bind.output().contains("bound"), bind.output());

            // from C: supply the release to B, request the instance there, rerun until its URL is published
            Cmd.Result supplied = c.ns.exec(Duration.ofSeconds(30), slapos("supply", "--master-url", masterUrl, sr, "COMP-2"));
            assertTrue(supplied.ok(), supplied.output());
            long requested = System.nanoTime();
            String[] url = new String[1];
            Wait.until("the instance's URL is published", Duration.ofSeconds(120), () -> {
                Cmd.Result r = c.ns.exec(Duration.ofSeconds(30), slapos("request", "--master-url", masterUrl, "web1", sr, "--node",
                        "computer_guid=COMP-2"));
                assertTrue(r.ok(), r.output());
                Matcher m = URL.matcher(r.output());
                if (m.find())
                    url[0] = m.group(1);
                return url[0] != null;
            });
            assertTrue(url[0].startsWith("http://[2001:db8:42:"), url[0]);
            Cmd.Result got = c.ns.exec(Duration.ofSeconds(30), "curl", "-fsS", "-g", "--max-time", "5", url[0]);
            assertTrue(got.ok(), got.output());
            assertEquals("hello from web1", got.output().strip());
            System.out.printf("request -> working URL %s fetched from C: %.1f s%n", url[0], (System.nanoTime() - requested) / 1e9);
            Cmd.Result info = c.ns.exec(Duration.ofSeconds(30), slapos("service", "info", "--master-url", masterUrl, "web1"));
            assertTrue(info.output().contains("Placed on: COMP-2 slappart0") && info.output().contains("Node reports: started"), info.output());

            // the service dies: its supervisor starts it again
            b.ns.exec(Duration.ofSeconds(10), "pkill", "-KILL", "-u", "r6ts2_0");
            long killed = System.nanoTime();
            Wait.until("the service answers again after its kill", Duration.ofSeconds(30),
                    () -> c.ns.exec(Duration.ofSeconds(10), "curl", "-fsS", "-g", "--max-time", "2", url[0]).ok());
            System.out.printf("killed service answering again after %.1f s%n", (System.nanoTime() - killed) / 1e9);
            assertTrue(agents.get(1).log().contains("service exited"), "the agent saw the service die");

            // B's underlay paths to A and C break (silently: packets vanish): B is left with the registry's host, the
            // overlay reroutes through it, the URL answers
            mesh.cut(c, b, true);
            mesh.cut(a, b, true);
            long cut = System.nanoTime();
            Wait.until("the URL answers with B cut off from A and C", Duration.ofSeconds(90),
                    () -> c.ns.exec(Duration.ofSeconds(10), "curl", "-fsS", "-g", "--max-time", "2", url[0]).ok());
            System.out.printf("URL answering %.1f s after B's underlay paths to A and C were cut%n", (System.nanoTime() - cut) / 1e9);
            for (int k = 0; k < 3; k++) {
                Cmd.Result r = c.ns.exec(Duration.ofSeconds(10), "curl", "-fsS", "-g", "--max-time", "5", url[0]);
                assertTrue(r.ok(), r.output());
            }
            mesh.cut(c, b, false);
            mesh.cut(a, b, false);

            // destroyed: the partition is freed and its files removed
            Cmd.Result d = c.ns.exec(Duration.ofSeconds(30), slapos("request", "--master-url", masterUrl, "web1", sr, "--state", "destroyed",
                    "--node", "computer_guid=COMP-2"));
            assertTrue(d.ok(), d.output());
            Wait.until("the partition is freed", Duration.ofSeconds(60), () -> c.ns.exec(Duration.ofSeconds(30),
                    slapos("service", "info", "--master-url", masterUrl, "web1")).exit() == 2);
            try (var files = Files.list(b.dir.resolve("srv/slappart0"))) {
                assertEquals(List.of(".slapos-resource"), files.map(x -> x.getFileName().toString()).toList());
            }

            for (NsProcess ag : agents)
                ag.signal("TERM");
            for (NsProcess ag : agents) {
                Integer code = ag.waitFor(Duration.ofSeconds(40)); // 143: the JVM's status after SIGTERM, once its hooks ran
                assertTrue(code != null && (code == 0 || code == 143), () -> "the agent stops on SIGTERM (" + code + "):\n" + ag.log());
            }
        } finally {
            for (String u : users)
                LinuxHost.removeUser(u);
            LinuxHost.removeUser(group); // the software user
            LinuxHost.removeGroup(group);
        }
    }
}
