package re6st.slap.master;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import com.codahale.metrics.MetricRegistry;

import re6st.slap.xml.XmlMarshaller;
import re6st.slap.xml.XmlUnmarshaller;
import re6st.slap.xml.XmlValue;
import re6st.slap.xml.XmlValue.Dict;
import re6st.slap.xml.XmlValue.ListV;
import re6st.slap.xml.XmlValue.Obj;
import re6st.slap.xml.XmlValue.Str;

/** slapproxy's endpoints over real HTTP on loopback: bodies, statuses, and bad input refused without a change. */
class SlapHttpServerTest {
    static final String SR = "http://example.invalid/web/software.json";

    @TempDir
    Path dir;
    SlapMaster master;
    SlapHttpServer server;
    MetricRegistry metrics = new MetricRegistry();
    String base;
    HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    @BeforeEach
    void start() throws Exception {
        master = SlapMaster.open(dir.resolve("master.db"), () -> 1_700_000_000.25);
        server = new SlapHttpServer(master, AllowList.loopback(), metrics, 4);
        InetSocketAddress at = server.start(List.of(new InetSocketAddress(InetAddress.getByName("::1"), 0))).get(0);
        base = "http://[::1]:" + at.getPort() + "/";
    }

    @AfterEach
    void stop() {
        server.close();
        master.close();
    }

    static String form(Map<String, String> f) {
        return f.entrySet().stream().map(e -> URLEncoder.encode(e.getKey(), StandardCharsets.UTF_8) + "="
                + URLEncoder.encode(e.getValue(), StandardCharsets.UTF_8)).collect(Collectors.joining("&"));
    }

    HttpResponse<String> post(String endpoint, Map<String, String> f) throws Exception {
        return http.send(HttpRequest.newBuilder(URI.create(base + endpoint)).header("Content-Type", "application/x-www-form-urlencoded")
                .POST(HttpRequest.BodyPublishers.ofString(form(f))).build(), HttpResponse.BodyHandlers.ofString());
    }

    HttpResponse<String> get(String endpoint, Map<String, String> f) throws Exception {
        return http.send(HttpRequest.newBuilder(URI.create(base + endpoint + "?" + form(f))).GET().build(), HttpResponse.BodyHandlers.ofString());
    }

    static String marshal(XmlValue v) throws Exception {
        return XmlMarshaller.encodeToString(v);
    }

    static XmlValue parse(String body) throws Exception {
        return XmlUnmarshaller.decode(body.getBytes(StandardCharsets.UTF_8));
    }

    static XmlValue attr(XmlValue obj, String name) {
        return ((Obj) obj).attributes().entries().get(new Str(name));
    }

    static XmlValue key(XmlValue dict, String name) {
        return ((Dict) dict).entries().get(new Str(name));
    }

    /** The computer dictionary slapos format posts. */
    static XmlValue computer(String ref, int partitions) {
        List<XmlValue> parts = new java.util.ArrayList<>();
        for (int i = 0; i < partitions; i++) {
            Map<String, XmlValue> addr = Map.of("addr", new Str("2001:db8:1::" + (i + 2)), "netmask", new Str("ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff"));
            Map<String, XmlValue> p = new LinkedHashMap<>();
            p.put("reference", new Str("slappart" + i));
            p.put("tap", Dict.ofStrings(Map.of("name", new Str("slappart" + i))));
            p.put("address_list", new ListV(List.of(Dict.ofStrings(addr))));
            parts.add(Dict.ofStrings(p));
        }
        Map<String, XmlValue> c = new LinkedHashMap<>();
        c.put("reference", new Str(ref));
        c.put("address", new Str("2001:db8:1::1"));
        c.put("netmask", new Str("ffff:ffff:ffff:ffff::"));
        c.put("partition_list", new ListV(parts));
        return Dict.ofStrings(c);
    }

    Map<String, String> requestForm(String title, String state) throws Exception {
        Map<String, String> f = new LinkedHashMap<>();
        f.put("software_release", SR);
        f.put("software_type", "None");
        f.put("partition_reference", title);
        f.put("partition_parameter_xml", marshal(Dict.ofStrings(Map.of("port", XmlValue.Int.of(8080)))));
        f.put("filter_xml", marshal(Dict.ofStrings(Map.of())));
        f.put("state", marshal(new Str(state)));
        f.put("shared_xml", marshal(new XmlValue.Bool(false)));
        return f;
    }

    @Test
    void formatRequestPublishAndReadBackOverHttp() throws Exception {
        HttpResponse<String> load = post("loadComputerConfigurationFromXML", Map.of("xml", marshal(computer("COMP-1", 1))));
        assertEquals(200, load.statusCode(), load.body());
        assertEquals("done", load.body());

        HttpResponse<String> r = post("requestComputerPartition", requestForm("web1", "started"));
        assertEquals(200, r.statusCode(), r.body());
        XmlValue si = parse(r.body());
        assertEquals("SoftwareInstance", ((Obj) si).className());
        assertEquals(new Str("slappart0"), attr(si, "slap_computer_partition_id"));
        assertEquals(new Str("COMP-1"), attr(si, "slap_computer_id"));
        assertEquals(new Str("started"), attr(si, "_requested_state"));
        assertEquals(new Str("8080"), key(attr(si, "_parameter_dict"), "port"));
        assertEquals(new Str("1700000000.25"), key(attr(si, "_parameter_dict"), "timestamp"), "Python's str(time.time())");
        assertEquals(new Str("default"), attr(si, "slap_software_type"), "None is no type: default");

        HttpResponse<String> pub = post("setComputerPartitionConnectionXml", Map.of("computer_id", "COMP-1", "computer_partition_id", "slappart0",
                "connection_xml", marshal(Dict.ofStrings(Map.of("url", new Str("http://[2001:db8:1::2]:8080")))), "slave_reference", "None"));
        assertEquals("done", pub.body());

        XmlValue again = parse(post("requestComputerPartition", requestForm("web1", "started")).body());
        assertEquals(new Str("http://[2001:db8:1::2]:8080"), key(attr(again, "_connection_dict"), "url"));

        HttpResponse<String> info = get("getFullComputerInformation", Map.of("computer_id", "COMP-1"));
        assertEquals(200, info.statusCode(), info.body());
        XmlValue computer = parse(info.body());
        assertEquals("Computer", ((Obj) computer).className());
        XmlValue part = ((ListV) attr(computer, "_computer_partition_list")).items().get(0);
        assertEquals(new Str("started"), attr(part, "_requested_state"));
        assertEquals(XmlValue.Int.of(1), attr(part, "_need_modification"));
        XmlValue params = attr(part, "_parameter_dict");
        assertEquals(new ListV(List.of(XmlValue.Tuple.of(new Str("slappart0"), new Str("2001:db8:1::2")))), key(params, "ip_list"));
        assertEquals(new Str("web1"), key(params, "instance_title"));
        assertEquals(new Str("web1"), key(params, "root_instance_title"));
        assertEquals(new Str(SR), attr(attr(part, "_software_release_document"), "_software_release"));

        XmlValue reg = parse(get("registerComputerPartition", Map.of("computer_reference", "COMP-1", "computer_partition_reference", "slappart0")).body());
        assertEquals(new Str("http://[2001:db8:1::2]:8080"), key(attr(reg, "_connection_dict"), "url"));
    }

    @Test
    void aFreePartitionIsWrittenAsSlapproxyWritesIt() throws Exception {
        post("loadComputerConfigurationFromXML", Map.of("xml", marshal(computer("COMP-1", 1))));
        String body = get("registerComputerPartition", Map.of("computer_reference", "COMP-1", "computer_partition_reference", "slappart0")).body();
        assertEquals("<marshal><object id=\"i2\" module=\"slapos.slap.slap\" class=\"ComputerPartition\"><tuple/>"
                + "<dictionary id=\"i3\"><string>_computer_id</string><string>COMP-1</string>"
                + "<string>_instance_guid</string><string>COMP-1-slappart0</string>"
                + "<string>_need_modification</string><int>0</int>"
                + "<string>_partition_id</string><string>slappart0</string>"
                + "<string>_requested_state</string><string>destroyed</string>"
                + "<string>_software_release_document</string><none/></dictionary></object></marshal>", body);
    }

    @Test
    void statusesAndErrorsChangeNothing() throws Exception {
        post("loadComputerConfigurationFromXML", Map.of("xml", marshal(computer("COMP-1", 1))));
        assertEquals(200, post("requestComputerPartition", requestForm("web1", "started")).statusCode());
        HttpResponse<String> full = post("requestComputerPartition", requestForm("web2", "started"));
        assertEquals(404, full.statusCode());
        assertTrue(full.body().contains("no free partition"), full.body());
        assertEquals(404, get("getFullComputerInformation", Map.of("computer_id", "COMP-9")).statusCode());
        assertEquals(404, get("noSuchEndpoint", Map.of()).statusCode());
        assertEquals(405, get("requestComputerPartition", Map.of()).statusCode());
        assertEquals(405, post("getFullComputerInformation", Map.of("computer_id", "COMP-1")).statusCode());
        assertEquals(400, get("getFullComputerInformation", Map.of()).statusCode(), "missing computer_id");

        Map<String, String> dtd = requestForm("web3", "started");
        dtd.put("partition_parameter_xml", "<!DOCTYPE x [<!ENTITY e SYSTEM \"file:///etc/passwd\">]><marshal><dictionary id=\"i2\">"
                + "<string>a</string><string>&e;</string></dictionary></marshal>");
        HttpResponse<String> r = post("requestComputerPartition", dtd);
        assertEquals(400, r.statusCode(), r.body());
        assertTrue(r.body().startsWith("partition_parameter_xml: "), r.body());

        Map<String, String> evil = requestForm("web3", "started");
        evil.put("partition_parameter_xml", "<marshal><object id=\"i2\" module=\"os\" class=\"system\"><tuple/><dictionary id=\"i3\"/></object></marshal>");
        assertEquals(400, post("requestComputerPartition", evil).statusCode());

        Map<String, String> notDict = requestForm("web3", "started");
        notDict.put("partition_parameter_xml", marshal(new ListV(List.of())));
        assertEquals(400, post("requestComputerPartition", notDict).statusCode());

        HttpResponse<String> wrongState = post("requestComputerPartition", requestForm("web1", "running"));
        assertEquals(400, wrongState.statusCode());

        HttpResponse<String> twice = http.send(HttpRequest.newBuilder(URI.create(base + "supplySupply"))
                .header("Content-Type", "application/x-www-form-urlencoded")
                .POST(HttpRequest.BodyPublishers.ofString("url=a&url=b&computer_id=COMP-1&state=available")).build(), HttpResponse.BodyHandlers.ofString());
        assertEquals(400, twice.statusCode(), "a field given twice is ambiguous");

        HttpResponse<String> big = post("supplySupply", Map.of("url", "x".repeat(SlapHttpServer.MAX_BODY), "computer_id", "COMP-1", "state", "available"));
        assertEquals(413, big.statusCode());

        assertEquals(1, master.instances().size());
        assertEquals(List.of(), master.softwareList("COMP-1"));
        assertTrue(metrics.counter("slap.master.errors.400").getCount() >= 5);
    }

    @Test
    void onlyTheAllowedPrefixesMayCall() throws Exception {
        SlapHttpServer.Result r = server.handle("GET", "/getFullComputerInformation?computer_id=COMP-1", null, new byte[0],
                InetAddress.getByName("2001:db8:99::1"));
        assertEquals(403, r.status().code());
        assertTrue(r.text().contains("--allow"), r.text());
        AllowList overlay = AllowList.parse(List.of("2001:db8:42::/48", "198.18.0.0/15"));
        assertTrue(overlay.allows(InetAddress.getByName("2001:db8:42:7::2")));
        assertTrue(!overlay.allows(InetAddress.getByName("2001:db8:43::1")));
        // built as Inet6Address (getByName would already give an Inet4Address for these)
        byte[] mapped = new byte[16];
        mapped[10] = (byte) 0xff;
        mapped[11] = (byte) 0xff;
        mapped[12] = (byte) 198;
        mapped[13] = 19;
        mapped[14] = 1;
        mapped[15] = 1;
        assertTrue(overlay.allows(java.net.Inet6Address.getByAddress(null, mapped, -1)), "IPv4-mapped is IPv4");
        mapped[12] = 10;
        mapped[13] = 0;
        mapped[14] = 0;
        assertTrue(!AllowList.loopback().allows(java.net.Inet6Address.getByAddress(null, mapped, -1)));
        for (String bad : List.of("example.com", "2001:db8::/129", "10.0.0.0/x", ""))
            org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class, () -> AllowList.parse(List.of(bad)), bad);
    }
}
