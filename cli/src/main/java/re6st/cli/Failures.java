package re6st.cli;

import java.io.FileNotFoundException;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.BindException;
import java.net.ConnectException;
import java.net.NoRouteToHostException;
import java.net.PortUnreachableException;
import java.net.SocketTimeoutException;
import java.net.UnknownHostException;
import java.net.http.HttpConnectTimeoutException;
import java.net.http.HttpTimeoutException;
import java.nio.channels.UnresolvedAddressException;
import java.nio.file.AccessDeniedException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.FileSystemException;
import java.nio.file.NoSuchFileException;
import java.nio.file.NotDirectoryException;
import java.security.GeneralSecurityException;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;

import javax.net.ssl.SSLException;
import javax.net.ssl.SSLHandshakeException;

/**
 * Turns the failures a user can cause or fix (a file missing or unreadable, nothing listening at
 * an address, a name DNS does not know, a timeout, TLS and certificate problems, a refused
 * request) into one line that names the thing and the likely fix. Anything else (a
 * NullPointerException, an IllegalStateException...) is a bug in re6st, and {@link #isBug} says so.
 */
public final class Failures {
    private Failures() {}

    /** One line for {@code t} (never null): the explanation of a known failure, or the exception itself for a bug. */
    public static String explain(Throwable t) {
        t = unwrap(t);
        if (t instanceof CommandFailure)
            return t.getMessage();
        if (t instanceof NoSuchFileException f)
            return file(f) + ": no such file or directory (check the path)";
        if (t instanceof AccessDeniedException f)
            return file(f) + ": permission denied (" + (isRoot() ? "" : "run as root, or ") + "check the owners and modes: 'ls -ld "
                    + f.getFile() + (parent(f.getFile()) != null ? " " + parent(f.getFile()) : "") + "')";
        if (t instanceof FileAlreadyExistsException f)
            return file(f) + ": already exists";
        if (t instanceof NotDirectoryException f)
            return file(f) + ": not a directory";
        if (t instanceof FileSystemException f)
            return file(f) + ": " + (f.getReason() != null ? f.getReason() : t.getClass().getSimpleName());
        if (t instanceof FileNotFoundException)
            return t.getMessage() != null ? t.getMessage() : "file not found";
        if (t instanceof HttpConnectTimeoutException)
            return "no answer while connecting (timed out: is the address right, or does a firewall drop the packets?)";
        if (t instanceof HttpTimeoutException || t instanceof SocketTimeoutException)
            return "no answer in time (timed out" + detail(t) + ")";
        if (t instanceof BindException || message(t).contains("Address already in use")) // Netty's bind failure is a plain IOException
            return "cannot use the local address: " + message(t)
                    + (message(t).contains("in use") ? " (another process listens there: pick another port, or stop it)" : "");
        if (t instanceof ConnectException && causedBy(t, UnresolvedAddressException.class)) // the JDK HttpClient's DNS failure
            return explain(new UnresolvedAddressException());
        if (t instanceof ConnectException)
            return t.getMessage() == null || t.getMessage().toLowerCase(java.util.Locale.ROOT).contains("refused")
                    ? "connection refused (nothing listens there: is the service running, are the host and port right?)"
                    : t.getMessage();
        if (t instanceof UnknownHostException || t instanceof UnresolvedAddressException)
            return "unknown host" + (t.getMessage() != null ? " " + t.getMessage() : "")
                    + " (DNS does not know the name: check its spelling, or give an IP address)";
        if (t instanceof NoRouteToHostException)
            return "no route to host (check the address, and this machine's network and firewall)";
        if (t instanceof PortUnreachableException)
            return "port unreachable (nothing listens there)";
        if (t instanceof SSLHandshakeException)
            return "TLS handshake failed: " + message(t)
                    + " (does the server speak TLS on that port, and does its certificate name the host?)";
        if (t instanceof SSLException)
            return "TLS: " + message(t);
        if (t instanceof GeneralSecurityException || t instanceof java.sql.SQLException)
            return message(t);
        if (t instanceof IOException) {
            if (t.getMessage() != null)
                return t.getMessage();
            return t.getCause() != null ? explain(t.getCause()) : t.getClass().getSimpleName();
        }
        if (t instanceof IllegalArgumentException && t.getMessage() != null) // Java's "bad value", with its reason
            return t.getMessage();
        return t.toString();
    }

    /** True when {@code t} is not a failure the user can cause or fix: a bug, to be reported with its stack trace. */
    public static boolean isBug(Throwable t) {
        t = unwrap(t);
        if (t instanceof CommandFailure || t instanceof IOException || t instanceof GeneralSecurityException
                || t instanceof UnresolvedAddressException || t instanceof java.sql.SQLException)
            return false;
        return !(t instanceof IllegalArgumentException && t.getMessage() != null);
    }

    /** The failure inside wrappers that add nothing (ExecutionException, UncheckedIOException...). */
    static Throwable unwrap(Throwable t) {
        for (int i = 0; i < 10 && t.getCause() != null; i++) {
            if (t instanceof ExecutionException || t instanceof CompletionException || t instanceof UncheckedIOException
                    || t instanceof picocli.CommandLine.ExecutionException
                    || t instanceof java.lang.reflect.InvocationTargetException)
                t = t.getCause();
            else
                break;
        }
        return t;
    }

    private static boolean isRoot() {
        return "root".equals(System.getProperty("user.name"));
    }

    private static String parent(String file) {
        java.nio.file.Path p = file == null ? null : java.nio.file.Path.of(file).toAbsolutePath().getParent();
        return p == null ? null : p.toString();
    }

    private static boolean causedBy(Throwable t, Class<? extends Throwable> type) {
        for (int i = 0; i < 10 && t != null; i++, t = t.getCause())
            if (type.isInstance(t))
                return true;
        return false;
    }

    private static String file(FileSystemException f) {
        return f.getOtherFile() != null ? f.getFile() + " -> " + f.getOtherFile() : String.valueOf(f.getFile());
    }

    private static String message(Throwable t) {
        return t.getMessage() != null ? t.getMessage() : t.getClass().getSimpleName();
    }

    private static String detail(Throwable t) {
        return t.getMessage() != null && !t.getMessage().isBlank() ? ": " + t.getMessage() : "";
    }
}
