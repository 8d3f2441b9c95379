package io.github.peft4j.core.fingerprint;

import io.github.peft4j.core.PeftFormatException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;

/**
 * SHA-256 helpers that stream: a file is hashed through a fixed 1 MiB buffer, never read whole into
 * memory, so a multi-gigabyte base checkpoint costs the same heap as a tiny adapter.
 *
 * <pre>{@code
 * String hex = Sha256.ofFile(dir.resolve("adapter_model.safetensors"));   // 64 lowercase hex digits
 * }</pre>
 */
public final class Sha256 {

    /** Read buffer: large enough for sequential throughput, small enough to never matter for heap. */
    static final int BUFFER_BYTES = 1 << 20;

    private Sha256() {}

    /** @return a fresh SHA-256 digest (every JVM ships one) */
    public static MessageDigest newDigest() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("this JVM has no SHA-256", e);
        }
    }

    /**
     * @param file a regular file
     * @return the SHA-256 of its bytes, as 64 lowercase hex digits
     * @throws PeftFormatException naming the file if it cannot be read
     */
    public static String ofFile(Path file) {
        MessageDigest digest = newDigest();
        update(digest, file);
        return hex(digest.digest());
    }

    /**
     * Feeds every byte of a file to a digest, streaming.
     *
     * @param digest the digest to update
     * @param file the file
     * @throws PeftFormatException naming the file if it cannot be read
     */
    public static void update(MessageDigest digest, Path file) {
        ByteBuffer buffer = ByteBuffer.allocate(BUFFER_BYTES);
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
            while (ch.read(buffer) >= 0) {
                buffer.flip();
                digest.update(buffer);
                buffer.clear();
            }
        } catch (NoSuchFileException e) {
            throw new PeftFormatException(file, null, "no such file");
        } catch (IOException e) {
            throw new PeftFormatException(file, null, "cannot read: " + e.getMessage(), e);
        }
    }

    /**
     * @param bytes bytes in memory (small: configs, manifests)
     * @return their SHA-256 as 64 lowercase hex digits
     */
    public static String of(byte[] bytes) {
        return hex(newDigest().digest(bytes));
    }

    /**
     * @param digest a finished digest
     * @return lowercase hex
     */
    public static String hex(byte[] digest) {
        return HexFormat.of().formatHex(digest);
    }

    /**
     * @param text a string
     * @return whether it is 64 lowercase hex digits, the form every peft4j hash has
     */
    public static boolean isHex(String text) {
        return text != null && text.length() == 64 && text.chars().allMatch(c -> (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'));
    }
}
