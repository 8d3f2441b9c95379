package io.github.peft4j.core.targeting;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonValue;
import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * The value of a {@code target_modules} or {@code exclude_modules} field, in one of PEFT's three
 * forms: a regex (a JSON string, matched with Python {@code re.fullmatch}), a list of module names
 * (a JSON array; an entry matches a module path equal to it or ending in {@code "." + entry}), or
 * {@code "all-linear"} (every linear layer but the output head, decided by {@link TargetMatcher}).
 *
 * <pre>{@code
 * TargetModules.names("q_proj", "v_proj").matches("model.layers.0.self_attn.q_proj"); // true
 * TargetModules.names("proj").matches("model.layers.0.self_attn.q_proj");             // false
 * TargetModules.regex(".*\\.(q|v)_proj").matches("model.layers.0.self_attn.v_proj");  // true
 * TargetModules t = new ObjectMapper().readValue("\"ALL-LINEAR\"", TargetModules.class);
 * t.isAllLinear();                                                                     // true
 * }</pre>
 *
 * <p>Immutable and thread-safe. List order is kept as given (PEFT stores a set and writes it back
 * as a list, so order never changes what matches), and equality is by form and value.
 */
public final class TargetModules {

    /** The shorthand, compared ignoring case as PEFT's {@code INCLUDE_LINEAR_LAYERS_SHORTHAND}. */
    public static final String ALL_LINEAR = "all-linear";

    private static final TargetModules ALL_LINEAR_INSTANCE = new TargetModules(Form.ALL_LINEAR, null, null);

    private enum Form { REGEX, NAMES, ALL_LINEAR }

    private final Form form;
    private final String regex;
    private final List<String> names;
    private final Pattern pattern;
    private final Set<String> nameSet;

    private TargetModules(Form form, String regex, List<String> names) {
        this.form = form;
        this.regex = regex;
        this.names = names;
        this.pattern = form == Form.REGEX ? PyRegex.compile(regex) : null;
        this.nameSet = names == null ? null : new HashSet<>(names);
    }

    /**
     * A regex that must match the whole module path ({@code re.fullmatch}). Python syntax is accepted
     * (see {@link PyRegex}). The string {@code "all-linear"} in any case is never a regex in PEFT's
     * {@code target_modules}, so it yields {@link #allLinear()} and a JSON round trip is lossless.
     *
     * @throws IllegalArgumentException if the regex does not compile
     */
    public static TargetModules regex(String regex) {
        Objects.requireNonNull(regex, "regex");
        if (isAllLinearShorthand(regex)) {
            return ALL_LINEAR_INSTANCE;
        }
        try {
            return new TargetModules(Form.REGEX, regex, null);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("not a valid regular expression: '" + regex + "': " + e.getMessage(), e);
        }
    }

    /**
     * Module names or name suffixes, matched segment-wise; may be empty (PEFT allows {@code []} when
     * {@code target_parameters} does the targeting).
     */
    public static TargetModules names(List<String> names) {
        Objects.requireNonNull(names, "names");
        List<String> copy = new ArrayList<>(names.size());
        for (String name : names) {
            copy.add(Objects.requireNonNull(name, "target module names must not contain null"));
        }
        return new TargetModules(Form.NAMES, null, Collections.unmodifiableList(copy));
    }

    /** Varargs form of {@link #names(List)}. */
    public static TargetModules names(String... names) {
        return names(Arrays.asList(names));
    }

    /** Every linear layer except the output head; see {@link ModuleKind}. */
    public static TargetModules allLinear() {
        return ALL_LINEAR_INSTANCE;
    }

    /** A JSON string value: {@code "all-linear"} in any case, otherwise a regex. */
    public static TargetModules fromString(String value) {
        return regex(value);
    }

    /**
     * Jackson entry point: a string becomes {@link #fromString(String)}, an array of strings becomes
     * {@link #names(List)}. JSON {@code null} never reaches here: Jackson leaves the field null.
     */
    @JsonCreator(mode = JsonCreator.Mode.DELEGATING)
    public static TargetModules fromJson(JsonNode node) {
        if (node != null && node.isTextual()) {
            return fromString(node.textValue());
        }
        if (node != null && node.isArray()) {
            List<String> list = new ArrayList<>(node.size());
            for (JsonNode element : node) {
                if (!element.isTextual()) {
                    throw new IllegalArgumentException(
                            "target module list entries must be strings, got " + element.getNodeType() + ": " + node);
                }
                list.add(element.textValue());
            }
            return names(list);
        }
        throw new IllegalArgumentException(
                "target modules must be a string (regex or 'all-linear') or a list of strings, got: " + node);
    }

    /** The JSON form: the regex or {@code "all-linear"} as a string, names as an array. */
    @JsonValue
    public Object toJson() {
        return switch (form) {
            case REGEX -> regex;
            case NAMES -> names;
            case ALL_LINEAR -> ALL_LINEAR;
        };
    }

    /** True for the regex form. */
    public boolean isRegex() {
        return form == Form.REGEX;
    }

    /** True for the list-of-names form. */
    public boolean isNames() {
        return form == Form.NAMES;
    }

    /** True for {@code "all-linear"}. */
    public boolean isAllLinear() {
        return form == Form.ALL_LINEAR;
    }

    /**
     * The names, unmodifiable, in the order given.
     *
     * @throws IllegalStateException unless {@link #isNames()}
     */
    public List<String> names() {
        if (form != Form.NAMES) {
            throw new IllegalStateException("target modules " + this + " are not a list of names");
        }
        return names;
    }

    /**
     * The regex as written (Python syntax).
     *
     * @throws IllegalStateException unless {@link #isRegex()}
     */
    public String regex() {
        if (form != Form.REGEX) {
            throw new IllegalStateException("target modules " + this + " are not a regex");
        }
        return regex;
    }

    /**
     * Whether PEFT treats this value as set. Python tests {@code if config.exclude_modules:}, so an
     * empty string or list means "no exclusion".
     */
    boolean isEmpty() {
        return switch (form) {
            case REGEX -> regex.isEmpty();
            case NAMES -> names.isEmpty();
            case ALL_LINEAR -> false;
        };
    }

    /** Exact membership only: PEFT skips the layers_to_transform filter for such entries. */
    boolean containsExactly(String modulePath) {
        return form == Form.NAMES && nameSet.contains(modulePath);
    }

    /**
     * The regex or name rule for one module path: {@code re.fullmatch(regex, path)}, or
     * {@code path in names or any(path.endswith("." + n) for n in names)}.
     *
     * @throws IllegalStateException for all-linear, which needs module kinds: use {@link TargetMatcher}
     */
    public boolean matches(String modulePath) {
        Objects.requireNonNull(modulePath, "modulePath");
        return switch (form) {
            case REGEX -> pattern.matcher(modulePath).matches();
            case NAMES -> nameSet.contains(modulePath) || endsWithName(modulePath);
            case ALL_LINEAR -> throw new IllegalStateException(
                    "'all-linear' depends on the module kind; match it with TargetMatcher.matches(path, kind)");
        };
    }

    /**
     * {@code path.endsWith("." + n)} holds exactly when n is the text after one of the dots of the
     * path, so look those up instead of scanning every name (lists from all-linear runs are long).
     */
    private boolean endsWithName(String modulePath) {
        for (int dot = modulePath.indexOf('.'); dot >= 0; dot = modulePath.indexOf('.', dot + 1)) {
            if (nameSet.contains(modulePath.substring(dot + 1))) {
                return true;
            }
        }
        return false;
    }

    static boolean isAllLinearShorthand(String value) {
        return ALL_LINEAR.equals(value.toLowerCase(Locale.ROOT));
    }

    @Override
    public boolean equals(Object o) {
        if (this == o) {
            return true;
        }
        if (!(o instanceof TargetModules other)) {
            return false;
        }
        return form == other.form && Objects.equals(regex, other.regex) && Objects.equals(names, other.names);
    }

    @Override
    public int hashCode() {
        return Objects.hash(form, regex, names);
    }

    /** JSON-like: {@code "regex"}, {@code ["q_proj", "v_proj"]} or {@code "all-linear"}. */
    @Override
    public String toString() {
        return switch (form) {
            case REGEX -> quote(regex);
            case ALL_LINEAR -> quote(ALL_LINEAR);
            case NAMES -> {
                StringBuilder sb = new StringBuilder("[");
                for (int i = 0; i < names.size(); i++) {
                    sb.append(i == 0 ? "" : ", ").append(quote(names.get(i)));
                }
                yield sb.append(']').toString();
            }
        };
    }

    private static String quote(String s) {
        return '"' + s.replace("\\", "\\\\").replace("\"", "\\\"") + '"';
    }
}
