package re6st.netsim;

import java.time.Duration;

/**
 * One direction of an emulated WAN link: one-way delay, jitter (uniform in +-jitter, order
 * kept), random loss, rate limit (bits/s, 0 = unlimited) with a queue of {@code queuePackets}
 * full-size frames behind it, and {@code blackhole}: everything dropped while the link stays up.
 */
public record LinkParams(Duration delay, Duration jitter, double loss, long rateBitsPerSecond, int queuePackets,
        boolean blackhole) {
    public static final LinkParams PERFECT = new LinkParams(Duration.ZERO, Duration.ZERO, 0, 0, 1000, false);

    public LinkParams {
        if (delay.isNegative() || jitter.isNegative())
            throw new IllegalArgumentException("negative delay or jitter");
        if (!(loss >= 0 && loss <= 1))
            throw new IllegalArgumentException("loss " + loss + " outside 0..1");
        if (rateBitsPerSecond < 0 || queuePackets < 1)
            throw new IllegalArgumentException("bad rate or queue");
    }

    public static LinkParams delay(Duration d) {
        return PERFECT.withDelay(d);
    }

    public static LinkParams delayMillis(long ms) {
        return delay(Duration.ofMillis(ms));
    }

    public LinkParams withDelay(Duration d) {
        return new LinkParams(d, jitter, loss, rateBitsPerSecond, queuePackets, blackhole);
    }

    public LinkParams withJitter(Duration j) {
        return new LinkParams(delay, j, loss, rateBitsPerSecond, queuePackets, blackhole);
    }

    public LinkParams withLoss(double l) {
        return new LinkParams(delay, jitter, l, rateBitsPerSecond, queuePackets, blackhole);
    }

    public LinkParams withRate(long bitsPerSecond) {
        return new LinkParams(delay, jitter, loss, bitsPerSecond, queuePackets, blackhole);
    }

    public LinkParams withQueue(int packets) {
        return new LinkParams(delay, jitter, loss, rateBitsPerSecond, packets, blackhole);
    }

    public LinkParams withBlackhole(boolean on) {
        return new LinkParams(delay, jitter, loss, rateBitsPerSecond, queuePackets, on);
    }

    @Override
    public String toString() {
        if (blackhole)
            return "blackhole";
        StringBuilder s = new StringBuilder("delay ").append(delay.toNanos() / 1e6).append(" ms");
        if (!jitter.isZero())
            s.append(" +-").append(jitter.toNanos() / 1e6).append(" ms");
        if (loss > 0)
            s.append(", loss ").append(loss * 100).append('%');
        if (rateBitsPerSecond > 0)
            s.append(", rate ").append(rateBitsPerSecond / 1e6).append(" Mbit/s");
        return s.toString();
    }
}
