package re6st.bench;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

import org.openjdk.jmh.infra.Blackhole;

import re6st.babel.BabelRouter;
import re6st.babel.Effects;
import re6st.babel.InterfaceSettings;
import re6st.babel.KernelRoute;
import re6st.babel.message.Addr;
import re6st.babel.message.Message;
import re6st.babel.message.Message.Hello;
import re6st.babel.message.Message.Ihu;
import re6st.babel.message.Message.Update;
import re6st.babel.message.Prefix;

/**
 * Shared pieces of the Babel benchmarks: an {@link Effects} sink that only counts, destination
 * prefixes, neighbour addresses and the Hello/IHU exchange that makes a neighbour's cost finite.
 */
final class BabelFixtures {
    private BabelFixtures() {}

    /** Our router-id; the origins of the learned routes use other ids. */
    static final long ROUTER_ID = 0x0200_0000_0000_00FFL;
    /** The neighbours' IHU rxcost (babeld's default for wired links and tunnels). */
    static final int COST = 96;
    /** Interval carried by the Updates: 16 s, babeld's update interval at hello 4 s (hold time 96 s). */
    static final int UPDATE_INTERVAL_CS = 1600;
    /** re6st runs Babel on tunnels: timestamps on (no RTT sample is fed here, so no RTT penalty). */
    static final InterfaceSettings SETTINGS = InterfaceSettings.tunnel(4000);
    /** A start time far from 0 (monotonic nanoseconds). */
    static final long T0 = 1_000_000_000_000L;

    /** Discards everything the core asks for, but counts it and hands each object to a Blackhole. */
    static final class CountingEffects implements Effects {
        private final Blackhole bh;
        long sends, installs, uninstalls;

        CountingEffects(Blackhole bh) {
            this.bh = bh;
        }

        @Override
        public void send(String ifname, Addr dest, Message m) {
            sends++;
            if (bh != null)
                bh.consume(m);
        }

        @Override
        public void install(KernelRoute r) {
            installs++;
            if (bh != null)
                bh.consume(r);
        }

        @Override
        public void uninstall(KernelRoute r) {
            uninstalls++;
            if (bh != null)
                bh.consume(r);
        }

        long total() {
            return sends + installs + uninstalls;
        }
    }

    /**
     * Destination {@code i}: the IPv6 /64 2001:db8:i::/64 (i below 2^32). A fresh Prefix and Addr
     * each call, as the decoder makes for every packet: lookups go through equals, not identity.
     */
    static Prefix prefix(int i) {
        return new Prefix(new Addr(0x2001_0db8_0000_0000L | (i & 0xFFFF_FFFFL), 0), 64);
    }

    /** Link-local address of neighbour {@code n} (a fresh instance per call). */
    static Addr neighbourAddress(int n) {
        return new Addr(0xfe80_0000_0000_0000L, 0x0200_0000_0000_0000L | (n + 1));
    }

    /** Our link-local address on interface {@code i}. */
    static Addr ownAddress(int i) {
        return new Addr(0xfe80_0000_0000_0000L, 0x0100_0000_0000_0000L | (i + 1));
    }

    /** Origin router-id of destination {@code i}: 1,024 origins, as if each announced many prefixes. */
    static long origin(int i) {
        return 0x0200_0000_0000_0000L | 0x1_0000L | (i & 1023);
    }

    static BabelRouter newRouter(int halfLifeMs, Effects out) {
        return new BabelRouter(ROUTER_ID, 1, halfLifeMs, new SplittableRandom(42), out);
    }

    /**
     * Adds interface {@code ifname} (our address {@code self}) and makes {@code neighbour} on it a
     * neighbour with cost {@link #COST}: two Hellos (reachability 2 out of 3) and an IHU about us.
     */
    static void establish(BabelRouter r, String ifname, Addr self, Addr neighbour, long now) {
        r.addInterface(ifname, SETTINGS, self, now);
        r.receive(ifname, neighbour, false, List.of(new Hello(false, 100, 400, Message.NO_TIMESTAMP)), now);
        r.receive(ifname, neighbour, false, List.of(new Hello(false, 101, 400, Message.NO_TIMESTAMP),
                new Ihu(self, COST, 1200, Message.NO_TIMESTAMP, Message.NO_TIMESTAMP)), now);
        if (r.neighbours().stream().noneMatch(n -> n.address().equals(neighbour) && n.cost(now) == COST))
            throw new IllegalStateException("neighbour " + neighbour + " on " + ifname + " not established");
    }

    /** Updates for destinations {@code from .. from+count)}, fresh prefixes, next hop {@code nh}. */
    static List<Message> updates(int from, int count, Addr nh, int seqno, int refmetric) {
        List<Message> l = new ArrayList<>(count);
        for (int i = from; i < from + count; i++)
            l.add(new Update(prefix(i), null, origin(i), nh, seqno, refmetric, UPDATE_INTERVAL_CS));
        return l;
    }

    /** Runs a full GC several times and returns the heap in use (bytes). */
    static long usedHeapAfterGc() {
        Runtime rt = Runtime.getRuntime();
        long used = Long.MAX_VALUE;
        for (int i = 0; i < 5; i++) {
            System.gc();
            try {
                Thread.sleep(50);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            used = Math.min(used, rt.totalMemory() - rt.freeMemory());
        }
        return used;
    }
}
