package re6st.babel.wire;

import java.util.List;

import re6st.babel.message.Message;

/**
 * The result of {@link PacketDecoder#decode}: what a packet says, in order, and what was skipped.
 *
 * @param body              body messages in packet order (PC, challenges included)
 * @param trailer           MAC TLVs of the trailer, in order
 * @param macCoveredOffset  index in the datagram buffer of the packet header: RFC 8967 MACs cover
 *                          the pseudo-header followed by {@code buf[macCoveredOffset ..
 *                          macCoveredOffset + macCoveredLength)}
 * @param macCoveredLength  4 + the (possibly clamped) body length
 * @param issues            skipped TLVs with the reason, in packet order
 */
public record DecodedPacket(List<Message> body, List<Message.Mac> trailer, int macCoveredOffset, int macCoveredLength,
        List<DecodeIssue> issues) {
    public DecodedPacket {
        body = List.copyOf(body);
        trailer = List.copyOf(trailer);
        issues = List.copyOf(issues);
    }

    /** Number of TLVs dropped because they failed to parse (plus a clamped header, if any). */
    public int malformedCount() {
        int n = 0;
        for (DecodeIssue i : issues)
            if (i.malformed())
                n++;
        return n;
    }

    /** Number of TLVs (or sub-TLVs) deliberately ignored. */
    public int ignoredCount() {
        return issues.size() - malformedCount();
    }

    public int bodyLength() {
        return macCoveredLength - PacketHeader.LENGTH;
    }
}
