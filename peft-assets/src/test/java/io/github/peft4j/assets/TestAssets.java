package io.github.peft4j.assets;

import java.nio.file.Files;
import java.nio.file.Path;

/** Where the committed {@code assets/} folder is, from a test. */
public final class TestAssets {

    private TestAssets() {
    }

    /** @return the repository's {@code assets/} folder */
    public static Path dir() {
        String configured = System.getProperty("peft4j.assets.dir");
        if (configured != null && Files.isDirectory(Path.of(configured))) {
            return Path.of(configured);
        }
        for (Path candidate : new Path[] {Path.of("../assets"), Path.of("assets")}) {
            if (Files.isDirectory(candidate)) {
                return candidate;
            }
        }
        throw new IllegalStateException("assets/ not found; set -Dpeft4j.assets.dir");
    }
}
