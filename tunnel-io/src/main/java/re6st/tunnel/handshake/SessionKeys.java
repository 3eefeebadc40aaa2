package re6st.tunnel.handshake;

import java.security.cert.X509Certificate;

import re6st.tunnel.data.DataKey;

/**
 * The outcome of a successful handshake: the generation-0 data-channel keys (our send key is the
 * peer's receive key and vice versa), the peer's verified certificate and CN, and the schedule
 * that gives the keys of later rekey generations.
 */
public record SessionKeys(DataKey send, DataKey receive, X509Certificate peer, String peerCn, KeySchedule schedule) {
    /** Keys for rekey generation {@code generation} (epoch on the wire = generation mod 256). */
    public SessionKeys generation(long generation) {
        return new SessionKeys(schedule.sendKey(generation), schedule.receiveKey(generation), peer, peerCn, schedule);
    }

    @Override
    public String toString() {
        return "SessionKeys[peer " + peerCn + ", send " + send + ", receive " + receive + "]";
    }
}
