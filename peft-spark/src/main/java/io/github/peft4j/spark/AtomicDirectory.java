package io.github.peft4j.spark;

import io.github.peft4j.core.PeftFormatException;
import io.github.peft4j.core.files.AtomicFiles;
import java.io.IOException;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Comparator;
import java.util.function.Consumer;
import java.util.stream.Stream;

/**
 * Writes a whole directory or nothing: the files go to a hidden sibling, which replaces the target
 * by rename only once complete, so a reader (or a crash) never sees a half-written adapter.
 *
 * <pre>{@code
 * AtomicDirectory.write(out.resolve("round-3"), tmp -> model.save(tmp));
 * }</pre>
 */
public final class AtomicDirectory {

    private AtomicDirectory() {}

    /**
     * @param target the directory to create or replace
     * @param writer fills the (empty) temporary directory it is given
     */
    public static void write(Path target, Consumer<Path> writer) {
        Path parent = target.toAbsolutePath().getParent();
        Path tmp = parent.resolve("." + target.getFileName() + AtomicFiles.TEMP_SUFFIX);
        Path old = parent.resolve("." + target.getFileName() + ".old" + AtomicFiles.TEMP_SUFFIX);
        try {
            Files.createDirectories(parent);
            deleteTree(tmp);
            Files.createDirectories(tmp);
            writer.accept(tmp);
            if (Files.exists(target)) {
                deleteTree(old);
                move(target, old);
                move(tmp, target);
                deleteTree(old);
            } else {
                move(tmp, target);
            }
        } catch (IOException e) {
            throw new PeftFormatException(target, null, "cannot write the directory: " + e.getMessage(), e);
        } finally {
            try {
                deleteTree(tmp);
            } catch (IOException ignored) {
                // a stale temporary is harmless: the next write removes it
            }
        }
    }

    private static void move(Path from, Path to) throws IOException {
        try {
            Files.move(from, to, StandardCopyOption.ATOMIC_MOVE);
        } catch (AtomicMoveNotSupportedException e) {
            Files.move(from, to);
        }
    }

    static void deleteTree(Path dir) throws IOException {
        if (!Files.exists(dir)) {
            return;
        }
        try (Stream<Path> s = Files.walk(dir)) {
            for (Path p : s.sorted(Comparator.reverseOrder()).toList()) {
                Files.delete(p);
            }
        }
    }
}
