package re6st.netsim;

import java.nio.ByteBuffer;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * A {@link WanLink.FrameFilter} that drops IPv4 packets between chosen pairs of underlay addresses
 * (either direction): a silent fault between two hosts while both keep talking to everybody else,
 * or a topology that is not a full mesh. ARP and IPv6 pass. Put the same instance on every link
 * of a star: a packet is dropped on the first link it crosses.
 */
public final class PairCuts implements WanLink.FrameFilter {
    /** Drop everything between the pair. */
    public static final int[] DROP = new int[0];

    /** Unordered pair (lower address first, as 32-bit values) -> TCP ports still allowed (DROP: none). */
    private final Map<Long, int[]> pairs = new ConcurrentHashMap<>();

    /** {@code allowedTcpPorts} null: nothing dropped between a and b; else all but TCP from or to one of those ports. */
    public void set(String a, String b, int[] allowedTcpPorts) {
        long key = key(ipv4(a), ipv4(b));
        if (allowedTcpPorts == null)
            pairs.remove(key);
        else
            pairs.put(key, allowedTcpPorts.clone());
    }

    public boolean isEmpty() {
        return pairs.isEmpty();
    }

    @Override
    public boolean drop(ByteBuffer f, int off, int len) {
        if (pairs.isEmpty() || len < 14 + 20 || (f.getShort(off + 12) & 0xffff) != 0x0800)
            return false;
        int ip = off + 14;
        int[] allowed = pairs.get(key(f.getInt(ip + 12), f.getInt(ip + 16)));
        if (allowed == null)
            return false;
        if (allowed.length == 0 || f.get(ip + 9) != 6)
            return true;
        int l4 = ip + (f.get(ip) & 0x0f) * 4;
        if (l4 + 4 > off + len)
            return true;
        int sport = f.getShort(l4) & 0xffff, dport = f.getShort(l4 + 2) & 0xffff;
        for (int p : allowed)
            if (p == sport || p == dport)
                return false;
        return true;
    }

    private static long key(int a, int b) {
        long x = a & 0xffffffffL, y = b & 0xffffffffL;
        return x < y ? x << 32 | y : y << 32 | x;
    }

    static int ipv4(String dotted) {
        String[] p = dotted.split("\\.");
        if (p.length != 4)
            throw new IllegalArgumentException("not an IPv4 address: " + dotted);
        int v = 0;
        for (String s : p) {
            int o = Integer.parseInt(s);
            if (o < 0 || o > 255)
                throw new IllegalArgumentException("not an IPv4 address: " + dotted);
            v = v << 8 | o;
        }
        return v;
    }
}
