package re6st.slap.client;

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
import java.util.stream.Collectors;

import re6st.slap.xml.XmlMarshaller;
import re6st.slap.xml.XmlMarshallerException;
import re6st.slap.xml.XmlUnmarshaller;
import re6st.slap.xml.XmlValue;

/**
 * A slap client, as slapos.slap's connection helper talks to a master (slap-protocol.md,
 * "Transport"): GET with a query string, POST with a form, Python's None sent as {@code None}.
 * A 404 is {@link SlapClientException.Kind#NOT_FOUND}, a 408 {@link SlapClientException.Kind#NOT_READY}
 * (the master is provisioning: rerun later), any other non-200 {@link SlapClientException.Kind#HTTP}
 * with the master's reason.
 */
public final class SlapClient {
    private final URI master;
    private final HttpClient http;
    private final Duration timeout;

    /** {@code masterUrl}: e.g. {@code http://[2001:db8:42::1]:8080} (a bare IPv6 literal gets brackets). */
    public SlapClient(String masterUrl, Duration timeout) {
        this.master = parse(masterUrl);
        this.timeout = timeout;
        this.http = HttpClient.newBuilder().connectTimeout(timeout).version(HttpClient.Version.HTTP_1_1).build();
    }

    /** The master URL with brackets around a bare IPv6 literal host and a trailing slash. */
    public static URI parse(String url) {
        String u = url.trim();
        int scheme = u.indexOf("://");
        if (scheme < 0)
            throw new IllegalArgumentException("master URL " + url + ": no scheme (http://...)");
        String rest = u.substring(scheme + 3);
        int slash = rest.indexOf('/');
        String host = slash < 0 ? rest : rest.substring(0, slash), path = slash < 0 ? "/" : rest.substring(slash);
        if (!host.startsWith("[") && host.chars().filter(c -> c == ':').count() > 1) // 2001:db8::1 or 2001:db8::1:8080? a literal without port
            host = "[" + host + "]";
        if (!path.endsWith("/"))
            path += "/";
        URI out = URI.create(u.substring(0, scheme + 3) + host + path);
        if (!"http".equals(out.getScheme()) && !"https".equals(out.getScheme()))
            throw new IllegalArgumentException("master URL " + url + ": http or https only");
        if (out.getHost() == null)
            throw new IllegalArgumentException("master URL " + url + ": no host");
        return out;
    }

    public URI master() {
        return master;
    }

    static String form(Map<String, String> fields) {
        return fields.entrySet().stream()
                .map(e -> URLEncoder.encode(e.getKey(), StandardCharsets.UTF_8) + "="
                        + URLEncoder.encode(e.getValue() == null ? "None" : e.getValue(), StandardCharsets.UTF_8))
                .collect(Collectors.joining("&"));
    }

    /** GET {@code endpoint?query}; the body as text. */
    public String get(String endpoint, Map<String, String> query) throws SlapClientException, IOException {
        String q = query.isEmpty() ? "" : "?" + form(query);
        return send(endpoint, HttpRequest.newBuilder(master.resolve(endpoint + q)).GET());
    }

    /** POST {@code endpoint} with a form; the body as text. */
    public String post(String endpoint, Map<String, String> fields) throws SlapClientException, IOException {
        return send(endpoint, HttpRequest.newBuilder(master.resolve(endpoint)).header("Content-Type", "application/x-www-form-urlencoded")
                .POST(HttpRequest.BodyPublishers.ofString(form(fields))));
    }

    /** GET, the body read as an xml_marshaller document. */
    public XmlValue getDocument(String endpoint, Map<String, String> query) throws SlapClientException, IOException {
        return document(endpoint, get(endpoint, query));
    }

    /** POST, the body read as an xml_marshaller document. */
    public XmlValue postDocument(String endpoint, Map<String, String> fields) throws SlapClientException, IOException {
        return document(endpoint, post(endpoint, fields));
    }

    private XmlValue document(String endpoint, String body) throws IOException {
        try {
            return XmlUnmarshaller.decode(body.getBytes(StandardCharsets.UTF_8));
        } catch (XmlMarshallerException e) {
            throw new IOException("the master's answer to " + endpoint + " is not an xml_marshaller document: " + e.getMessage(), e);
        }
    }

    private String send(String endpoint, HttpRequest.Builder b) throws SlapClientException, IOException {
        HttpResponse<String> r;
        try {
            r = http.send(b.timeout(timeout).build(), HttpResponse.BodyHandlers.ofString(StandardCharsets.UTF_8));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted while asking the master " + master, e);
        } catch (java.net.http.HttpTimeoutException e) {
            throw new IOException("the master " + master + " did not answer " + endpoint + " within " + timeout.toSeconds() + " s", e);
        } catch (java.net.ConnectException e) {
            throw new IOException("cannot connect to the master " + master + " (is it running, is the URL right?)", e);
        }
        int code = r.statusCode();
        if (code == 200)
            return r.body();
        String why = r.body() == null ? "" : r.body().strip();
        SlapClientException.Kind kind = code == 404 ? SlapClientException.Kind.NOT_FOUND
                : code == 408 ? SlapClientException.Kind.NOT_READY : SlapClientException.Kind.HTTP;
        throw new SlapClientException(kind, code, endpoint + ": " + code + (why.isEmpty() ? "" : " " + why));
    }

    /** xml_marshaller text of {@code v} (for the form fields that carry one). */
    public static String marshal(XmlValue v) {
        try {
            return XmlMarshaller.encodeToString(v);
        } catch (XmlMarshallerException e) {
            throw new IllegalArgumentException(e.getMessage(), e);
        }
    }

    /**
     * {@code requestComputerPartition} as {@code slapos request} sends it (registerOpenOrder().request):
     * state and shared as xml_marshaller scalars, parameters and filter as dictionaries.
     */
    public XmlValue request(String softwareRelease, String title, Map<String, String> parameters, String softwareType,
                            Map<String, String> filter, String state, boolean shared) throws SlapClientException, IOException {
        Map<String, String> f = new LinkedHashMap<>();
        f.put("software_release", softwareRelease);
        f.put("software_type", softwareType);
        f.put("partition_reference", title);
        f.put("shared_xml", marshal(new XmlValue.Bool(shared)));
        f.put("partition_parameter_xml", marshal(strings(parameters)));
        f.put("filter_xml", marshal(strings(filter)));
        f.put("state", marshal(state == null ? XmlValue.None.NONE : new XmlValue.Str(state)));
        return postDocument("requestComputerPartition", f);
    }

    static XmlValue.Dict strings(Map<String, String> m) {
        Map<String, XmlValue> out = new LinkedHashMap<>();
        m.forEach((k, v) -> out.put(k, new XmlValue.Str(v)));
        return XmlValue.Dict.ofStrings(out);
    }
}
