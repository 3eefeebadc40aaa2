package re6st.registry.client;

import java.io.IOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Calls a re6st registry as the original client does (registry-protocol.md "Transport"):
 * {@code GET <registry>/<method>?<urlencoded args>}, every parameter sent (defaults included),
 * User-Agent {@code re6stnet/<version>, <platform>}, 60 s timeout. Non-2xx answers become a
 * {@link RegistryException} carrying the status and the registry's message; 204 is an empty
 * result. Authenticated calls ({@code cn}) go through a {@link Session} that adds the HMAC
 * header, checks the response's, and redoes {@code hello} once on failure (401 after a registry
 * restart, or a bad HMAC).
 */
public final class RegistryClient {
    public static final String VERSION = "re6stnet/0.1-jvm";
    static final Duration TIMEOUT = Duration.ofSeconds(60);

    /** A registry answered with an error status. */
    public static final class RegistryException extends IOException {
        private static final long serialVersionUID = 1L;
        private final int status;

        public RegistryException(int status, String message) {
            super(message);
            this.status = status;
        }

        public int status() {
            return status;
        }
    }

    /** The authenticated session of one node (see re6st.registry.auth): signs requests, checks responses. */
    public interface Session {
        /** The binary prefix this session speaks for. */
        String cn();

        /** Makes sure a key exists (calling hello through {@code client} if not); returns the Re6stHMAC header for {@code pathWithQuery}. */
        String sign(RegistryClient client, String pathWithQuery) throws IOException;

        /** Checks the response's Re6stHMAC over {@code body} and steps the key; false if it does not match. */
        boolean verify(String hmacHeader, byte[] body);

        /** Forgets the key (the next call does hello again). */
        void reset();
    }

    private final URI base;
    private final HttpClient http;
    private final Duration timeout;

    /** @throws IllegalArgumentException when {@code registry} is not an absolute http:// or https:// URL with a host */
    public RegistryClient(URI registry) {
        this(registry, TIMEOUT);
    }

    /** As {@link #RegistryClient(URI)}, giving up a connection or a call after {@code timeout}. */
    public RegistryClient(URI registry, Duration timeout) {
        this.timeout = timeout;
        String scheme = registry.getScheme() == null ? "" : registry.getScheme().toLowerCase(java.util.Locale.ROOT);
        if (!(scheme.equals("http") || scheme.equals("https")) || registry.getHost() == null)
            throw new IllegalArgumentException("'" + registry + "' is not an http:// or https:// URL with a host "
                    + "(e.g. http://re6st.example.com/)");
        String s = registry.toString();
        this.base = URI.create(s.endsWith("/") ? s : s + "/");
        this.http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).connectTimeout(timeout).followRedirects(HttpClient.Redirect.NEVER).build();
    }

    public URI base() {
        return base;
    }

    /** An unauthenticated call; parameters in the order given. Returns the body (empty for 204). */
    public byte[] call(String method, Map<String, String> params) throws IOException {
        return send(method, query(params), null).body();
    }

    /**
     * An authenticated call: {@code params} must contain {@code cn} (the session's prefix). On a
     * 401 or a response whose HMAC does not match, the session is reset (new hello) and the call
     * made once more.
     */
    public byte[] call(String method, Map<String, String> params, Session session) throws IOException {
        String query = query(params);
        for (int attempt = 0; ; attempt++) {
            String pathWithQuery = "/" + method + "?" + query;
            String hmac = session.sign(this, pathWithQuery);
            try {
                HttpResponse<byte[]> r = send(method, query, hmac);
                if (!session.verify(r.headers().firstValue("Re6stHMAC").orElse(null), r.body()))
                    throw new RegistryException(400, method + ": the response's HMAC does not match");
                return r.body();
            } catch (RegistryException e) {
                session.reset();
                if (attempt > 0 || e.status() == 403)
                    throw e;
            }
        }
    }

    private HttpResponse<byte[]> send(String method, String query, String hmac) throws IOException {
        HttpRequest.Builder b = HttpRequest.newBuilder(base.resolve(method + (query.isEmpty() ? "" : "?" + query))).timeout(timeout)
                .header("User-Agent", VERSION + ", " + System.getProperty("os.name") + "-" + System.getProperty("os.arch")).GET();
        if (hmac != null)
            b.header("Re6stHMAC", hmac);
        HttpResponse<byte[]> r;
        try {
            r = http.send(b.build(), HttpResponse.BodyHandlers.ofByteArray());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new java.io.InterruptedIOException(method + " interrupted");
        } catch (IOException e) { // the JDK's messages name neither the URL nor the call (a refusal's is null)
            throw new IOException("cannot reach the registry at " + shown() + " (" + method + "): " + re6st.cli.Failures.explain(e), e);
        }
        int st = r.statusCode();
        if (st == 200 || st == 204)
            return r;
        throw new RegistryException(st, method + ": the registry at " + shown() + " answered " + st + reason(r.body()));
    }

    /** The registry's URL as printed: without a user:password part. */
    public String shown() {
        return base.getRawUserInfo() == null ? base.toString() : base.toString().replace(base.getRawUserInfo() + "@", "");
    }

    /**
     * The registry's one-line reason (its 4xx bodies are one line of text); a web page instead
     * means the URL is not a re6st registry's.
     */
    static String reason(byte[] body) {
        String text = new String(body, StandardCharsets.UTF_8).strip();
        if (text.isEmpty())
            return "";
        if (text.startsWith("<") || text.regionMatches(true, 0, "<!DOCTYPE", 0, 9))
            return " with a web page, not a registry's answer (is the URL the registry's base URL?)";
        String line = text.lines().findFirst().orElse("");
        return ": " + (line.length() > 200 ? line.substring(0, 200) + "..." : line);
    }

    static String query(Map<String, String> params) {
        StringBuilder q = new StringBuilder();
        for (Map.Entry<String, String> e : params.entrySet()) {
            if (q.length() > 0)
                q.append('&');
            q.append(URLEncoder.encode(e.getKey(), StandardCharsets.UTF_8)).append('=')
                    .append(URLEncoder.encode(e.getValue() == null ? "" : e.getValue(), StandardCharsets.UTF_8));
        }
        return q.toString();
    }

    /** Parameters in order: {@code params("email", "a@b")}. */
    public static Map<String, String> params(String... nameValue) {
        if (nameValue.length % 2 != 0)
            throw new IllegalArgumentException("name/value pairs expected");
        Map<String, String> m = new LinkedHashMap<>();
        for (int i = 0; i < nameValue.length; i += 2)
            m.put(nameValue[i], nameValue[i + 1]);
        return m;
    }

    // ---- the public RPCs re6st-conf uses ----

    public byte[] getCa() throws IOException {
        return call("getCa", Map.of());
    }

    public void requestToken(String email) throws IOException {
        call("requestToken", params("email", email));
    }

    /** The certificate PEM, or an empty array when the token is unknown (204). */
    public byte[] requestCertificate(String token, String csrPem, String location, String ip) throws IOException {
        return call("requestCertificate", params("token", token, "req", csrPem, "location", location, "ip", ip));
    }

    // ---- authenticated RPCs a node uses ----

    /** A node to bootstrap from: its binary prefix and its tunnel addresses ({@code ip,port,proto[,country];...}). */
    public record BootstrapPeer(String prefix, String addresses) {}

    /** {@code getBootstrapPeer}: empty when the registry knows no address (204). */
    public java.util.Optional<BootstrapPeer> getBootstrapPeer(NodeSession session) throws IOException {
        byte[] r = call("getBootstrapPeer", params("cn", session.cn()), session);
        if (r.length == 0)
            return java.util.Optional.empty();
        String plain = new String(session.decrypt(r), StandardCharsets.UTF_8);
        int sp = plain.indexOf(' ');
        if (sp < 1 || !plain.substring(0, sp).matches("[01]{1,128}"))
            throw new RegistryException(400, "getBootstrapPeer: not '<prefix> <addresses>' once decrypted");
        return java.util.Optional.of(new BootstrapPeer(plain.substring(0, sp), plain.substring(sp + 1)));
    }
}
