package io.github.peft4j.cli;

import java.nio.file.Files;
import java.nio.file.Path;

/** Checks on paths a user passes, failing with one line that names the file. */
final class Inputs {

    private Inputs() {}

    static Path requireFile(Path file, String what) {
        if (Files.isDirectory(file)) {
            throw new UserError(what + " is a directory, not a file: " + file.toAbsolutePath().normalize());
        }
        if (!Files.isRegularFile(file)) {
            throw new UserError(what + " not found: " + file.toAbsolutePath().normalize());
        }
        return file;
    }

    static Path requireDir(Path dir, String what) {
        if (!Files.isDirectory(dir)) {
            throw new UserError(what + " not found: " + dir.toAbsolutePath().normalize()
                    + (Files.exists(dir) ? " is not a directory" : ""));
        }
        return dir;
    }
}
