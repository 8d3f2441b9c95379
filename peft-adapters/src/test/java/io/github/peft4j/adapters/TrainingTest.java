package io.github.peft4j.adapters;

import io.github.peft4j.adapters.bottleneck.BottleneckConfig;
import io.github.peft4j.adapters.ia3.Ia3Config;
import io.github.peft4j.core.testmodels.TunerChecks;
import org.junit.jupiter.api.Test;

/** Each tuner learns the synthetic BERT classification task with a frozen base (classifier head included). */
class TrainingTest {

    @Test
    void houlsby() {
        TunerChecks.trainOnBert(BottleneckConfig.builder().preset("houlsby").reductionFactor(4).build(), 200, 0.01f);
    }

    @Test
    void pfeiffer() {
        TunerChecks.trainOnBert(BottleneckConfig.builder().preset("pfeiffer").reductionFactor(4).build(), 200, 0.01f);
    }

    @Test
    void parallel() {
        TunerChecks.trainOnBert(BottleneckConfig.builder().preset("parallel").build(), 200, 0.01f);
    }

    @Test
    void ia3() {
        TunerChecks.trainOnBert(Ia3Config.builder().build(), 200, 0.05f);
    }
}
