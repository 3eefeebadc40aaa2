package re6st.registry.mail;

import java.io.IOException;
import java.io.Writer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.util.Locale;

import org.apache.commons.net.smtp.AuthenticatingSMTPClient;
import org.apache.commons.net.smtp.SMTPReply;
import org.apache.commons.net.smtp.SimpleSMTPHeader;

/**
 * Sends enrolment tokens, as the original registry does: subject {@value #SUBJECT}, From = the
 * CA subject's emailAddress (if any), a one-line body with the token. The mail host is an SMTP
 * server ({@code host[:port]}, optional STARTTLS and login) through Apache Commons Net, or, when
 * it is a path (contains '/'), an mbox file the message is appended to (tests read the token
 * back from it). Never logs the token.
 */
public abstract class TokenMailer {
    public static final String SUBJECT = "[re6stnet] Token Request";
    static final String BODY = "Hello, your token to join re6st network is: %s\n";

    /** What the registry's options say: --mailhost, --smtp-user, --smtp-pwd, --smtp-starttls; {@code from} may be null. */
    public static TokenMailer of(String mailhost, String user, String password, boolean starttls, String from) {
        if (mailhost == null || mailhost.isBlank())
            throw new IllegalArgumentException("no mail host");
        return mailhost.contains("/") ? new Mbox(Path.of(mailhost), from) : new Smtp(mailhost, user, password, starttls, from);
    }

    /** Sends {@code token} to {@code email}. */
    public abstract void send(String email, String token) throws IOException;

    static String body(String token) {
        return String.format(Locale.ROOT, BODY, token);
    }

    static void checkAddress(String email) {
        if (email == null || !email.matches("[^\\s<>@,;]+@[^\\s<>@,;]+"))
            throw new IllegalArgumentException("not an e-mail address: " + email);
    }

    /** Appends to an mbox file (created if absent), under an exclusive file lock. */
    static final class Mbox extends TokenMailer {
        private static final DateTimeFormatter ASCTIME = DateTimeFormatter.ofPattern("EEE MMM ppd HH:mm:ss yyyy", Locale.ROOT);
        final Path file;
        final String from;

        Mbox(Path file, String from) {
            this.file = file;
            this.from = from;
        }

        @Override
        public void send(String email, String token) throws IOException {
            checkAddress(email);
            StringBuilder m = new StringBuilder();
            m.append("From ").append(from != null ? from : "MAILER-DAEMON").append(' ')
                    .append(ASCTIME.format(ZonedDateTime.now(ZoneOffset.UTC))).append('\n');
            m.append("Content-Type: text/plain; charset=\"us-ascii\"\nMIME-Version: 1.0\nContent-Transfer-Encoding: 7bit\n");
            m.append("Subject: ").append(SUBJECT).append('\n');
            if (from != null)
                m.append("From: ").append(from).append('\n');
            m.append("To: ").append(email).append("\n\n").append(body(token)).append('\n');
            try (FileChannel ch = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.WRITE, StandardOpenOption.APPEND);
                    FileLock lock = ch.lock()) {
                ch.write(StandardCharsets.US_ASCII.encode(m.toString()));
                ch.force(true);
            }
        }
    }

    /**
     * SMTP through Commons Net's client; STARTTLS when asked (the server's certificate must be
     * trusted and name the mail host); when a user is given, AUTH PLAIN or LOGIN, whichever the
     * server offers (PLAIN first, as Python's smtplib), credentials in UTF-8. The password is
     * sent only if the server offers AUTH, so never in the clear to a server that offers it
     * only after STARTTLS; it is never part of an exception message.
     */
    static final class Smtp extends TokenMailer {
        final String host;
        final int port;
        final String user, password, from;
        final boolean starttls;
        javax.net.ssl.TrustManager trust; // null: the JVM's default trust store (tests give their own)

        Smtp(String mailhost, String user, String password, boolean starttls, String from) {
            int i = mailhost.lastIndexOf(':');
            boolean hasPort = i > 0 && mailhost.indexOf(':') == i; // host:port (not a bare IPv6 address)
            this.host = hasPort ? mailhost.substring(0, i) : mailhost.replace("[", "").replace("]", "");
            this.port = hasPort ? Integer.parseInt(mailhost.substring(i + 1)) : 25;
            this.user = user;
            this.password = password;
            this.starttls = starttls;
            this.from = from;
        }

        @Override
        public void send(String email, String token) throws IOException {
            checkAddress(email);
            AuthenticatingSMTPClient c = new AuthenticatingSMTPClient("TLS", "UTF-8"); // RFC 4616: PLAIN credentials are UTF-8
            if (trust != null)
                c.setTrustManager(trust);
            c.setEndpointCheckingEnabled(true); // a trusted certificate for another name would get the password
            c.setDefaultTimeout(30_000);
            c.setConnectTimeout(30_000);
            try {
                c.connect(host, port);
                c.setSoTimeout(30_000);
                expect(c, SMTPReply.isPositiveCompletion(c.getReplyCode()), "greeting");
                expect(c, c.elogin("re6st-registry"), "EHLO");
                if (starttls) {
                    try {
                        expect(c, c.execTLS(), "STARTTLS");
                    } catch (javax.net.ssl.SSLException e) {
                        throw new IOException("SMTP STARTTLS with " + host + " failed: " + e.getMessage(), e);
                    }
                    expect(c, c.elogin("re6st-registry"), "EHLO after STARTTLS"); // RFC 3207: the session starts over
                }
                if (user != null && !user.isEmpty()) {
                    AuthenticatingSMTPClient.AUTH_METHOD method = authMethod(c.getReplyStrings());
                    try {
                        expect(c, c.auth(method, user, password == null ? "" : password), "AUTH " + method.name() + " as " + user);
                    } catch (java.security.GeneralSecurityException e) {
                        throw new IOException("SMTP AUTH: " + e.getMessage(), e);
                    }
                }
                expect(c, c.setSender(from != null ? from : "re6st-registry@localhost"), "MAIL FROM");
                expect(c, c.addRecipient(email), "RCPT TO");
                try (Writer w = c.sendMessageData()) {
                    if (w == null)
                        throw new IOException("SMTP server refused DATA: " + c.getReplyString().trim());
                    SimpleSMTPHeader h = new SimpleSMTPHeader(from != null ? from : "re6st-registry@localhost", email, SUBJECT);
                    w.write(h.toString());
                    w.write(body(token));
                }
                expect(c, c.completePendingCommand(), "end of DATA");
                c.logout();
            } finally {
                if (c.isConnected())
                    c.disconnect();
            }
        }

        /** From the (last) EHLO reply: PLAIN if offered, else LOGIN; neither is an error (the password is not sent). */
        AuthenticatingSMTPClient.AUTH_METHOD authMethod(String[] ehlo) throws IOException {
            java.util.Set<String> offered = new java.util.LinkedHashSet<>();
            for (String line : ehlo) {
                String[] w = line.length() > 4 ? line.substring(4).trim().toUpperCase(Locale.ROOT).split("[\\s=]+") : new String[0];
                if (w.length > 0 && w[0].equals("AUTH")) // "250-AUTH LOGIN PLAIN", or the old "250-AUTH=LOGIN"
                    offered.addAll(java.util.List.of(w).subList(1, w.length));
            }
            if (offered.contains("PLAIN"))
                return AuthenticatingSMTPClient.AUTH_METHOD.PLAIN;
            if (offered.contains("LOGIN"))
                return AuthenticatingSMTPClient.AUTH_METHOD.LOGIN;
            throw new IOException(offered.isEmpty()
                    ? "SMTP server " + host + " offers no AUTH" + (starttls ? "" : " without STARTTLS (--smtp-starttls?)") + "; the login was not sent"
                    : "SMTP server " + host + " offers AUTH " + String.join(" ", offered) + ", neither PLAIN nor LOGIN; the login was not sent");
        }

        private static void expect(AuthenticatingSMTPClient c, boolean ok, String step) throws IOException {
            if (!ok)
                throw new IOException("SMTP " + step + " refused: " + c.getReplyString().trim());
        }
    }
}
