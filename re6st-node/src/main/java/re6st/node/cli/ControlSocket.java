package re6st.node.cli;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.Writer;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.Channels;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

import picocli.CommandLine.Option;
import re6st.cli.CommandFailure;

/**
 * The control socket of the node on this host, {@code RUN/babeld.sock}, as a command reaches it:
 * the {@code -r} option ({@code @Mixin} of {@code re6st status} and {@code re6st bench failover})
 * and one question at a time.
 */
final class ControlSocket {
    /** How long the node may take to answer. */
    static final int TIMEOUT_MS = 10_000;

    @Option(names = {"-r", "--run"}, paramLabel = "DIR", defaultValue = "/var/run/re6stnet",
            description = "The node's runtime directory, as given to re6st node -r (default: ${DEFAULT-VALUE}).")
    Path run;

    Path path() {
        return run.resolve("babeld.sock");
    }

    /** Sends {@code command} and returns the node's answer (the lines before "ok"). */
    String ask(String command) throws IOException {
        return ask(path(), command);
    }

    /** Sends {@code command} to the control socket at {@code socket} and returns its answer (the lines before "ok"). */
    static String ask(Path socket, String command) throws IOException {
        if (!Files.exists(socket))
            throw CommandFailure.failed("no node control socket at " + socket + ": is re6st node running, with -r " + socket.getParent() + "?");
        try (SocketChannel c = SocketChannel.open(StandardProtocolFamily.UNIX)) {
            try {
                c.connect(UnixDomainSocketAddress.of(socket));
            } catch (IOException e) {
                throw CommandFailure.failed("cannot connect to " + socket + " (" + e.getMessage() + "): is the node running, and are you its user?");
            }
            Thread watchdog = new Thread(() -> {
                try {
                    Thread.sleep(TIMEOUT_MS);
                    c.close();
                } catch (InterruptedException | IOException e) {
                    // answered in time, or closed
                }
            }, "control-timeout");
            watchdog.setDaemon(true);
            watchdog.start();
            try {
                BufferedReader in = new BufferedReader(Channels.newReader(c, StandardCharsets.UTF_8));
                Writer out = Channels.newWriter(c, StandardCharsets.UTF_8);
                readUntilOk(in, socket, null); // the banner: BABEL 1.0, version, host, my-id, ok
                out.write(command + "\nquit\n");
                out.flush();
                return readUntilOk(in, socket, command.split(" ")[0]);
            } catch (java.nio.channels.AsynchronousCloseException e) {
                throw CommandFailure.failed("the node did not answer within " + TIMEOUT_MS / 1000 + " s on " + socket);
            } finally {
                watchdog.interrupt();
            }
        }
    }

    private static String readUntilOk(BufferedReader in, Path socket, String command) throws IOException {
        StringBuilder b = new StringBuilder();
        for (int lines = 0; lines < 100_000; lines++) {
            String l = in.readLine();
            if (l == null)
                throw CommandFailure.failed("the node closed " + socket + " before answering");
            switch (l) {
                case "ok":
                    return b.toString();
                case "no":
                    throw CommandFailure.failed("the node could not answer (see its log)");
                case "bad":
                    throw CommandFailure.failed("the program at " + socket + " does not know '" + command
                            + "': a babeld, or a re6st node older than this command?");
                default:
                    if (l.startsWith("no ")) // the node's reason (bad input: nothing changed)
                        throw CommandFailure.failed(l.substring(3));
                    b.append(b.length() > 0 ? "\n" : "").append(l);
            }
        }
        throw CommandFailure.failed("endless answer on " + socket);
    }
}
