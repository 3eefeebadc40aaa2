package re6st.slap.agent;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.BooleanSupplier;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import com.codahale.metrics.MetricRegistry;

import re6st.net.Ipv6Address;
import re6st.slap.client.SlapClient;
import re6st.slap.master.AllowList;
import re6st.slap.master.MasterModel.InstanceRequest;
import re6st.slap.master.MasterModel.Partition;
import re6st.slap.master.SlapHttpServer;
import re6st.slap.master.SlapMaster;
import re6st.slap.xml.XmlValue;

/**
 * The agent against a real master on loopback, without root (no users, no addresses: the
 * service listens on ::1): a real python3 service in a partition, supervised, its promise, its
 * published URL, restart after a kill, redeploy only on a new timestamp, stop, destroy.
 */
class NodeAgentTest {
    @TempDir
    Path dir;
    SlapMaster master;
    SlapHttpServer server;
    NodeAgent agent;
    String sr;
    int port;
    final List<String> hostCalls = new ArrayList<>();

    @BeforeEach
    void start() throws Exception {
        master = SlapMaster.open(dir.resolve("master.db"), SlapMaster.systemClock());
        server = new SlapHttpServer(master, AllowList.loopback(), new MetricRegistry(), 2);
        int masterPort = server.start(List.of(new InetSocketAddress(InetAddress.getByName("::1"), 0))).get(0).getPort();
        NodeAgent.Host host = new NodeAgent.Host() {
            @Override
            public void addAddress(String iface, String a) {
                hostCalls.add("addr " + a);
            }

            @Override
            public void addLocalRoute(String iface, String prefix) {
                hostCalls.add("route " + prefix);
            }

            @Override
            public void ensureUser(String user, String group, Path home) {
                hostCalls.add("user " + user);
            }

            @Override
            public void chown(Path path, String user, String group) {
            }

            @Override
            public void killUser(String user) {
                hostCalls.add("kill " + user);
            }
        };
        agent = new NodeAgent(new NodeAgent.Config("COMP-1", Ipv6Address.parse("fd00:1:2:3::1"), 64, "lo", 2, false, dir.resolve("srv"),
                dir.resolve("opt"), false, "slapuser", "slapsoft", false), new SlapClient("http://[::1]:" + masterPort, Duration.ofSeconds(10)), host);
        agent.maxBackoffMs = 500; // a service that died while the port was taken is back soon after
        Path release = Files.createDirectories(dir.resolve("release"));
        Files.writeString(release.resolve("server.py"), """
                import http.server, socket, sys
                class V6(http.server.ThreadingHTTPServer):
                    address_family = socket.AF_INET6
                class H(http.server.BaseHTTPRequestHandler):
                    def do_GET(self):
                        body = ("hello from " + sys.argv[2] + "\\n").encode()
                        self.send_response(200); self.send_header("Content-Length", str(len(body))); self.end_headers(); self.wfile.write(body)
                    def log_message(self, *a): pass
                V6(("::1", int(sys.argv[1])), H).serve_forever()
                """);
        Files.writeString(release.resolve("check.py"), """
                import sys, urllib.request
                urllib.request.urlopen("http://[::1]:%s/" % sys.argv[1], timeout=5).read()
                """);
        Files.writeString(release.resolve("software.json"), """
                {"format": "re6st-slapos-software 1", "files": ["server.py", "check.py"],
                 "install": "python3 -m py_compile server.py check.py", "port": 1,
                 "run": "exec python3 ${software_dir}/server.py ${port} ${title}",
                 "promises": {"http": "exec python3 ${software_dir}/check.py ${port}"},
                 "publish": {"url": "http://[${ipv6}]:${port}/", "title": "${title}"}}
                """);
        sr = release.resolve("software.json").toUri().toString();
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getByName("::1"))) {
            port = s.getLocalPort();
        }
    }

    @AfterEach
    void stop() {
        agent.close();
        server.close();
        master.close();
    }

    static void await(String what, Duration timeout, BooleanSupplier condition) {
        long end = System.nanoTime() + timeout.toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > end)
                throw new AssertionError("timed out after " + timeout.toSeconds() + " s waiting for " + what);
            try {
                Thread.sleep(50);
            } catch (InterruptedException e) {
                throw new AssertionError(e);
            }
        }
    }

    String fetch() throws Exception {
        HttpClient c = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
        return c.send(HttpRequest.newBuilder(URI.create("http://[::1]:" + port + "/")).timeout(Duration.ofSeconds(5)).build(),
                HttpResponse.BodyHandlers.ofString()).body();
    }

    Partition request(String state, Map<String, XmlValue> extra) throws Exception {
        Map<String, XmlValue> p = new java.util.LinkedHashMap<>(extra);
        p.put("port", XmlValue.Int.of(port));
        return master.request(new InstanceRequest(sr, "", "web1", null, null, p, Map.of(), state, false)).partition();
    }

    @Test
    void formatSupplyRequestServeRestartStopAndDestroy() throws Exception {
        agent.format();
        assertEquals(List.of(), hostCalls, "without root nothing is asked of the system");
        List<Partition> parts = master.partitionsOf("COMP-1");
        assertEquals(2, parts.size());
        assertEquals("fd00:1:2:3::2", parts.get(0).addresses().get(0).address());
        assertEquals("fd00:1:2:3::1", master.computers().get(0).address());
        assertTrue(Files.readString(dir.resolve("srv/slappart1/.slapos-resource")).contains("fd00:1:2:3::3"));

        master.supply(sr, "COMP-1", "available");
        assertEquals(0, agent.softwareStep());
        assertEquals("available", master.softwareList("COMP-1").get(0).reportedState());

        Partition placed = request("started", Map.of());
        assertEquals(0, agent.instanceStep());
        assertEquals("hello from web1\n", fetch());
        Partition p = master.instance("web1");
        assertEquals(Map.of("url", "http://[fd00:1:2:3::2]:" + port + "/", "title", "web1"), p.connection());
        assertEquals("started", p.reportedState());
        ProcessHandle first = agent.service(placed.reference());
        assertNotNull(first);

        // the service dies: the supervisor starts it again, the promise is green again
        first.destroyForcibly();
        await("the service restarted", Duration.ofSeconds(30), () -> {
            ProcessHandle h = agent.service(placed.reference());
            return h != null && h.pid() != first.pid() && agent.restarts(placed.reference()) >= 1;
        });
        await("the promise is green again", Duration.ofSeconds(30), () -> {
            try {
                return agent.instanceStep() == 0;
            } catch (Exception e) {
                return false;
            }
        });
        ProcessHandle second = agent.service(placed.reference());

        request("started", Map.of()); // the same request: the same timestamp, no redeploy
        assertEquals(0, agent.instanceStep());
        assertEquals(second.pid(), agent.service(placed.reference()).pid());

        request("started", Map.of("colour", new XmlValue.Str("blue"))); // a real change: redeployed
        assertEquals(0, agent.instanceStep());
        assertNotEquals(second.pid(), agent.service(placed.reference()).pid());
        assertEquals("hello from web1\n", fetch());

        request("stopped", Map.of());
        assertEquals(0, agent.instanceStep());
        assertNull(agent.service(placed.reference()));
        assertEquals("stopped", master.instance("web1").reportedState());

        master.request(new InstanceRequest(sr, "", "web1", null, null, Map.of(), Map.of(), "destroyed", false));
        assertEquals(0, agent.reportStep());
        assertFalse(master.partition("COMP-1", placed.reference()).busy(), "the partition is free again");
        try (var l = Files.list(dir.resolve("srv").resolve(placed.reference()))) {
            assertEquals(List.of(".slapos-resource"), l.map(x -> x.getFileName().toString()).toList(), "the instance's files are gone");
        }
    }

    @Test
    void aBrokenReleaseAndAFailingPromiseAreReportedWithTheirReasons() throws Exception {
        agent.format();
        Path bad = Files.createDirectories(dir.resolve("bad"));
        Files.writeString(bad.resolve("software.json"), "{\"format\": \"re6st-slapos-software 1\", \"run\": \"true\", \"install\": \"echo compiling; exit 3\"}");
        String badUrl = bad.resolve("software.json").toUri().toString();
        master.supply(badUrl, "COMP-1", "available");
        master.supply(sr, "COMP-1", "available");
        assertEquals(1, agent.softwareStep());
        var sw = master.softwareList("COMP-1");
        assertEquals("error", sw.get(0).reportedState());
        assertTrue(sw.get(0).errorLog().contains("the install step exited with 3") && sw.get(0).errorLog().contains("compiling"), sw.get(0).errorLog());
        assertEquals("available", sw.get(1).reportedState());

        // a port where nothing can listen (the service dies at once): the promise fails after its 20 s
        try (ServerSocket taken = new ServerSocket(port, 1, InetAddress.getByName("::1"))) {
            request("started", Map.of());
            assertEquals(2, agent.instanceStep());
        }
        Partition p = master.instance("web1");
        assertEquals("error", p.reportedState());
        assertTrue(p.errorLog().startsWith("promise http failed"), p.errorLog());
        assertEquals(Map.of(), p.connection(), "nothing published while the promise fails");
        await("the service binds once the port is free", Duration.ofSeconds(60), () -> {
            try {
                return agent.instanceStep() == 0;
            } catch (Exception e) {
                return false;
            }
        });
        assertEquals("started", master.instance("web1").reportedState());
        assertNull(master.instance("web1").errorLog());
    }

    @Test
    void anInstanceOfAReleaseNotInstalledSaysWhatToDo() throws Exception {
        agent.format();
        request("started", Map.of());
        assertEquals(1, agent.instanceStep());
        String log = master.instance("web1").errorLog();
        assertTrue(log.contains("is not installed on COMP-1: supply it (slapos supply " + sr + " COMP-1)"), log);
    }

    @Test
    void manifestsAreCheckedAndPlaceholdersQuoted() {
        assertEquals("exec run '\"$SLAP_PARAMETER_X\"' \"\"$SLAP_PARAMETER_X\"\"",
                Manifest.render("exec run '${parameter.x}' \"${parameter.x}\"", Map.of("parameter.x", "a'b; rm -rf /"), true),
                "a reference to the value, even inside quotes: never its text");
        assertEquals(Map.of("SLAP_PARAMETER_SITE_URL", "u", "SLAP_IPV6", "::1"), Manifest.environment(Map.of("parameter.site-url", "u", "ipv6", "::1")));
        assertEquals("http://[::1]:80/", Manifest.render("http://[${ipv6}]:${port}/", Map.of("ipv6", "::1", "port", "80"), false));
        IllegalArgumentException e = org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class,
                () -> Manifest.render("${nope}", Map.of(), true));
        assertTrue(e.getMessage().startsWith("unknown placeholder ${nope}"));
        for (String bad : List.of("[]", "{}", "{\"format\": \"re6st-slapos-software 1\"}",
                "{\"format\": \"re6st-slapos-software 1\", \"run\": \"x\", \"files\": [\"../etc/passwd\"]}",
                "{\"format\": \"re6st-slapos-software 1\", \"run\": \"x\", \"files\": [\"file:///etc/shadow\"]}",
                "{\"format\": \"re6st-slapos-software 1\", \"run\": \"x\", \"port\": 70000}",
                "{\"format\": \"re6st-slapos-software 1\", \"run\": \"x\", \"promises\": {\"a b\": \"x\"}}"))
            org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class, () -> Manifest.parse(bad.getBytes()), bad);
    }
}
