package io.github.peft4j.core.targeting;

import io.github.peft4j.core.PeftConfigException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.Collections;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.Set;
import java.util.function.Function;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Decides which modules an adapter wraps, with the rules and the order of checks of HF PEFT's
 * {@code check_target_module_exists}: modules matched by {@code exclude_modules} or named in
 * {@code modules_to_save} are never targeted; then {@code target_modules} (regex, names or
 * all-linear) must match; then, for suffix matches of a name list, {@code layers_to_transform} /
 * {@code layers_pattern} restrict the layer index. {@link Builder#build()} validates the combination like
 * {@code LoraConfig.__post_init__}.
 *
 * <pre>{@code
 * TargetMatcher m = TargetMatcher.builder()
 *         .targets(TargetModules.names("q_proj", "v_proj"))
 *         .exclude(TargetModules.regex(".*\\.layers\\.0\\..*"))
 *         .layersToTransform(List.of(0, 1))
 *         .layersPattern(List.of("layers"))
 *         .build();
 * m.matches("model.layers.1.self_attn.q_proj", ModuleKind.LINEAR);   // true
 * m.matches("model.layers.0.self_attn.q_proj", ModuleKind.LINEAR);   // false: excluded
 * List<String> selected = m.select(paths, kinds::get);               // throws if none
 * }</pre>
 *
 * <p>Immutable and thread-safe. The static helpers ({@link #layerIndex}, {@link #patternKey},
 * {@link #resolveInt}, {@link #resolveDouble}) reproduce PEFT's regexes for reuse elsewhere.
 */
public final class TargetMatcher {

    private static final Logger LOG = LoggerFactory.getLogger(TargetMatcher.class);

    /** How many paths and distinct names an error message lists before it truncates. */

    private static final Pattern ANY_LAYER_INDEX = PyRegex.compile(".*?\\.[^.]*\\.(\\d+)\\.");

    /** The outcome for one module, as PEFT distinguishes it when it reports a config matching nothing. */
    public enum Decision {
        /** The adapter wraps this module. */
        TARGETED,
        /** Removed by {@code exclude_modules} or protected by {@code modules_to_save}. */
        EXCLUDED,
        /** Not matched by {@code target_modules} (or outside {@code layers_to_transform}). */
        NOT_TARGETED
    }

    private final TargetModules targets;
    private final TargetModules exclude;
    private final List<Integer> layersToTransform;
    private final List<String> layersPattern;
    private final List<String> modulesToSave;
    private final List<Pattern> modulesToSavePatterns;
    private final List<Pattern> layerPatterns;
    private final Set<Integer> layerIndexSet;

    private TargetMatcher(Builder b) {
        this.targets = b.targets;
        this.exclude = b.exclude;
        this.layersToTransform = b.layersToTransform;
        this.layersPattern = b.layersPattern;
        this.modulesToSave = b.modulesToSave;
        this.modulesToSavePatterns = new ArrayList<>();
        if (modulesToSave != null) {
            for (String m : modulesToSave) {
                modulesToSavePatterns.add(compileField("modules_to_save", m, "(^|.*\\.)" + m + "($|\\..*)"));
            }
        }
        this.layerPatterns = layersPattern == null ? List.of() : compileLayerPatterns(layersPattern);
        this.layerIndexSet = layersToTransform == null ? Set.of() : Set.copyOf(layersToTransform);
    }

    /** A builder; only {@link Builder#targets} is required. */
    public static Builder builder() {
        return new Builder();
    }

    /** The {@code target_modules} value. */
    public TargetModules targets() {
        return targets;
    }

    /** The {@code exclude_modules} value, or null. */
    public TargetModules exclude() {
        return exclude;
    }

    /** The {@code layers_to_transform} indices (unmodifiable), or null. */
    public List<Integer> layersToTransform() {
        return layersToTransform;
    }

    /** The {@code layers_pattern} names (unmodifiable), or null. */
    public List<String> layersPattern() {
        return layersPattern;
    }

    /** The {@code modules_to_save} names (unmodifiable), or null. */
    public List<String> modulesToSave() {
        return modulesToSave;
    }

    /** Whether {@link #matches} and {@link #select} need a module kind: only for all-linear. */
    public boolean requiresModuleKinds() {
        return targets.isAllLinear();
    }

    /**
     * Whether the adapter wraps this module.
     *
     * @param modulePath the HF-style dotted path, e.g. {@code model.layers.0.self_attn.q_proj}
     * @param kind what the module is; may be null unless {@link #requiresModuleKinds()}
     */
    public boolean matches(String modulePath, ModuleKind kind) {
        return decide(modulePath, kind) == Decision.TARGETED;
    }

    /**
     * The full decision for one module, separating "excluded" from "not targeted" as PEFT's
     * {@code inspect_matched_modules} and its error messages do.
     */
    public Decision decide(String modulePath, ModuleKind kind) {
        Objects.requireNonNull(modulePath, "modulePath");
        if (exclude != null && !exclude.isEmpty() && exclude.matches(modulePath)) {
            return Decision.EXCLUDED;
        }
        // A module that is also trained in full by a ModulesToSaveWrapper would conflict with an adapter on it.
        for (Pattern p : modulesToSavePatterns) {
            if (p.matcher(modulePath).lookingAt()) {
                return Decision.EXCLUDED;
            }
        }
        return targetRule(modulePath, kind) ? Decision.TARGETED : Decision.NOT_TARGETED;
    }

    private boolean targetRule(String modulePath, ModuleKind kind) {
        if (targets.isAllLinear()) {
            Objects.requireNonNull(kind, () -> "target_modules='all-linear' needs the module kind of " + modulePath);
            return kind == ModuleKind.LINEAR;
        }
        if (targets.isRegex()) {
            return targets.matches(modulePath);
        }
        // PEFT quirk kept on purpose: a full path listed verbatim is taken without the layer filter.
        if (targets.containsExactly(modulePath)) {
            return true;
        }
        if (!targets.matches(modulePath)) {
            return false;
        }
        if (layersToTransform == null || layersToTransform.isEmpty()) {
            return true;
        }
        OptionalInt index = layerIndexCompiled(modulePath, layerPatterns);
        return index.isPresent() && layerIndexSet.contains(index.getAsInt());
    }

    /**
     * The modules the adapter wraps, in input order. The root module (empty path) is skipped as PEFT
     * skips it. Logs a warning when {@code exclude_modules} is set but excluded nothing, as PEFT does.
     *
     * @param modulePaths every module path of the base model, e.g. from a block-tree walk
     * @param kindOf module kind by path; only called when {@link #requiresModuleKinds()}, may be null otherwise
     * @return the selected paths, unmodifiable and never empty
     * @throws PeftConfigException if nothing is selected; the message lists the paths that exist
     */
    public List<String> select(Collection<String> modulePaths, Function<String, ModuleKind> kindOf) {
        Objects.requireNonNull(modulePaths, "modulePaths");
        if (requiresModuleKinds()) {
            Objects.requireNonNull(kindOf, "target_modules='all-linear' needs kindOf");
        }
        List<String> selected = new ArrayList<>();
        List<String> existing = new ArrayList<>(modulePaths.size());
        int excluded = 0;
        int unmatched = 0;
        for (String path : modulePaths) {
            Objects.requireNonNull(path, "module paths must not contain null");
            if (path.isEmpty()) {
                continue;
            }
            existing.add(path);
            ModuleKind kind = requiresModuleKinds() ? kindOf.apply(path) : null;
            switch (decide(path, kind)) {
                case TARGETED -> selected.add(path);
                case EXCLUDED -> excluded++;
                case NOT_TARGETED -> unmatched++;
            }
        }
        if (selected.isEmpty()) {
            throw new PeftConfigException(NoMatchMessage.of(this, existing, excluded, unmatched));
        }
        if (exclude != null && !exclude.isEmpty() && excluded == 0) {
            LOG.warn("exclude_modules={} was set but no module was excluded; check that it is spelled correctly",
                    exclude);
        }
        return Collections.unmodifiableList(selected);
    }

    /**
     * The transformer layer a module belongs to, as PEFT reads it for {@code layers_to_transform}:
     * for each pattern p in order, {@code re.match(rf".*?\.{p}\.(\d+)\.", path)}; with no pattern
     * (null or empty list), {@code re.match(r".*?\.[^.]*\.(\d+)\.", path)}. Both are lazy, so the
     * first numbered segment wins: the layer of {@code model.layers.2.mlp.experts.7.up_proj} is 2.
     * Patterns are regex fragments, as in PEFT. A path that starts with the pattern
     * ({@code layers.3.q}) has no index, because the regex wants a dot before it.
     *
     * <pre>{@code
     * TargetMatcher.layerIndex("transformer.h.3.mlp.c_proj", List.of("h"));   // OptionalInt[3]
     * TargetMatcher.layerIndex("lm_head", null);                              // empty
     * }</pre>
     *
     * @return the index, or empty when no pattern finds one (or it exceeds {@code int})
     * @throws PeftConfigException if a pattern is not a valid regex fragment
     */
    public static OptionalInt layerIndex(String modulePath, List<String> layersPattern) {
        Objects.requireNonNull(modulePath, "modulePath");
        return layerIndexCompiled(modulePath, layersPattern == null ? List.of() : compileLayerPatterns(layersPattern));
    }

    private static OptionalInt layerIndexCompiled(String modulePath, List<Pattern> patterns) {
        if (patterns.isEmpty()) {
            Matcher m = ANY_LAYER_INDEX.matcher(modulePath);
            return m.lookingAt() ? indexOf(m) : OptionalInt.empty();
        }
        for (Pattern p : patterns) {
            Matcher m = p.matcher(modulePath);
            if (m.lookingAt()) {
                return indexOf(m);
            }
        }
        return OptionalInt.empty();
    }

    private static OptionalInt indexOf(Matcher matched) {
        String digits = matched.group(1);
        if (digits == null) {
            // Only possible with a pattern containing a top-level '|' (Python would raise here).
            return OptionalInt.empty();
        }
        try {
            return OptionalInt.of(Integer.parseInt(digits));
        } catch (NumberFormatException e) {
            // Python's int is unbounded, but such an index can never be in a list of Java ints anyway.
            return OptionalInt.empty();
        }
    }

    private static List<Pattern> compileLayerPatterns(List<String> layersPattern) {
        List<Pattern> compiled = new ArrayList<>(layersPattern.size());
        for (String p : layersPattern) {
            Objects.requireNonNull(p, "layers_pattern must not contain null");
            compiled.add(compileField("layers_pattern", p, ".*?\\." + p + "\\.(\\d+)\\."));
        }
        return List.copyOf(compiled);
    }

    /**
     * PEFT's {@code get_pattern_key} for {@code rank_pattern} / {@code alpha_pattern}: the first key
     * p, in iteration order, with {@code re.match(rf"(.*\.)?({p})$", path)}. A key is therefore a
     * module name or dotted suffix, or a regex that must reach the end of the path and start at the
     * beginning of a segment. Use an insertion-ordered map (Jackson's default) to keep the file's
     * order.
     *
     * <pre>{@code
     * TargetMatcher.patternKey(List.of("v_proj", "layers\\.0\\..*"), "model.layers.0.self_attn.q_proj");
     * // Optional[layers\.0\..*]  (v_proj is not a suffix of q_proj)
     * }</pre>
     *
     * @return the matching key, or empty (PEFT then returns the path itself, which maps to no value)
     * @throws PeftConfigException if a key is not a valid regex
     */
    public static Optional<String> patternKey(Collection<String> patternKeys, String modulePath) {
        Objects.requireNonNull(modulePath, "modulePath");
        if (patternKeys == null) {
            return Optional.empty();
        }
        for (String key : patternKeys) {
            Objects.requireNonNull(key, "pattern keys must not be null");
            Pattern p = compileField("rank_pattern/alpha_pattern key", key, "(.*\\.)?(" + key + ")$");
            if (p.matcher(modulePath).lookingAt()) {
                return Optional.of(key);
            }
        }
        return Optional.empty();
    }

    /**
     * The rank (or other integer) for a module: the value of {@link #patternKey} in the map, or the
     * default when no key matches.
     *
     * <pre>{@code
     * int r = TargetMatcher.resolveInt(Map.of("v_proj", 16), "model.layers.0.self_attn.v_proj", 8); // 16
     * }</pre>
     *
     * @param pattern the {@code rank_pattern} map; null or empty means "always the default"
     * @throws PeftConfigException if the matched key maps to null or a key is not a valid regex
     */
    public static int resolveInt(Map<String, Integer> pattern, String modulePath, int defaultValue) {
        Number value = resolve(pattern, modulePath);
        return value == null ? defaultValue : value.intValue();
    }

    /**
     * Like {@link #resolveInt} for values PEFT allows to be floats, such as {@code alpha_pattern}.
     *
     * <pre>{@code
     * double alpha = TargetMatcher.resolveDouble(Map.of("q_proj", 32.0), "model.layers.0.self_attn.q_proj", 16);
     * }</pre>
     *
     * @throws PeftConfigException if the matched key maps to null or a key is not a valid regex
     */
    public static double resolveDouble(Map<String, ? extends Number> pattern, String modulePath, double defaultValue) {
        Number value = resolve(pattern, modulePath);
        return value == null ? defaultValue : value.doubleValue();
    }

    private static Number resolve(Map<String, ? extends Number> pattern, String modulePath) {
        if (pattern == null || pattern.isEmpty()) {
            return null;
        }
        Optional<String> key = patternKey(pattern.keySet(), modulePath);
        if (key.isEmpty()) {
            return null;
        }
        Number value = pattern.get(key.get());
        if (value == null) {
            throw new PeftConfigException("pattern key '" + key.get() + "' (matching module " + modulePath
                    + ") maps to null; rank_pattern/alpha_pattern values must be numbers");
        }
        return value;
    }

    private static Pattern compileField(String field, String value, String regex) {
        try {
            return PyRegex.compile(regex);
        } catch (IllegalArgumentException e) {
            throw new PeftConfigException(
                    field + " entry '" + value + "' is not a valid regular expression: " + e.getMessage(), e);
        }
    }

    @Override
    public String toString() {
        return "TargetMatcher{target_modules=" + targets + ", exclude_modules=" + exclude + ", layers_to_transform="
                + layersToTransform + ", layers_pattern=" + layersPattern + ", modules_to_save=" + modulesToSave + '}';
    }

    /**
     * Collects the matching fields of a PEFT config; {@link #build()} validates them together.
     *
     * <pre>{@code
     * TargetMatcher m = TargetMatcher.builder().targets(TargetModules.allLinear()).build();
     * }</pre>
     */
    public static final class Builder {
        private TargetModules targets;
        private TargetModules exclude;
        private List<Integer> layersToTransform;
        private List<String> layersPattern;
        private List<String> modulesToSave;

        private Builder() {
        }

        /** {@code target_modules}; required. */
        public Builder targets(TargetModules targets) {
            this.targets = targets;
            return this;
        }

        /** {@code exclude_modules}; regex or names, never all-linear. */
        public Builder exclude(TargetModules exclude) {
            this.exclude = exclude;
            return this;
        }

        /**
         * {@code layers_to_transform}; a JSON int becomes a one-element list. An empty list means all
         * layers (PEFT tests its length), null means the field is unset.
         */
        public Builder layersToTransform(List<Integer> layersToTransform) {
            this.layersToTransform = copy(layersToTransform, "layers_to_transform");
            return this;
        }

        /** Varargs form of {@link #layersToTransform(List)}. */
        public Builder layersToTransform(int... layersToTransform) {
            return layersToTransform(Arrays.stream(layersToTransform).boxed().toList());
        }

        /**
         * {@code layers_pattern}: names (regex fragments) of the layer list, e.g. {@code layers},
         * {@code h}, {@code layer}. Null or an empty list means "first numbered segment". A JSON
         * string maps to a one-element list, but the empty string to an empty list: PEFT tests the
         * length of whichever it was given, so {@code ""} means no pattern while {@code [""]} is a
         * pattern that never matches.
         */
        public Builder layersPattern(List<String> layersPattern) {
            this.layersPattern = copy(layersPattern, "layers_pattern");
            return this;
        }

        /** Varargs form of {@link #layersPattern(List)}. */
        public Builder layersPattern(String... layersPattern) {
            return layersPattern(Arrays.asList(layersPattern));
        }

        /** {@code modules_to_save}: names (regex fragments) of modules trained in full, never targeted. */
        public Builder modulesToSave(List<String> modulesToSave) {
            this.modulesToSave = copy(modulesToSave, "modules_to_save");
            return this;
        }

        /**
         * @throws PeftConfigException for the combinations {@code LoraConfig.__post_init__} rejects,
         *     for all-linear in {@code exclude_modules}, and for invalid regexes
         */
        public TargetMatcher build() {
            if (targets == null) {
                throw new PeftConfigException("target_modules must be set (a regex, 'all-linear' or a list of names)");
            }
            // In PEFT both a regex and 'all-linear' are a str, and a str forbids the layer fields.
            if (!targets.isNames() && layersToTransform != null) {
                throw new PeftConfigException("layers_to_transform cannot be used when target_modules is a str "
                        + "(regex or 'all-linear'), got target_modules=" + targets
                        + "; use a list of module names");
            }
            if (!targets.isNames() && layersPattern != null) {
                throw new PeftConfigException("layers_pattern cannot be used when target_modules is a str "
                        + "(regex or 'all-linear'), got target_modules=" + targets
                        + "; use a list of module names");
            }
            if (layersPattern != null && !layersPattern.isEmpty() && layersToTransform == null) {
                throw new PeftConfigException(
                        "when layers_pattern is specified, layers_to_transform must also be specified");
            }
            if (exclude != null && exclude.isAllLinear()) {
                throw new PeftConfigException("exclude_modules does not support 'all-linear'; "
                        + "give a regex or a list of module names");
            }
            return new TargetMatcher(this);
        }

        private static <T> List<T> copy(List<T> list, String field) {
            if (list == null) {
                return null;
            }
            for (T element : list) {
                if (element == null) {
                    throw new PeftConfigException(field + " must not contain null, got " + list);
                }
            }
            return List.copyOf(list);
        }
    }
}
