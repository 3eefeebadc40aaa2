package re6st.slap.agent;

import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

/**
 * A software release in re6st's own format (buildout is out of reach here): a JSON manifest at
 * the release's URL, e.g. {@code https://example.com/web/software.json}: <pre>
 * {
 *   "format": "re6st-slapos-software 1",
 *   "files": ["server.py"],
 *   "install": "python3 -m py_compile server.py",
 *   "port": 8080,
 *   "run": "exec python3 ${software_dir}/server.py --bind ${ipv6} --port ${port}",
 *   "promises": {"http": "curl -fsS -g -o /dev/null http://[${ipv6}]:${port}/"},
 *   "publish": {"url": "http://[${ipv6}]:${port}/"}
 * }</pre>
 * {@code files} are fetched next to the manifest into the software directory (relative paths,
 * no {@code ..}); {@code install} runs once there ({@code sh -c}); {@code run} is the partition's
 * service, supervised (restarted when it dies); each promise must exit 0 within 20 s;
 * {@code publish} are the connection parameters, sent once the promises pass.
 *
 * <p>Placeholders: {@code ${ipv6}} (the partition's overlay address), {@code ${port}} (the
 * instance parameter {@code port}, else the manifest's), {@code ${partition_dir}},
 * {@code ${software_dir}}, {@code ${title}}, {@code ${computer_id}}, {@code ${partition_id}} and
 * {@code ${parameter.NAME}} (an instance parameter). In shell commands a placeholder is a quoted
 * reference to an environment variable holding the value ({@code "$SLAP_PORT"}), so that no
 * parameter can inject a command, wherever the template puts it.
 */
public record Manifest(List<String> files, String install, String run, Integer port, Map<String, String> promises,
                       Map<String, String> publish) {
    public static final String FORMAT = "re6st-slapos-software 1";
    private static final Pattern PLACEHOLDER = Pattern.compile("\\$\\{([A-Za-z0-9_.\\-]+)}");
    private static final Pattern NAME = Pattern.compile("[A-Za-z0-9_.\\-]{1,64}");

    public Manifest {
        files = List.copyOf(files);
        promises = Map.copyOf(promises);
        publish = Map.copyOf(publish);
    }

    /** @throws IllegalArgumentException what is wrong with the manifest, for the error report */
    public static Manifest parse(byte[] json) {
        JsonNode n;
        try {
            n = new ObjectMapper().readTree(json);
        } catch (java.io.IOException e) {
            throw new IllegalArgumentException("the manifest is not JSON: " + e.getMessage());
        }
        if (n == null || !n.isObject())
            throw new IllegalArgumentException("the manifest is not a JSON object");
        if (!FORMAT.equals(n.path("format").asText(null)))
            throw new IllegalArgumentException("the manifest's \"format\" is not \"" + FORMAT + "\" (is this a buildout release? "
                    + "only re6st's own format is deployed here: see the README)");
        List<String> files = new ArrayList<>();
        for (JsonNode f : n.path("files")) {
            String p = f.asText("");
            if (p.isEmpty() || p.startsWith("/") || p.contains("\\") || p.contains(":") || p.contains("?") || p.contains("#")
                    || p.contains("%") || List.of(p.split("/")).contains("..") || p.length() > 255)
                throw new IllegalArgumentException("file \"" + p + "\": a relative path without '..', ':', '?', '#' or '%'");
            files.add(p);
        }
        String run = text(n, "run");
        if (run == null)
            throw new IllegalArgumentException("the manifest has no \"run\" command");
        Integer port = null;
        if (n.has("port")) {
            if (!n.get("port").canConvertToInt() || n.get("port").asInt() < 1 || n.get("port").asInt() > 65535)
                throw new IllegalArgumentException("\"port\" is not a port number");
            port = n.get("port").asInt();
        }
        return new Manifest(files, text(n, "install"), run, port, names(n, "promises"), names(n, "publish"));
    }

    private static String text(JsonNode n, String field) {
        JsonNode v = n.get(field);
        if (v == null || v.isNull())
            return null;
        if (!v.isTextual())
            throw new IllegalArgumentException("\"" + field + "\" is not a string");
        return v.asText();
    }

    private static Map<String, String> names(JsonNode n, String field) {
        Map<String, String> out = new LinkedHashMap<>();
        JsonNode v = n.get(field);
        if (v == null || v.isNull())
            return out;
        if (!v.isObject())
            throw new IllegalArgumentException("\"" + field + "\" is not an object");
        for (Iterator<Map.Entry<String, JsonNode>> it = v.fields(); it.hasNext();) {
            Map.Entry<String, JsonNode> e = it.next();
            if (!NAME.matcher(e.getKey()).matches())
                throw new IllegalArgumentException(field + " name \"" + e.getKey() + "\": letters, digits, '_', '.', '-' only");
            if (!e.getValue().isTextual())
                throw new IllegalArgumentException(field + "." + e.getKey() + " is not a string");
            out.put(e.getKey(), e.getValue().asText());
        }
        return out;
    }

    /**
     * {@code template} with its placeholders replaced from {@code values}. For a shell command
     * ({@code shell}), a placeholder becomes a reference to its environment variable,
     * {@code "$SLAP_IPV6"} ({@link #variable}), never the value's text: whatever the value holds and
     * wherever the template puts it (even inside quotes), the shell does not parse it as code. The
     * values then go to the command's environment ({@link #environment}). An unknown placeholder is
     * an error naming it.
     */
    public static String render(String template, Map<String, String> values, boolean shell) {
        Matcher m = PLACEHOLDER.matcher(template);
        StringBuilder out = new StringBuilder();
        while (m.find()) {
            String v = values.get(m.group(1));
            if (v == null)
                throw new IllegalArgumentException("unknown placeholder ${" + m.group(1) + "} (known: " + values.keySet() + ")");
            m.appendReplacement(out, Matcher.quoteReplacement(shell ? "\"$" + variable(m.group(1)) + "\"" : v));
        }
        m.appendTail(out);
        return out.toString();
    }

    /** The environment variable of a placeholder: {@code parameter.site-url} is {@code SLAP_PARAMETER_SITE_URL}. */
    public static String variable(String placeholder) {
        return "SLAP_" + placeholder.toUpperCase(java.util.Locale.ROOT).replaceAll("[^A-Z0-9]", "_");
    }

    /** Every placeholder's value under its {@link #variable} name, for the commands' environment. */
    public static Map<String, String> environment(Map<String, String> values) {
        Map<String, String> env = new LinkedHashMap<>();
        values.forEach((k, v) -> env.put(variable(k), v));
        return env;
    }
}
