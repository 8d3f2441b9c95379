package io.github.peft4j.registry;

import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A reference to an adapter version as users write it (DESIGN.md §6): {@code name} (the latest
 * version), {@code name:N} (version N) or {@code name@alias} (what the alias points at).
 *
 * <pre>{@code
 * VersionRef.parse("support@production").alias();   // "production"
 * VersionRef.parse("support:3").number();           // 3
 * }</pre>
 *
 * @param name the adapter name
 * @param number the version number, or 0 when not given
 * @param alias the alias, or {@code null} when not given
 */
public record VersionRef(String name, int number, String alias) {

    /**
     * Adapter names: letters, digits, {@code . _ -} and {@code /} (for "team/adapter"); each
     * {@code /}-separated part starts with a letter or digit, so that a name used as a path never
     * climbs out of its directory ({@code ../x}, {@code a/../b}) or has empty parts ({@code a//b}).
     */
    static final String NAME = "[A-Za-z0-9][A-Za-z0-9._-]*(?:/[A-Za-z0-9][A-Za-z0-9._-]*)*";
    /** The longest adapter name (the width of the name columns). */
    static final int NAME_MAX = 200;
    /** Alias names: letters, digits, {@code . _ -}, starting with a letter. */
    static final String ALIAS = "[A-Za-z][A-Za-z0-9._-]{0,99}";

    private static final Pattern REF = Pattern.compile("(" + NAME + ")(?::([1-9][0-9]{0,8})|@(" + ALIAS + "))?");

    /**
     * @param text {@code name}, {@code name:N} or {@code name@alias}
     * @return the reference
     * @throws RegistryException naming the text if it has none of the three forms
     */
    public static VersionRef parse(String text) {
        Matcher m = REF.matcher(text == null ? "" : text);
        if (!m.matches() || m.group(1).length() > NAME_MAX) {
            throw new RegistryException("'" + text + "' is not a version reference; expected name, name:N or name@alias"
                    + " (names: at most " + NAME_MAX + " letters, digits, . _ - /, each part after a / starting with a letter or digit)");
        }
        return new VersionRef(m.group(1), m.group(2) == null ? 0 : Integer.parseInt(m.group(2)), m.group(3));
    }

    /**
     * @param name an adapter name
     * @throws RegistryException if it is not a valid name
     */
    static void checkName(String name) {
        if (name == null || name.length() > NAME_MAX || !name.matches(NAME)) {
            throw new RegistryException("'" + name + "' is not a valid adapter name (at most " + NAME_MAX
                    + " letters, digits, . _ - /, each part after a / starting with a letter or digit)");
        }
    }

    /**
     * @param alias an alias name
     * @throws RegistryException if it is not a valid alias
     */
    static void checkAlias(String alias) {
        if (alias == null || !alias.matches(ALIAS)) {
            throw new RegistryException("'" + alias + "' is not a valid alias (a letter, then letters, digits, . _ -)");
        }
    }

    @Override
    public String toString() {
        return alias != null ? name + "@" + alias : number > 0 ? name + ":" + number : name;
    }
}
