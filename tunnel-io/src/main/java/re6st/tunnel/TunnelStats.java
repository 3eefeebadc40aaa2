package re6st.tunnel;

/**
 * One established tunnel's figures, for a status display or metrics: a snapshot, each figure read
 * once (the counters may move on between two of them).
 *
 * @param info              who, where, which transport, liveness
 * @param establishedMillis when its current session was established (wall clock, epoch ms)
 * @param srttNanos         smoothed RTT of its liveness probes, ns; -1 before the first echo
 * @param bytesIn           encrypted bytes received (underlay payload), since the tunnel was made
 * @param bytesOut          encrypted bytes sent
 * @param packetsIn         datagrams opened
 * @param packetsOut        datagrams sent
 * @param probesSent        liveness probes sent (this session)
 * @param probesAnswered    echoes of them received: the difference is the probes' loss
 * @param downs             times this session's path was declared dead (and the tunnel went down)
 */
public record TunnelStats(TunnelInfo info, long establishedMillis, long srttNanos, long bytesIn, long bytesOut, long packetsIn,
        long packetsOut, long probesSent, long probesAnswered, long downs) {

    /** The figures of a tunnel whose session started at {@code startedNanos} (System.nanoTime). */
    static TunnelStats of(TunnelInfo info, long startedNanos, TunnelSession session, TunnelCounters c) {
        long established = System.currentTimeMillis() - (System.nanoTime() - startedNanos) / 1_000_000L;
        Liveness l = session == null ? null : session.liveness();
        return new TunnelStats(info, established, l == null ? -1 : l.srttNanos(), c.bytesIn.getCount(), c.bytesOut.getCount(),
                c.packetsIn.getCount(), c.packetsOut.getCount(), l == null ? 0 : l.probesSent(), l == null ? 0 : l.echoesReceived(),
                l == null ? 0 : l.downs());
    }
}
