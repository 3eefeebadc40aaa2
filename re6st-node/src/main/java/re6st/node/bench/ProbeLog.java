package re6st.node.bench;

import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A probe stream as iputils {@code ping -D -O} prints it: each answered probe with the time its
 * reply arrived ({@code -D}: Unix time, microseconds), the probes sent, and the gaps between
 * replies, the longest of which is the interruption a path failure caused. Lines it does not know
 * (the banner, ICMP errors, duplicates) are ignored. Thread-safe: a reader thread feeds it while
 * the bench reads it.
 */
public final class ProbeLog {
    /** An answered probe: its sequence number (unwrapped) and when the reply came, Unix time in microseconds. */
    public record Reply(long seq, long atMicros) {}

    /** The time between two consecutive replies (or from the last one to the end of the window). */
    public record Gap(long fromMicros, long toMicros) {
        public long micros() {
            return toMicros - fromMicros;
        }
    }

    private static final Pattern STAMP = Pattern.compile("^\\[(\\d+)\\.(\\d{1,6})\\] (.*)$");
    private static final Pattern REPLY = Pattern.compile("^\\d+ bytes from \\S+ icmp_seq=(\\d+) .*time=.*$");
    private static final Pattern NO_ANSWER = Pattern.compile("^no answer yet for icmp_seq=(\\d+)$");
    private static final Pattern SUMMARY = Pattern.compile("^(\\d+) packets transmitted, (\\d+) received.*$");

    private final List<Reply> replies = new ArrayList<>();
    private long lastRaw = -1, wraps, highestSeq, transmitted = -1, received = -1;

    /** Reads one line of ping's output; returns whether it was a reply. */
    public synchronized boolean accept(String line) {
        Matcher s = SUMMARY.matcher(line);
        if (s.matches()) {
            transmitted = Long.parseLong(s.group(1));
            received = Long.parseLong(s.group(2));
            return false;
        }
        Matcher m = STAMP.matcher(line);
        if (!m.matches() || line.endsWith("(DUP!)"))
            return false;
        String micros = (m.group(2) + "00000").substring(0, 6);
        long at = Long.parseLong(m.group(1)) * 1_000_000L + Long.parseLong(micros);
        Matcher r = REPLY.matcher(m.group(3));
        if (r.matches()) {
            replies.add(new Reply(unwrap(Integer.parseInt(r.group(1))), at));
            notifyAll();
            return true;
        }
        Matcher n = NO_ANSWER.matcher(m.group(3));
        if (n.matches())
            unwrap(Integer.parseInt(n.group(1)));
        return false;
    }

    /** icmp_seq is 16 bits: at 100 probes a second it wraps after 11 minutes. */
    private long unwrap(int raw) {
        if (lastRaw >= 0 && raw < lastRaw && lastRaw - raw > 32768)
            wraps++;
        lastRaw = raw;
        long seq = wraps * 65536 + raw;
        highestSeq = Math.max(highestSeq, seq);
        return seq;
    }

    /** Waits until {@code n} replies came or {@code timeoutMs} passed; returns whether they came. */
    public synchronized boolean awaitReplies(int n, long timeoutMs) throws InterruptedException {
        long end = System.nanoTime() + timeoutMs * 1_000_000L;
        for (long left; replies.size() < n && (left = end - System.nanoTime()) > 0; )
            wait(Math.max(1, left / 1_000_000L));
        return replies.size() >= n;
    }

    public synchronized List<Reply> replies() {
        return List.copyOf(replies);
    }

    /** Probes sent: ping's own count once it printed its summary, else the highest sequence number seen. */
    public synchronized long sent() {
        return transmitted >= 0 ? transmitted : highestSeq;
    }

    /** Probes answered: ping's own count once it printed its summary, else the replies read. */
    public synchronized long answered() {
        return received >= 0 ? received : replies.size();
    }

    /** The last reply, null before the first. */
    public synchronized Reply last() {
        return replies.isEmpty() ? null : replies.get(replies.size() - 1);
    }

    /**
     * The longest gap between consecutive replies that ends after {@code fromMicros} and starts
     * before {@code toMicros} (so the one the cut fell into counts whole); if no reply came after
     * the last one before {@code toMicros}, up to {@code toMicros}. Null without any reply before {@code toMicros}.
     */
    public synchronized Gap longestGap(long fromMicros, long toMicros) {
        Gap best = null;
        Reply prev = null;
        for (Reply r : replies) {
            if (prev != null && r.atMicros() > fromMicros && prev.atMicros() < toMicros) {
                Gap g = new Gap(prev.atMicros(), r.atMicros());
                if (best == null || g.micros() > best.micros())
                    best = g;
            }
            if (r.atMicros() >= toMicros)
                return best;
            prev = r;
        }
        if (prev != null && toMicros > fromMicros) { // silent to the end
            Gap g = new Gap(prev.atMicros(), toMicros);
            if (best == null || g.micros() > best.micros())
                best = g;
        }
        return best;
    }
}
