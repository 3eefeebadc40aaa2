package re6st.node;

import java.util.LinkedHashMap;
import java.util.Map;

import re6st.net.Ipv6Address;
import re6st.net.Ipv6Prefix;
import re6st.net.Network;
import re6st.net.NodePrefix;
import re6st.net.NodeSubnet;

/**
 * Where a node lives on the overlay (startup step 6): its address, added to the main interface
 * with the subnet's length, and the network prefix that gets an {@code unreachable} route so
 * unknown overlay destinations fail fast instead of leaking to the default route. The same values
 * go to the {@code --up}/{@code --daemon} hooks as environment variables, in the original's text.
 */
public record NodeAddressing(NodeSubnet subnet, String mainInterface) {
    /** The original's {@code -I/--main-interface} default. */
    public static final String DEFAULT_MAIN_INTERFACE = "lo";

    public NodeAddressing {
        if (subnet == null)
            throw new IllegalArgumentException("subnet is null");
        // IFNAMSIZ is 16 with the NUL; '/' and blanks would break sysfs paths and hook scripts.
        if (mainInterface == null || mainInterface.isEmpty() || mainInterface.length() > 15
                || !mainInterface.matches("[^/\\s:]+"))
            throw new IllegalArgumentException("bad main interface name '" + mainInterface + "'");
    }

    /** From the CA's network (its serial) and the node's certificate CN prefix. */
    public static NodeAddressing of(Network network, NodePrefix node, String mainInterface) {
        return new NodeAddressing(network.subnet(node), mainInterface);
    }

    /** The node's own address, e.g. {@code 2001:db8:42:7::1}. */
    public Ipv6Address address() {
        return subnet.nodeAddress();
    }

    /** What goes on the main interface, e.g. {@code 2001:db8:42:7::1/64}. */
    public String interfaceAddress() {
        return address() + "/" + subnet.prefix().length();
    }

    public Ipv6Prefix subnetPrefix() {
        return subnet.prefix();
    }

    /** The whole network, e.g. {@code 2001:db8:42::/48}: the target of the unreachable route. */
    public Ipv6Prefix network() {
        return subnet.network().prefix();
    }

    /** {@code re6stnet_ip}, {@code re6stnet_iface}, {@code re6stnet_subnet}, {@code re6stnet_network}. */
    public Map<String, String> hookEnvironment() {
        Map<String, String> env = new LinkedHashMap<>();
        env.put("re6stnet_ip", address().toString());
        env.put("re6stnet_iface", mainInterface);
        env.put("re6stnet_subnet", subnetPrefix().toString());
        env.put("re6stnet_network", network().toString());
        return java.util.Collections.unmodifiableMap(env);
    }
}
