package re6st.slap.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import com.codahale.metrics.MetricRegistry;
import com.sun.net.httpserver.HttpServer;

import picocli.CommandLine;
import re6st.cli.Launcher;
import re6st.slap.master.AllowList;
import re6st.slap.master.MasterModel.Address;
import re6st.slap.master.MasterModel.ComputerConfig;
import re6st.slap.master.MasterModel.PartitionConfig;
import re6st.slap.master.SlapHttpServer;
import re6st.slap.master.SlapMaster;

/** {@code re6st slapos request/supply/remove/service/computer} against a real master on loopback: the original's output. */
class SlaposCommandTest {
    static final String SR = "http://example.invalid/web/software.json";

    @TempDir
    Path dir;
    SlapMaster master;
    SlapHttpServer server;
    String url;
    Path cfg;

    @BeforeEach
    void start() throws Exception {
        master = SlapMaster.open(dir.resolve("master.db"), () -> 1_700_000_000.0);
        server = new SlapHttpServer(master, AllowList.loopback(), new MetricRegistry(), 2);
        InetSocketAddress at = server.start(List.of(new InetSocketAddress(InetAddress.getByName("::1"), 0))).get(0);
        url = "http://[::1]:" + at.getPort();
        cfg = dir.resolve("slapos-client.cfg");
        Files.writeString(cfg, "# the client's configuration\n[slapos]\nmaster_url = " + url + "\n\n[slapconsole]\ncert_file = x\n");
        List<PartitionConfig> parts = new ArrayList<>();
        for (int i = 0; i < 2; i++)
            parts.add(new PartitionConfig("slappart" + i, "slappart" + i, List.of(new Address("lo", "2001:db8:1::" + (i + 2), "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff"))));
        master.loadComputer(new ComputerConfig("COMP-1", "2001:db8:1::1", "ffff:ffff:ffff:ffff::", parts));
    }

    @AfterEach
    void stop() {
        server.close();
        master.close();
    }

    record Run(int code, String out, String err) {
    }

    static Run run(String... args) {
        StringWriter out = new StringWriter(), err = new StringWriter();
        CommandLine cl = Launcher.commandLine(new SlaposCommand(), new PrintWriter(err, true));
        cl.setOut(new PrintWriter(out, true));
        int code = Launcher.execute(cl, args);
        return new Run(code, out.toString(), err.toString());
    }

    @Test
    void requestPrintsWhatTheOriginalPrintsAndRerunShowsPublishedParameters() throws Exception {
        Run r = run("request", "--cfg", cfg.toString(), "web1", SR, "--parameters", "port=8080", "name=a b");
        assertEquals(0, r.code(), r.err());
        assertEquals("Requesting web1 as instance of " + SR + "...\nInstance requested.\nState is : started.\n"
                + "Connection parameters of instance are:\n{}\nYou can rerun the command to get up-to-date information.\n", r.out());
        assertEquals(Map.of("port", "8080", "name", "a b"), master.instance("web1").parameters());

        master.setConnection("COMP-1", "slappart0", Map.of("url", "http://[2001:db8:1::2]:8080", "admin", "it's me"), null);
        Run again = run("request", "--master-url", url, "web1", SR, "--parameters", "port=8080", "name=a b");
        assertTrue(again.out().contains("\n{'admin': \"it's me\", 'url': 'http://[2001:db8:1::2]:8080'}\n"), again.out());

        Run info = run("service", "info", "--cfg", cfg.toString(), "web1");
        assertEquals(0, info.code(), info.err());
        assertEquals("Software Release URL: " + SR + "\nInstance state: started\nInstance parameters:\n{'name': 'a b', 'port': '8080'}\n"
                + "Connection parameters:\n{'admin': \"it's me\", 'url': 'http://[2001:db8:1::2]:8080'}\n"
                + "Placed on: COMP-1 slappart0 [2001:db8:1::2]\nNode reports: nothing yet\n", info.out());
        Run list = run("service", "list", "--cfg", cfg.toString());
        assertEquals("List of services:\nweb1 " + SR + "\n", list.out());
        Run missing = run("service", "info", "--cfg", cfg.toString(), "nope");
        assertEquals(2, missing.code());
        assertEquals("Instance nope does not exist.\n", missing.out());
    }

    @Test
    void aRefusedRequestSaysWhyAndExits1() {
        assertEquals(0, run("request", "--cfg", cfg.toString(), "a", SR).code());
        assertEquals(0, run("request", "--cfg", cfg.toString(), "b", SR).code());
        Run full = run("request", "--cfg", cfg.toString(), "c", SR);
        assertEquals(1, full.code());
        assertTrue(full.err().contains("no free partition"), full.err());
        Run bad = run("request", "--cfg", cfg.toString(), "c", SR, "--state", "running");
        assertEquals(2, bad.code());
        assertTrue(bad.err().contains("--state running"), bad.err());
        Run twice = run("request", "--cfg", cfg.toString(), "c", SR, "--parameters", "a=1", "a=2");
        assertEquals(2, twice.code());
        assertTrue(twice.err().contains("multiple values for the key 'a'"), twice.err());
    }

    @Test
    void theMasterProvisioningIsExit2() throws Exception {
        HttpServer busy = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 4);
        busy.createContext("/", x -> {
            x.sendResponseHeaders(408, -1);
            x.close();
        });
        busy.start();
        try {
            Run r = run("request", "--master-url", "http://127.0.0.1:" + busy.getAddress().getPort(), "web1", SR);
            assertEquals(2, r.code(), r.err());
            assertTrue(r.out().endsWith("Instance requested. Master is provisioning it. Please rerun in a couple of minutes to get connection information.\n"),
                    r.out());
        } finally {
            busy.stop(0);
        }
    }

    @Test
    void supplyRemoveAndComputerInfo() throws Exception {
        Run s = run("supply", "--cfg", cfg.toString(), SR, "COMP-1");
        assertEquals(0, s.code(), s.err());
        assertEquals("Supplied '" + SR + "' to be available\n", s.out());
        master.softwareReport(SR, "COMP-1", "error", "download failed: 404\n");
        Run info = run("computer", "info", "--cfg", cfg.toString(), "COMP-1");
        assertEquals("Computer COMP-1\nAddress: 2001:db8:1::1\nPartitions: 2 (2 free)\nSoftware releases:\n  " + SR
                + ": available (node reports: error)\n    download failed: 404\n", info.out());
        assertEquals("List of Computers:\nCOMP-1 2001:db8:1::1 (2 of 2 partitions free)\n", run("computer", "list", "--cfg", cfg.toString()).out());
        assertEquals(0, run("remove", "--cfg", cfg.toString(), SR, "COMP-1").code());
        assertEquals("destroyed", master.softwareList("COMP-1").get(0).requestedState());
        assertEquals(2, run("computer", "info", "--cfg", cfg.toString(), "COMP-9").code());
    }

    @Test
    void withoutAMasterTheErrorSaysWhereItLooked() {
        Run r = run("service", "list", "--cfg", dir.resolve("missing.cfg").toString());
        assertEquals(2, r.code());
        assertTrue(r.err().contains("no master: give --master-url, or write master_url in the [slapos] section of"), r.err());
        Run down = run("service", "list", "--master-url", "http://[::1]:1");
        assertEquals(1, down.code());
        assertTrue(down.err().contains("cannot connect to the master http://[::1]:1/"), down.err());
    }
}
