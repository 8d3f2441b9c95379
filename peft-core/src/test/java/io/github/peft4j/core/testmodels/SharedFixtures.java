package io.github.peft4j.core.testmodels;

import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Where the shared fixtures are ({@code shared/fixtures/hf/<model>}: Hugging Face checkpoints and
 * tokenizers written by the reference scripts), for the tests of every module.
 *
 * <pre>{@code
 * Path gpt2 = SharedFixtures.hf("tiny_gpt2");
 * }</pre>
 */
public final class SharedFixtures {

    private SharedFixtures() {}

    /** @return the shared directory: surefire passes it; from an IDE, ../shared next to the module works */
    public static Path dir() {
        String p = System.getProperty("peft4j.shared.dir");
        if (p != null && Files.isDirectory(Path.of(p))) {
            return Path.of(p);
        }
        for (Path candidate : new Path[] {Path.of("../shared"), Path.of("../../shared")}) {
            if (Files.isDirectory(candidate.resolve("fixtures"))) {
                return candidate;
            }
        }
        throw new IllegalStateException("shared fixtures not found; set -Dpeft4j.shared.dir");
    }

    /**
     * @param model a fixture name: tiny_gpt2, fake_gpt2, bert_tiniest, ...
     * @return its checkpoint directory
     */
    public static Path hf(String model) {
        return dir().resolve("fixtures/hf").resolve(model);
    }
}
