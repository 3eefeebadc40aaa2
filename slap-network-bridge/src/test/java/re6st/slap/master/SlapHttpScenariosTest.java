package re6st.slap.master;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import com.codahale.metrics.MetricRegistry;

import re6st.slap.client.SlapClient;
import re6st.slap.client.SlapClientException;
import re6st.slap.xml.XmlValue;
import re6st.slap.xml.XmlValue.Dict;
import re6st.slap.xml.XmlValue.ListV;
import re6st.slap.xml.XmlValue.Obj;
import re6st.slap.xml.XmlValue.Str;

/**
 * The spec's acceptance scenarios (slap-protocol.md, "Good acceptance scenarios") over HTTP, with
 * the fields the slap client library sends: a request from inside a partition carries
 * {@code computer_id} and {@code computer_partition_id}, a shared one {@code shared_xml} True, a
 * node's reports and bangs go to their endpoints. Each answer is read back as a document.
 */
class SlapHttpScenariosTest {
    static final String SR = "http://example.invalid/web/software.json";

    @TempDir
    Path dir;
    SlapMaster master;
    SlapHttpServer server;
    SlapClient c;
    double clock = 1_700_000_000.0;

    @BeforeEach
    void start() throws Exception {
        master = SlapMaster.open(dir.resolve("master.db"), () -> clock);
        server = new SlapHttpServer(master, AllowList.loopback(), new MetricRegistry(), 2);
        int port = server.start(List.of(new InetSocketAddress(InetAddress.getByName("::1"), 0))).get(0).getPort();
        c = new SlapClient("http://[::1]:" + port, Duration.ofSeconds(10));
        format("COMP-1", 1, 3);
    }

    @AfterEach
    void stop() {
        server.close();
        master.close();
    }

    void format(String computer, int n, int partitions) throws Exception {
        List<XmlValue> parts = new ArrayList<>();
        for (int i = 0; i < partitions; i++) {
            Map<String, XmlValue> p = new LinkedHashMap<>();
            p.put("reference", new Str("slappart" + i));
            p.put("tap", Dict.ofStrings(Map.of("name", new Str("slappart" + i))));
            p.put("address_list", new ListV(List.of(Dict.ofStrings(Map.of("addr", new Str("2001:db8:" + n + "::" + (i + 2)), "netmask",
                    new Str("ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff"))))));
            parts.add(Dict.ofStrings(p));
        }
        Map<String, XmlValue> comp = new LinkedHashMap<>();
        comp.put("reference", new Str(computer));
        comp.put("address", new Str("2001:db8:" + n + "::1"));
        comp.put("netmask", new Str("ffff:ffff:ffff:ffff::"));
        comp.put("partition_list", new ListV(parts));
        assertEquals("done", c.post("loadComputerConfigurationFromXML", Map.of("xml", SlapClient.marshal(Dict.ofStrings(comp)))));
    }

    /** requestComputerPartition's raw answer, as the library posts it (from a partition when {@code from} is set). */
    String request(String title, Map<String, String> params, String state, Map<String, String> filter, boolean shared, String[] from)
            throws Exception {
        Map<String, String> f = new LinkedHashMap<>();
        f.put("software_release", SR);
        f.put("software_type", null);
        f.put("partition_reference", title);
        f.put("shared_xml", SlapClient.marshal(new XmlValue.Bool(shared)));
        Map<String, XmlValue> p = new LinkedHashMap<>();
        params.forEach((k, v) -> p.put(k, new Str(v)));
        f.put("partition_parameter_xml", SlapClient.marshal(Dict.ofStrings(p)));
        Map<String, XmlValue> fl = new LinkedHashMap<>();
        filter.forEach((k, v) -> fl.put(k, new Str(v)));
        f.put("filter_xml", SlapClient.marshal(Dict.ofStrings(fl)));
        f.put("state", SlapClient.marshal(new Str(state)));
        if (from != null) {
            f.put("computer_id", from[0]);
            f.put("computer_partition_id", from[1]);
        }
        return c.post("requestComputerPartition", f);
    }

    String request(String title, String state) throws Exception {
        return request(title, Map.of(), state, Map.of(), false, null);
    }

    static XmlValue doc(String body) throws Exception {
        return re6st.slap.xml.XmlUnmarshaller.decode(body.getBytes(java.nio.charset.StandardCharsets.UTF_8));
    }

    static String attr(String body, String name) throws Exception {
        return re6st.slap.xml.PythonOrder.str(((Obj) doc(body)).attributes().entries().get(new Str(name)));
    }

    static String param(String body, String name) throws Exception {
        Dict d = (Dict) ((Obj) doc(body)).attributes().entries().get(new Str("_parameter_dict"));
        return re6st.slap.xml.PythonOrder.str(d.entries().get(new Str(name)));
    }

    String partitionState(String partition) throws Exception {
        return attr(c.get("registerComputerPartition", Map.of("computer_reference", "COMP-1", "computer_partition_reference", partition)),
                "_requested_state");
    }

    @Test
    void requestConsistentParametersAndTheSameRequestTwiceIsTheSameAnswer() throws Exception {
        String a = request("web1", Map.of("port", "8080"), "started", Map.of(), false, null);
        assertEquals("8080", param(a, "port"));
        assertEquals("slappart0", attr(a, "slap_computer_partition_id"));
        clock += 60;
        assertEquals(a, request("web1", Map.of("port", "8080"), "started", Map.of(), false, null), "byte for byte, timestamp included");
        clock += 60;
        String b = request("web1", Map.of("port", "8081"), "started", Map.of(), false, null);
        assertNotEquals(param(a, "timestamp"), param(b, "timestamp"));
    }

    @Test
    void twoRequestsOnePartitionFree() throws Exception {
        request("a", "started");
        request("b", "started");
        request("c", "started");
        SlapClientException e = assertThrows(SlapClientException.class, () -> request("d", "started"));
        assertEquals(SlapClientException.Kind.NOT_FOUND, e.kind());
    }

    @Test
    void instanceBangAndStatePropagationFromTheRootToItsChildren() throws Exception {
        request("root", "started");
        String child = request("child", Map.of(), "started", Map.of(), false, new String[] {"COMP-1", "slappart0"});
        assertEquals("slappart1", attr(child, "slap_computer_partition_id"));
        String before = param(child, "timestamp");
        clock += 10;
        assertEquals("OK", c.post("softwareInstanceBang", Map.of("computer_id", "COMP-1", "computer_partition_id", "slappart1", "message", "why not")));
        String info = c.get("registerComputerPartition", Map.of("computer_reference", "COMP-1", "computer_partition_reference", "slappart0"));
        Dict p = (Dict) ((Obj) doc(info)).attributes().entries().get(new Str("_parameter_dict"));
        assertEquals(new Str("1700000010.0"), p.entries().get(new Str("timestamp")), "the bang reached the root");
        assertNotEquals(before, param(request("child", Map.of(), "started", Map.of(), false, new String[] {"COMP-1", "slappart0"}), "timestamp"));

        request("root", "stopped");
        String again = request("child", Map.of(), "started", Map.of(), false, new String[] {"COMP-1", "slappart0"});
        assertEquals("stopped", attr(again, "_requested_state"), "the child takes its stopped root's state");
    }

    @Test
    void destroyAndDestroyChildPartition() throws Exception {
        request("root", "started");
        request("child", Map.of(), "started", Map.of(), false, new String[] {"COMP-1", "slappart0"});
        request("root", "destroyed");
        assertEquals("destroyed", partitionState("slappart1"), "the child goes with its root");
        c.post("destroyedComputerPartition", Map.of("computer_id", "COMP-1", "computer_partition_id", "slappart0"));
        assertEquals("destroyed", partitionState("slappart0"));
        assertEquals("1", re6st.slap.xml.PythonOrder.str(((Obj) doc(c.get("registerComputerPartition",
                Map.of("computer_reference", "COMP-1", "computer_partition_reference", "slappart0")))).attributes().entries()
                .get(new Str("_need_modification"))), "the root waits for its child");
        c.post("destroyedComputerPartition", Map.of("computer_id", "COMP-1", "computer_partition_id", "slappart1"));
        for (String p : List.of("slappart0", "slappart1"))
            assertEquals("0", re6st.slap.xml.PythonOrder.str(((Obj) doc(c.get("registerComputerPartition",
                    Map.of("computer_reference", "COMP-1", "computer_partition_reference", p)))).attributes().entries()
                    .get(new Str("_need_modification"))), p + " is free");
        SlapClientException e = assertThrows(SlapClientException.class,
                () -> c.post("destroyedComputerPartition", Map.of("computer_id", "COMP-1", "computer_partition_id", "slappart9")));
        assertEquals(404, e.status());
    }

    @Test
    void slaveRequestWithNoHostAndSlaveConnectionParameters() throws Exception {
        SlapClientException none = assertThrows(SlapClientException.class, () -> request("site", Map.of(), "started", Map.of(), true, null));
        assertEquals(SlapClientException.Kind.NOT_FOUND, none.kind());
        request("frontend", "started");
        String s = request("site", Map.of("backend", "http://[2001:db8::9]/"), "started", Map.of(), true, null);
        assertEquals("slappart0", attr(s, "slap_computer_partition_id"));
        assertEquals("done", c.post("setComputerPartitionConnectionXml", Map.of("computer_id", "COMP-1", "computer_partition_id", "slappart0",
                "slave_reference", "_site", "connection_xml", SlapClient.marshal(Dict.ofStrings(Map.of("url", new Str("https://site/")))))));
        String again = request("site", Map.of("backend", "http://[2001:db8::9]/"), "started", Map.of(), true, null);
        Dict conn = (Dict) ((Obj) doc(again)).attributes().entries().get(new Str("_connection_dict"));
        assertEquals(new Str("https://site/"), conn.entries().get(new Str("url")));
        String host = c.get("registerComputerPartition", Map.of("computer_reference", "COMP-1", "computer_partition_reference", "slappart0"));
        Dict p = (Dict) ((Obj) doc(host)).attributes().entries().get(new Str("_parameter_dict"));
        ListV slaves = (ListV) p.entries().get(new Str("slave_instance_list"));
        assertEquals(1, slaves.items().size());
        assertEquals(new Str("http://[2001:db8::9]/"), ((Dict) slaves.items().get(0)).entries().get(new Str("backend")));
    }

    @Test
    void multiNodePlacementWithComputerGuid() throws Exception {
        format("COMP-2", 2, 1);
        String a = request("web1", Map.of(), "started", Map.of("computer_guid", "COMP-2"), false, null);
        assertEquals("COMP-2", attr(a, "slap_computer_id"));
        assertTrue(c.get("getFullComputerInformation", Map.of("computer_id", "COMP-2")).contains("web1"));
        SlapClientException e = assertThrows(SlapClientException.class,
                () -> request("web2", Map.of(), "started", Map.of("computer_guid", "COMP-2"), false, null));
        assertEquals(404, e.status());
        assertEquals("COMP-1", attr(request("web2", "started"), "slap_computer_id"));
    }
}
