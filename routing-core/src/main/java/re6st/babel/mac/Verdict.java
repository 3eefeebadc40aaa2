package re6st.babel.mac;

import java.util.List;

import re6st.babel.message.Message;

/**
 * What {@link Authenticator#check} decided about a received packet, and the challenge messages
 * ({@link Message.ChallengeRequest}, {@link Message.ChallengeReply}) to send back to its sender
 * in a unicast packet on the same interface. {@code toSend} may be non-empty also when the packet
 * is dropped (an unknown index is answered with a challenge request).
 *
 * @param accepted process the packet's body (true), or ignore it entirely (false)
 * @param reason   why; for an accepted packet under accept-bad-signatures, {@link Reason#NO_MAC}
 *                 or {@link Reason#BAD_MAC}
 */
public record Verdict(boolean accepted, Reason reason, List<Message> toSend) {
    public enum Reason {
        /** MAC verified, known index, PC newer than the last one. */
        AUTHENTICATED,
        /** MAC verified and the packet answers our challenge: index and PC learnt. */
        CHALLENGE_SUCCEEDED,
        /** No MAC TLV in the trailer. */
        NO_MAC,
        /** MAC TLVs, none matching a sign or accept key. */
        BAD_MAC,
        /** MAC verified but no PC TLV in the body. */
        NO_PC,
        /** MAC verified but the sender's index is not the one we know: challenged (or being challenged). */
        UNKNOWN_INDEX,
        /** MAC verified, known index, PC not newer than the last one (a replay or reordering). */
        OLD_PC
    }

    public Verdict {
        toSend = List.copyOf(toSend);
    }

    static Verdict accept(Reason reason, List<Message> toSend) {
        return new Verdict(true, reason, toSend);
    }

    static Verdict drop(Reason reason, List<Message> toSend) {
        return new Verdict(false, reason, toSend);
    }

    /** True when the sender is authenticated (not let through by accept-bad-signatures). */
    public boolean authenticated() {
        return reason == Reason.AUTHENTICATED || reason == Reason.CHALLENGE_SUCCEEDED;
    }
}
