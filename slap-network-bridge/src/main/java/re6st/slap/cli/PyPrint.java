package re6st.slap.cli;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

import re6st.slap.xml.PythonOrder;
import re6st.slap.xml.XmlValue;

/**
 * What {@code slapos request} and {@code slapos service info} print for a dictionary of strings:
 * Python's {@code pprint.pformat} (keys sorted; one line when it fits in 80 columns, else one
 * item per line).
 */
final class PyPrint {
    private PyPrint() {
    }

    static String pformat(Map<String, String> m) {
        List<String> items = new ArrayList<>();
        for (Map.Entry<String, String> e : new TreeMap<>(m).entrySet())
            items.add(repr(e.getKey()) + ": " + repr(e.getValue()));
        String one = "{" + String.join(", ", items) + "}";
        if (one.length() <= 80)
            return one;
        return "{" + String.join(",\n ", items) + "}";
    }

    static String repr(String s) {
        return PythonOrder.reprAll(new XmlValue.Str(s));
    }
}
