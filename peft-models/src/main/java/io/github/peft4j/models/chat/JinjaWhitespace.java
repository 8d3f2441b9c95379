package io.github.peft4j.models.chat;

import java.util.ArrayList;
import java.util.List;

/**
 * Applies Jinja2's whitespace rules to a template's text before jinjava sees it, because jinjava
 * gets some of them wrong in the combinations chat templates use (a left-stripping expression after
 * a line that {@code trim_blocks} shortened, left-stripping comments). transformers renders with
 * {@code trim_blocks=True, lstrip_blocks=True}:
 * <ul>
 *   <li>a tag opened with a minus ({@code &#123;%-}) loses all whitespace before it, one closed
 *       with a minus ({@code -%&#125;}) all whitespace after it; the same for expressions and comments;</li>
 *   <li>{@code trim_blocks}: the first newline after a block tag or comment is removed;</li>
 *   <li>{@code lstrip_blocks}: spaces and tabs from the start of a line to a block tag or comment
 *       are removed (not before a tag opened with a plus);</li>
 *   <li>comments are dropped.</li>
 * </ul>
 * The result has no whitespace markers left and is rendered with both options off.
 */
final class JinjaWhitespace {

    private JinjaWhitespace() {}

    /** A piece of the template: text, or a tag with its delimiters. */
    private record Piece(String text, char kind, boolean stripBefore, boolean stripAfter, boolean noLstrip) {
        boolean isText() {
            return kind == 0;
        }

        /** Block tags and comments get trim_blocks / lstrip_blocks; expressions do not. */
        boolean isBlockLike() {
            return kind == '%' || kind == '#';
        }
    }

    static String apply(String source) {
        List<Piece> pieces = split(source);
        StringBuilder out = new StringBuilder(source.length());
        for (int i = 0; i < pieces.size(); i++) {
            Piece p = pieces.get(i);
            if (!p.isText()) {
                if (p.kind != '#') {
                    out.append(p.text);
                }
                continue;
            }
            String text = p.text;
            Piece previous = i > 0 ? pieces.get(i - 1) : null;
            Piece next = i + 1 < pieces.size() ? pieces.get(i + 1) : null;
            if (next != null && next.stripBefore) {
                text = PythonStringMethods.rstrip(text, null);
            } else if (next != null && next.isBlockLike() && !next.noLstrip) {
                text = lstripLine(text, previous == null);
            }
            if (previous != null && previous.stripAfter) {
                text = PythonStringMethods.lstrip(text, null);
            } else if (previous != null && previous.isBlockLike() && text.startsWith("\n")) {
                text = text.substring(1);
            }
            out.append(text);
        }
        return out.toString();
    }

    /** Removes spaces and tabs between the last line start of the text and the tag after it. */
    private static String lstripLine(String text, boolean atTemplateStart) {
        int end = text.length();
        int i = end;
        while (i > 0 && (text.charAt(i - 1) == ' ' || text.charAt(i - 1) == '\t')) {
            i--;
        }
        boolean lineStart = i == 0 ? atTemplateStart : text.charAt(i - 1) == '\n';
        return lineStart ? text.substring(0, i) : text;
    }

    private static List<Piece> split(String s) {
        List<Piece> pieces = new ArrayList<>();
        int textStart = 0;
        int i = 0;
        while (i < s.length() - 1) {
            char c = s.charAt(i);
            char kind = s.charAt(i + 1);
            if (c != '{' || (kind != '{' && kind != '%' && kind != '#')) {
                i++;
                continue;
            }
            int end = findEnd(s, i + 2, kind);
            if (end < 0) {
                break; // unterminated: let jinjava report it
            }
            pieces.add(new Piece(s.substring(textStart, i), (char) 0, false, false, false));
            String inner = s.substring(i + 2, end - 2);
            boolean stripBefore = inner.startsWith("-");
            boolean noLstrip = inner.startsWith("+");
            boolean stripAfter = inner.endsWith("-") && inner.length() > (stripBefore ? 1 : 0);
            if (stripBefore || noLstrip) {
                inner = inner.substring(1);
            }
            if (stripAfter) {
                inner = inner.substring(0, inner.length() - 1);
            } else if (inner.endsWith("+")) {
                inner = inner.substring(0, inner.length() - 1);
            }
            String close = kind == '{' ? "}}" : kind + "}";
            pieces.add(new Piece("{" + kind + inner + close, kind, stripBefore, stripAfter, noLstrip));
            i = end;
            textStart = end;
        }
        pieces.add(new Piece(s.substring(textStart), (char) 0, false, false, false));
        return pieces;
    }

    /** @return the index after the tag's closing delimiter, skipping quoted strings in expressions */
    private static int findEnd(String s, int from, char kind) {
        char closeFirst = kind == '{' ? '}' : kind;
        char quote = 0;
        for (int i = from; i < s.length() - 1; i++) {
            char c = s.charAt(i);
            if (quote != 0) {
                if (c == '\\') {
                    i++;
                } else if (c == quote) {
                    quote = 0;
                }
            } else if (kind != '#' && (c == '\'' || c == '"')) {
                quote = c;
            } else if (c == closeFirst && s.charAt(i + 1) == '}') {
                return i + 2;
            }
        }
        return -1;
    }
}
