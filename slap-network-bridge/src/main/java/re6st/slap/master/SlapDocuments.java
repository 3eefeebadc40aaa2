package re6st.slap.master;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import re6st.slap.master.MasterModel.Address;
import re6st.slap.master.MasterModel.ComputerConfig;
import re6st.slap.master.MasterModel.Partition;
import re6st.slap.master.MasterModel.PartitionConfig;
import re6st.slap.master.MasterModel.Placed;
import re6st.slap.master.MasterModel.Software;
import re6st.slap.xml.PythonOrder;
import re6st.slap.xml.XmlValue;
import re6st.slap.xml.XmlValue.Dict;
import re6st.slap.xml.XmlValue.ListV;
import re6st.slap.xml.XmlValue.Obj;
import re6st.slap.xml.XmlValue.Str;
import re6st.slap.xml.XmlValue.Tuple;

/**
 * The slap documents (slapos.slap.slap objects as xml_marshaller values) the master answers
 * with, built as slapproxy's views.py builds them, and the documents it reads (the computer
 * description format posts). Objects are written with empty init args and their attributes
 * (the original's classes define no {@code __getinitargs__}; unverified against a live one).
 */
public final class SlapDocuments {
    public static final String MODULE = "slapos.slap.slap";

    private SlapDocuments() {
    }

    static Str s(String v) {
        return new Str(v);
    }

    static XmlValue sOrNone(String v) {
        return v == null ? XmlValue.None.NONE : new Str(v);
    }

    static Dict strings(Map<String, String> m) {
        Map<String, XmlValue> out = new LinkedHashMap<>();
        m.forEach((k, v) -> out.put(k, s(v)));
        return Dict.ofStrings(out);
    }

    static Obj object(String className, Map<String, XmlValue> attributes) {
        return new Obj(MODULE, className, Tuple.of(), Dict.ofStrings(attributes));
    }

    /** {@code ip_list}: (interface, address) tuples. */
    static ListV ipList(List<Address> addresses) {
        List<XmlValue> l = new ArrayList<>();
        for (Address a : addresses)
            l.add(Tuple.of(s(a.ifname()), s(a.address())));
        return new ListV(l);
    }

    static String timestamp(Double t) {
        return PythonOrder.str(new XmlValue.Float(t));
    }

    public static Obj softwareRelease(String url, String computer, String requestedState) {
        Map<String, XmlValue> a = new LinkedHashMap<>();
        a.put("_software_release", s(url));
        a.put("_computer_guid", s(computer));
        if (requestedState != null)
            a.put("_requested_state", s(requestedState));
        return object("SoftwareRelease", a);
    }

    /** A ComputerPartition: a free one is {@code destroyed} with nothing to do; a busy one carries its instance. */
    public static Obj partition(Partition p) {
        Map<String, XmlValue> a = new LinkedHashMap<>();
        a.put("_computer_id", s(p.computer()));
        a.put("_partition_id", s(p.reference()));
        a.put("_instance_guid", s(p.instanceGuid()));
        if (!p.busy()) {
            a.put("_software_release_document", XmlValue.None.NONE);
            a.put("_requested_state", s("destroyed"));
            a.put("_need_modification", XmlValue.Int.of(0));
            return object("ComputerPartition", a);
        }
        a.put("_need_modification", XmlValue.Int.of(1));
        a.put("_requested_state", s(p.requestedState()));
        Map<String, XmlValue> params = new LinkedHashMap<>();
        p.parameters().forEach((k, v) -> params.put(k, s(v)));
        params.put("ip_list", ipList(p.addresses()));
        params.put("full_address_list", new ListV(List.of()));
        params.put("slap_software_type", sOrNone(p.softwareType()));
        params.put("instance_title", sOrNone(p.title()));
        params.put("root_instance_title", sOrNone(p.rootTitle()));
        params.put("slap_computer_id", s(p.computer()));
        params.put("slap_computer_partition_id", s(p.reference()));
        params.put("slap_software_release_url", sOrNone(p.softwareRelease()));
        params.put("slave_instance_list", new ListV(p.slaveInstances()));
        if (p.timestamp() != null)
            params.put("timestamp", s(timestamp(p.timestamp())));
        a.put("_parameter_dict", Dict.ofStrings(params));
        a.put("_connection_dict", strings(p.connection()));
        a.put("_software_release_document", softwareRelease(p.softwareRelease(), p.computer(), null));
        return object("ComputerPartition", a);
    }

    /** {@code getFullComputerInformation}'s Computer. */
    public static Obj computer(SlapMaster.ComputerView v) {
        List<XmlValue> parts = new ArrayList<>();
        for (Partition p : v.partitions())
            parts.add(partition(p));
        List<XmlValue> sw = new ArrayList<>();
        for (Software s : v.software())
            sw.add(softwareRelease(s.url(), s.computer(), s.requestedState()));
        Map<String, XmlValue> a = new LinkedHashMap<>();
        a.put("_computer_id", s(v.computer().reference()));
        a.put("_computer_partition_list", new ListV(parts));
        a.put("_software_release_list", new ListV(sw));
        return object("Computer", a);
    }

    /** {@code requestComputerPartition}'s SoftwareInstance. */
    public static Obj instance(Placed placed) throws re6st.slap.xml.XmlMarshallerException {
        Partition p = placed.partition();
        Map<String, XmlValue> params = new LinkedHashMap<>();
        placed.parameters().forEach((k, v) -> params.put(k, s(v)));
        if (placed.slave() == null && p.timestamp() != null)
            params.put("timestamp", s(timestamp(p.timestamp())));
        Map<String, XmlValue> a = new LinkedHashMap<>();
        a.put("_connection_dict", strings(placed.connection()));
        a.put("_parameter_dict", Dict.ofStrings(params));
        a.put("connection_xml", s(new String(re6st.slap.xml.InstanceXml.encode(placed.connection()), java.nio.charset.StandardCharsets.UTF_8)));
        a.put("slap_computer_id", s(p.computer()));
        a.put("slap_computer_partition_id", s(p.reference()));
        a.put("slap_software_release_url", sOrNone(p.softwareRelease()));
        a.put("slap_server_url", s("slap_server_url"));
        a.put("slap_software_type", sOrNone(p.softwareType()));
        a.put("_instance_guid", s(p.instanceGuid()));
        a.put("_requested_state", s(placed.requestedState()));
        a.put("ip_list", ipList(p.addresses()));
        return object("SoftwareInstance", a);
    }

    // ---- re6st's listing endpoints (the CLI's service and computer commands) ----------------------

    /**
     * One instance for {@code re6st/instances}: {@code title}, {@code root} (None for a root),
     * {@code software_release}, {@code software_type}, {@code requested_state}, {@code computer},
     * {@code partition}, {@code parameters}, {@code connection}, {@code reported_state},
     * {@code error_log}, {@code timestamp}, {@code addresses}.
     */
    public static Dict instanceSummary(Partition p) {
        Map<String, XmlValue> a = new LinkedHashMap<>();
        a.put("title", sOrNone(p.title()));
        a.put("root", sOrNone(p.requestedBy()));
        a.put("software_release", sOrNone(p.softwareRelease()));
        a.put("software_type", sOrNone(p.softwareType()));
        a.put("requested_state", sOrNone(p.requestedState()));
        a.put("computer", s(p.computer()));
        a.put("partition", s(p.reference()));
        a.put("parameters", strings(p.parameters()));
        a.put("connection", strings(p.connection()));
        a.put("reported_state", sOrNone(p.reportedState()));
        a.put("error_log", sOrNone(p.errorLog()));
        a.put("timestamp", p.timestamp() == null ? XmlValue.None.NONE : s(timestamp(p.timestamp())));
        List<XmlValue> addresses = new ArrayList<>();
        for (Address ad : p.addresses())
            addresses.add(s(ad.address()));
        a.put("addresses", new ListV(addresses));
        return Dict.ofStrings(a);
    }

    /** One computer for {@code re6st/computers}: its address, partition counts and software with their reports. */
    public static Dict computerSummary(MasterModel.Computer c, List<Partition> partitions, List<Software> software) {
        Map<String, XmlValue> a = new LinkedHashMap<>();
        a.put("reference", s(c.reference()));
        a.put("address", sOrNone(c.address()));
        a.put("partitions", XmlValue.Int.of(partitions.size()));
        a.put("free", XmlValue.Int.of(partitions.stream().filter(p -> !p.busy()).count()));
        List<XmlValue> sw = new ArrayList<>();
        for (Software x : software) {
            Map<String, XmlValue> d = new LinkedHashMap<>();
            d.put("url", s(x.url()));
            d.put("requested_state", sOrNone(x.requestedState()));
            d.put("reported_state", sOrNone(x.reportedState()));
            d.put("error_log", sOrNone(x.errorLog()));
            sw.add(Dict.ofStrings(d));
        }
        a.put("software", new ListV(sw));
        return Dict.ofStrings(a);
    }

    // ---- what format posts ----------------------------------------------------------------------

    /**
     * The computer dictionary of {@code loadComputerConfigurationFromXML}: {@code reference},
     * {@code address}, {@code netmask}, {@code partition_list} of {@code reference}, {@code tap}
     * ({@code name}) and {@code address_list} ({@code addr}, {@code netmask}).
     */
    public static ComputerConfig computerConfig(XmlValue v) throws SlapException {
        Dict d = dict(v, "the computer");
        List<PartitionConfig> parts = new ArrayList<>();
        XmlValue list = d.entries().get(s("partition_list"));
        if (list != null && !(list instanceof XmlValue.None)) {
            if (!(list instanceof ListV l))
                throw SlapException.badRequest("partition_list is not a list");
            for (XmlValue item : l.items()) {
                Dict p = dict(item, "a partition");
                String ref = text(p, "reference", true);
                String tap = null;
                XmlValue t = p.entries().get(s("tap"));
                if (t instanceof Dict td)
                    tap = text(td, "name", false);
                List<Address> addresses = new ArrayList<>();
                XmlValue al = p.entries().get(s("address_list"));
                if (al instanceof ListV addrs) {
                    for (XmlValue av : addrs.items()) {
                        Dict ad = dict(av, "an address of " + ref);
                        addresses.add(new Address(tap != null ? tap : ref, text(ad, "addr", true), text(ad, "netmask", false)));
                    }
                } else if (al != null && !(al instanceof XmlValue.None))
                    throw SlapException.badRequest("address_list of " + ref + " is not a list");
                parts.add(new PartitionConfig(ref, tap, addresses));
            }
        }
        return new ComputerConfig(text(d, "reference", true), text(d, "address", false), text(d, "netmask", false), parts);
    }

    /** A dictionary of string keys (as the request's parameter and filter dictionaries are). */
    public static Map<String, XmlValue> stringKeyed(XmlValue v, String what) throws SlapException {
        if (v instanceof XmlValue.None)
            return Map.of();
        Dict d = dict(v, what);
        Map<String, XmlValue> out = new LinkedHashMap<>();
        for (Map.Entry<XmlValue, XmlValue> e : d.entries().entrySet()) {
            if (!(e.getKey() instanceof Str k))
                throw SlapException.badRequest(what + ": a key that is not a string: " + PythonOrder.reprAll(e.getKey()));
            out.put(k.value(), e.getValue());
        }
        return out;
    }

    private static Dict dict(XmlValue v, String what) throws SlapException {
        if (v instanceof Dict d)
            return d;
        throw SlapException.badRequest(what + " is not a dictionary");
    }

    private static String text(Dict d, String key, boolean required) throws SlapException {
        XmlValue v = d.entries().get(s(key));
        if (v == null || v instanceof XmlValue.None) {
            if (required)
                throw SlapException.badRequest("no " + key);
            return null;
        }
        if (v instanceof Str str)
            return str.value();
        if (v instanceof XmlValue.Int || v instanceof XmlValue.Float)
            return PythonOrder.str(v);
        throw SlapException.badRequest(key + " is not a string");
    }
}
