package io.github.peft4j.spark;

import ai.djl.ndarray.NDManager;
import io.github.peft4j.core.PeftModel;
import io.github.peft4j.core.ToyModels;
import io.github.peft4j.lora.LoraConfig;
import io.github.peft4j.train.data.Batching;
import io.github.peft4j.train.data.TokenizedDataset;
import io.github.peft4j.train.data.TokenizedExample;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.apache.spark.sql.SparkSession;

/** One local[2] session per test class, the tiny LoRA model and token data the tests train on. */
public final class SparkTestSupport {

    /** The tiny model's vocabulary. */
    public static final int VOCAB = 11;
    /** Its padding id. */
    public static final int PAD = 0;

    private SparkTestSupport() {}

    /** @return a local[2] session bound to 127.0.0.1, without UI */
    public static SparkSession localSpark() {
        return SparkSession.builder().master("local[2]").appName("peft4j-test")
                .config("spark.ui.enabled", "false")
                .config("spark.driver.host", "127.0.0.1")
                .config("spark.driver.bindAddress", "127.0.0.1")
                .config("spark.sql.shuffle.partitions", "2")
                .config("spark.default.parallelism", "2")
                .getOrCreate();
    }

    /** @return LoRA r=4 on q_proj and v_proj of a 2-layer, 8-wide causal LM; no dropout */
    public static PeftModel tinyLora() {
        return tinyLora(4, false);
    }

    /**
     * @param r the rank
     * @param nonZeroB PEFT's init_lora_weights=false: B random too, so both factors train from step 1
     * @return the model (its base in a manager of its own)
     */
    public static PeftModel tinyLora(int r, boolean nonZeroB) {
        NDManager manager = NDManager.newBaseManager();
        return PeftModel.create(ToyModels.causalLm(manager, VOCAB, 8, 2, 3), LoraConfig.builder().r(r).loraAlpha(2 * r)
                .initLoraWeights(!nonZeroB).targetModules("q_proj", "v_proj").build());
    }

    /**
     * @param n examples
     * @param seed data seed
     * @return random token sequences of 4 to 7 tokens, labels = inputs
     */
    public static TokenizedDataset tokens(int n, long seed) {
        Random random = new Random(seed);
        List<TokenizedExample> out = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            int[] ids = new int[4 + random.nextInt(4)];
            for (int t = 0; t < ids.length; t++) {
                ids[t] = 1 + random.nextInt(VOCAB - 1);
            }
            out.add(TokenizedExample.languageModel(ids, ids.clone()));
        }
        return new TokenizedDataset(out, Batching.builder(PAD).build());
    }
}
