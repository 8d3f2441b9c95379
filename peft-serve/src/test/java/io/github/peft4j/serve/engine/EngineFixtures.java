package io.github.peft4j.serve.engine;

import ai.djl.engine.Engine;
import io.github.peft4j.core.PeftModel;
import io.github.peft4j.core.fingerprint.AdapterFingerprint;
import io.github.peft4j.lora.LoraConfig;
import io.github.peft4j.models.PretrainedModel;
import io.github.peft4j.models.tokenizer.HfTokenizer;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

/** A scheduler on the bundled model, adapters saved for it, and requests submitted straight to the engine. */
final class EngineFixtures {

    static final Path BASE = Path.of("../assets/base-model");

    private EngineFixtures() {}

    /** A LoRA adapter with random B (as if trained) saved in {@code dir}; the base is left as it was. */
    static Target lora(PretrainedModel base, Path dir, long seed) {
        Engine.getInstance().setRandomSeed((int) seed);
        try (PeftModel tenant = PeftModel.create(base.block(), LoraConfig.builder().r(2).loraAlpha(16)
                .targetModules("q_proj", "v_proj").initLoraWeights(false).build())) {
            tenant.save(dir);
            tenant.unload();
        }
        String name = dir.getFileName().toString();
        return Target.adapter(name, "dir:" + name, AdapterFingerprint.of(dir).value(), dir);
    }

    static AdapterCache cache(PeftModel model, Consumer<Target> loadHook) {
        return new AdapterCache(model, 8, 64L << 20, Set.of(), loadHook);
    }

    static Scheduler scheduler(PeftModel model, HfTokenizer tokenizer, AdapterCache cache, int maxBatch,
            int prefillTokenBudget) {
        return new Scheduler(model, tokenizer, cache, maxBatch, 64, prefillTokenBudget, 1, 512, List.of(), true);
    }

    static GenerationRequest request(String id, Target target, long[] prompt, SamplingParams params) {
        return new GenerationRequest(id, io.github.peft4j.serve.Tenant.ANONYMOUS, target.version(), target,
                target.version(), prompt, params, null, System.nanoTime() + TimeUnit.SECONDS.toNanos(120));
    }

    /** Greedy, exactly {@code maxTokens} tokens. */
    static SamplingParams exactly(int maxTokens) {
        return new SamplingParams(maxTokens, 0, 1, 0, 0, List.of(), true);
    }

    static Completion complete(Scheduler s, GenerationRequest r) throws Exception {
        s.submit(r);
        return r.result().get(120, TimeUnit.SECONDS);
    }
}
