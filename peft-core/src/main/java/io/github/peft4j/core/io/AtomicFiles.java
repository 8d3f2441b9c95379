package io.github.peft4j.core.io;

import io.github.peft4j.core.PeftFormatException;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;

/**
 * Writes a file so that readers see the old content or the new one, never a half: the bytes go
 * to a temporary file in the same directory, are forced to disk, and the temporary file is renamed
 * over the target.
 *
 * <pre>{@code
 * AtomicFiles.write(dir.resolve("adapter_config.json"), ch -> ch.write(ByteBuffer.wrap(bytes)));
 * }</pre>
 */
public final class AtomicFiles {

    private AtomicFiles() {}

    /** Writes the content of a file to an open channel. */
    @FunctionalInterface
    public interface ChannelWriter {
        /**
         * @param channel the temporary file, open for writing
         * @throws IOException if writing fails
         */
        void write(FileChannel channel) throws IOException;
    }

    /**
     * @param target the file to create or replace
     * @param writer writes the whole content
     * @throws PeftFormatException naming the file if anything fails; the target is then unchanged
     */
    public static void write(Path target, ChannelWriter writer) {
        Path dir = target.toAbsolutePath().getParent();
        Path tmp = null;
        try {
            Files.createDirectories(dir);
            tmp = Files.createTempFile(dir, "." + target.getFileName() + ".", ".tmp");
            try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.WRITE, StandardOpenOption.TRUNCATE_EXISTING)) {
                writer.write(ch);
                ch.force(true);
            }
            try {
                Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            } catch (AtomicMoveNotSupportedException e) {
                Files.move(tmp, target, StandardCopyOption.REPLACE_EXISTING);
            }
            tmp = null;
        } catch (IOException e) {
            throw new PeftFormatException(target, null, "cannot write: " + e.getMessage(), e);
        } finally {
            if (tmp != null) {
                try {
                    Files.deleteIfExists(tmp);
                } catch (IOException ignored) {
                    // the original error is the one worth reporting
                }
            }
        }
    }

    /**
     * @param target the file to create or replace
     * @param bytes its whole content
     */
    public static void write(Path target, byte[] bytes) {
        write(target, ch -> {
            java.nio.ByteBuffer buf = java.nio.ByteBuffer.wrap(bytes);
            while (buf.hasRemaining()) {
                ch.write(buf);
            }
        });
    }
}
