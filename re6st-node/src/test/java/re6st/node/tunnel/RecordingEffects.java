package re6st.node.tunnel;

import java.util.ArrayList;
import java.util.List;

import re6st.peer.PeerAddress;

/** A {@link TunnelEffects} that writes each call down as a line, e.g. {@code "dial 0000000000000100 198.18.0.4,1194,udp"}. */
final class RecordingEffects implements TunnelEffects {
    final List<String> calls = new ArrayList<>();

    @Override
    public void dial(String prefix, PeerAddress address) {
        calls.add("dial " + prefix + " " + address);
    }

    @Override
    public void hangUp(String prefix) {
        calls.add("hangUp " + prefix);
    }

    @Override
    public void askAddress(String prefix) {
        calls.add("askAddress " + prefix);
    }

    @Override
    public void askBootstrap() {
        calls.add("askBootstrap");
    }

    @Override
    public void setCostMultiplier(String prefix, int multiplier) {
        calls.add("cost " + prefix + " " + multiplier);
    }

    @Override
    public void sendKill(String prefix, int code) {
        calls.add("kill " + prefix + " " + code);
    }

    /** The calls since the last take, and forgets them. */
    List<String> take() {
        List<String> l = List.copyOf(calls);
        calls.clear();
        return l;
    }

    /** The peers dialled since the last take (forgets every call). */
    List<String> dialled() {
        return take().stream().filter(c -> c.startsWith("dial ")).map(c -> c.split(" ")[1]).toList();
    }
}
