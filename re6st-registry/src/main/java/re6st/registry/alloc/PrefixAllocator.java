package re6st.registry.alloc;

import java.math.BigInteger;
import java.security.cert.CertificateException;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.Function;

import re6st.net.Network;
import re6st.net.NodePrefix;
import re6st.registry.store.CertRow;
import re6st.registry.store.ConfigKey;
import re6st.registry.store.Transaction;

/**
 * The registry's buddy allocator over the binary tree of node prefixes, kept in the {@code cert}
 * table as disjoint rows that together cover the tree: free (cert NULL), {@code 'reserved'}, or
 * holding a certificate. It works inside the caller's transaction, so an allocation, the
 * certificate stored on it and anything else of the same request commit or vanish together.
 *
 * <p>Allocation (the original's newPrefix): wanted length = prefix length + community length; take
 * the longest free prefix that starts with the community and is no longer than wanted (ties: the
 * smallest, see {@link Transaction#longestFreePrefix}); if there is none, the free row containing
 * the community (not split down to it yet); split it down following the community bits, then '0',
 * each split leaving the sibling free. A result of the maximal length (128 - network bits) that is
 * all zeros after the community is marked reserved and the search starts again: that subnet is
 * never handed out (its node address, prefix + ::1, would be a neighbour's /128).
 *
 * <p>Freeing (revocation, expiry) merges free siblings upwards, so the table shrinks back.
 */
public final class PrefixAllocator {
    /** The original's default {@code --grace-period}: 100 days, in seconds. */
    public static final long DEFAULT_GRACE_PERIOD = 8_640_000L;

    private final int maxLength;

    /** For a network: node prefixes have at most {@code 128 - network bits} bits. */
    public PrefixAllocator(Network network) {
        this(network.maxNodePrefixLength());
    }

    public PrefixAllocator(int maxLength) {
        if (maxLength < 1 || maxLength > 128)
            throw new IllegalArgumentException("maximal node prefix length " + maxLength + " outside 1..128");
        this.maxLength = maxLength;
    }

    public int maxLength() {
        return maxLength;
    }

    /**
     * Allocates a prefix of {@code prefixLength + community.length()} bits in {@code community},
     * then stores on it the certificate {@code issue} makes for it (with {@code email}, null for
     * an anonymous node). If {@code issue} throws, the caller's transaction rolls everything back.
     *
     * @throws IllegalArgumentException bad lengths or community (nothing changed)
     * @throws NoFreePrefixException the community is full
     */
    public NodePrefix allocate(Transaction tx, int prefixLength, String community, String email,
            Function<NodePrefix, String> issue) {
        checkBits(community, "community");
        if (prefixLength < 1)
            throw new IllegalArgumentException("prefix length " + prefixLength + ": must be at least 1");
        int wanted = prefixLength + community.length();
        if (wanted > maxLength)
            throw new IllegalArgumentException("wanted prefix length " + wanted + " (" + prefixLength + " + community '"
                    + community + "' of " + community.length() + " bits) exceeds the " + maxLength
                    + " bits the network leaves to nodes");
        while (true) {
            String prefix = tx.longestFreePrefix(community, wanted).orElse(null);
            if (prefix == null) {
                // The community may not be split out of the tree yet (or was merged back).
                CertRow row = tx.rowContaining(community).orElse(null);
                if (row == null || !row.isFree())
                    throw new NoFreePrefixException(wanted, community);
                prefix = row.prefix();
            }
            for (int i = prefix.length(); i < wanted; i++) {
                char bit = i < community.length() ? community.charAt(i) : '0';
                tx.renameRow(prefix, prefix + (bit == '0' ? '1' : '0')); // the sibling keeps the old row, free
                prefix += bit;
                tx.insertFreeRow(prefix);
            }
            if (prefix.length() < maxLength || prefix.indexOf('1', community.length()) >= 0) {
                NodePrefix node = new NodePrefix(prefix);
                tx.setCert(prefix, email, issue.apply(node));
                return node;
            }
            tx.reserve(prefix);
        }
    }

    /**
     * Frees a node's prefix (its row must hold a certificate) and merges it with free siblings
     * upwards; returns the free prefix that now contains it.
     */
    public String free(Transaction tx, NodePrefix node) {
        String prefix = node.bits();
        CertRow row = tx.cert(prefix).orElseThrow(() -> new IllegalArgumentException("prefix " + prefix + " ("
                + node.cn() + ") is not a row of the cert table"));
        if (row.isFree())
            throw new IllegalArgumentException("prefix " + prefix + " (" + node.cn() + ") is already free");
        if (row.isReserved())
            throw new IllegalArgumentException("prefix " + prefix + " (" + node.cn() + ") is the reserved all-zero prefix");
        tx.clearCert(prefix);
        return mergeUp(tx, prefix);
    }

    private static String mergeUp(Transaction tx, String prefix) {
        while (!prefix.isEmpty()) {
            String sibling = sibling(prefix);
            Optional<CertRow> s = tx.cert(sibling);
            if (s.isEmpty() || !s.get().isFree())
                break;
            tx.deleteRow(sibling);
            String parent = prefix.substring(0, prefix.length() - 1);
            tx.renameRow(prefix, parent);
            prefix = parent;
        }
        return prefix;
    }

    /** Merges every pair of free siblings, bottom up (the original's mergePrefixes); returns how many rows went away. */
    public int mergeFree(Transaction tx) {
        Set<String> free = new HashSet<>(tx.freePrefixes());
        TreeSet<String> todo = new TreeSet<>((a, b) -> a.length() != b.length() ? b.length() - a.length() : a.compareTo(b));
        todo.addAll(free);
        int merged = 0;
        while (!todo.isEmpty()) {
            String p = todo.pollFirst(); // longest first
            if (p.isEmpty() || !free.contains(p) || !free.contains(sibling(p)))
                continue;
            String zero = p.substring(0, p.length() - 1) + '0', parent = p.substring(0, p.length() - 1);
            tx.deleteRow(sibling(zero));
            tx.renameRow(zero, parent);
            free.remove(zero);
            free.remove(sibling(zero));
            free.add(parent);
            todo.remove(sibling(p));
            todo.add(parent);
            merged++;
        }
        return merged;
    }

    /**
     * The periodic expiry pass (the original's onTimeout): deletes tokens made at or before
     * {@code now - gracePeriod}, frees the prefixes whose certificate expired at or before then,
     * and merges free siblings. Reserved rows and unreadable certificates are left alone.
     *
     * @throws OwnPrefixExpiredException the registry's own prefix ({@code config.prefix}) would be
     *     freed; thrown before the caller commits, so nothing is changed
     */
    public ExpiryReport expire(Transaction tx, long now, long gracePeriod) {
        return expire(tx, now, gracePeriod, gracePeriod);
    }

    /** {@link #expire(Transaction, long, long)}, unused tokens being deleted {@code tokenLifetime} seconds after they were made. */
    public ExpiryReport expire(Transaction tx, long now, long gracePeriod, long tokenLifetime) {
        if (gracePeriod < 0 || tokenLifetime < 0)
            throw new IllegalArgumentException("negative grace period " + gracePeriod + " or token lifetime " + tokenLifetime);
        long old = now - gracePeriod;
        int tokens = tx.deleteTokensUpTo(now - tokenLifetime);
        long nextToken = tx.oldestTokenDate().stream().map(d -> d + tokenLifetime).min().orElse(Long.MAX_VALUE);
        long next = Long.MAX_VALUE; // the earliest notAfter, then + grace period
        String own = tx.configText(ConfigKey.PREFIX).orElse(null);
        List<String> freed = new ArrayList<>(), unreadable = new ArrayList<>();
        for (CertRow row : tx.issuedCerts()) {
            long notAfter;
            try {
                notAfter = notAfter(row.cert());
            } catch (IllegalArgumentException e) {
                unreadable.add(row.prefix());
                continue;
            }
            if (notAfter > old) {
                next = Math.min(next, notAfter);
            } else {
                if (row.prefix().equals(own))
                    throw new OwnPrefixExpiredException(own, notAfter, now, gracePeriod);
                tx.clearCert(row.prefix());
                freed.add(row.prefix());
            }
        }
        int merged = mergeFree(tx);
        long due = Math.min(nextToken, next == Long.MAX_VALUE ? Long.MAX_VALUE : next + gracePeriod);
        return new ExpiryReport(List.copyOf(freed), tokens, merged, List.copyOf(unreadable),
                due == Long.MAX_VALUE ? OptionalLong.empty() : OptionalLong.of(due));
    }

    /** A PEM certificate's notAfter in epoch seconds; IllegalArgumentException if it is not one. */
    static long notAfter(String pem) {
        try {
            return Math.floorDiv(re6st.pki.Pem.parseCertificate(pem).getNotAfter().getTime(), 1000);
        } catch (CertificateException | ClassCastException e) {
            throw new IllegalArgumentException("not a PEM X.509 certificate: " + e.getMessage(), e);
        }
    }

    /**
     * Startup check of a community file against the tree (the original refuses to run otherwise):
     * every community must fit under the maximal length and must not lie inside a prefix that is
     * already taken or reserved.
     */
    public void checkCommunities(Transaction tx, Communities communities) {
        for (Communities.Community c : communities.list()) {
            if (c.prefix().length() >= maxLength)
                throw new IllegalArgumentException("community " + c.prefix() + " (line " + c.line() + ") has "
                        + c.prefix().length() + " bits: nodes have at most " + maxLength);
            Optional<CertRow> row = tx.rowContaining(c.prefix());
            if (row.isPresent() && !row.get().isFree())
                throw new IllegalStateException("community " + c.prefix() + " (line " + c.line() + ") lies inside prefix '"
                        + row.get().prefix() + "', which is " + (row.get().isReserved() ? "reserved" : "allocated"));
        }
    }

    /** Checks the cert table is a partition of the tree; IllegalStateException naming the first fault. */
    public void verify(Transaction tx) {
        verify(tx.certs().stream().map(CertRow::prefix).toList(), maxLength);
    }

    /**
     * {@code prefixes}, sorted, must be disjoint (none the beginning of another), no longer than
     * {@code maxLength}, and cover the whole tree.
     */
    public static void verify(List<String> prefixes, int maxLength) {
        BigInteger covered = BigInteger.ZERO;
        String previous = null;
        for (String p : prefixes) {
            if (p.length() > maxLength)
                throw new IllegalStateException("cert row '" + p + "' is longer than " + maxLength + " bits");
            if (previous != null && (previous.compareTo(p) >= 0 || p.startsWith(previous)))
                throw new IllegalStateException("cert rows '" + previous + "' and '" + p + "' overlap");
            covered = covered.add(BigInteger.ONE.shiftLeft(maxLength - p.length()));
            previous = p;
        }
        if (!covered.equals(BigInteger.ONE.shiftLeft(maxLength)))
            throw new IllegalStateException("cert rows cover " + covered + " of the 2^" + maxLength
                    + " leaves: part of the tree is missing");
    }

    private static String sibling(String prefix) {
        int last = prefix.length() - 1;
        return prefix.substring(0, last) + (prefix.charAt(last) == '0' ? '1' : '0');
    }

    private static void checkBits(String bits, String what) {
        if (bits == null)
            throw new IllegalArgumentException(what + " is null");
        for (int i = 0; i < bits.length(); i++)
            if (bits.charAt(i) != '0' && bits.charAt(i) != '1')
                throw new IllegalArgumentException(what + " '" + bits + "' has '" + bits.charAt(i) + "' at " + i
                        + ": only 0 and 1 allowed");
    }
}
