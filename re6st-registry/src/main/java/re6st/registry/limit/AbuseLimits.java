package re6st.registry.limit;

import java.time.Duration;
import java.util.Locale;
import java.util.function.LongSupplier;

import com.codahale.metrics.Counter;
import com.codahale.metrics.MetricRegistry;

import re6st.registry.http.RpcException;

/**
 * The registry's abuse limits on its public RPCs (issue 12 item 8), each a {@link Rate} from the
 * command line. Over a limit the RPC is refused with 429 and a message naming the limit and
 * when to retry, before it changes anything, and counted ({@code registry.limited.*}):
 * <ul>
 * <li>{@code hello} per source network: every hello costs an RSA signature with the CA key;
 * <li>{@code hello} per prefix, for hellos that would push another address's pending secret out
 * (see {@link re6st.registry.auth.Sessions}): a node's pending hello outlives a stranger's burst;
 * <li>{@code requestToken} per e-mail address (nobody is mail-bombed through the registry) and
 * per source network (the token table and the mail host are not flooded);
 * <li>anonymous {@code requestCertificate} per source network (the free prefixes are not drained
 * from one place; each also costs an RSA signature);
 * <li>wrong tokens per source network: after that many unknown tokens, the source's
 * {@code requestCertificate} with a token is refused, a right one too, until the allowance
 * refills, so the ~36 bits of the original's tokens cannot be searched.
 * </ul>
 * Requests from an {@link SourceAddress#exempt exempt} source (the admin's own host) are not limited.
 */
public final class AbuseLimits {
    /** How many keys each limit remembers (least recently used forgotten first): a few MB in all. */
    public static final int MAX_KEYS = 20_000;

    /** The limits; {@link Rate#OFF} turns one off. */
    public record Settings(Rate helloPerSource, Rate helloEvictionsPerSource, Rate tokenRequestsPerEmail, Rate tokenRequestsPerSource,
            Rate anonymousPerSource, Rate tokenFailuresPerSource) {
        public static Settings defaults() {
            return new Settings(Rate.parse("30/60"), Rate.parse("4/60"), Rate.parse("4/86400"), Rate.parse("10/3600"),
                    Rate.parse("20/3600"), Rate.parse("10/3600"));
        }

        public static Settings none() {
            return new Settings(Rate.OFF, Rate.OFF, Rate.OFF, Rate.OFF, Rate.OFF, Rate.OFF);
        }
    }

    private final RateLimiter helloSource, helloEvictions, mailAddress, mailSource, anonymous, tokenFailures;
    private final Counter limitedHelloSource = new Counter(), limitedHelloEvictions = new Counter(), limitedMailAddress = new Counter(),
            limitedMailSource = new Counter(), limitedAnonymous = new Counter(), limitedTokenAttempts = new Counter(),
            wrongTokens = new Counter();

    /** @param nanos a monotonic clock in nanoseconds (a virtual one in tests) */
    public AbuseLimits(Settings s, LongSupplier nanos) {
        helloSource = new RateLimiter(s.helloPerSource(), nanos, MAX_KEYS);
        helloEvictions = new RateLimiter(s.helloEvictionsPerSource(), nanos, MAX_KEYS);
        mailAddress = new RateLimiter(s.tokenRequestsPerEmail(), nanos, MAX_KEYS);
        mailSource = new RateLimiter(s.tokenRequestsPerSource(), nanos, MAX_KEYS);
        anonymous = new RateLimiter(s.anonymousPerSource(), nanos, MAX_KEYS);
        tokenFailures = new RateLimiter(s.tokenFailuresPerSource(), nanos, MAX_KEYS);
    }

    /** The counters, as {@code registry.limited.*} (and {@code registry.tokens.wrong}). */
    public void registerMetrics(MetricRegistry m) {
        m.register("registry.limited.hello.source", limitedHelloSource);
        m.register("registry.limited.hello.evictions", limitedHelloEvictions);
        m.register("registry.limited.request_token.email", limitedMailAddress);
        m.register("registry.limited.request_token.source", limitedMailSource);
        m.register("registry.limited.anonymous.source", limitedAnonymous);
        m.register("registry.limited.token_attempts.source", limitedTokenAttempts);
        m.register("registry.tokens.wrong", wrongTokens);
    }

    /** A hello from {@code source}: 429 over --hello-rate-per-source. */
    public void hello(SourceAddress source) throws RpcException {
        if (!source.exempt())
            refuseIfWaiting(helloSource.acquire(source.key()), limitedHelloSource, "hello: too many hellos from " + source.key(),
                    "--hello-rate-per-source", helloSource);
    }

    /**
     * A hello from {@code source} that would push out another address's pending secret for a
     * prefix: 429 over --hello-evictions-per-source, charged to the one who says hello (never to the
     * prefix, whose allowance strangers could use up). For {@link re6st.registry.auth.Sessions#hello}'s gate.
     */
    public void helloEviction(SourceAddress source) throws RpcException {
        refuseIfWaiting(helloEvictions.acquire(source.key()), limitedHelloEvictions, "hello: too many hellos from " + source.key()
                + " that push out other addresses' pending hellos", "--hello-evictions-per-source", helloEvictions);
    }

    /** A requestToken from {@code source} for {@code email}: 429 over either limit; nothing used unless both allow it. */
    public void requestToken(SourceAddress source, String email) throws RpcException {
        if (source.exempt())
            return;
        String mail = email.toLowerCase(Locale.ROOT);
        synchronized (this) { // both allow it, then both are used: a refusal by one uses nothing of the other
            refuseIfWaiting(mailSource.check(source.key()), limitedMailSource, "requestToken: too many tokens asked from "
                    + source.key(), "--token-request-rate-per-source", mailSource);
            refuseIfWaiting(mailAddress.check(mail), limitedMailAddress, "requestToken: too many tokens asked for this e-mail address",
                    "--token-request-rate-per-email", mailAddress);
            mailSource.charge(source.key());
            mailAddress.charge(mail);
        }
    }

    /** An anonymous requestCertificate from {@code source}: 429 over --anonymous-rate-per-source. */
    public void anonymous(SourceAddress source) throws RpcException {
        if (!source.exempt())
            refuseIfWaiting(anonymous.acquire(source.key()), limitedAnonymous, "requestCertificate: too many anonymous "
                    + "registrations from " + source.key(), "--anonymous-rate-per-source", anonymous);
    }

    /** Before a requestCertificate with a token is looked at: 429 when {@code source} gave too many wrong tokens. */
    public void tokenAttempt(SourceAddress source) throws RpcException {
        if (!source.exempt())
            refuseIfWaiting(tokenFailures.check(source.key()), limitedTokenAttempts, "requestCertificate: too many wrong tokens from "
                    + source.key(), "--token-failures-per-source", tokenFailures);
    }

    /** A token from {@code source} was unknown (or expired): counted against it. */
    public void wrongToken(SourceAddress source) {
        wrongTokens.inc();
        if (!source.exempt())
            tokenFailures.charge(source.key());
    }

    private static void refuseIfWaiting(Duration wait, Counter counter, String what, String option, RateLimiter limiter)
            throws RpcException {
        if (wait.isZero())
            return;
        counter.inc();
        long seconds = Math.max(1, (wait.toMillis() + 999) / 1000);
        throw new RpcException(429, what + " (limit " + option + " " + limiter.rate() + "): retry in " + seconds + " s");
    }
}
