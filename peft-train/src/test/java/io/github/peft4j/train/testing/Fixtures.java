package io.github.peft4j.train.testing;

import ai.djl.ndarray.NDManager;
import io.github.peft4j.core.PeftModel;
import io.github.peft4j.core.testing.SharedFixtures;
import io.github.peft4j.models.tokenizer.HfTokenizer;
import java.net.URISyntaxException;
import java.nio.file.Path;

/** Shared test inputs: fixture directories, the tiny tokenizer, tiny PEFT models. */
public final class Fixtures {

    private Fixtures() {}

    /** @return the shared directory (the test is skipped without it, see {@link SharedFixtures}) */
    public static Path sharedDir() {
        return SharedFixtures.dir();
    }

    /** @return the GPT-2 fixture directory (real GPT-2 tokenizer.json) */
    public static Path fakeGpt2() {
        return SharedFixtures.require(sharedDir().resolve("fixtures/hf/fake_gpt2"));
    }

    /** @return the directory of the 45-token WordLevel tokenizer in test resources */
    public static Path tinyTokenizerDir() {
        try {
            return Path.of(Fixtures.class.getResource("/tiny-tokenizer/tokenizer.json").toURI()).getParent();
        } catch (URISyntaxException e) {
            throw new IllegalStateException(e);
        }
    }

    /** @return the tiny tokenizer */
    public static HfTokenizer tinyTokenizer() {
        return HfTokenizer.load(tinyTokenizerDir(), null);
    }

    /**
     * A tiny causal LM over the tiny tokenizer's 45 ids with a low-rank adapter on up/down projections.
     *
     * @param manager the weights' manager
     * @param dropout adapter input dropout
     * @param seed the seed of base and adapter weights
     * @return the PEFT model
     */
    public static PeftModel tinyPeftModel(NDManager manager, double dropout, int seed) {
        return tinyPeftModel(manager, dropout, seed, seed + 1);
    }

    /**
     * @param manager the weights' manager
     * @param dropout adapter input dropout
     * @param baseSeed the seed of the base weights
     * @param adapterSeed the seed of the adapter's initial weights
     * @return the PEFT model
     */
    public static PeftModel tinyPeftModel(NDManager manager, double dropout, int baseSeed, int adapterSeed) {
        TinyCausalLm base = TinyCausalLm.create(manager, 45, 8, 2, baseSeed);
        ai.djl.engine.Engine.getInstance().setRandomSeed(adapterSeed);
        return PeftModel.create(base, LowRankConfig.builder()
                .targetModules("up_proj", "down_proj", "prev_proj").r(2).alpha(4).dropout(dropout).build());
    }
}
