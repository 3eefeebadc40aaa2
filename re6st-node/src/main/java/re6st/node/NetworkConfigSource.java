package re6st.node;

import java.io.IOException;
import java.io.InterruptedIOException;
import java.lang.System.Logger;
import java.lang.System.Logger.Level;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicLong;

import re6st.cli.Failures;
import re6st.registry.client.NodeSession;
import re6st.registry.client.RegistryClient;
import re6st.registry.protocol.NetworkConfig;
import re6st.registry.protocol.ReceivedNetworkConfig;
import re6st.registry.protocol.ReceivedNetworkConfig.InvalidConfigException;

/**
 * Where the node's network config comes from (startup step 2): the node cache when it holds one
 * that still verifies, else the registry's {@code getNetworkConfig}, retried with a backoff of 1 s
 * doubling to 60 s while the registry is unreachable. Every config fetched is checked (CA-signed
 * version, keys ours) before it is stored; a bad one is counted and changes nothing.
 */
public final class NetworkConfigSource {
    private static final Logger LOG = System.getLogger("re6st.node");
    static final long FIRST_RETRY_MS = 1_000, MAX_RETRY_MS = 60_000;

    /** Where the last good config is kept (the node cache). */
    public interface Store {
        Optional<byte[]> loadNetworkConfig();

        /** Stores it durably; false (logged and counted by the store) if it could not. */
        boolean saveNetworkConfig(byte[] body);
    }

    private final RegistryClient registry;
    /** For the one try at start when a cached config exists: a registry that does not answer soon is not waited for. */
    private final RegistryClient quick;
    private final NodeSession session;
    private final NodeIdentity me;
    private final Store store;
    public final AtomicLong fetched = new AtomicLong(), failures = new AtomicLong(), refused = new AtomicLong();

    public NetworkConfigSource(RegistryClient registry, NodeIdentity me, NodeSession session, Store store) {
        this.registry = registry;
        this.quick = new RegistryClient(registry.base(), java.time.Duration.ofSeconds(5));
        this.me = me;
        this.session = session;
        this.store = store;
    }

    /**
     * The config to start with: the registry's if it answers at once with a newer one, else the
     * cached one if it verifies and is of our protocol (a cache written by an older node is
     * refreshed), unless {@code refresh} (the registry's own node always fetches); without a usable
     * cache, fetched, waiting for the registry as long as it takes.
     */
    public ReceivedNetworkConfig atStart(boolean refresh) throws IOException, InterruptedException {
        Optional<byte[]> cached = store.loadNetworkConfig();
        if (cached.isPresent() && !refresh) {
            try {
                ReceivedNetworkConfig c = ReceivedNetworkConfig.parse(cached.get(), me.ca().getPublicKey(), me.key());
                if (c.protocol() >= NetworkConfig.PROTOCOL) {
                    // one try for a newer one: a node back from a while offline may have missed MAC key rotations, and
                    // with old keys its Babel hears nobody, so no peer could tell it a newer version exists
                    try {
                        ReceivedNetworkConfig fresh = fetch(quick);
                        if (fresh.version().number() > c.version().number()) {
                            LOG.log(Level.INFO, "network config version {0} from the registry (the node cache had {1})",
                                    fresh.version().number(), c.version().number());
                            return fresh;
                        }
                    } catch (InterruptedIOException e) {
                        throw new InterruptedException("interrupted while fetching the network config");
                    } catch (IOException e) {
                        LOG.log(Level.INFO, "the registry does not answer ({0}): starting from the node cache", Failures.explain(e));
                    }
                    LOG.log(Level.INFO, "network config version {0} from the node cache", c.version().number());
                    return c;
                }
                LOG.log(Level.INFO, "the cached network config is of protocol {0}: fetching a new one", c.protocol());
            } catch (InvalidConfigException e) {
                LOG.log(Level.WARNING, "the cached network config is not usable ({0}): fetching a new one", e.getMessage());
            }
        }
        long wait = FIRST_RETRY_MS;
        for (int attempt = 1; ; attempt++) {
            try {
                return fetch();
            } catch (InterruptedIOException e) {
                throw new InterruptedException("interrupted while fetching the network config");
            } catch (IOException e) {
                LOG.log(Level.WARNING, "network config: attempt {0} failed: {1}; next in {2} s", attempt, Failures.explain(e), wait / 1000);
            }
            Thread.sleep(wait); // a backoff between attempts, not a synchronisation
            wait = Math.min(MAX_RETRY_MS, wait * 2);
        }
    }

    /** One {@code getNetworkConfig}: verified, stored, returned; a refused or failed one changes nothing. */
    public ReceivedNetworkConfig fetch() throws IOException {
        return fetch(registry);
    }

    private ReceivedNetworkConfig fetch(RegistryClient registry) throws IOException {
        byte[] body;
        try {
            body = registry.call("getNetworkConfig", RegistryClient.params("cn", session.cn()), session);
        } catch (IOException e) {
            failures.incrementAndGet();
            throw e;
        }
        ReceivedNetworkConfig c;
        try {
            c = ReceivedNetworkConfig.parse(body, me.ca().getPublicKey(), me.key());
        } catch (InvalidConfigException e) {
            refused.incrementAndGet();
            throw new InvalidConfigException("the registry at " + registry.shown() + " sent a network config we refuse: " + e.getMessage());
        }
        fetched.incrementAndGet();
        store.saveNetworkConfig(body);
        return c;
    }
}
