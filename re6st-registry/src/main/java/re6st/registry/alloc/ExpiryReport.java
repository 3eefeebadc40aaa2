package re6st.registry.alloc;

import java.util.List;
import java.util.OptionalLong;

/**
 * What one expiry pass did: prefixes freed (certificates expired for longer than the grace
 * period), tokens deleted, free rows removed by merging, prefixes whose certificate could not be
 * read (left alone, as the original does), and when the next pass has something to do (the
 * oldest remaining certificate expiry plus the grace period, or token date plus the token lifetime;
 * empty if nothing).
 */
public record ExpiryReport(List<String> freed, int tokensDeleted, int merged, List<String> unreadable, OptionalLong nextCheck) {
}
