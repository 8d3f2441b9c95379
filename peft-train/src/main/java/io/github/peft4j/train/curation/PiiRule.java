package io.github.peft4j.train.curation;

import java.util.Objects;
import java.util.function.ToIntFunction;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * One kind of personal data: a pattern that finds candidates and a check that accepts a candidate
 * (a checksum, a length), replaced by the typed placeholder {@code <TYPE>}.
 *
 * <pre>{@code
 * PiiRule employeeId = PiiRule.of("EMPLOYEE_ID", "\\bEMP-\\d{6}\\b");
 * employeeId.apply("ask EMP-123456", counts);   // "ask <EMPLOYEE_ID>"
 * }</pre>
 */
public final class PiiRule {

    private final String type;
    private final Pattern pattern;
    private final ToIntFunction<String> accept;

    /**
     * @param type the placeholder's type ({@code EMAIL} gives {@code <EMAIL>})
     * @param pattern finds candidates
     * @param accept for a candidate, how many of its leading characters are the personal data
     *     (its whole length to accept it as found, 0 to leave it)
     */
    public PiiRule(String type, Pattern pattern, ToIntFunction<String> accept) {
        this.type = Objects.requireNonNull(type, "type");
        this.pattern = Objects.requireNonNull(pattern, "pattern");
        this.accept = Objects.requireNonNull(accept, "accept");
    }

    /**
     * @param type the placeholder's type
     * @param regex a regular expression; every match is replaced
     * @return the rule
     */
    public static PiiRule of(String type, String regex) {
        return new PiiRule(type, Pattern.compile(regex), String::length);
    }

    /** @return the type, e.g. {@code EMAIL} */
    public String type() {
        return type;
    }

    /** @return the replacement text, e.g. {@code <EMAIL>} */
    public String placeholder() {
        return "<" + type + ">";
    }

    /**
     * @param text a text
     * @param counts receives one count per replacement under {@link #type()}
     * @return the text with every accepted match replaced by {@link #placeholder()}
     */
    public String apply(String text, CurationReport.Counter counts) {
        Matcher m = pattern.matcher(text);
        StringBuilder out = null;
        int copied = 0;
        int from = 0;
        while (from <= text.length() && m.find(from)) {
            int length = accept.applyAsInt(m.group());
            if (length <= 0) {
                // the candidate is not personal data; try again one character further on
                from = m.start() + 1;
                continue;
            }
            if (out == null) {
                out = new StringBuilder(text.length());
            }
            out.append(text, copied, m.start()).append(placeholder());
            copied = m.start() + length;
            from = copied;
            counts.add(type, 1);
        }
        if (out == null) {
            return text;
        }
        return out.append(text, copied, text.length()).toString();
    }

    @Override
    public String toString() {
        return type + " " + pattern.pattern();
    }
}
