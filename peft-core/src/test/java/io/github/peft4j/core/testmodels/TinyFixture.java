package io.github.peft4j.core.testmodels;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import org.junit.jupiter.api.extension.AfterEachCallback;
import org.junit.jupiter.api.extension.BeforeEachCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * The set-up tuner tests share: a fresh manager per test, four signal-token sequences, and the
 * three small architectures (BERT, GPT-2, Llama: vocab 16, hidden 16, 2 layers, 2 heads), each
 * drawn from its own seed so that every test class keeps the weights its checks were written on.
 *
 * <pre>{@code
 * @RegisterExtension
 * final TinyFixture tiny = TinyFixture.seeds(21, 22, 23);
 * ...
 * float[] out = TunerChecks.run(tiny.llama(), tiny.ids());
 * }</pre>
 */
public final class TinyFixture implements BeforeEachCallback, AfterEachCallback {

    private final int bertSeed;
    private final int gpt2Seed;
    private final int llamaSeed;
    private NDManager manager;
    private NDArray ids;

    private TinyFixture(int bertSeed, int gpt2Seed, int llamaSeed) {
        this.bertSeed = bertSeed;
        this.gpt2Seed = gpt2Seed;
        this.llamaSeed = llamaSeed;
    }

    /**
     * @param bert the engine seed of {@link #bert()}
     * @param gpt2 the engine seed of {@link #gpt2()}
     * @param llama the engine seed of {@link #llama()}
     * @return the fixture, to register with {@code @RegisterExtension}
     */
    public static TinyFixture seeds(int bert, int gpt2, int llama) {
        return new TinyFixture(bert, gpt2, llama);
    }

    @Override
    public void beforeEach(ExtensionContext context) {
        manager = NDManager.newBaseManager();
        ids = TinyTraining.signalTokens(manager, 4, 8, 16, 9).ids();
    }

    @Override
    public void afterEach(ExtensionContext context) {
        manager.close();
    }

    /** @return this test's manager, closed after the test */
    public NDManager manager() {
        return manager;
    }

    /** @return token ids [4, 8] over a vocabulary of 16 */
    public NDArray ids() {
        return ids;
    }

    /** @return a fresh {@link TinyBert} with {@link TinyBert.Dims#small()} */
    public TinyBert bert() {
        return TinyBert.create(manager, TinyBert.Dims.small(), bertSeed);
    }

    /** @return a fresh {@link TinyGpt2}: 8 positions */
    public TinyGpt2 gpt2() {
        return TinyGpt2.create(manager, 16, 16, 2, 2, 8, gpt2Seed);
    }

    /** @return a fresh {@link TinyLlama}: intermediate size 24 */
    public TinyLlama llama() {
        return TinyLlama.create(manager, 16, 16, 2, 2, 24, llamaSeed);
    }
}
