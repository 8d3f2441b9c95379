package io.github.peft4j.train.testing;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.nn.Block;
import io.github.peft4j.core.AdapterTensor;
import io.github.peft4j.core.PeftModel;
import io.github.peft4j.models.ModelFactory;
import io.github.peft4j.models.config.ModelConfig;
import java.nio.FloatBuffer;
import java.util.Random;

/** Models with random low-rank adapters: B non-zero, so every adapter tensor gets a gradient. */
public final class RandomAdapters {

    private RandomAdapters() {}

    /**
     * @param config the base model's configuration (weights seeded with 7)
     * @param m the weights' manager
     * @param dropout the adapter's input dropout
     * @param targets the target modules
     * @return the model, every adapter tensor drawn from N(0, 0.3²)
     */
    public static PeftModel lowRank(ModelConfig config, NDManager m, double dropout, String... targets) {
        Block base = ModelFactory.create(config, m, 7).block();
        Engine.getInstance().setRandomSeed(8);
        PeftModel peft = PeftModel.create(base, LowRankConfig.builder().targetModules(targets).r(2).alpha(4)
                .dropout(dropout).build());
        Random random = new Random(9);
        for (AdapterTensor t : peft.tensors(PeftModel.DEFAULT_ADAPTER)) {
            NDArray a = t.parameter().getArray();
            float[] v = new float[Math.toIntExact(a.size())];
            for (int i = 0; i < v.length; i++) {
                v[i] = (float) random.nextGaussian() * 0.3f;
            }
            a.set(FloatBuffer.wrap(v));
        }
        return peft;
    }
}
