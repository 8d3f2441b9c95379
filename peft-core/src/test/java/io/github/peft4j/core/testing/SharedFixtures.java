package io.github.peft4j.core.testing;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Assumptions;

/**
 * The shared fixtures ({@code ../shared/fixtures}: Hugging Face checkpoints, reference values)
 * that several modules' tests read. In a fresh clone without them a test that needs one is skipped
 * with a message saying what is missing (a JUnit assumption) instead of erroring; {@code .ci/run},
 * where the fixtures must be present, fails when any test was skipped for this reason.
 *
 * <pre>{@code
 * Path gpt2 = SharedFixtures.require(SharedFixtures.dir().resolve("fixtures/hf/tiny_gpt2"));
 * }</pre>
 */
public final class SharedFixtures {

    /** Begins every skip message; {@code .ci/run} looks for it in the surefire reports. */
    public static final String SKIP_MARKER = "peft4j shared fixtures missing";

    private SharedFixtures() {}

    /**
     * @return the shared directory: {@code -Dpeft4j.shared.dir} (surefire passes it), else
     *     {@code ../shared} or {@code ../../shared} holding {@code fixtures/}; the calling test is
     *     skipped when there is none
     */
    public static Path dir() {
        String prop = System.getProperty("peft4j.shared.dir");
        if (prop != null && Files.isDirectory(Path.of(prop).resolve("fixtures"))) {
            return Path.of(prop);
        }
        for (String candidate : new String[] {"../shared", "../../shared"}) {
            if (Files.isDirectory(Path.of(candidate).resolve("fixtures"))) {
                return Path.of(candidate);
            }
        }
        Assumptions.abort(SKIP_MARKER + ": no fixtures/ in " + (prop != null ? prop : "../shared")
                + "; clone the shared fixtures next to the repository or set -Dpeft4j.shared.dir");
        throw new AssertionError("unreachable");
    }

    /**
     * @param fixture a file or directory under {@link #dir()}
     * @return it, if it exists; otherwise the calling test is skipped naming it
     */
    public static Path require(Path fixture) {
        Assumptions.assumeTrue(Files.exists(fixture), () -> SKIP_MARKER + ": " + fixture + " does not exist");
        return fixture;
    }

    /**
     * @param model a fixture name: tiny_gpt2, fake_gpt2, bert_tiniest, ...
     * @return its checkpoint directory; the calling test is skipped when it is missing
     */
    public static Path hf(String model) {
        return require(dir().resolve("fixtures/hf").resolve(model));
    }
}
