package re6st.node.upnp;

import java.io.IOException;
import java.io.InputStream;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.SocketTimeoutException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;

import re6st.net.Ipv4Text;

/**
 * A UPnP Internet Gateway Device found on the LAN and the three actions of its WAN connection
 * service we use: GetExternalIPAddress, AddPortMapping, DeletePortMapping. Every step has a
 * timeout; every answer is size-capped and parsed by the fuzzed parsers ({@link SsdpAnswer},
 * {@link DeviceDescription}, {@link Soap}); every URL is checked by {@link IgdUrl}.
 */
public final class Igd implements PortForwarder.Gateway {
    private static final System.Logger LOG = System.getLogger("re6st.node.upnp");
    static final InetSocketAddress SSDP = new InetSocketAddress("239.255.255.250", 1900);
    static final List<String> SEARCH_TARGETS = List.of("urn:schemas-upnp-org:device:InternetGatewayDevice:1",
            "urn:schemas-upnp-org:service:WANIPConnection:1", "urn:schemas-upnp-org:service:WANIPConnection:2");
    public static final Duration HTTP_TIMEOUT = Duration.ofSeconds(5);

    private final HttpClient http;
    private final URI control;
    private final String serviceType;
    private final String address;
    private final String localAddress;

    private Igd(HttpClient http, URI control, String serviceType, String address, String localAddress) {
        this.http = http;
        this.control = control;
        this.serviceType = serviceType;
        this.address = address;
        this.localAddress = localAddress;
    }

    /**
     * Sends the M-SEARCHes and takes the first answer, within {@code wait}, whose description has a
     * WAN connection service; refused answers go to {@code refused} (and are counted by the caller)
     * and the search goes on. UpnpException NO_IGD when nothing usable answered.
     */
    public static Igd discover(Duration wait, Consumer<UpnpException> refused) throws UpnpException {
        HttpClient http = null; // made at the first answer: a search every minute that nobody answers leaves no selector thread
        long end = System.nanoTime() + wait.toNanos();
        List<String> tried = new ArrayList<>();
        java.util.Set<String> gateways = null; // read at the first answer
        try (DatagramSocket s = new DatagramSocket(new InetSocketAddress("0.0.0.0", 0))) {
            for (String st : SEARCH_TARGETS) {
                byte[] m = ("M-SEARCH * HTTP/1.1\r\nHOST: 239.255.255.250:1900\r\nMAN: \"ssdp:discover\"\r\nMX: 2\r\nST: " + st + "\r\n\r\n")
                        .getBytes(StandardCharsets.US_ASCII);
                s.send(new DatagramPacket(m, m.length, SSDP));
            }
            byte[] buf = new byte[SsdpAnswer.MAX_BYTES + 1];
            for (int answers = 0; answers < 64; answers++) { // bounded: a LAN flooding answers cannot keep us here
                long left = (end - System.nanoTime()) / 1_000_000;
                if (left <= 0)
                    break;
                s.setSoTimeout((int) left);
                DatagramPacket p = new DatagramPacket(buf, buf.length);
                try {
                    s.receive(p);
                } catch (SocketTimeoutException e) {
                    break;
                }
                if (!(p.getAddress() instanceof Inet4Address))
                    continue;
                String source = p.getAddress().getHostAddress();
                try {
                    if (gateways == null)
                        gateways = defaultGateways();
                    if (!gateways.contains(source)) // anyone on the LAN can answer a multicast search: only our router is asked
                        throw new UpnpException(UpnpException.BAD_ANSWER, "an SSDP answer from " + source
                                + ", which is not our IPv4 default gateway " + gateways + ": ignored");
                    SsdpAnswer a = SsdpAnswer.parse(p.getData(), p.getLength());
                    URI location = IgdUrl.check(null, a.location(), source);
                    if (tried.contains(location.toString()))
                        continue; // the same device answering another of our search targets
                    tried.add(location.toString());
                    if (http == null)
                        http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1) // no h2c upgrade headers: IGDs parse HTTP/1.x minimally
                                .connectTimeout(HTTP_TIMEOUT).followRedirects(HttpClient.Redirect.NEVER)
                                .proxy(java.net.ProxySelector.of(null)).build(); // never through a proxy: the IGD is on our LAN
                    return at(http, location, source);
                } catch (UpnpException e) {
                    refused.accept(e);
                }
            }
        } catch (UpnpException e) {
            throw e;
        } catch (IOException e) {
            throw new UpnpException(UpnpException.IO, "UPnP search on 239.255.255.250:1900: " + re6st.cli.Failures.explain(e), e);
        }
        throw new UpnpException(UpnpException.NO_IGD, "no UPnP IGD answered within " + wait.toMillis() + " ms"
                + (tried.isEmpty() ? "" : " (tried " + String.join(", ", tried) + ")"));
    }

    /** This thread's network namespace's IPv4 default gateways (from /proc/thread-self/net/route); empty if none or unreadable. */
    static java.util.Set<String> defaultGateways() {
        try {
            return defaultGateways(java.nio.file.Files.readString(java.nio.file.Path.of("/proc/thread-self/net/route")));
        } catch (IOException | RuntimeException e) {
            LOG.log(System.Logger.Level.WARNING, "UPnP: cannot read the default gateway (/proc/thread-self/net/route): {0}", e.toString());
            return java.util.Set.of();
        }
    }

    /**
     * The gateways of the default routes in {@code table}, the kernel's /proc/net/route text: a header, then
     * {@code Iface Destination Gateway Flags ... Mask ...}, addresses as little-endian hex, RTF_GATEWAY = 0x2.
     */
    static java.util.Set<String> defaultGateways(String table) {
        java.util.Set<String> out = new java.util.TreeSet<>();
        for (String line : table.split("\n")) {
            String[] f = line.trim().split("\\s+");
            if (f.length < 8 || !f[1].equals("00000000") || !f[7].equals("00000000") || f[2].length() != 8)
                continue;
            try {
                if ((Integer.parseInt(f[3], 16) & 0x2) == 0)
                    continue;
                long g = Long.parseLong(f[2], 16);
                out.add((g & 0xff) + "." + (g >> 8 & 0xff) + "." + (g >> 16 & 0xff) + "." + (g >> 24 & 0xff));
            } catch (NumberFormatException e) {
                // not a route line (the header): skipped
            }
        }
        return out;
    }

    /** The IGD whose description is at {@code location} (already checked against {@code source}). */
    static Igd at(HttpClient http, URI location, String source) throws UpnpException {
        HttpRequest get = HttpRequest.newBuilder(location).timeout(HTTP_TIMEOUT).GET().build();
        Reply r = send(http, get, "device description " + location);
        if (r.status != 200)
            throw new UpnpException(UpnpException.HTTP, "device description " + location + ": HTTP status " + r.status);
        DeviceDescription d = DeviceDescription.parse(r.body);
        URI base = d.urlBase().isEmpty() ? location : IgdUrl.check(null, d.urlBase(), source);
        URI control = IgdUrl.check(base, d.controlUrl(), source);
        String local;
        try (DatagramSocket probe = new DatagramSocket()) {
            probe.connect(new InetSocketAddress(source, control.getPort() > 0 ? control.getPort() : 80));
            local = probe.getLocalAddress().getHostAddress(); // our address on the IGD's side: the mapping's internal client
        } catch (IOException e) {
            throw new UpnpException(UpnpException.IO, "no route to the IGD " + source + ": " + e.getMessage(), e);
        }
        return new Igd(http, control, d.serviceType(), source, local);
    }

    /** The IGD's address on the LAN. */
    public String address() {
        return address;
    }

    /** Our address as the IGD sees it: where mapped ports lead. */
    public String localAddress() {
        return localAddress;
    }

    public URI control() {
        return control;
    }

    public String serviceType() {
        return serviceType;
    }

    /** GetExternalIPAddress: the IGD's WAN IPv4 address (refused unless a plain, non-zero IPv4 address). */
    @Override
    public String externalIp() throws UpnpException {
        String ip = call("GetExternalIPAddress", List.of()).getOrDefault("NewExternalIPAddress", "");
        try {
            long v = Ipv4Text.parse(ip);
            if (v != 0 && Ipv4Text.format(v).equals(ip))
                return ip;
        } catch (IllegalArgumentException e) {
            // refused below
        }
        throw new UpnpException(UpnpException.BAD_ANSWER, "GetExternalIPAddress: '" + SsdpAnswer.printable(ip) + "' is not an IPv4 address");
    }

    /** AddPortMapping of {@code externalPort}/{@code protocol} ("UDP", "TCP") to our {@code internalPort}, for {@code leaseSeconds}. */
    @Override
    public void addPortMapping(int externalPort, String protocol, int internalPort, String description, int leaseSeconds) throws UpnpException {
        call("AddPortMapping", List.of(new Soap.Arg("NewRemoteHost", ""), new Soap.Arg("NewExternalPort", Integer.toString(externalPort)),
                new Soap.Arg("NewProtocol", protocol), new Soap.Arg("NewInternalPort", Integer.toString(internalPort)),
                new Soap.Arg("NewInternalClient", localAddress), new Soap.Arg("NewEnabled", "1"),
                new Soap.Arg("NewPortMappingDescription", description), new Soap.Arg("NewLeaseDuration", Integer.toString(leaseSeconds))));
    }

    @Override
    public void deletePortMapping(int externalPort, String protocol) throws UpnpException {
        call("DeletePortMapping", List.of(new Soap.Arg("NewRemoteHost", ""), new Soap.Arg("NewExternalPort", Integer.toString(externalPort)),
                new Soap.Arg("NewProtocol", protocol)));
    }

    private Map<String, String> call(String action, List<Soap.Arg> args) throws UpnpException {
        HttpRequest post = HttpRequest.newBuilder(control).timeout(HTTP_TIMEOUT)
                .header("Content-Type", "text/xml; charset=\"utf-8\"")
                .header("SOAPAction", "\"" + serviceType + "#" + action + "\"")
                .POST(HttpRequest.BodyPublishers.ofByteArray(Soap.request(serviceType, action, args))).build();
        Reply r = send(http, post, action + " at " + control);
        return Soap.response(action, r.status, r.body);
    }

    private record Reply(int status, byte[] body) {
    }

    private static Reply send(HttpClient http, HttpRequest request, String what) throws UpnpException {
        try {
            HttpResponse<InputStream> r = http.send(request, HttpResponse.BodyHandlers.ofInputStream());
            // the request timeout covers the headers: a body dripped byte by byte is cut at the same bound
            try (InputStream in = r.body(); Closer closer = new Closer(in)) {
                byte[] body = in.readNBytes(SafeXml.MAX_BYTES + 1);
                if (closer.fired())
                    throw new UpnpException(UpnpException.TIMEOUT, what + ": body not received within " + HTTP_TIMEOUT.toSeconds() + " s");
                if (body.length > SafeXml.MAX_BYTES)
                    throw new UpnpException(UpnpException.BAD_ANSWER, what + ": answer longer than " + SafeXml.MAX_BYTES + " bytes");
                return new Reply(r.statusCode(), body);
            }
        } catch (HttpTimeoutException e) {
            throw new UpnpException(UpnpException.TIMEOUT, what + ": no answer within " + HTTP_TIMEOUT.toSeconds() + " s", e);
        } catch (IOException e) {
            throw new UpnpException(UpnpException.IO, what + ": " + re6st.cli.Failures.explain(e), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new UpnpException(UpnpException.IO, what + ": interrupted", e);
        }
    }

    private static final java.util.concurrent.ScheduledExecutorService CLOSER = java.util.concurrent.Executors
            .newSingleThreadScheduledExecutor(r -> {
                Thread t = new Thread(r, "upnp-http-deadline");
                t.setDaemon(true);
                return t;
            });

    /** Closes a body stream HTTP_TIMEOUT from now unless closed first. */
    private static final class Closer implements AutoCloseable {
        private final java.util.concurrent.ScheduledFuture<?> task;
        private volatile boolean fired;

        Closer(InputStream in) {
            task = CLOSER.schedule(() -> {
                fired = true;
                try {
                    in.close();
                } catch (IOException e) {
                    // closing is all we want
                }
            }, HTTP_TIMEOUT.toMillis(), java.util.concurrent.TimeUnit.MILLISECONDS);
        }

        boolean fired() {
            return fired;
        }

        @Override
        public void close() {
            task.cancel(false);
        }
    }

    @Override
    public String toString() {
        return "IGD " + address + " (" + control + ", " + serviceType.substring(serviceType.lastIndexOf(':', serviceType.length() - 3) + 1) + ")";
    }
}
