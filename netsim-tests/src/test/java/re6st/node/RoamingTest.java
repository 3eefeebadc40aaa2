package re6st.node;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import re6st.netsim.Mesh;
import re6st.netsim.Cmd;
import re6st.netsim.RequiresRoot;
import re6st.netsim.TestNet;
import re6st.netsim.Wait;

/**
 * Issue 14, NAT part: a node learns its external address from what its peers see ({@code --ip
 * any}: tunnel-io's observed address, a majority of peers), and a node whose underlay address
 * changes (a laptop on another network) redials its tunnels at once: they come back, every pair
 * pings again, and it advertises the new address. The times are printed (target: within 10 s).
 */
@RequiresRoot
class RoamingTest {
    /** {@code re6st status --json} of {@code h}'s node. */
    static JsonNode status(Mesh.Host h) {
        Cmd.Result r = h.ns.exec(Duration.ofSeconds(30),
                Mesh.java("re6st.node.cli.StatusCommand", "-r", h.dir.resolve("run").toString(), "--json").toArray(String[]::new));
        assertTrue(r.ok(), () -> "re6st status --json on " + h.label() + ":\n" + r.output());
        try {
            return new ObjectMapper().readTree(r.output().strip());
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new AssertionError("re6st status --json on " + h.label() + " is no JSON: " + r.output(), e);
        }
    }

    /** The IPs of {@code h}'s code-1 answer, as its status shows it. */
    static List<String> advertisedIps(Mesh.Host h) {
        List<String> ips = new ArrayList<>();
        status(h).path("advertised").forEach(a -> ips.add(a.asText().split(",")[0]));
        return ips.stream().distinct().toList();
    }

    @Test
    void aNodeWhoseAddressChangesRedialsAndEveryPairPingsAgain() throws Exception {
        try (TestNet net = TestNet.create("roam"); Mesh mesh = new Mesh(net, 3)) {
            mesh.form();
            Mesh.Host n1 = mesh.hosts.get(1);
            Wait.until(n1.label() + " advertises its address", Duration.ofSeconds(30), () -> advertisedIps(n1).equals(List.of("198.18.81.2")));
            int before = n1.node.log().length();
            // the laptop moves: its address goes, another comes (DHCP on another network)
            n1.ns.ip("addr", "del", "198.18.81.2/24", "dev", "eth0");
            n1.ns.ip("addr", "add", "198.18.81.12/24", "dev", "eth0");
            long moved = System.nanoTime();
            Wait.until(n1.label() + " sees its underlay change and redials", Duration.ofSeconds(30),
                    () -> n1.node.log().indexOf("the underlay changed", before) >= 0);
            System.out.printf("%s redials %d ms after its address changed%n", n1.label(), (System.nanoTime() - moved) / 1_000_000);
            Map<String, Long> replied = mesh.pingAll(Duration.ofSeconds(120), moved);
            long last = replied.values().stream().max(Long::compare).orElseThrow();
            System.out.printf("roaming: every pair pings again %.1f s after the address change (target < 10 s)%n", (last - moved) / 1e9);
            Wait.until(n1.label() + " advertises its new address only", Duration.ofSeconds(60),
                    () -> advertisedIps(n1).equals(List.of("198.18.81.12")));
            System.out.printf("%s advertises %s %.1f s after the change%n", n1.label(), advertisedIps(n1), (System.nanoTime() - moved) / 1e9);
        }
    }

    /** Behind a home router (masquerade), with {@code --ip any}: the node advertises the router's outside address, as its peers see it. */
    @Test
    void withIpAnyBehindANatTheNodeAdvertisesTheAddressItsPeersSee() throws Exception {
        try (TestNet net = TestNet.create("ipany"); Mesh mesh = new Mesh(net, 3)) {
            Mesh.Host natted = mesh.addBehindNat();
            mesh.enrol();
            for (Mesh.Host h : mesh.hosts)
                if (h == natted)
                    mesh.startNode(h, "--ip", "any");
                else
                    mesh.startNode(h);
            long started = mesh.awaitRunning(Duration.ofSeconds(120));
            Wait.until(natted.label() + " advertises the NAT's outside address", Duration.ofSeconds(120),
                    () -> advertisedIps(natted).equals(List.of("198.18.81.50")));
            System.out.printf("%s (--ip any, behind NAT) advertises %s, %.1f s after its node ran; %s%n", natted.label(),
                    status(natted).path("advertised"), (System.nanoTime() - started) / 1e9,
                    natted.node.log().lines().filter(l -> l.contains("our peers see this node")).findFirst().orElse("?"));
            assertTrue(natted.node.log().contains("our peers see this node at 198.18.81.50"), natted.node.log());
            mesh.pingAll(Duration.ofSeconds(120), started);
        }
    }
}
