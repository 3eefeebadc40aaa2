package re6st.registry.store;

/**
 * A row of {@code token}: a registration token mailed to {@code email}, good for one certificate
 * with a prefix of {@code prefixLength} bits; {@code date} is when it was made (epoch seconds).
 */
public record Token(String token, String email, int prefixLength, long date) {
    public Token {
        if (token == null || token.isEmpty())
            throw new IllegalArgumentException("token is empty (an empty token means an anonymous request)");
        if (email == null)
            throw new IllegalArgumentException("token " + token + " has no email");
        if (prefixLength < 1 || prefixLength > 128)
            throw new IllegalArgumentException("token " + token + ": prefix length " + prefixLength + " outside 1..128");
    }
}
