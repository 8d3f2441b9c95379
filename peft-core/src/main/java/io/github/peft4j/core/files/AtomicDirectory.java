package io.github.peft4j.core.files;

import io.github.peft4j.core.PeftFormatException;
import java.io.IOException;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Comparator;
import java.util.stream.Stream;

/**
 * Writes a whole directory or nothing (a checkpoint, a round's global adapter): the files go to a
 * hidden sibling, which replaces the target by rename only once complete, so a reader (or a crash)
 * never sees a half-written directory.
 *
 * <pre>{@code
 * AtomicDirectory.write(out.resolve("round-3"), "global adapter", tmp -> model.save(tmp));
 * }</pre>
 */
public final class AtomicDirectory {

    /** Fills the temporary directory. */
    @FunctionalInterface
    public interface Writer {
        /** @param tmp the empty temporary directory */
        void write(Path tmp) throws IOException;
    }

    private AtomicDirectory() {}

    /**
     * @param target the directory to create or replace
     * @param what what it holds, for the error message
     * @param writer fills the (empty) temporary directory it is given
     * @throws PeftFormatException naming the target if it cannot be written
     */
    public static void write(Path target, String what, Writer writer) {
        Path parent = target.toAbsolutePath().getParent();
        Path tmp = parent.resolve("." + target.getFileName() + AtomicFiles.TEMP_SUFFIX);
        Path old = parent.resolve("." + target.getFileName() + ".old" + AtomicFiles.TEMP_SUFFIX);
        try {
            Files.createDirectories(parent);
            deleteTree(tmp);
            Files.createDirectories(tmp);
            writer.write(tmp);
            if (Files.exists(target)) {
                deleteTree(old);
                move(target, old);
                move(tmp, target);
                deleteTree(old);
            } else {
                move(tmp, target);
            }
        } catch (IOException e) {
            throw new PeftFormatException(target, null, "cannot write the " + what + ": " + e.getMessage(), e);
        } finally {
            try {
                deleteTree(tmp);
            } catch (IOException ignored) {
                // a stale temporary is harmless: the next write removes it
            }
        }
    }

    /**
     * @param dir a directory (or file) to remove with everything under it; absent is fine
     * @throws IOException if an entry cannot be removed
     */
    public static void deleteTree(Path dir) throws IOException {
        if (!Files.exists(dir)) {
            return;
        }
        try (Stream<Path> s = Files.walk(dir)) {
            // deepest first, so every directory is empty when its turn comes
            for (Path p : s.sorted(Comparator.reverseOrder()).toList()) {
                Files.delete(p);
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
}
