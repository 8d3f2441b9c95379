package io.github.peft4j.core.safetensors;

/**
 * String quoting that reproduces, byte for byte, the two JSON writers whose files we must match:
 * serde_json (safetensors headers) and Python's {@code json.dumps} with its default
 * {@code ensure_ascii=True} (sharded-checkpoint index files). Jackson's escaping differs from both
 * (upper-case hex, different escape sets), hence our own. The serde form is also Python's
 * {@code json.dumps(ensure_ascii=False)}, which chat templates' {@code tojson} uses.
 *
 * <pre>{@code
 * StringBuilder sb = new StringBuilder();
 * JsonText.appendSerde(sb, "caf\u00e9\n"); // "café\n"
 * }</pre>
 */
public final class JsonText {

    private static final char[] HEX = "0123456789abcdef".toCharArray();

    private JsonText() {
    }

    /** serde_json's {@code format_escaped_str}: short escapes for \b \t \n \f \r, \\u00xx for the
     * other control characters, everything else (DEL, non-ASCII) verbatim; the same as Python's
     * {@code json.dumps(ensure_ascii=False)}.
     *
     * @param sb where the quoted string goes
     * @param s the string
     */
    public static void appendSerde(StringBuilder sb, String s) {
        append(sb, s, false);
    }

    /** Python's {@code json.dumps(ensure_ascii=True)}: anything outside printable ASCII (space to
     * '~') is escaped as \\uxxxx in lower case, non-BMP characters as surrogate pairs. */
    static void appendPython(StringBuilder sb, String s) {
        append(sb, s, true);
    }

    // The two writers differ only in whether characters above the tilde are escaped as unicode.
    private static void append(StringBuilder sb, String s, boolean asciiOnly) {
        sb.append('"');
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            switch (c) {
                case '"' -> sb.append("\\\"");
                case '\\' -> sb.append("\\\\");
                case '\b' -> sb.append("\\b");
                case '\t' -> sb.append("\\t");
                case '\n' -> sb.append("\\n");
                case '\f' -> sb.append("\\f");
                case '\r' -> sb.append("\\r");
                default -> {
                    if (c < 0x20 || (asciiOnly && c > 0x7e)) {
                        appendUnicodeEscape(sb, c);
                    } else {
                        sb.append(c);
                    }
                }
            }
        }
        sb.append('"');
    }

    private static void appendUnicodeEscape(StringBuilder sb, char c) {
        sb.append("\\u")
                .append(HEX[(c >> 12) & 0xf])
                .append(HEX[(c >> 8) & 0xf])
                .append(HEX[(c >> 4) & 0xf])
                .append(HEX[c & 0xf]);
    }

    /** @return the index of the first unpaired surrogate, or -1: such strings have no UTF-8 form */
    static int unpairedSurrogate(String s) {
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (Character.isHighSurrogate(c)) {
                if (i + 1 < s.length() && Character.isLowSurrogate(s.charAt(i + 1))) {
                    i++;
                    continue;
                }
                return i;
            }
            if (Character.isLowSurrogate(c)) {
                return i;
            }
        }
        return -1;
    }
}
