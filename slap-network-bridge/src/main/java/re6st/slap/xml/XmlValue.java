package re6st.slap.xml;

import java.math.BigInteger;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * A value as Python's xml_marshaller writes it. Python 3 has one integer type, so {@code <int>} and
 * {@code <long>} both read as {@link Int} (written {@code <long>} from 10^24 on, as the original
 * does). Containers that have an id in the XML (list, dictionary, set, object) are shared by
 * identity: the same Java instance written twice becomes a {@code <reference>}, and a decoded
 * reference yields the same instance. Equality is structural (dictionary and set order aside).
 */
public sealed interface XmlValue {
    record Str(String value) implements XmlValue {
        public Str {
            if (value == null)
                throw new NullPointerException("value");
        }
    }

    record Int(BigInteger value) implements XmlValue {
        public Int {
            if (value == null)
                throw new NullPointerException("value");
        }

        public static Int of(long v) {
            return new Int(BigInteger.valueOf(v));
        }
    }

    /** Equality as a record: NaN equals NaN, 0.0 and -0.0 differ. */
    record Float(double value) implements XmlValue {
    }

    record Bool(boolean value) implements XmlValue {
    }

    record None() implements XmlValue {
        public static final None NONE = new None();
    }

    /** Written without id and never as a reference (the original does not track tuples). */
    record Tuple(List<XmlValue> items) implements XmlValue {
        public Tuple {
            items = List.copyOf(items);
        }

        public static Tuple of(XmlValue... items) {
            return new Tuple(List.of(items));
        }
    }

    record ListV(List<XmlValue> items) implements XmlValue {
        public ListV {
            items = List.copyOf(items);
        }
    }

    /** Keys in insertion order here; the encoder sorts them as the original does. */
    record Dict(Map<XmlValue, XmlValue> entries) implements XmlValue {
        public Dict {
            entries = Collections.unmodifiableMap(new LinkedHashMap<>(entries));
        }

        public static Dict ofStrings(Map<String, ? extends XmlValue> m) {
            Map<XmlValue, XmlValue> out = new LinkedHashMap<>();
            m.forEach((k, v) -> out.put(new Str(k), v));
            return new Dict(out);
        }
    }

    /** Members written in this set's iteration order (the original writes Python's hash order). */
    record SetV(Set<XmlValue> members) implements XmlValue {
        public SetV {
            members = Collections.unmodifiableSet(new LinkedHashSet<>(members));
        }
    }

    /** {@code <object module=".." class="..">}: the init args, then the attribute dictionary. */
    record Obj(String module, String className, Tuple args, Dict attributes) implements XmlValue {
        public Obj {
            if (module == null || className == null || args == null || attributes == null)
                throw new NullPointerException();
        }
    }
}
