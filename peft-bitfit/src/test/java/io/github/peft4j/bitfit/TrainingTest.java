package io.github.peft4j.bitfit;

import io.github.peft4j.bitfit.lntuning.LnTuningConfig;
import io.github.peft4j.core.testmodels.TunerChecks;
import org.junit.jupiter.api.Test;

/** BitFit and LN-tuning learn the synthetic BERT classification task with every base tensor frozen. */
class TrainingTest {

    @Test
    void bitfit() {
        TunerChecks.trainOnBert(BitFitConfig.builder().build(), 200, 0.05f);
    }

    @Test
    void lnTuning() {
        TunerChecks.trainOnBert(LnTuningConfig.builder().targetModules("LayerNorm").build(), 200, 0.01f);
    }
}
