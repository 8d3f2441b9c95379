package io.github.peft4j.serve;

import io.github.peft4j.core.PeftException;
import io.github.peft4j.core.fingerprint.AdapterFingerprint;
import io.github.peft4j.core.fingerprint.BaseModelFingerprint;
import io.github.peft4j.core.io.AdapterDirectory;
import io.github.peft4j.registry.AdapterRegistry;
import io.github.peft4j.registry.AdapterVersion;
import io.github.peft4j.serve.engine.Target;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * Turns the {@code model} field of a request into the exact version to serve: the base model's
 * name; an A/B split (a weighted choice among references); an adapter loaded at run time
 * ({@code /v1/load_lora_adapter}); a directory {@code <root>/<name>} under a configured root; or a
 * registry reference ({@code name}, {@code name:N}, {@code name@alias}), exported once into the
 * registry cache. Adapter directories are only ever read under the configured roots (after
 * resolving symbolic links), and prompt-learning adapters are refused: their virtual tokens change
 * the sequence itself and cannot be routed per row.
 *
 * <pre>{@code
 * ModelResolver resolver = new ModelResolver(config, BaseModelFingerprint.of(baseDir).value());
 * ModelResolver.Resolved r = resolver.resolve("support@production");
 * r.target().version();   // "support:2"
 * }</pre>
 */
public final class ModelResolver {

    /** Prompt methods: their virtual tokens or prefixes cannot be routed per batch row. */
    static final Set<String> PROMPT_METHODS = Set.of("PREFIX_TUNING", "PROMPT_TUNING", "P_TUNING",
            "MULTITASK_PROMPT_TUNING", "ADAPTION_PROMPT", "CPT");

    private static final Pattern DIR_NAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9_.-]{0,127}");

    private final ServeConfig config;
    private final String baseFingerprint;
    private final Map<String, Path> loaded = new ConcurrentHashMap<>();
    private final Map<String, Known> known = new ConcurrentHashMap<>();
    private final Random splitRandom;

    /**
     * A resolution.
     *
     * @param target what serves the request
     * @param ref the reference chosen (after an A/B split), whose previous version a new one retires
     */
    public record Resolved(Target target, String ref) {}

    /** What a directory held when it was last hashed, so that an unchanged one is not hashed again. */
    private record Known(long configModified, long weightsModified, long weightsSize, String fingerprint, String peftType) {}

    /**
     * @param config the server's configuration
     * @param baseFingerprint the base model's fingerprint (registry versions trained on another base are refused)
     */
    public ModelResolver(ServeConfig config, String baseFingerprint) {
        this.config = config;
        this.baseFingerprint = baseFingerprint;
        this.splitRandom = new Random(config.splitSeed());
    }

    /**
     * @param model the {@code model} field
     * @return what serves it
     * @throws ApiException 404 for an unknown model, 400 for a prompt-learning adapter
     */
    public Resolved resolve(String model) {
        if (model == null || model.isBlank()) {
            throw ApiException.badRequest("the request names no model; send \"model\": \"" + config.servedModelName()
                    + "\" or an adapter", "model_required");
        }
        if (model.equals(config.servedModelName())) {
            return new Resolved(Target.base(model, baseFingerprint), model);
        }
        Map<String, Integer> split = config.splits().get(model);
        if (split != null) {
            return resolveSingle(choose(split));
        }
        return resolveSingle(model);
    }

    private Resolved resolveSingle(String ref) {
        Path runtime = loaded.get(ref);
        if (runtime != null) {
            return new Resolved(directoryTarget(ref, runtime), loadedRef(ref));
        }
        if (!ref.contains(":") && !ref.contains("@") && DIR_NAME.matcher(ref).matches()) {
            for (Path root : config.adapterRoots()) {
                Path dir = root.resolve(ref);
                if (Files.isRegularFile(dir.resolve("adapter_config.json"))) {
                    return new Resolved(directoryTarget(ref, underRoots(dir)), "dir:" + ref);
                }
            }
        }
        if (config.registry() != null) {
            return new Resolved(registryTarget(ref), ref);
        }
        throw notFound(ref);
    }

    /**
     * {@code /v1/load_lora_adapter}: serves {@code dir} as {@code name} from now on (a reload when
     * the name is taken: requests in flight finish on the version they started with).
     *
     * @param name the adapter's name
     * @param dir its directory, under a configured root
     * @return the version now served under that name
     */
    public Target load(String name, Path dir) {
        if (name == null || !DIR_NAME.matcher(name).matches()) {
            throw ApiException.badRequest("lora_name '" + name + "' is not allowed: use letters, digits, '_', '.', '-'",
                    "invalid_lora_name");
        }
        Path real = underRoots(dir);
        Target t = directoryTarget(name, real);
        loaded.put(name, real);
        return t;
    }

    /**
     * @param name an adapter loaded at run time
     * @return whether it was loaded
     */
    public boolean unload(String name) {
        return loaded.remove(name) != null;
    }

    /**
     * @param name an adapter loaded at run time
     * @return the reference it resolves from (the cache retires its versions under this key)
     */
    public static String loadedRef(String name) {
        return "loaded:" + name;
    }

    /** @return every model name a client may send: the base, splits, loaded and root adapters, registry names */
    public List<String> modelNames() {
        Set<String> names = new TreeSet<>(loaded.keySet());
        names.addAll(config.splits().keySet());
        for (Path root : config.adapterRoots()) {
            try (Stream<Path> dirs = Files.list(root)) {
                dirs.filter(d -> Files.isRegularFile(d.resolve("adapter_config.json")))
                        .map(d -> d.getFileName().toString()).filter(n -> DIR_NAME.matcher(n).matches()).forEach(names::add);
            } catch (IOException e) {
                // a root that cannot be listed lists nothing
            }
        }
        if (config.registry() != null) {
            for (AdapterVersion v : config.registry().list()) {
                names.add(v.name());
                config.registry().aliases(v.name()).keySet().forEach(a -> names.add(v.name() + "@" + a));
            }
        }
        List<String> out = new ArrayList<>();
        out.add(config.servedModelName());
        out.addAll(names);
        return out;
    }

    /**
     * @param requested a model name
     * @return the adapter name a tenant needs permission for ({@code support} for {@code support@canary})
     */
    public static String adapterName(String requested) {
        int cut = requested.length();
        for (char c : new char[] {':', '@'}) {
            int at = requested.indexOf(c);
            if (at >= 0) {
                cut = Math.min(cut, at);
            }
        }
        return requested.substring(0, cut);
    }

    private String choose(Map<String, Integer> weights) {
        int total = weights.values().stream().mapToInt(Integer::intValue).sum();
        int pick;
        synchronized (splitRandom) {
            pick = splitRandom.nextInt(total);
        }
        for (Map.Entry<String, Integer> e : weights.entrySet()) {
            pick -= e.getValue();
            if (pick < 0) {
                return e.getKey();
            }
        }
        throw new IllegalStateException("unreachable: weights " + weights);
    }

    private Target directoryTarget(String name, Path dir) {
        Known k = describe(dir);
        refusePromptMethod(name, k.peftType());
        return Target.adapter(name, "dir:" + name + "@" + k.fingerprint().substring(0, 12), k.fingerprint(), dir);
    }

    private Known describe(Path dir) {
        try {
            Path cfg = dir.resolve("adapter_config.json");
            Path weights = dir.resolve(AdapterDirectory.WEIGHTS_FILE);
            long cm = Files.getLastModifiedTime(cfg).toMillis();
            long wm = Files.getLastModifiedTime(weights).toMillis();
            long ws = Files.size(weights);
            Known k = known.get(dir.toString());
            if (k == null || k.configModified() != cm || k.weightsModified() != wm || k.weightsSize() != ws) {
                String type = AdapterDirectory.read(dir).config().peftType();
                k = new Known(cm, wm, ws, AdapterFingerprint.of(dir).value(), type);
                known.put(dir.toString(), k);
            }
            return k;
        } catch (IOException e) {
            throw ApiException.badRequest("adapter directory " + dir + " cannot be read: " + e.getMessage(),
                    "adapter_unreadable");
        } catch (PeftException e) {
            throw ApiException.badRequest("adapter directory " + dir + " is not an adapter: " + e.getMessage(),
                    "adapter_unreadable");
        }
    }

    private Target registryTarget(String ref) {
        AdapterRegistry registry = config.registry();
        AdapterVersion v;
        try {
            v = registry.resolve(ref);
        } catch (PeftException e) {
            throw notFound(ref);
        }
        refusePromptMethod(v.ref(), v.peftType());
        Path dir = config.registryCache().resolve(v.fingerprint());
        synchronized (this) {
            if (!Files.isRegularFile(dir.resolve(AdapterDirectory.WEIGHTS_FILE))) {
                Path tmp = config.registryCache().resolve(".fetch-" + v.fingerprint());
                try {
                    registry.fetch(v.ref(), tmp, new BaseModelFingerprint(baseFingerprint));
                    Files.move(tmp, dir, StandardCopyOption.ATOMIC_MOVE);
                } catch (PeftException e) {
                    throw ApiException.badRequest("cannot serve " + v.ref() + ": " + e.getMessage(), "adapter_incompatible");
                } catch (IOException e) {
                    throw new UncheckedIOException("cannot move " + tmp + " to " + dir, e);
                }
            }
        }
        return Target.adapter(v.name(), v.ref(), v.fingerprint(), dir);
    }

    private Path underRoots(Path dir) {
        if (config.adapterRoots().isEmpty()) {
            throw ApiException.forbidden("adapter directories are disabled: the server has no adapter roots");
        }
        Path real;
        try {
            real = dir.toRealPath();
        } catch (IOException e) {
            throw ApiException.badRequest("adapter directory " + dir + " does not exist", "adapter_not_found");
        }
        for (Path root : config.adapterRoots()) {
            try {
                if (real.startsWith(root.toRealPath()) && !real.equals(root.toRealPath())) {
                    return real;
                }
            } catch (IOException e) {
                // a missing root holds nothing
            }
        }
        throw ApiException.forbidden("adapter directory " + dir + " is outside the configured adapter roots "
                + config.adapterRoots());
    }

    private static void refusePromptMethod(String name, String peftType) {
        if (PROMPT_METHODS.contains(peftType)) {
            throw ApiException.badRequest("adapter " + name + " is " + peftType + ", a prompt-learning method: its"
                    + " virtual tokens change each sequence and cannot be routed per batch row; peft-serve serves layer"
                    + " adapters (LoRA, IA3, bottleneck, BitFit, LN-tuning). Run it with `peft4j generate --adapter`.",
                    "prompt_method_not_servable");
        }
    }

    private static ApiException notFound(String model) {
        return ApiException.notFound("The model `" + model + "` does not exist.", "model_not_found");
    }
}
