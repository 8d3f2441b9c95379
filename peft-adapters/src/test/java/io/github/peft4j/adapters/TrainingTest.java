package io.github.peft4j.adapters;

import ai.djl.ndarray.NDManager;
import io.github.peft4j.adapters.bottleneck.BottleneckConfig;
import io.github.peft4j.adapters.ia3.Ia3Config;
import io.github.peft4j.core.PeftConfig;
import io.github.peft4j.core.PeftModel;
import io.github.peft4j.core.testmodels.TinyBert;
import io.github.peft4j.core.testmodels.TunerChecks;
import org.junit.jupiter.api.Test;

/** Each tuner learns the synthetic BERT classification task with a frozen base (classifier head included). */
class TrainingTest {

    private static void train(PeftConfig config, int steps, float lr) {
        try (NDManager manager = NDManager.newBaseManager();
                PeftModel model = PeftModel.create(TinyBert.create(manager, TinyBert.Dims.small(), 5), config)) {
            System.out.println(config.peftType() + " " + model.countParameters());
            TunerChecks.trainAndCheck(model, manager, steps, lr);
        }
    }

    @Test
    void houlsby() {
        train(BottleneckConfig.builder().preset("houlsby").reductionFactor(4).build(), 200, 0.01f);
    }

    @Test
    void pfeiffer() {
        train(BottleneckConfig.builder().preset("pfeiffer").reductionFactor(4).build(), 200, 0.01f);
    }

    @Test
    void parallel() {
        train(BottleneckConfig.builder().preset("parallel").build(), 200, 0.01f);
    }

    @Test
    void ia3() {
        train(Ia3Config.builder().build(), 200, 0.05f);
    }
}
