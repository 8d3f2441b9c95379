package io.github.peft4j.core.targeting;

import java.util.HashMap;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * Compiles a Python {@code re} pattern into an equivalent {@link Pattern}. Configs are written for
 * Python, so the few spellings where the two dialects disagree are rewritten rather than rejected.
 *
 * <pre>{@code
 * Pattern p = PyRegex.compile("(?P<proj>q|v)_proj");   // becomes "(q|v)_proj"
 * boolean hit = p.matcher("q_proj").matches();         // Python re.fullmatch
 * }</pre>
 *
 * <p>Flags: {@code UNIX_LINES} because in Python only {@code \n} ends a line for {@code .} and
 * {@code $}; {@code UNICODE_CHARACTER_CLASS} because Python 3 {@code \d}, {@code \w}, {@code \s}
 * are Unicode-aware on str patterns. Rewrites: named groups {@code (?P<n>...)} and back-references
 * {@code (?P=n)} become numbered ones (Java forbids {@code _} in group names); {@code (?#...)}
 * comments are dropped; {@code \Z} becomes {@code \z}; inside a character class {@code [} and
 * {@code &&} are literal in Python but special in Java; an opening brace that does not start a valid
 * quantifier is a literal in Python, and {@code {,n}} means {@code {0,n}}.
 */
final class PyRegex {

    static final int FLAGS = Pattern.UNIX_LINES | Pattern.UNICODE_CHARACTER_CLASS;

    private PyRegex() {
    }

    /**
     * @throws IllegalArgumentException if the pattern is invalid (a
     *     {@link java.util.regex.PatternSyntaxException} when Java rejects the rewritten form)
     */
    static Pattern compile(String pythonRegex) {
        return Pattern.compile(translate(pythonRegex), FLAGS);
    }

    static String translate(String s) {
        StringBuilder out = new StringBuilder(s.length() + 8);
        Map<String, Integer> groupNumbers = new HashMap<>();
        int groups = 0;
        boolean inClass = false;
        int classBodyStart = -1;
        int n = s.length();
        int i = 0;
        while (i < n) {
            char c = s.charAt(i);
            if (c == '\\') {
                if (i + 1 >= n) {
                    throw new IllegalArgumentException("bad escape (end of pattern) in regex '" + s + "'");
                }
                char d = s.charAt(i + 1);
                out.append(c).append(!inClass && d == 'Z' ? 'z' : d);
                i += 2;
                continue;
            }
            if (inClass) {
                if (c == ']' && i != classBodyStart) {
                    inClass = false;
                    out.append(']');
                } else if (c == ']' || c == '[') {
                    out.append('\\').append(c);
                } else if (c == '&' && i + 1 < n && s.charAt(i + 1) == '&') {
                    out.append("&\\&");
                    i++;
                } else {
                    out.append(c);
                }
                i++;
                continue;
            }
            switch (c) {
                case '[' -> {
                    inClass = true;
                    out.append('[');
                    i++;
                    if (i < n && s.charAt(i) == '^') {
                        out.append('^');
                        i++;
                    }
                    classBodyStart = i;
                }
                case '(' -> {
                    if (s.startsWith("(?P<", i)) {
                        int end = s.indexOf('>', i + 4);
                        if (end < 0) {
                            throw new IllegalArgumentException("missing >, unterminated name in regex '" + s + "'");
                        }
                        groups++;
                        groupNumbers.put(s.substring(i + 4, end), groups);
                        out.append('(');
                        i = end + 1;
                    } else if (s.startsWith("(?P=", i)) {
                        int end = s.indexOf(')', i + 4);
                        Integer number = end < 0 ? null : groupNumbers.get(s.substring(i + 4, end));
                        if (number == null) {
                            throw new IllegalArgumentException("unknown group name in regex '" + s + "'");
                        }
                        // Wrapped so that digits following the reference do not extend the group number.
                        out.append("(?:\\").append(number).append(')');
                        i = end + 1;
                    } else if (s.startsWith("(?#", i)) {
                        int end = s.indexOf(')', i + 3);
                        if (end < 0) {
                            throw new IllegalArgumentException("missing ), unterminated comment in regex '" + s + "'");
                        }
                        i = end + 1;
                    } else {
                        if (i + 1 >= n || s.charAt(i + 1) != '?') {
                            groups++;
                        }
                        out.append('(');
                        i++;
                    }
                }
                case '{' -> i = quantifier(s, i, out);
                case '}' -> {
                    out.append("\\}");
                    i++;
                }
                default -> {
                    out.append(c);
                    i++;
                }
            }
        }
        // An unclosed class is left for Pattern.compile to reject, as Python's re does.
        return out.toString();
    }

    /** Python's sre_parse rule: {@code {lo,hi}} with both bounds optional, otherwise a literal brace. */
    private static int quantifier(String s, int open, StringBuilder out) {
        int n = s.length();
        int j = open + 1;
        int loStart = j;
        while (j < n && Character.isDigit(s.charAt(j)) && s.charAt(j) < 128) {
            j++;
        }
        String lo = s.substring(loStart, j);
        String hi = null;
        if (j < n && s.charAt(j) == ',') {
            j++;
            int hiStart = j;
            while (j < n && Character.isDigit(s.charAt(j)) && s.charAt(j) < 128) {
                j++;
            }
            hi = s.substring(hiStart, j);
        }
        boolean valid = j < n && s.charAt(j) == '}' && !(lo.isEmpty() && hi == null);
        if (!valid) {
            out.append("\\{");
            return open + 1;
        }
        out.append('{').append(lo.isEmpty() ? "0" : lo);
        if (hi != null) {
            out.append(',').append(hi);
        }
        out.append('}');
        return j + 1;
    }
}
