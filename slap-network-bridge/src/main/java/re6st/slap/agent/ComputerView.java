package re6st.slap.agent;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

import re6st.slap.xml.PythonOrder;
import re6st.slap.xml.XmlValue;

/** What the agent reads in {@code getFullComputerInformation}: its partitions and software releases. */
record ComputerView(List<PartitionView> partitions, List<SoftwareView> software) {
    /** The keys of {@code _parameter_dict} the master adds; the others are the instance's parameters. */
    static final Set<String> RESERVED = Set.of("ip_list", "full_address_list", "slap_software_type", "instance_title", "root_instance_title",
            "slave_instance_list", "timestamp", "slap_computer_id", "slap_computer_partition_id", "slap_software_release_url");

    record SoftwareView(String url, String requestedState) {
    }

    /** A partition; {@code busy} when it holds an instance ({@code _need_modification} 1). */
    record PartitionView(String id, boolean busy, String requestedState, String softwareRelease, String title, String type,
                         Map<String, String> parameters, List<String> addresses, String timestamp, Map<String, String> connection) {
    }

    static ComputerView parse(XmlValue doc) {
        if (!(doc instanceof XmlValue.Obj o) || !"Computer".equals(o.className()))
            throw new IllegalArgumentException("the master's computer information is not a Computer");
        List<PartitionView> parts = new ArrayList<>();
        for (XmlValue v : list(attr(o, "_computer_partition_list"))) {
            String id = text(attr(v, "_partition_id"));
            boolean busy = attr(v, "_need_modification") instanceof XmlValue.Int i && i.value().signum() != 0;
            XmlValue params = attr(v, "_parameter_dict");
            Map<String, String> user = new LinkedHashMap<>();
            List<String> addresses = new ArrayList<>();
            String title = null, type = null, ts = null;
            if (params instanceof XmlValue.Dict d) {
                for (Map.Entry<XmlValue, XmlValue> e : d.entries().entrySet()) {
                    String k = PythonOrder.str(e.getKey());
                    if (!RESERVED.contains(k))
                        user.put(k, PythonOrder.str(e.getValue()));
                }
                for (XmlValue ip : list(d.entries().get(new XmlValue.Str("ip_list"))))
                    if (ip instanceof XmlValue.Tuple t && t.items().size() == 2)
                        addresses.add(text(t.items().get(1)));
                title = text(d.entries().get(new XmlValue.Str("instance_title")));
                type = text(d.entries().get(new XmlValue.Str("slap_software_type")));
                ts = text(d.entries().get(new XmlValue.Str("timestamp")));
            }
            Map<String, String> conn = new LinkedHashMap<>();
            if (attr(v, "_connection_dict") instanceof XmlValue.Dict d)
                d.entries().forEach((k, x) -> conn.put(PythonOrder.str(k), PythonOrder.str(x)));
            String sr = text(attr(attr(v, "_software_release_document"), "_software_release"));
            parts.add(new PartitionView(id, busy, text(attr(v, "_requested_state")), sr, title, type, user, addresses, ts, conn));
        }
        List<SoftwareView> sw = new ArrayList<>();
        for (XmlValue v : list(attr(o, "_software_release_list")))
            sw.add(new SoftwareView(text(attr(v, "_software_release")), text(attr(v, "_requested_state"))));
        return new ComputerView(parts, sw);
    }

    static XmlValue attr(XmlValue obj, String name) {
        return obj instanceof XmlValue.Obj o ? o.attributes().entries().get(new XmlValue.Str(name)) : null;
    }

    static List<XmlValue> list(XmlValue v) {
        return v instanceof XmlValue.ListV l ? l.items() : List.of();
    }

    static String text(XmlValue v) {
        return v == null || v instanceof XmlValue.None ? null : PythonOrder.str(v);
    }
}
