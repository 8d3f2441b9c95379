package io.github.peft4j.cli;

import ai.djl.ndarray.NDManager;
import io.github.peft4j.core.PeftException;
import io.github.peft4j.core.PeftModel;
import io.github.peft4j.models.PretrainedModel;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.lifecycle.AfterContainer;
import net.jqwik.api.lifecycle.BeforeContainer;

/**
 * Issue 24's standing suite: a mutated {@code adapter_config.json} of every tuner type and init
 * option ({@link TenantAdapters}) loaded onto one shared base ends in a loaded adapter or a
 * {@link PeftException} subtype within 10 s, never another exception type, and every base
 * parameter is bit-identical after every case.
 */
class TunerConfigFuzzTest {

    private static final long BOUND_NANOS = 10_000_000_000L;
    private static final Path MODEL = Path.of("../assets/base-model");
    private static final AtomicLong LOADED = new AtomicLong();
    private static final AtomicLong REFUSED = new AtomicLong();

    private static Path root;
    private static Map<String, Path> dirs;
    private static NDManager manager;
    private static PretrainedModel base;
    private static PeftModel peft;
    private static Map<String, float[]> before;

    @BeforeContainer
    static void sharedBase() throws IOException {
        root = Files.createTempDirectory("fuzz-tuners");
        dirs = TenantAdapters.saveAll(MODEL, root);
        manager = NDManager.newBaseManager();
        base = BaseModels.loadCausalLm(MODEL, manager);
        before = TenantAdapters.snapshot(base);
        peft = PeftModel.wrap(base.block());
    }

    private static final List<String> PIECES = List.of("16", "-1", "0", "\"x\"", "1e30", "null", "[]", "{}", "true",
            "\"", ",", "}", "NaN", "1e400", "-0", "9223372036854775808", "\"pissa\"", "\"olora\"", "\"LORA\"", "\"IA3\"",
            "\"PREFIX_TUNING\"", "[\"nonexistent\"]", "1024", "1000000000");

    /** A tenant's config and a mutation: a splice, a cut, or one value replaced. */
    @Provide
    Arbitrary<String[]> cases() {
        Arbitrary<String> tenant = Arbitraries.of(List.copyOf(TenantAdapters.configs().keySet()));
        Arbitrary<Integer> kind = Arbitraries.integers().between(0, 2);
        Arbitrary<Double> where = Arbitraries.doubles().between(0, 1);
        Arbitrary<String> piece = Arbitraries.of(PIECES);
        return Combinators.combine(tenant, kind, where, piece).as((t, k, w, p) -> new String[] {t, "" + k, "" + w, p});
    }

    private static String mutate(String json, int kind, double where, String piece) {
        int at = (int) (where * json.length());
        return switch (kind) {
            case 0 -> json.substring(0, at) + piece + json.substring(at);
            case 1 -> json.substring(0, at);
            default -> {
                List<String> keys = Arrays.stream(json.split("\"")).filter(s -> s.matches("[a-z_]{2,}")).toList();
                String key = keys.get(Math.min(keys.size() - 1, (int) (where * keys.size())));
                yield json.replaceFirst("\"" + key + "\"\\s*:\\s*(\"[^\"]*\"|\\[[^\\]]*\\]|[^,}\\]]+)",
                        "\"" + key + "\": " + java.util.regex.Matcher.quoteReplacement(piece));
            }
        };
    }

    @Property
    void everyTunerConfigLoadsOrIsRefusedAndTheBaseNeverChanges(@ForAll("cases") String[] c) throws IOException {
        Path source = dirs.get(c[0]);
        Path dir = Files.createTempDirectory(root, "case");
        long start = System.nanoTime();
        try {
            Files.copy(source.resolve("adapter_model.safetensors"), dir.resolve("adapter_model.safetensors"));
            String json = Files.readString(source.resolve("adapter_config.json"));
            Files.writeString(dir.resolve("adapter_config.json"),
                    mutate(json, Integer.parseInt(c[1]), Double.parseDouble(c[2]), c[3]));
            try {
                peft.loadAdapter(dir, "case", false);
                peft.deleteAdapter("case");
                LOADED.incrementAndGet();
            } catch (PeftException e) {
                REFUSED.incrementAndGet();
            }
        } finally {
            for (Path f : List.of(dir.resolve("adapter_model.safetensors"), dir.resolve("adapter_config.json"), dir)) {
                Files.deleteIfExists(f);
            }
        }
        if (System.nanoTime() - start > BOUND_NANOS) {
            throw new AssertionError("took longer than 10 s");
        }
        Map<String, float[]> after = TenantAdapters.snapshot(base);
        if (!after.keySet().equals(before.keySet())) {
            throw new AssertionError("base parameters changed: " + after.keySet().size() + " vs " + before.size());
        }
        before.forEach((id, values) -> {
            if (!Arrays.equals(values, after.get(id))) {
                throw new AssertionError("a base parameter changed after " + String.join(" ", c));
            }
        });
    }

    @AfterContainer
    static void report() {
        System.out.printf("fuzz counts: adapter_config.json onto %d tuner configs: %d loaded, %d refused%n",
                dirs.size(), LOADED.get(), REFUSED.get());
        peft.close();
        manager.close();
    }
}
