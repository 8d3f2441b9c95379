package io.github.peft4j.bitfit;

import ai.djl.ndarray.NDManager;
import io.github.peft4j.bitfit.lntuning.LnTuningConfig;
import io.github.peft4j.core.PeftConfig;
import io.github.peft4j.core.PeftModel;
import io.github.peft4j.core.testmodels.TinyBert;
import io.github.peft4j.core.testmodels.TunerChecks;
import org.junit.jupiter.api.Test;

/** BitFit and LN-tuning learn the synthetic BERT classification task with every base tensor frozen. */
class TrainingTest {

    private static void train(PeftConfig config, int steps, float lr) {
        try (NDManager manager = NDManager.newBaseManager();
                PeftModel model = PeftModel.create(TinyBert.create(manager, TinyBert.Dims.small(), 5), config)) {
            System.out.println(config.peftType() + " " + model.countParameters());
            TunerChecks.trainAndCheck(model, manager, steps, lr);
        }
    }

    @Test
    void bitfit() {
        train(BitFitConfig.builder().build(), 200, 0.05f);
    }

    @Test
    void lnTuning() {
        train(LnTuningConfig.builder().targetModules("LayerNorm").build(), 200, 0.01f);
    }
}
