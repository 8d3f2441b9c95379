package io.github.peft4j.examples;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class BertBottleneckClassificationTest {

    @TempDir
    Path tmp;

    @Test
    void bottleneckAdaptersAndALoraHeadLearnTheMarkerTask() {
        BertBottleneckClassification.Result r = BertBottleneckClassification.demo(tmp, 150, 512);
        // two Pfeiffer adapters, hidden 32 -> 16 -> 32: (32*16 + 16) + (16*32 + 32) each,
        // and LoRA r=4 on the 32 -> 2 classifier: 4*32 + 2*4
        assertTrue(r.parameters().startsWith(String.format("trainable params: %,d ||",
                2 * (32 * 16 + 16 + 16 * 32 + 32) + 4 * 32 + 2 * 4)),
                r.parameters());
        // both adapters start as the identity: a random frozen classifier is a coin toss on a balanced set
        assertTrue(r.accuracyBefore() < 0.75, "before: " + r.accuracyBefore());
        assertTrue(r.accuracyAfter() >= 0.9, "after: " + r.accuracyAfter() + " loss " + r.lossBefore() + " -> " + r.lossAfter());
        assertTrue(r.lossAfter() < r.lossBefore(), r.lossBefore() + " -> " + r.lossAfter());
    }
}
