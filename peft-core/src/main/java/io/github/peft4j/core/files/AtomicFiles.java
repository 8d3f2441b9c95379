package io.github.peft4j.core.files;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import io.github.peft4j.core.PeftFormatException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.concurrent.ThreadLocalRandom;

/**
 * Atomic replacement of a file: readers see either the old file or the complete new one, never a
 * partial write, even if the JVM dies half-way. Every file peft4j writes goes through here.
 *
 * <pre>{@code
 * AtomicFiles.write(dir.resolve("adapter_config.json"), json.getBytes(StandardCharsets.UTF_8));
 * }</pre>
 */
public final class AtomicFiles {

    private static final Logger LOG = LoggerFactory.getLogger(AtomicFiles.class);

    /** Suffix of our temporary files, so that stale ones from a killed JVM can be recognised. */
    public static final String TEMP_SUFFIX = ".peft4j-tmp";

    /** Writes the content of a file to an open channel. */
    @FunctionalInterface
    public interface ChannelWriter {
        /**
         * @param channel the temporary file, open for writing
         * @throws IOException if writing fails
         */
        void write(FileChannel channel) throws IOException;
    }

    private AtomicFiles() {
    }

    /**
     * Writes {@code target} through a temporary file in the same directory (a rename is only atomic
     * within one file system), forces it to disk, then renames it over the target.
     *
     * @param target the file to create or replace
     * @param writer writes the whole content
     * @throws IOException if writing fails; the target is then unchanged
     */
    public static void write(Path target, ChannelWriter writer) throws IOException {
        Path abs = target.toAbsolutePath();
        Path dir = abs.getParent();
        Files.createDirectories(dir);
        removeStaleTemporaries(dir);
        // Not Files.createTempFile: it creates the file with mode 0600, which the rename would
        // give to the final file; CREATE_NEW keeps the usual umask-derived permissions.
        Path tmp = dir.resolve("." + abs.getFileName() + "."
                + Long.toHexString(ThreadLocalRandom.current().nextLong()) + TEMP_SUFFIX);
        boolean done = false;
        try {
            try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.CREATE_NEW,
                    StandardOpenOption.WRITE)) {
                writer.write(ch);
                ch.force(true);
            }
            try {
                Files.move(tmp, abs, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            } catch (AtomicMoveNotSupportedException e) {
                LOG.warn("{}: file system cannot rename atomically; replacing non-atomically", abs);
                Files.move(tmp, abs, StandardCopyOption.REPLACE_EXISTING);
            }
            done = true;
            syncDirectory(dir);
        } finally {
            if (!done) {
                try {
                    Files.deleteIfExists(tmp);
                } catch (IOException e) {
                    LOG.warn("{}: could not delete temporary file {}", abs, tmp, e);
                }
            }
        }
    }

    /**
     * Temporary files of our naming left by a killed JVM are removed on the next write to their
     * directory. Only those untouched for {@link #STALE_AFTER}: a younger one may belong to a writer
     * still running in another process.
     *
     * @param dir the directory being written to
     * @return how many were removed
     */
    static int removeStaleTemporaries(Path dir) {
        long cutoff = System.currentTimeMillis() - STALE_AFTER.toMillis();
        int removed = 0;
        try (DirectoryStream<Path> stale = Files.newDirectoryStream(dir, ".*" + TEMP_SUFFIX)) {
            for (Path tmp : stale) {
                if (Files.isRegularFile(tmp, LinkOption.NOFOLLOW_LINKS)
                        && Files.getLastModifiedTime(tmp, LinkOption.NOFOLLOW_LINKS).toMillis() < cutoff
                        && Files.deleteIfExists(tmp)) {
                    LOG.info("{}: removed a stale temporary file left by an interrupted write", tmp);
                    removed++;
                }
            }
        } catch (IOException | RuntimeException e) {
            LOG.debug("{}: could not clean stale temporary files: {}", dir, e.toString());
        }
        return removed;
    }

    /** How long a temporary file must be untouched before it counts as stale. */
    public static final Duration STALE_AFTER = Duration.ofMinutes(5);

    /**
     * Writes all of {@code buffer} (a channel may write less than asked).
     *
     * @param ch the channel
     * @param buffer the bytes
     * @throws IOException if writing fails
     */
    public static void writeFully(FileChannel ch, ByteBuffer buffer) throws IOException {
        while (buffer.hasRemaining()) {
            ch.write(buffer);
        }
    }

    // Makes the rename itself durable; not every platform lets a directory be opened, which only
    // costs durability across a power loss, never consistency.
    private static void syncDirectory(Path dir) {
        try (FileChannel ch = FileChannel.open(dir, StandardOpenOption.READ)) {
            ch.force(true);
        } catch (IOException | RuntimeException e) {
            LOG.debug("{}: directory fsync not supported: {}", dir, e.toString());
        }
    }

    /**
     * @param target the file to create or replace
     * @param bytes its whole content
     * @throws PeftFormatException naming the file if writing fails; the target is then unchanged
     */
    public static void write(Path target, byte[] bytes) {
        try {
            write(target, ch -> writeFully(ch, ByteBuffer.wrap(bytes)));
        } catch (IOException e) {
            throw new PeftFormatException(target, null, "cannot write: " + e.getMessage(), e);
        }
    }
}
