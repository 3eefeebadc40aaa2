package re6st.registry.alloc;

import java.time.Instant;

/**
 * Expiry would free the registry's own node prefix: its certificate looks expired for longer than
 * the grace period, which more likely means the clock is wrong. Nothing was changed.
 */
public final class OwnPrefixExpiredException extends IllegalStateException {
    private final String prefix;

    public OwnPrefixExpiredException(String prefix, long notAfter, long now, long gracePeriod) {
        super("refusing to free the registry's own node prefix " + prefix + ": its certificate expired at "
                + Instant.ofEpochSecond(notAfter) + ", more than the grace period (" + gracePeriod + " s) before now ("
                + Instant.ofEpochSecond(now) + "): wrong clock?");
        this.prefix = prefix;
    }

    public String prefix() {
        return prefix;
    }
}
