package re6st.slap.xml;

import java.math.BigDecimal;
import java.math.MathContext;
import java.math.RoundingMode;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import re6st.slap.xml.XmlValue.Bool;
import re6st.slap.xml.XmlValue.Dict;
import re6st.slap.xml.XmlValue.Float;
import re6st.slap.xml.XmlValue.Int;
import re6st.slap.xml.XmlValue.ListV;
import re6st.slap.xml.XmlValue.None;
import re6st.slap.xml.XmlValue.Obj;
import re6st.slap.xml.XmlValue.SetV;
import re6st.slap.xml.XmlValue.Str;
import re6st.slap.xml.XmlValue.Tuple;

/**
 * How the original orders a dictionary's items and writes a float. xml_marshaller's
 * {@code version_independent_cmp} compares two keys with Python 3's {@code <}/{@code >} and, when
 * that raises TypeError (e.g. a str against an int, or None against anything), compares their
 * {@code repr()}s instead; the items are then sorted with that comparison (CPython's list.sort,
 * which for fewer than 64 items is a stable binary insertion sort). Keys in slap bodies are always
 * strings, so in practice this is code-point order; mixed keys follow the same rule with a repr
 * close to Python's (exact for ints, floats, bools, None, tuples and printable strings).
 */
public final class PythonOrder {
    private PythonOrder() {
    }

    /** The entries sorted by key as the original sorts them (stable binary insertion, never throws). */
    static List<Map.Entry<XmlValue, XmlValue>> sortedItems(Dict d) {
        List<Map.Entry<XmlValue, XmlValue>> out = new ArrayList<>(d.entries().size());
        for (Map.Entry<XmlValue, XmlValue> e : d.entries().entrySet()) {
            int lo = 0, hi = out.size();
            while (lo < hi) {
                int mid = (lo + hi) >>> 1;
                if (cmp(e.getKey(), out.get(mid).getKey()) < 0)
                    hi = mid;
                else
                    lo = mid + 1;
            }
            out.add(lo, e);
        }
        return out;
    }

    /** {@code version_independent_cmp}: Python's comparison, else repr against repr. */
    static int cmp(XmlValue a, XmlValue b) {
        Integer c = natural(a, b);
        return c != null ? c : codePoints(repr(a), repr(b));
    }

    /** Python 3 {@code (a > b) - (a < b)}, or null where Python raises TypeError. */
    private static Integer natural(XmlValue a, XmlValue b) {
        if (a instanceof Str x && b instanceof Str y)
            return Integer.signum(codePoints(x.value(), y.value()));
        if (isNumber(a) && isNumber(b))
            return numeric(a, b);
        if (a instanceof Tuple x && b instanceof Tuple y) {
            int n = Math.min(x.items().size(), y.items().size());
            for (int i = 0; i < n; i++) {
                XmlValue p = x.items().get(i), q = y.items().get(i);
                if (!pyEquals(p, q))
                    return natural(p, q);
            }
            return Integer.compare(x.items().size(), y.items().size());
        }
        return null;
    }

    private static boolean pyEquals(XmlValue a, XmlValue b) {
        if (isNumber(a) && isNumber(b))
            return numeric(a, b) == 0 && !isNaN(a) && !isNaN(b);
        if (a instanceof Tuple x && b instanceof Tuple y) {
            if (x.items().size() != y.items().size())
                return false;
            for (int i = 0; i < x.items().size(); i++)
                if (!pyEquals(x.items().get(i), y.items().get(i)))
                    return false;
            return true;
        }
        if (a instanceof Obj || b instanceof Obj)
            return a == b;
        return a.equals(b);
    }

    private static boolean isNumber(XmlValue v) {
        return v instanceof Int || v instanceof Float || v instanceof Bool;
    }

    private static boolean isNaN(XmlValue v) {
        return v instanceof Float f && Double.isNaN(f.value());
    }

    /** Numeric comparison; NaN and infinities as Python: NaN is neither smaller nor greater. */
    private static int numeric(XmlValue a, XmlValue b) {
        if (isNaN(a) || isNaN(b))
            return 0;
        if (isInfinite(a) || isInfinite(b)) {
            double da = approx(a), db = approx(b);
            return da < db ? -1 : da > db ? 1 : 0;
        }
        return Integer.signum(exact(a).compareTo(exact(b)));
    }

    private static boolean isInfinite(XmlValue v) {
        return v instanceof Float f && Double.isInfinite(f.value());
    }

    private static double approx(XmlValue v) {
        return v instanceof Float f ? f.value() : exact(v).doubleValue();
    }

    private static BigDecimal exact(XmlValue v) {
        if (v instanceof Int i)
            return new BigDecimal(i.value());
        if (v instanceof Bool b)
            return b.value() ? BigDecimal.ONE : BigDecimal.ZERO;
        return new BigDecimal(((Float) v).value());
    }

    /** Python compares str by code point; Java's compareTo by UTF-16 unit. */
    static int codePoints(String a, String b) {
        int i = 0, j = 0;
        while (i < a.length() && j < b.length()) {
            int x = a.codePointAt(i), y = b.codePointAt(j);
            if (x != y)
                return Integer.compare(x, y);
            i += Character.charCount(x);
            j += Character.charCount(y);
        }
        return Integer.compare(a.length() - i, b.length() - j);
    }

    /**
     * Python's {@code str()}: a string as it is, anything else as {@link #reprAll} (slapproxy
     * stores every instance parameter as {@code str(value)}).
     */
    public static String str(XmlValue v) {
        return v instanceof Str s ? s.value() : reprAll(v);
    }

    /**
     * Python's {@code repr()} with containers in full: {@code [1, 'a']}, {@code {'k': 'v'}} (in
     * this dictionary's order, as a Python dict prints in insertion order), {@code set()}.
     */
    public static String reprAll(XmlValue v) {
        if (v instanceof ListV l)
            return join("[", l.items(), "]");
        if (v instanceof Tuple t)
            return t.items().size() == 1 ? "(" + reprAll(t.items().get(0)) + ",)" : join("(", t.items(), ")");
        if (v instanceof SetV s)
            return s.members().isEmpty() ? "set()" : join("{", new java.util.ArrayList<>(s.members()), "}");
        if (v instanceof Dict d) {
            StringBuilder sb = new StringBuilder("{");
            for (Map.Entry<XmlValue, XmlValue> e : d.entries().entrySet())
                sb.append(sb.length() == 1 ? "" : ", ").append(reprAll(e.getKey())).append(": ").append(reprAll(e.getValue()));
            return sb.append('}').toString();
        }
        return repr(v);
    }

    private static String join(String open, List<XmlValue> items, String close) {
        StringBuilder sb = new StringBuilder(open);
        for (int k = 0; k < items.size(); k++)
            sb.append(k == 0 ? "" : ", ").append(reprAll(items.get(k)));
        return sb.append(close).toString();
    }

    /** Python's repr(), for the keys a dictionary can have. */
    static String repr(XmlValue v) {
        if (v instanceof Str s)
            return reprStr(s.value());
        if (v instanceof Int i)
            return i.value().toString();
        if (v instanceof Float f)
            return floatRepr(f.value());
        if (v instanceof Bool b)
            return b.value() ? "True" : "False";
        if (v instanceof None)
            return "None";
        if (v instanceof Tuple t) {
            StringBuilder sb = new StringBuilder("(");
            for (int k = 0; k < t.items().size(); k++)
                sb.append(k == 0 ? "" : ", ").append(repr(t.items().get(k)));
            return sb.append(t.items().size() == 1 ? ",)" : ")").toString();
        }
        if (v instanceof Obj o)
            return "<" + o.module() + "." + o.className() + " object>";
        if (v instanceof ListV)
            return "[...]";
        if (v instanceof SetV)
            return "{...}";
        return "{...}";
    }

    private static String reprStr(String s) {
        char q = s.indexOf('\'') >= 0 && s.indexOf('"') < 0 ? '"' : '\'';
        StringBuilder sb = new StringBuilder().append(q);
        s.codePoints().forEach(c -> {
            if (c == q || c == '\\')
                sb.append('\\').appendCodePoint(c);
            else if (c == '\t')
                sb.append("\\t");
            else if (c == '\n')
                sb.append("\\n");
            else if (c == '\r')
                sb.append("\\r");
            else if (c < 0x20 || c == 0x7f)
                sb.append(String.format("\\x%02x", c));
            else if (c < 0x7f || printable(c))
                sb.appendCodePoint(c);
            else if (c < 0x100)
                sb.append(String.format("\\x%02x", c));
            else if (c < 0x10000)
                sb.append(String.format("\\u%04x", c));
            else
                sb.append(String.format("\\U%08x", c));
        });
        return sb.append(q).toString();
    }

    private static boolean printable(int c) {
        switch (Character.getType(c)) {
            case Character.CONTROL, Character.FORMAT, Character.SURROGATE, Character.PRIVATE_USE, Character.UNASSIGNED,
                    Character.LINE_SEPARATOR, Character.PARAGRAPH_SEPARATOR, Character.SPACE_SEPARATOR:
                return false;
            default:
                return true;
        }
    }

    /**
     * Python's {@code str(float)} (= repr): the shortest digits that read back to the same double,
     * in positional form when the decimal exponent is in [-4, 16), else {@code 1.5e-05} style.
     */
    static String floatRepr(double d) {
        if (Double.isNaN(d))
            return "nan";
        if (Double.isInfinite(d))
            return d > 0 ? "inf" : "-inf";
        if (d == 0)
            return 1 / d < 0 ? "-0.0" : "0.0";
        BigDecimal exact = new BigDecimal(d), shortest = exact;
        for (int p = 1; p <= 17; p++) {
            BigDecimal r = exact.round(new MathContext(p, RoundingMode.HALF_EVEN));
            if (r.doubleValue() == d) {
                shortest = r;
                break;
            }
        }
        shortest = shortest.stripTrailingZeros();
        String digits = shortest.unscaledValue().abs().toString();
        int exp = digits.length() - 1 - shortest.scale();
        StringBuilder sb = new StringBuilder(d < 0 ? "-" : "");
        if (exp >= -4 && exp < 16) {
            if (exp >= 0) {
                if (digits.length() <= exp + 1)
                    sb.append(digits).append("0".repeat(exp + 1 - digits.length())).append(".0");
                else
                    sb.append(digits, 0, exp + 1).append('.').append(digits, exp + 1, digits.length());
            } else {
                sb.append("0.").append("0".repeat(-exp - 1)).append(digits);
            }
        } else {
            sb.append(digits.charAt(0));
            if (digits.length() > 1)
                sb.append('.').append(digits, 1, digits.length());
            sb.append('e').append(exp < 0 ? '-' : '+');
            int a = Math.abs(exp);
            sb.append(a < 10 ? "0" : "").append(a);
        }
        return sb.toString();
    }
}
