package re6st.cli;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.function.Predicate;

/**
 * {@code @FILE} arguments in the original re6st tools' format (its {@code utils.ArgParser}), as in
 * the {@code re6stnet.conf} that {@code re6st conf} writes: each line is one option, {@code key value...}
 * meaning {@code --key value...} ({@code -key} when there is no {@code --key}: {@code v 3} is
 * {@code -v 3}), a lone {@code key} a switch; the values are split like a POSIX shell
 * (quotes, backslashes). Blank lines and lines whose first non-blank character is {@code #} are
 * skipped; a line {@code @OTHER} reads another file. We also drop a trailing comment (a word
 * starting with an unquoted {@code #}), which the original would pass on as arguments.
 *
 * <p>Relative paths, of the files and in them, are relative to the current directory, as for the
 * original (its systemd unit starts re6stnet in {@code /etc/re6stnet}).
 */
public final class OptionFiles {
    /** How deep {@code @FILE} lines may nest; deeper is surely a loop. */
    public static final int MAX_DEPTH = 16;

    private OptionFiles() {}

    /**
     * {@code args} with every {@code @FILE} replaced by the options it holds (recursively).
     * {@code isOption} says whether a name such as {@code --verbose} or {@code -v} is an option of
     * the command.
     *
     * @throws CommandFailure (usage) for a file that cannot be read, a line that cannot be split, a loop
     */
    public static List<String> expand(List<String> args, Predicate<String> isOption) {
        List<String> out = new ArrayList<>();
        expand(args, isOption, out, new ArrayDeque<>());
        return out;
    }

    private static void expand(List<String> args, Predicate<String> isOption, List<String> out, Deque<Path> reading) {
        for (String arg : args) {
            if (!arg.startsWith("@")) {
                out.add(arg);
                continue;
            }
            Path file = Path.of(arg.substring(1)).toAbsolutePath().normalize();
            if (reading.contains(file) || reading.size() >= MAX_DEPTH)
                throw CommandFailure.usage("options file " + arg + " reads itself again (" + reading.peek() + " includes it)");
            List<String> lines;
            try {
                lines = Files.readAllLines(file, StandardCharsets.UTF_8);
            } catch (IOException e) {
                throw CommandFailure.usage("options file " + arg, e);
            }
            reading.push(file);
            for (int n = 0; n < lines.size(); n++) {
                try {
                    expand(lineToArgs(lines.get(n), isOption), isOption, out, reading);
                } catch (IllegalArgumentException e) {
                    throw CommandFailure.usage(file + ":" + (n + 1) + ": " + e.getMessage());
                }
            }
            reading.pop();
        }
    }

    /** The arguments one line stands for (none for a blank or comment line). */
    static List<String> lineToArgs(String line, Predicate<String> isOption) {
        String text = line.strip();
        if (text.isEmpty() || text.startsWith("#"))
            return List.of();
        if (text.startsWith("@"))
            return List.of(text);
        List<String> words = split(text);
        if (words.isEmpty())
            return List.of();
        String key = words.get(0);
        // As the original: "-key" whenever "--key" is not an option, so "O--verb" is "-O--verb" (-O with the value --verb).
        String name = isOption.test("--" + key) ? "--" + key : "-" + key;
        List<String> out = new ArrayList<>(words.size());
        out.add(name);
        out.addAll(words.subList(1, words.size()));
        return out;
    }

    /**
     * Words as a POSIX shell (Python's shlex.split) makes them: blanks separate, '...' is literal,
     * "..." keeps blanks and lets a backslash escape {@code "} and {@code \}, a backslash outside
     * quotes escapes any character; an unquoted {@code #} starting a word starts a comment.
     *
     * @throws IllegalArgumentException for an unclosed quote or a trailing backslash
     */
    static List<String> split(String text) {
        List<String> words = new ArrayList<>();
        StringBuilder word = null;
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            if (Character.isWhitespace(c)) {
                if (word != null)
                    words.add(word.toString());
                word = null;
                continue;
            }
            if (word == null) {
                if (c == '#')
                    break;
                word = new StringBuilder();
            }
            if (c == '\\') {
                if (++i == text.length())
                    throw new IllegalArgumentException("a backslash ends the line");
                word.append(text.charAt(i));
            } else if (c == '\'' || c == '"') {
                int close = i + 1;
                for (; close < text.length() && text.charAt(close) != c; close++) {
                    char q = text.charAt(close);
                    if (c == '"' && q == '\\' && close + 1 < text.length() && "\"\\".indexOf(text.charAt(close + 1)) >= 0)
                        q = text.charAt(++close);
                    word.append(q);
                }
                if (close == text.length())
                    throw new IllegalArgumentException("no closing quotation (" + c + ")");
                i = close;
            } else {
                word.append(c);
            }
        }
        if (word != null)
            words.add(word.toString());
        return words;
    }
}
