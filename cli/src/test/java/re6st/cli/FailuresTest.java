package re6st.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.ConnectException;
import java.net.UnknownHostException;
import java.nio.file.AccessDeniedException;
import java.nio.file.NoSuchFileException;
import java.util.concurrent.ExecutionException;

import org.junit.jupiter.api.Test;

class FailuresTest {
    @Test
    void aMissingFileNamesThePath() {
        assertEquals("/etc/re6st/ca.crt: no such file or directory (check the path)",
                Failures.explain(new NoSuchFileException("/etc/re6st/ca.crt")));
    }

    @Test
    void aFileWeMayNotReadSaysHowToCheckIt() {
        String s = Failures.explain(new AccessDeniedException("/etc/re6st/k.pem"));
        assertTrue(s.startsWith("/etc/re6st/k.pem: permission denied (") && s.endsWith("check the owners and modes: "
                + "'ls -ld /etc/re6st/k.pem /etc/re6st')"), s);
    }

    @Test
    void aRefusedConnectionWithoutMessageSaysRefused() {
        // the JDK's HttpClient throws ConnectException with a null message
        assertTrue(Failures.explain(new ConnectException()).startsWith("connection refused (nothing listens there"));
    }

    @Test
    void anUnknownHostSaysDns() {
        assertTrue(Failures.explain(new UnknownHostException("nowhere.invalid")).startsWith("unknown host nowhere.invalid (DNS"));
    }

    @Test
    void theHttpClientsDnsFailureIsNotCalledARefusal() {
        // java.net.http wraps an unresolved name as ConnectException(null) <- ConnectException <- UnresolvedAddressException
        Throwable t = new ConnectException();
        t.initCause(new ConnectException());
        t.getCause().initCause(new java.nio.channels.UnresolvedAddressException());
        assertTrue(Failures.explain(t).startsWith("unknown host (DNS"), Failures.explain(t));
    }

    @Test
    void aBusyPortSaysWhatToDoWhateverTheExceptionType() {
        String fix = " (another process listens there: pick another port, or stop it)";
        assertEquals("cannot use the local address: Address already in use" + fix,
                Failures.explain(new java.net.BindException("Address already in use")));
        assertEquals("cannot use the local address: bind(..) failed with error(-98): Address already in use" + fix,
                Failures.explain(new IOException("bind(..) failed with error(-98): Address already in use")));
    }

    @Test
    void wrappersAreSeenThrough() {
        Throwable t = new ExecutionException(new UncheckedIOException(new NoSuchFileException("x")));
        assertEquals("x: no such file or directory (check the path)", Failures.explain(t));
        assertFalse(Failures.isBug(t));
    }

    @Test
    void anIoExceptionWithoutMessageIsExplainedByItsCause() {
        assertTrue(Failures.explain(new IOException(null, new ConnectException())).startsWith("connection refused"));
    }

    @Test
    void programmingErrorsAreBugsAndDeliberateRefusalsAreNot() {
        assertTrue(Failures.isBug(new NullPointerException()));
        assertTrue(Failures.isBug(new IllegalStateException("state")));
        assertTrue(Failures.isBug(new IllegalArgumentException()));
        assertFalse(Failures.isBug(new IllegalArgumentException("--mtu: must be at least 1280")));
        assertFalse(Failures.isBug(CommandFailure.usage("--x: bad")));
        assertFalse(Failures.isBug(new java.security.cert.CertificateException("bad")));
    }

    @Test
    void aCommandFailureCarriesItsExplainedCause() {
        CommandFailure f = CommandFailure.usage("--ca", new NoSuchFileException("ca.crt"));
        assertEquals("--ca: ca.crt: no such file or directory (check the path)", f.getMessage());
        assertEquals(2, f.exitCode());
        assertEquals(1, CommandFailure.failed("x").exitCode());
    }
}
