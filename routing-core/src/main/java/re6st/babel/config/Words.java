package re6st.babel.config;

import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import re6st.babel.message.Addr;
import re6st.babel.message.Prefix;

/**
 * One configuration line split into words, as babeld's {@code getword}/{@code getstring} do:
 * words are separated by spaces, tabs and carriage returns; {@code #} starts a comment anywhere
 * outside quotes; {@code "..."} is one word (backslash escapes the next character). Plus the
 * value readers babeld uses ({@code getint} = strtol base 0, {@code getthousands}, {@code getbool},
 * {@code getnet}, {@code getid}), each with the message the user sees when the value is wrong.
 */
final class Words {
    private final List<String> words;
    private int next;

    Words(String line) throws BadValue {
        this.words = split(line);
    }

    static List<String> split(String line) throws BadValue {
        List<String> out = new ArrayList<>();
        int i = 0, n = line.length();
        while (i < n) {
            char c = line.charAt(i);
            if (c == ' ' || c == '\t' || c == '\r') {
                i++;
            } else if (c == '#') {
                break;
            } else if (c == '"') {
                StringBuilder w = new StringBuilder();
                i++;
                while (true) {
                    if (i >= n)
                        throw new BadValue("unterminated quoted string");
                    c = line.charAt(i++);
                    if (c == '"')
                        break;
                    if (c == '\\') {
                        if (i >= n)
                            throw new BadValue("unterminated quoted string");
                        c = line.charAt(i++);
                    }
                    w.append(c);
                }
                out.add(w.toString());
            } else {
                int start = i;
                while (i < n && " \t\r#".indexOf(line.charAt(i)) < 0)
                    i++;
                out.add(line.substring(start, i));
            }
        }
        return out;
    }

    boolean hasNext() {
        return next < words.size();
    }

    /** The next word, or null at the end of the line. */
    String next() {
        return hasNext() ? words.get(next++) : null;
    }

    /** Fails unless the line ends here (after an option's single value). */
    void end(String option) throws BadValue {
        if (hasNext())
            throw new BadValue(option + " takes one value, got also '" + words.get(next) + "'");
    }

    private String value(String option, String what) throws BadValue {
        String w = next();
        if (w == null)
            throw new BadValue(option + " needs " + what + ", got nothing");
        return w;
    }

    private static BadValue bad(String option, String what, String got) {
        return new BadValue(option + " needs " + what + ", got '" + got + "'");
    }

    String string(String option, String what) throws BadValue {
        return value(option, what);
    }

    /** An integer written as C's strtol(base 0) reads it (decimal, 0x hex, 0 octal), within [min, max]. */
    long integer(String option, long min, long max, String what) throws BadValue {
        String w = value(option, what);
        Long v = strtol(w);
        if (v == null || v < min || v > max)
            throw bad(option, what, w);
        return v;
    }

    /**
     * A decimal with up to three significant fractional digits, times 1000 (babeld's
     * {@code parse_thousands}): seconds to milliseconds, or milliseconds to microseconds.
     * Further digits are truncated, as babeld does ({@code 0.0015} s is 1 ms). Zero is refused,
     * as by every babeld option read this way.
     */
    long thousands(String option, String what, long max, String maxText) throws BadValue {
        String w = value(option, what);
        long v = parseThousands(w);
        if (v <= 0)
            throw bad(option, what, w);
        if (v > max)
            throw new BadValue(option + " must be at most " + maxText + ", got '" + w + "'");
        return v;
    }

    /** true/yes, false/no, or auto/default (null: not set, the type's or default's value applies). */
    Boolean tristate(String option) throws BadValue {
        String what = "true, false or auto";
        String w = value(option, what);
        switch (w) {
            case "true": case "yes": return Boolean.TRUE;
            case "false": case "no": return Boolean.FALSE;
            case "auto": case "default": return null;
            default: throw bad(option, what, w);
        }
    }

    /** A global flag: as in babeld, {@code auto} means false. */
    boolean bool(String option) throws BadValue {
        String what = "true or false";
        String w = value(option, what);
        switch (w) {
            case "true": case "yes": return true;
            case "false": case "no": case "auto": case "default": return false;
            default: throw bad(option, what, w);
        }
    }

    long eui64(String option) throws BadValue {
        String what = "an EUI-64 such as 02:00:00:00:00:00:00:01 (or a MAC-48 address)";
        String w = value(option, what);
        Long id = parseEui64(w);
        if (id == null)
            throw bad(option, what, w);
        return id;
    }

    Prefix net(String option) throws BadValue {
        String what = "a prefix such as 2001:db8::/32 or 10.0.0.0/8";
        String w = value(option, what);
        Prefix p = parseNet(w);
        if (p == null)
            throw bad(option, what, w);
        return p;
    }

    Addr address(String option) throws BadValue {
        String what = "an IPv6 or IPv4 address";
        String w = value(option, what);
        try {
            if (w.indexOf('/') < 0)
                return Addr.parse(w);
        } catch (IllegalArgumentException e) {
            // fall through
        }
        throw bad(option, what, w);
    }

    // ---- value syntax, as babeld's util.c ----

    /** C strtol(s, &end, 0) with *end == '\0' required; null if not a whole integer or out of long range. */
    static Long strtol(String s) {
        int i = 0, n = s.length();
        boolean negative = false;
        if (i < n && (s.charAt(i) == '+' || s.charAt(i) == '-'))
            negative = s.charAt(i++) == '-';
        int radix = 10;
        if (i + 2 < n && s.charAt(i) == '0' && (s.charAt(i + 1) == 'x' || s.charAt(i + 1) == 'X')
                && Character.digit(s.charAt(i + 2), 16) >= 0) {
            radix = 16;
            i += 2;
        } else if (i < n && s.charAt(i) == '0') {
            radix = 8;
        }
        if (i >= n)
            return null;
        long v = 0;
        for (; i < n; i++) {
            int d = Character.digit(s.charAt(i), radix);
            if (d < 0 || s.charAt(i) > 0x7f)
                return null;
            if (v > (Long.MAX_VALUE - d) / radix)
                return null;
            v = v * radix + d;
        }
        return negative ? -v : v;
    }

    private static final Pattern THOUSANDS = Pattern.compile("([0-9]*)(?:\\.([0-9]*))?");

    /** babeld's parse_thousands: "1.5" is 1500; -1 if not of that form (or absurdly large). */
    static long parseThousands(String s) {
        Matcher m = THOUSANDS.matcher(s);
        if (!m.matches() || m.group(1).length() > 9)
            return -1;
        long in = m.group(1).isEmpty() ? 0 : Long.parseLong(m.group(1));
        String f = m.group(2) == null ? "" : m.group(2);
        f = (f + "000").substring(0, 3);
        return in * 1000 + Integer.parseInt(f);
    }

    private static final Pattern EUI64 = Pattern.compile("[0-9a-fA-F]{1,2}(:[0-9a-fA-F]{1,2}){7}|[0-9a-fA-F]{1,2}(-[0-9a-fA-F]{1,2}){7}");
    private static final Pattern MAC48 = Pattern.compile("[0-9a-fA-F]{1,2}(:[0-9a-fA-F]{1,2}){5}");

    /**
     * A router-id as babeld's parse_eui64 reads it: 8 hex bytes separated by ':' or '-', or a
     * MAC-48 (6 bytes with ':') made into a modified EUI-64 by inserting ff:fe in the middle
     * (babeld does not flip the universal/local bit). Null if neither.
     */
    static Long parseEui64(String s) {
        long id = 0;
        if (EUI64.matcher(s).matches()) {
            for (String b : s.split("[:-]"))
                id = (id << 8) | Integer.parseInt(b, 16);
            return id;
        }
        if (MAC48.matcher(s).matches()) {
            String[] b = s.split(":");
            for (int i = 0; i < 6; i++) {
                if (i == 3)
                    id = (id << 16) | 0xfffe;
                id = (id << 8) | Integer.parseInt(b[i], 16);
            }
            return id;
        }
        return null;
    }

    /**
     * babeld's parse_net: {@code default} is ::/0, a bare address is a host route, IPv4 lengths
     * 0..32 and IPv6 0..128 (strtol base 0); host bits cleared. Null if malformed.
     */
    static Prefix parseNet(String s) {
        if (s.equals("default"))
            return Prefix.V6_DEFAULT;
        int slash = s.indexOf('/');
        try {
            Addr a = Addr.parse(slash < 0 ? s : s.substring(0, slash));
            boolean v4 = a.isV4() && s.indexOf(':') < 0;
            if (slash < 0)
                return new Prefix(a, 128);
            Long len = strtol(s.substring(slash + 1));
            if (len == null || len < 0 || len > (v4 ? 32 : 128))
                return null;
            return new Prefix(a, (int) (v4 ? len + 96 : len));
        } catch (IllegalArgumentException e) {
            return null;
        }
    }
}
