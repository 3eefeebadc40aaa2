package re6st.tunnel.cli;

import java.io.IOException;
import java.math.BigInteger;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.security.cert.X509CRL;
import java.security.cert.X509CRLEntry;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.Consumer;

import re6st.cli.Failures;
import re6st.tunnel.handshake.Credentials;

/**
 * {@code re6st tunnel --crl FILE} at run time: the file is read again on SIGHUP and whenever its
 * modification time or size changes (checked each second), and the new credentials go to the
 * endpoint, which closes the tunnels of peers the new CRL revokes. What changed (serials newly
 * revoked, no longer revoked) is printed. A file that does not load (missing, half-written, not
 * a CRL, not signed by the CA) is reported and counted, and the previous CRL stays in force;
 * the next change of the file is tried again.
 */
final class CrlReloader implements AutoCloseable {
    private final Path ca, cert, key, crl;
    private final Consumer<Credentials> apply;
    private final Thread thread;
    private volatile boolean running = true, hangup;
    private Credentials current; // the reloading thread's
    private FileTime seenTime;
    private long seenSize = -1;
    volatile long reloads, failures;

    CrlReloader(Path ca, Path cert, Path key, Path crl, Credentials initial, Consumer<Credentials> apply) {
        this.ca = ca;
        this.cert = cert;
        this.key = key;
        this.crl = crl;
        this.current = initial;
        this.apply = apply;
        stamp();
        this.thread = new Thread(this::loop, "re6st-tunnel-crl");
        thread.setDaemon(true);
    }

    /** Starts watching; SIGHUP reloads at once (if the JVM lets us handle it; said otherwise). */
    CrlReloader start() {
        try {
            sun.misc.Signal.handle(new sun.misc.Signal("HUP"), s -> {
                hangup = true;
                thread.interrupt();
            });
        } catch (IllegalArgumentException e) {
            System.err.println("re6st tunnel: SIGHUP is not available (" + e.getMessage() + "): " + crl
                    + " is reloaded only when it changes");
        }
        thread.start();
        return this;
    }

    private boolean stamp() {
        try {
            FileTime t = Files.getLastModifiedTime(crl);
            long size = Files.size(crl);
            boolean changed = !t.equals(seenTime) || size != seenSize;
            seenTime = t;
            seenSize = size;
            return changed;
        } catch (IOException e) {
            boolean changed = seenSize != -2; // gone: reported once, then again when it comes back
            seenTime = null;
            seenSize = -2;
            return changed;
        }
    }

    private void loop() {
        while (running) {
            try {
                Thread.sleep(1000);
            } catch (InterruptedException e) {
                // SIGHUP, or closing
            }
            if (!running)
                return;
            boolean signalled = hangup;
            hangup = false;
            if (stamp() || signalled)
                reload(signalled ? "SIGHUP" : "the file changed");
        }
    }

    /** Reads the CRL again and applies it; false (reported, nothing changed) if it does not load. */
    boolean reload(String why) {
        Credentials next;
        try {
            next = current.withCrl(Credentials.load(ca, cert, key, crl).crl());
        } catch (IOException | RuntimeException e) {
            failures++;
            System.err.println("re6st tunnel: cannot reload the CRL " + crl + " (" + why + "): " + Failures.explain(e)
                    + "; the previous CRL stays in force");
            return false;
        }
        Set<BigInteger> before = serials(current.crl()), after = serials(next.crl());
        Set<BigInteger> added = new TreeSet<>(after), removed = new TreeSet<>(before);
        added.removeAll(before);
        removed.removeAll(after);
        current = next;
        reloads++;
        System.out.println("CRL reloaded from " + crl + " (" + why + "): " + after.size() + " revoked"
                + (added.isEmpty() ? "" : ", newly revoked serials " + hex(added))
                + (removed.isEmpty() ? "" : ", no longer revoked " + hex(removed))
                + (added.isEmpty() && removed.isEmpty() ? ", no change" : ""));
        apply.accept(next);
        return true;
    }

    private static Set<BigInteger> serials(X509CRL c) {
        Set<BigInteger> s = new TreeSet<>();
        if (c != null && c.getRevokedCertificates() != null)
            for (X509CRLEntry e : c.getRevokedCertificates())
                s.add(e.getSerialNumber());
        return s;
    }

    private static String hex(Set<BigInteger> s) {
        StringBuilder b = new StringBuilder();
        for (BigInteger i : s)
            b.append(b.length() == 0 ? "" : " ").append("0x").append(i.toString(16));
        return b.toString();
    }

    @Override
    public void close() {
        running = false;
        thread.interrupt();
    }
}
