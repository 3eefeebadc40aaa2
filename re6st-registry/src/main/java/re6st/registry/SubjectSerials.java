package re6st.registry;

import java.util.BitSet;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import re6st.registry.store.CertRow;

/**
 * The subject serialNumber of a new certificate: the smallest non-negative integer not used by a
 * current certificate (registry-protocol.md "Certificate contents"). Computed from the issued
 * rows as read in the caller's transaction, so it is exactly as correct as reading and parsing
 * them all; but each row's serialNumber is remembered with a fingerprint of the PEM text it came
 * from (length and String hash: 16 bytes a row, not a copy of the PEM), and a certificate is
 * parsed only when its row's fingerprint differs (a new or renewed certificate). A renewal keeps
 * the subject, so even a fingerprint collision on a renewed row gives the right serialNumber. Rows not read any more (freed, expired, or written by a transaction that
 * was rolled back) are forgotten. The memory is a cache of a pure function of the PEM text:
 * whatever a rolled back transaction showed it, the next call checks the text again, and a
 * restart just parses everything once.
 */
final class SubjectSerials {
    private record Seen(int length, int hash, long serial) {
        boolean of(String pem) {
            return pem.length() == length && pem.hashCode() == hash;
        }
    }

    private Map<String, Seen> byPrefix = new HashMap<>();
    private long parsed;

    /** The smallest serialNumber not used by {@code issued}: every issued row, read in the current transaction. */
    synchronized long smallestUnused(List<CertRow> issued) {
        Map<String, Seen> next = new HashMap<>(Math.max(16, issued.size() * 4 / 3 + 1));
        BitSet used = new BitSet(issued.size() + 1);
        for (CertRow row : issued) {
            Seen s = byPrefix.get(row.prefix());
            if (s == null || !s.of(row.cert())) {
                s = new Seen(row.cert().length(), row.cert().hashCode(), Registry.subjectSerial(Registry.parse(row.cert())));
                parsed++;
            }
            next.put(row.prefix(), s);
            if (s.serial() >= 0 && s.serial() <= issued.size()) // n rows cannot use all of 0..n
                used.set((int) s.serial());
        }
        byPrefix = next;
        return used.nextClearBit(0);
    }

    /** How many certificates were parsed so far (tests). */
    synchronized long parsed() {
        return parsed;
    }
}
