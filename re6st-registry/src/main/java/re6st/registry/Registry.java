package re6st.registry;

import java.io.IOException;
import java.lang.System.Logger.Level;
import java.lang.System.Logger;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.security.SecureRandom;
import java.security.cert.CertificateException;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.util.Optional;
import java.util.Set;

import re6st.net.NodePrefix;
import re6st.pki.Pem;
import re6st.registry.alloc.Communities;
import re6st.registry.alloc.NoFreePrefixException;
import re6st.registry.alloc.PrefixAllocator;
import re6st.registry.auth.AuthenticationException;
import re6st.registry.auth.Sessions;
import re6st.registry.ca.BadCsrException;
import re6st.registry.ca.CertificateAuthority;
import re6st.registry.ca.CertificateRequest;
import re6st.registry.ca.Renewal;
import re6st.registry.cli.RegistryOptions;
import re6st.registry.geo.ClientAddress;
import re6st.registry.geo.GeoIp;
import re6st.registry.geo.Location;
import re6st.registry.http.QueryString;
import re6st.registry.http.RpcException;
import re6st.registry.http.RpcServer.Kind;
import re6st.registry.http.RpcServer.Param;
import re6st.registry.http.RpcServer;
import re6st.registry.limit.AbuseLimits;
import re6st.registry.limit.SourceAddress;
import re6st.registry.mail.TokenMailer;
import re6st.registry.node.NodeLink;
import re6st.registry.protocol.BabelHmacKeys;
import re6st.registry.protocol.HelloResponse;
import re6st.registry.protocol.HmacChain;
import re6st.registry.protocol.NetworkConfig;
import re6st.registry.protocol.NetworkVersion;
import re6st.registry.store.CertRow;
import re6st.registry.store.ConfigKey;
import re6st.registry.store.DuplicateTokenException;
import re6st.registry.store.RegistryDb;
import re6st.registry.store.Token;

/**
 * The registry's RPCs (registry-protocol.md), on the storage, allocator and CA: enrolment by
 * token or anonymously, hello and the authenticated calls, renewal, revocation, the network
 * configuration and its signed version, and the admin calls. Declared on an {@link RpcServer}
 * with {@link #declare}; the server's authenticator is {@link #authenticator()}.
 */
public final class Registry {
    private static final Logger LOG = System.getLogger("re6st.registry");
    static final String TOKEN_LETTERS = "abcdefghijklmnopqrstuvwxyz";
    /** A caller on the registry's own host, for itself: not limited (tests, tools calling the methods directly). */
    static final SourceAddress LOCAL = new SourceAddress(java.net.InetAddress.getLoopbackAddress(), true);

    private final RegistryOptions options;
    private final CertificateAuthority ca;
    private final RegistryDb db;
    private final TokenMailer mailer;
    private final Communities communities;
    private final PrefixAllocator allocator;
    private final Sessions sessions = new Sessions();
    private final SecureRandom random = new SecureRandom();
    private final SubjectSerials subjectSerials = new SubjectSerials();
    private final Clock clock;
    private final NetworkConfig.Parameters parameters;
    private final GeoIp geoip; // null: no GeoIP database
    private final NodeLink node;
    private final AbuseLimits limits;
    private final Object peersLock = new Object();
    private java.util.Deque<String> peers = new java.util.ArrayDeque<>(); // getBootstrapPeer candidates
    private long peersUntil; // epoch millis

    /** A registry without a co-located node (getBootstrapPeer answers only from --node-address). */
    public Registry(RegistryOptions options, CertificateAuthority ca, RegistryDb db, TokenMailer mailer, Communities communities, Clock clock) {
        this(options, ca, db, mailer, communities, null, clock, NodeLink.NONE);
    }

    /**
     * @param geoip the GeoIP database for getCountry and the community of new nodes; null if none
     * @param node  the node on the registry's host (bootstrap peers, versions, topology); {@link NodeLink#NONE} if none
     */
    public Registry(RegistryOptions options, CertificateAuthority ca, RegistryDb db, TokenMailer mailer, Communities communities, GeoIp geoip,
            Clock clock, NodeLink node) {
        this.node = node;
        this.options = options;
        this.geoip = geoip;
        this.ca = ca;
        this.db = db;
        this.mailer = mailer;
        this.communities = communities;
        this.clock = clock;
        this.limits = new AbuseLimits(options.abuseLimits(), () -> Math.multiplyExact(clock.millis(), 1_000_000L));
        this.allocator = new PrefixAllocator(ca.network());
        this.parameters = new NetworkConfig.Parameters(options.clientCount, options.encrypt, options.hello, options.maxClients(),
                options.minProtocol, options.tunnelRefresh, options.ipv4 != null ? options.ipv4.get(0) : null,
                options.ipv4 != null ? Integer.parseInt(options.ipv4.get(1)) : 0, options.sameCountry);
        db.inTransaction(tx -> allocator.checkCommunities(tx, communities));
        db.inTransaction(tx -> {
            // As the original on a new network: a first Babel MAC key (slot 0, nodes sign with it) before any node exists.
            if (tx.configText(ConfigKey.PREFIX).orElse("").isEmpty() && hmacKeys(tx).sign().isEmpty())
                tx.setConfig(ConfigKey.babelHmac(0), BabelHmacKeys.fresh(random).slot(0));
        });
        updateNetworkConfig(false);
    }

    /**
     * The original's onTimeout: frees the prefixes of certificates expired longer than the grace
     * period (merging free siblings) and deletes old tokens; also drops CRL entries of certificates
     * past their notAfter (the original never does: its CRL only grows). Refuses, and changes nothing, when the
     * registry's own prefix would be freed ("wrong clock?"). Returns when to run again (epoch
     * seconds), if anything is due later.
     */
    public java.util.OptionalLong expire() {
        try {
            long now = clock.instant().getEpochSecond();
            int[] purged = new int[1];
            re6st.registry.alloc.ExpiryReport r = db.transaction(tx -> {
                re6st.registry.alloc.ExpiryReport x = allocator.expire(tx, now, options.gracePeriod, options.tokenLifetime());
                purged[0] = tx.purgeCrl(now); // a revoked certificate past its notAfter needs no CRL entry any more
                return x;
            });
            if (!r.freed().isEmpty() || r.tokensDeleted() > 0 || purged[0] > 0)
                LOG.log(Level.INFO, "expiry: freed {0}, {1} old tokens deleted, {2} merges, {3} CRL entries dropped", r.freed(),
                        r.tokensDeleted(), r.merged(), purged[0]);
            if (!r.freed().isEmpty() || purged[0] > 0)
                updateNetworkConfig(false); // the CRL in the network config changed
            return r.nextCheck();
        } catch (re6st.registry.alloc.OwnPrefixExpiredException e) {
            LOG.log(Level.ERROR, "expiry refused, nothing freed: " + e.getMessage());
            return java.util.OptionalLong.empty();
        }
    }

    /** Recomputes the network configuration; bumps and signs a new version when it changed (or when forced). */
    void updateNetworkConfig(boolean force) {
        String announce = db.transaction(tx -> {
            NetworkConfig c = config(tx);
            String last = tx.configText(ConfigKey.LAST_CONFIG).orElse(null);
            Optional<byte[]> stored = tx.configBlob(ConfigKey.VERSION);
            if (force || stored.isEmpty() || c.changedFrom(last)) {
                NetworkVersion v = stored.map(NetworkVersion::decode).orElse(NetworkVersion.INITIAL).next(ca);
                tx.setConfig(ConfigKey.VERSION, v.encoded());
                tx.setConfig(ConfigKey.LAST_CONFIG, c.json());
                LOG.log(Level.INFO, "network configuration version {0}", Long.toString(v.number()));
                return tx.configText(ConfigKey.PREFIX).orElse("");
            }
            return "";
        });
        if (!announce.isEmpty())
            node.newVersion(announce); // the co-located node fetches the new configuration and floods its version
    }

    private NetworkConfig config(re6st.registry.store.Transaction tx) {
        return new NetworkConfig(parameters, tx.revokedSerials(), tx.configText(ConfigKey.PREFIX).orElse(""));
    }

    /** The Babel MAC key slots as stored. */
    public static BabelHmacKeys hmacKeys(re6st.registry.store.Transaction tx) {
        byte[][] s = new byte[3][];
        for (int i = 0; i < 3; i++)
            s[i] = tx.configBlob(ConfigKey.babelHmac(i)).orElse(null);
        Long until = tx.configInteger(ConfigKey.VALID_UNTIL).isPresent() ? tx.configInteger(ConfigKey.VALID_UNTIL).getAsLong() : null;
        return new BabelHmacKeys(s[0], s[1], s[2], until);
    }

    /**
     * Gauges for Prometheus (the RPC server adds a timer per RPC and error counters): sessions,
     * issued certificates, CRL length, network configuration version.
     */
    public void registerMetrics(com.codahale.metrics.MetricRegistry m) {
        m.gauge("registry.sessions", () -> sessions::size);
        m.gauge("registry.sessions.evicted", () -> sessions::evicted);
        limits.registerMetrics(m);
        m.gauge("registry.certificates.issued", () -> () -> db.read(tx -> tx.issuedCount()));
        m.gauge("registry.crl.entries", () -> () -> db.read(tx -> tx.crlCount()));
        m.gauge("registry.network.version", () -> () -> db.read(tx -> tx.configBlob(ConfigKey.VERSION).map(NetworkVersion::decode)
                .map(NetworkVersion::number).orElse(0L)));
    }

    public RpcServer.Authenticator authenticator() {
        return new RpcServer.Authenticator() {
            @Override
            public byte[] authenticate(String cn, String pathWithQuery, String hmac) throws RpcException {
                try {
                    return sessions.authenticate(cn, pathWithQuery, hmac).key();
                } catch (AuthenticationException e) {
                    throw new RpcException(e.status(), e.getMessage());
                }
            }

            @Override
            public String sign(byte[] key, byte[] body) {
                return HmacChain.responseHeader(key, body);
            }
        };
    }

    /** Declares every RPC of protocol 10 on {@code s}. */
    public void declare(RpcServer s) {
        s.declare("hello", Kind.PUBLIC, r -> hello(r.param("client_prefix"), r.param("protocol"), r.source()), Param.required("client_prefix"),
                Param.optional("protocol", "1"));
        s.declare("getCa", Kind.PUBLIC, r -> ca.certificatePem().getBytes(StandardCharsets.US_ASCII));
        s.declare("requestToken", Kind.PUBLIC, r -> requestToken(r.param("email"), r.source()), Param.required("email"));
        s.declare("requestCertificate", Kind.PUBLIC, r -> requestCertificate(r.param("token"), r.param("req"), r.param("location"),
                ClientAddress.of(r.param("ip"), r.forwardedFor(), r.client()), r.source()),
                Param.required("token"), Param.required("req"), Param.optional("location", ""), Param.optional("ip", ""));
        s.declare("getDh", Kind.AUTHENTICATED, r -> {
            if (options.dh == null)
                throw new RpcException(404, "this registry has no DH parameters (--dh)");
            return Files.readAllBytes(options.dh);
        }, Param.required("cn"));
        s.declare("getNetworkConfig", Kind.AUTHENTICATED, r -> networkConfig(r.param("cn")), Param.required("cn"));
        s.declare("getCountry", Kind.AUTHENTICATED, r -> country(r.param("address")), Param.required("cn"), Param.required("address"));
        s.declare("getBootstrapPeer", Kind.AUTHENTICATED, r -> bootstrapPeer(r.param("cn")), Param.required("cn"));
        s.declare("renewCertificate", Kind.AUTHENTICATED, r -> renew(r.param("cn")), Param.required("cn"));
        s.declare("isToken", Kind.PRIVATE, r -> db.read(tx -> tx.token(r.param("token")).isPresent()) ? "1".getBytes() : null,
                Param.required("token"));
        s.declare("deleteToken", Kind.PRIVATE, r -> {
            db.inTransaction(tx -> tx.deleteToken(r.param("token")));
            return null;
        }, Param.required("token"));
        s.declare("addToken", Kind.PRIVATE, r -> addToken(r.param("email"), r.param("token")).getBytes(StandardCharsets.US_ASCII),
                Param.required("email"), Param.optional("token", ""));
        s.declare("revoke", Kind.PRIVATE, r -> revoke(r.param("cn_or_serial")), Param.required("cn_or_serial"));
        s.declare("updateHMAC", Kind.PRIVATE, r -> {
            db.inTransaction(tx -> {
                BabelHmacKeys k = hmacKeys(tx).update(clock.instant(), random);
                for (int i = 0; i < 3; i++) {
                    byte[] v = k.slot(i);
                    if (v == null)
                        tx.deleteConfig(ConfigKey.babelHmac(i));
                    else
                        tx.setConfig(ConfigKey.babelHmac(i), v);
                }
                if (k.validUntil().isPresent())
                    tx.setConfig(ConfigKey.VALID_UNTIL, k.validUntil().getAsLong());
                else
                    tx.deleteConfig(ConfigKey.VALID_UNTIL);
            });
            updateNetworkConfig(true);
            return null;
        });
        s.declare("getNodePrefix", Kind.PRIVATE, r -> db.read(tx -> tx.certsByEmail(r.param("email")).stream().filter(CertRow::isIssued)
                .findFirst().map(c -> new NodePrefix(c.prefix()).cn().getBytes(StandardCharsets.US_ASCII)).orElse(null)),
                Param.required("email"));
        s.declare("getIPv6Address", Kind.PRIVATE, r -> db.read(tx -> tx.certsByEmail(r.param("email")).stream().filter(CertRow::isIssued)
                .findFirst().map(c -> ca.network().subnet(new NodePrefix(c.prefix())).nodeAddress().toString()
                        .getBytes(StandardCharsets.US_ASCII)).orElse(null)), Param.required("email"));
        s.declare("getIPv4Information", Kind.PRIVATE, r -> ipv4Information(r.param("email")), Param.required("email"));
        s.declare("versions", Kind.PRIVATE, r -> versions());
        s.declare("topology", Kind.PRIVATE, r -> topology());
    }

    private String ownPrefix() {
        return db.read(tx -> tx.configText(ConfigKey.PREFIX).orElse(""));
    }

    /**
     * A node to bootstrap from: candidates are the prefixes the co-located node's Babel routes plus
     * the registry's own, shuffled and kept 60 s; one is taken per call (the caller itself is
     * replaced by the registry's node). Its address comes from the co-located node (for the
     * registry's own node, --node-address when the node does not answer); a candidate whose address
     * does not come is replaced by the registry's own node. Encrypted to the caller:
     * {@code "<binary prefix> <addresses>"}; 204 when no address is known.
     */
    byte[] bootstrapPeer(String cn) throws RpcException {
        String own = ownPrefix();
        if (own.isEmpty())
            return null;
        X509Certificate cert = db.read(tx -> tx.cert(cn)).filter(CertRow::isIssued).map(c -> parse(c.cert()))
                .orElseThrow(() -> new RpcException(404, "no certificate for " + cn));
        String peer;
        synchronized (peersLock) {
            long now = clock.millis();
            if (peersUntil < now || peers.isEmpty()) {
                java.util.List<String> l = new java.util.ArrayList<>(node.routedPrefixes());
                l.remove(own);
                l.add(own);
                java.util.Collections.shuffle(l, random);
                peers = new java.util.ArrayDeque<>(l);
                peersUntil = now + 60_000;
            }
            peer = peers.pop();
        }
        if (peer.equals(cn))
            peer = own;
        Optional<String> address = addressOf(peer, own);
        if (address.isEmpty() && !peer.equals(own)) {
            // the co-located node's first question to a node it has no session with only starts the handshake (as in
            // the original): rather than nothing, which sends the caller into its backoff, the registry's own node
            LOG.log(Level.INFO, "no address known for {0}: the registry''s node {1} instead", peer, own);
            peer = own;
            OwnAddress cached = ownAddress;
            address = cached != null && cached.prefix.equals(own) && clock.millis() < cached.until ? Optional.of(cached.addresses)
                    : addressOf(own, own); // cached: a second wait on the node channel would hold this RPC worker twice as long
        }
        if (address.isEmpty())
            return null;
        String msg = address.get();
        try {
            re6st.registry.node.PeerAddresses.check(msg);
        } catch (IllegalArgumentException e) {
            LOG.log(Level.WARNING, "bootstrap peer {0}: the co-located node answered bad addresses ({1}), not sent", peer, e.getMessage());
            return null;
        }
        if (sessions.protocol(cn).orElse(0) < 7) // protocol < 7 nodes do not know the country field
            msg = withoutCountry(msg);
        byte[] sealed;
        try {
            sealed = re6st.pki.Rsa.encrypt(cert.getPublicKey(), (peer + " " + msg).getBytes(StandardCharsets.UTF_8));
        } catch (IllegalArgumentException e) { // longer than one RSA block
            LOG.log(Level.WARNING, "bootstrap peer {0}: its addresses do not fit one RSA block for {1}, not sent", peer, cn);
            return null;
        }
        LOG.log(Level.INFO, "sending bootstrap peer {0} {1} to {2}", peer, msg, cn);
        return sealed;
    }

    /** The registry's own node's addresses as it last gave them, for 60 s (the fallback of a silent candidate). */
    private record OwnAddress(String prefix, String addresses, long until) {}

    private volatile OwnAddress ownAddress;

    /** The addresses of {@code peer} from the co-located node; for the registry's own node, --node-address when it does not answer. */
    private Optional<String> addressOf(String peer, String own) {
        Optional<String> address = node.addressOf(peer);
        if (peer.equals(own) && address.isPresent())
            ownAddress = new OwnAddress(own, address.get(), clock.millis() + 60_000);
        if (address.isEmpty() && peer.equals(own) && options.nodeAddress != null)
            address = Optional.of(options.nodeAddress);
        return address;
    }

    /** {@code ip,port,proto[,country];...} without the country fields. */
    static String withoutCountry(String addresses) {
        StringBuilder b = new StringBuilder();
        for (String a : addresses.split(";", -1)) {
            String[] f = a.split(",", -1);
            b.append(b.length() > 0 ? ";" : "").append(String.join(",", java.util.Arrays.copyOf(f, Math.min(3, f.length))));
        }
        return b.toString();
    }

    /** The IPv4 address of the node registered with {@code email}, if Babel routes it and it tells its address. */
    byte[] ipv4Information(String email) {
        String prefix = db.read(tx -> tx.certsByEmail(email).stream().filter(CertRow::isIssued).findFirst().map(CertRow::prefix).orElse(null));
        if (prefix == null || !node.routedPrefixes().contains(prefix))
            return null;
        return node.addressOf(prefix).map(a -> a.split(",")[0]).filter(a -> !a.isEmpty())
                .map(a -> a.getBytes(StandardCharsets.UTF_8)).orElse(null);
    }

    /** {@code {binary prefix: "version, platform" | null}} for every routed node and the registry's own. */
    byte[] versions() throws IOException {
        Set<String> prefixes = new java.util.TreeSet<>(node.routedPrefixes());
        String own = ownPrefix();
        if (!own.isEmpty())
            prefixes.add(own);
        return re6st.registry.protocol.PythonJson.dumps(node.versions(prefixes)).getBytes(StandardCharsets.US_ASCII);
    }

    /** {@code {cn: [cn...], "": [cns that answered]}}, explored from the registry's own node. */
    byte[] topology() throws IOException {
        String own = ownPrefix();
        return re6st.registry.protocol.PythonJson.dumps(own.isEmpty() ? java.util.Map.of() : node.topology(own)).getBytes(StandardCharsets.US_ASCII);
    }

    byte[] hello(String prefix, String protocol) throws RpcException {
        return hello(prefix, protocol, LOCAL);
    }

    /** hello: limited per source network and, when it would push out another address's pending secret, per prefix. */
    byte[] hello(String prefix, String protocol, SourceAddress source) throws RpcException {
        if (!prefix.matches("[01]{1,128}"))
            throw RpcException.badRequest("hello: client_prefix must be a binary prefix, got '" + QueryString.abbreviate(prefix) + "'");
        int proto;
        try {
            proto = Integer.parseInt(protocol);
        } catch (NumberFormatException e) {
            throw RpcException.badRequest("hello: protocol must be an integer");
        }
        limits.hello(source); // before the database and the RSA work
        X509Certificate cert = db.read(tx -> tx.cert(prefix)).filter(CertRow::isIssued).map(c -> parse(c.cert())).orElse(null);
        if (cert == null)
            throw new RpcException(404, "no certificate for " + prefix);
        byte[] secret = HelloResponse.newSecret(clock, random);
        sessions.hello(prefix, secret, proto, source.key(), () -> {
            if (!source.exempt())
                limits.helloEviction(source);
        });
        return HelloResponse.build(secret, cert.getPublicKey(), ca);
    }

    byte[] requestToken(String email) throws RpcException, IOException {
        return requestToken(email, LOCAL);
    }

    /** requestToken: limited per e-mail address and per source network. */
    byte[] requestToken(String email, SourceAddress source) throws RpcException, IOException {
        if (mailer == null || options.prefixLength == 0)
            throw RpcException.forbidden("registration by mail is disabled on this registry");
        if (!email.matches("[^\\s<>@,;]+@[^\\s<>@,;]+"))
            throw RpcException.badRequest("requestToken: not an e-mail address");
        limits.requestToken(source, email);
        String token = addToken(email, "");
        try {
            mailer.send(email, token);
        } catch (IOException e) {
            db.inTransaction(tx -> tx.deleteToken(token)); // nothing half done
            throw new IOException("cannot mail the token: " + e.getMessage(), e);
        }
        return null;
    }

    String addToken(String email, String wanted) throws RpcException {
        for (int attempt = 0; ; attempt++) {
            String token = wanted.isEmpty() ? newToken() : wanted;
            try {
                db.inTransaction(tx -> tx.addToken(new Token(token, email, options.prefixLength, clock.instant().getEpochSecond())));
                return token;
            } catch (DuplicateTokenException e) {
                if (!wanted.isEmpty() || attempt > 10)
                    throw new RpcException(409, "token exists");
            }
        }
    }

    /** {@code --token-length} (default 8, as the original) distinct random lowercase letters. */
    String newToken() {
        StringBuilder b = new StringBuilder();
        while (b.length() < options.tokenLength) {
            char c = TOKEN_LETTERS.charAt(random.nextInt(26));
            if (b.indexOf(String.valueOf(c)) < 0)
                b.append(c);
        }
        return b.toString();
    }

    byte[] requestCertificate(String token, String req, String location) throws RpcException {
        return requestCertificate(token, req, location, "");
    }

    /** @param ip the address whose GeoIP location picks the community when {@code location} is empty ({@link ClientAddress}) */
    byte[] requestCertificate(String token, String req, String location, String ip) throws RpcException {
        return requestCertificate(token, req, location, ip, LOCAL);
    }

    /**
     * requestCertificate from {@code source}: anonymous ones are limited per source network; with a
     * token, a source that gave too many wrong tokens is refused before the token is looked at.
     * A token older than --token-lifetime is unknown (204), as if the expiry had already removed it.
     */
    byte[] requestCertificate(String token, String req, String location, String ip, SourceAddress source) throws RpcException {
        if (token.isEmpty()) {
            if (options.anonymousPrefixLength == null)
                throw RpcException.forbidden("anonymous registration is disabled on this registry");
            limits.anonymous(source);
        } else {
            limits.tokenAttempt(source);
        }
        CertificateRequest csr;
        try {
            csr = ca.parseRequest(req); // before anything changes: a bad CSR consumes no token
        } catch (BadCsrException e) {
            throw RpcException.badRequest("requestCertificate: " + e.getMessage());
        }
        String comm = community(location, ip);
        try {
            String pem = db.transaction(tx -> {
                int length;
                String email;
                if (token.isEmpty()) {
                    if (options.anonymousPrefixLength == null)
                        throw new Refused(403, "anonymous registration is disabled on this registry");
                    length = options.anonymousPrefixLength;
                    email = null;
                } else {
                    Optional<Token> t = tx.takeToken(token);
                    if (t.isEmpty() || t.get().date() <= clock.instant().getEpochSecond() - options.tokenLifetime())
                        return null; // 204: unknown token (an expired one is deleted by takeToken, as the expiry would)
                    length = t.get().prefixLength();
                    email = t.get().email();
                }
                long sn = subjectSerials.smallestUnused(tx.issuedCerts()); // parses only the certificates it has not seen
                String[] out = new String[1];
                NodePrefix node = allocator.allocate(tx, length, comm, email, prefix -> {
                    X509Certificate cert = ca.issue(csr, prefix, sn, BigInteger.valueOf(tx.nextCertificateSerial()));
                    return out[0] = Pem.certificate(cert);
                });
                if (tx.configText(ConfigKey.PREFIX).orElse("").isEmpty()) {
                    tx.setConfig(ConfigKey.PREFIX, node.bits()); // the very first certificate: the registry's own node
                    LOG.log(Level.INFO, "registry node prefix: {0}", node.cn());
                }
                LOG.log(Level.INFO, "issued {0} ({1})", node.cn(), email == null ? "anonymous" : "by mail");
                return out[0];
            });
            if (pem == null) {
                limits.wrongToken(source);
                LOG.log(Level.DEBUG, "requestCertificate from {0}: unknown or expired token", source); // counted: registry.tokens.wrong
                return null;
            }
            updateNetworkConfig(false);
            return pem.getBytes(StandardCharsets.US_ASCII);
        } catch (Refused e) {
            throw new RpcException(e.status, e.getMessage());
        } catch (NoFreePrefixException e) {
            throw new RpcException(409, "no free prefix left: " + e.getMessage());
        }
    }

    /**
     * The community of a new node: by the location it gives ("CC,CT"); else by the GeoIP location of
     * {@code ip}; without a GeoIP database, the default community.
     */
    private String community(String location, String ip) {
        if (!location.isEmpty()) {
            String[] cc = location.split(",", -1);
            return communities.lookup(cc[0], cc.length > 1 ? cc[1] : "");
        }
        if (geoip == null)
            return communities.fallback();
        Location where = geoip.lookup(ip);
        String community = communities.lookup(where.country(), where.continent());
        LOG.log(Level.DEBUG, "requestCertificate: {0} is in {1}: community ''{2}''", QueryString.abbreviate(ip), where, community);
        return community;
    }

    /** getCountry: the country of {@code address}, none (204) when unknown; 400 without a GeoIP database, as the original. */
    byte[] country(String address) throws RpcException {
        if (geoip == null)
            throw RpcException.badRequest("this registry has no GeoIP database (--geoip FILE or GEOIP2_MMDB)");
        Location where = geoip.lookup(address);
        LOG.log(Level.DEBUG, "getCountry: {0} is in {1}", QueryString.abbreviate(address), where);
        return where.hasCountry() ? where.country().getBytes(StandardCharsets.US_ASCII) : null;
    }

    byte[] networkConfig(String cn) {
        return db.read(tx -> {
            X509Certificate cert = tx.cert(cn).filter(CertRow::isIssued).map(c -> parse(c.cert())).orElseThrow();
            NetworkVersion v = NetworkVersion.decode(tx.configBlob(ConfigKey.VERSION).orElseThrow());
            return config(tx).body(v, hmacKeys(tx), cert.getPublicKey());
        });
    }

    byte[] renew(String cn) throws RpcException {
        String pem = db.transaction(tx -> {
            CertRow row = tx.cert(cn).filter(CertRow::isIssued).orElse(null);
            if (row == null)
                return null;
            X509Certificate cur = parse(row.cert());
            Renewal how = Renewal.decide(cur, tx.isRevoked(cur.getSerialNumber().longValueExact()), clock.instant());
            if (how == Renewal.KEEP)
                return row.cert();
            X509Certificate next = ca.reissue(cur, BigInteger.valueOf(tx.nextCertificateSerial()), how);
            String p = Pem.certificate(next);
            tx.setCert(cn, row.email(), p);
            return p;
        });
        if (pem == null)
            throw new RpcException(404, "no certificate for " + cn);
        return pem.getBytes(StandardCharsets.US_ASCII);
    }

    byte[] revoke(String cnOrSerial) throws RpcException {
        boolean bySerial = cnOrSerial.matches("[0-9]+");
        String prefix;
        try {
            prefix = revokeIn(cnOrSerial, bySerial);
        } catch (Refused e) {
            throw new RpcException(e.status, e.getMessage());
        }
        if (prefix == null)
            throw new RpcException(404, "no certificate " + QueryString.abbreviate(cnOrSerial));
        sessions.drop(prefix);
        updateNetworkConfig(false);
        return null;
    }

    /** The revocation's transaction: the revoked prefix, or null when nothing matches. */
    private String revokeIn(String cnOrSerial, boolean bySerial) {
        return db.transaction(tx -> {
            for (CertRow c : tx.issuedCerts()) {
                X509Certificate cert = parse(c.cert());
                NodePrefix node = new NodePrefix(c.prefix());
                if (bySerial ? cert.getSerialNumber().toString().equals(cnOrSerial) : node.cn().equals(cnOrSerial)) {
                    if (node.bits().equals(tx.configText(ConfigKey.PREFIX).orElse("")))
                        throw new Refused(403, "refusing to revoke the registry's own certificate (" + node.cn()
                                + ", the first one issued): the network's node on the registry needs it");
                    if (cert.getNotAfter().toInstant().isAfter(clock.instant()))
                        tx.addRevoked(cert.getSerialNumber().longValueExact(), cert.getNotAfter().toInstant().getEpochSecond());
                    if (!bySerial)
                        allocator.free(tx, node);
                    return c.prefix();
                }
            }
            return null;
        });
    }

    /** An RPC refusal raised inside a transaction (rolls it back). */
    private static final class Refused extends RuntimeException {
        private static final long serialVersionUID = 1L;
        final int status;

        Refused(int status, String message) {
            super(message);
            this.status = status;
        }
    }

    static long subjectSerial(X509Certificate cert) {
        for (String rdn : cert.getSubjectX500Principal().getName(javax.security.auth.x500.X500Principal.RFC2253).split(","))
            if (rdn.startsWith("2.5.4.5=") || rdn.startsWith("SERIALNUMBER="))
                try {
                    String v = rdn.substring(rdn.indexOf('=') + 1);
                    if (v.startsWith("#")) // DER-encoded PrintableString: tag, length, bytes
                        v = new String(java.util.HexFormat.of().parseHex(v.substring(5)), StandardCharsets.US_ASCII);
                    return Long.parseLong(v);
                } catch (RuntimeException e) {
                    return -1;
                }
        return -1;
    }

    static X509Certificate parse(String pem) {
        try {
            return Pem.parseCertificate(pem);
        } catch (CertificateException e) {
            throw new IllegalStateException("unreadable certificate in the database: " + e.getMessage(), e);
        }
    }
}
