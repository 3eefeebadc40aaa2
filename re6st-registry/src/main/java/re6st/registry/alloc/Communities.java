package re6st.registry.alloc;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Communities ({@code --community FILE}): parts of the prefix tree reserved for nodes by location.
 * Each line is {@code <binary subprefix> <location>...}; a location is a country (ISO 3166 alpha-2,
 * e.g. {@code FR}), {@code @} + a continent code (e.g. {@code @EU}) or {@code *} (everyone else).
 * Empty lines and lines starting with {@code #} are ignored. Exactly one line has {@code *}.
 * Subprefixes must not overlap (none the beginning of another); a location may appear once.
 * Without a file there is one community, {@code ''}, for everyone.
 */
public final class Communities {
    /** One line: its number in the file, the subprefix, the locations as written. */
    public record Community(int line, String prefix, List<String> locations) {
    }

    private final List<Community> communities;
    private final Map<String, String> byLocation;
    private final String fallback;

    private Communities(List<Community> communities) {
        this.communities = List.copyOf(communities);
        Map<String, String> map = new LinkedHashMap<>();
        String star = null;
        for (Community c : communities)
            for (String l : c.locations())
                if (l.equals("*"))
                    star = c.prefix();
                else
                    map.put(l, c.prefix());
        this.byLocation = Collections.unmodifiableMap(map);
        this.fallback = star;
    }

    /** No community file: every node allocates in the whole tree. */
    public static Communities none() {
        return new Communities(List.of(new Community(0, "", List.of("*"))));
    }

    public static Communities parse(Path file) throws IOException {
        return parse(file.toString(), Files.readString(file, StandardCharsets.UTF_8));
    }

    /** Parses the text of a community file; {@code name} is used in error messages. */
    public static Communities parse(String name, String text) {
        List<Community> list = new ArrayList<>();
        Map<String, Integer> seen = new LinkedHashMap<>();
        String[] lines = text.split("\r?\n", -1);
        for (int n = 1; n <= lines.length; n++) {
            String line = lines[n - 1].strip();
            if (line.isEmpty() || line.startsWith("#"))
                continue;
            String[] words = line.split("\\s+");
            String prefix = words[0];
            for (int i = 0; i < prefix.length(); i++)
                if (prefix.charAt(i) != '0' && prefix.charAt(i) != '1')
                    throw bad(name, n, "subprefix '" + prefix + "' has '" + prefix.charAt(i) + "': only 0 and 1 allowed");
            if (prefix.length() > 127)
                throw bad(name, n, "subprefix of " + prefix.length() + " bits leaves no room for nodes");
            for (Community c : list)
                if (prefix.startsWith(c.prefix()) || c.prefix().startsWith(prefix))
                    throw new IllegalArgumentException(name + ": communities " + c.prefix() + " (line " + c.line() + ") and "
                            + prefix + " (line " + n + ") overlap");
            List<String> locations = List.of(words).subList(1, words.length);
            for (String l : locations) {
                if (!l.equals("*") && !l.matches("@?[A-Z]{2}"))
                    throw bad(name, n, "location '" + l + "' is not a country (two capital letters, e.g. FR), '@' and a"
                            + " continent (e.g. @EU) or '*'");
                Integer previous = seen.putIfAbsent(l, n);
                if (previous != null && l.equals("*"))
                    throw bad(name, n, "a second default location '*' (the first is on line " + previous
                            + "): exactly one community is the default");
                if (previous != null)
                    throw bad(name, n, "location " + l + " is already given to the community of line " + previous);
            }
            list.add(new Community(n, prefix, locations));
        }
        if (!seen.containsKey("*"))
            throw new IllegalArgumentException(name + ": no community has the default location '*'");
        return new Communities(list);
    }

    private static IllegalArgumentException bad(String name, int line, String why) {
        return new IllegalArgumentException(name + ", line " + line + ": " + why);
    }

    /**
     * The community for a node: the one listing its country, else its continent, else the
     * default ({@code *}). {@code country} and {@code continent} are GeoIP codes ("FR", "EU");
     * null, empty or "*" mean unknown. A continent may also be given as "@EU".
     */
    public String lookup(String country, String continent) {
        if (country != null && country.matches("[A-Z]{2}") && byLocation.containsKey(country))
            return byLocation.get(country);
        if (continent != null && !continent.isEmpty() && !continent.equals("*")) {
            String key = continent.startsWith("@") ? continent : "@" + continent;
            if (byLocation.containsKey(key))
                return byLocation.get(key);
        }
        return fallback;
    }

    /** The default community (the line with '*'). */
    public String fallback() {
        return fallback;
    }

    public List<Community> list() {
        return communities;
    }

    @Override
    public String toString() {
        return communities.toString();
    }
}
