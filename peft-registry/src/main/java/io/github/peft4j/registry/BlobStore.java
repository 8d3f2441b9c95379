package io.github.peft4j.registry;

import io.github.peft4j.core.files.AtomicFiles;
import io.github.peft4j.core.fingerprint.Sha256;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.FileTime;
import java.security.MessageDigest;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

/**
 * Content-addressed files: each blob is stored once, under its SHA-256 ({@code blobs/<64 hex>}),
 * written atomically through {@link AtomicFiles} (a killed writer leaves at most a temporary file,
 * never a blob with a wrong name), and verified against its name on every read.
 *
 * <pre>{@code
 * BlobStore blobs = new BlobStore(root.resolve("blobs"));
 * String sha = blobs.put(dir.resolve("adapter_model.safetensors"));
 * blobs.copyTo(sha, out.resolve("adapter_model.safetensors"), "support:3 weights");
 * }</pre>
 */
public final class BlobStore {

    private static final int BUFFER_BYTES = 1 << 20;

    private final Path dir;

    /** @param dir the blob directory (created on first write) */
    public BlobStore(Path dir) {
        this.dir = dir.toAbsolutePath().normalize();
    }

    /** @return the blob directory */
    public Path dir() {
        return dir;
    }

    /**
     * @param sha256 a blob's hash
     * @return its file (which may not exist)
     */
    public Path path(String sha256) {
        if (!Sha256.isHex(sha256)) {
            // a hash read from a database changed by hand could be "../../etc/passwd"
            throw new RegistryException("'" + sha256 + "' is not a blob name (64 lowercase hex digits) in " + dir);
        }
        return dir.resolve(sha256);
    }

    /**
     * Stores a file's bytes (streaming, twice: once to name it, once to copy it while checking the
     * copy). An existing blob with that name is checked and rewritten if it is corrupt; a valid one
     * gets a fresh modification time so that a concurrent {@code gc} within its grace period keeps it.
     *
     * @param file the file to store
     * @return its SHA-256
     */
    public String put(Path file) {
        String sha = Sha256.ofFile(file);
        Path blob = path(sha);
        if (Files.isRegularFile(blob) && Sha256.ofFile(blob).equals(sha)) {
            touch(blob);
            return sha;
        }
        try {
            AtomicFiles.write(blob, ch -> copyHashing(file, ch, sha, file + " (changed while being stored)"));
        } catch (IOException e) {
            throw new RegistryException("cannot store " + file + " as blob " + blob + ": " + e.getMessage(), e);
        }
        return sha;
    }

    /**
     * @param bytes small content (a config)
     * @return its SHA-256
     */
    public String put(byte[] bytes) {
        String sha = Sha256.of(bytes);
        Path blob = path(sha);
        if (Files.isRegularFile(blob) && Sha256.ofFile(blob).equals(sha)) {
            touch(blob);
            return sha;
        }
        AtomicFiles.write(blob, bytes);
        return sha;
    }

    /**
     * Copies a blob to a file atomically, verifying it on the way: a corrupt blob leaves the target
     * untouched.
     *
     * @param sha256 the blob
     * @param target the file to write
     * @param what what the blob is, for the error ({@code "support:3 adapter_model.safetensors"})
     * @throws RegistryException naming the blob file if it is missing or corrupt
     */
    public void copyTo(String sha256, Path target, String what) {
        Path blob = existing(sha256, what);
        try {
            AtomicFiles.write(target, ch -> copyHashing(blob, ch, sha256, "blob " + blob + " (" + what + ")"));
        } catch (IOException e) {
            throw new RegistryException("cannot write " + target + " from blob " + blob + ": " + e.getMessage(), e);
        }
    }

    /**
     * @param sha256 a small blob
     * @param what what it is, for the error
     * @return its bytes, verified
     * @throws RegistryException naming the blob file if it is missing or corrupt
     */
    public byte[] read(String sha256, String what) {
        Path blob = existing(sha256, what);
        byte[] bytes;
        try {
            bytes = Files.readAllBytes(blob);
        } catch (IOException e) {
            throw new RegistryException("cannot read blob " + blob + " (" + what + "): " + e.getMessage(), e);
        }
        String actual = Sha256.of(bytes);
        if (!actual.equals(sha256)) {
            throw corrupt(blob, what, actual);
        }
        return bytes;
    }

    /**
     * @param sha256 a blob
     * @return {@code null} if it exists with the right content, else what is wrong
     */
    public String problem(String sha256) {
        if (!Sha256.isHex(sha256)) {
            return "not a blob name: '" + sha256 + "'";
        }
        Path blob = path(sha256);
        if (!Files.isRegularFile(blob)) {
            return Files.exists(blob, java.nio.file.LinkOption.NOFOLLOW_LINKS) ? "not a regular file" : "missing";
        }
        String actual = Sha256.ofFile(blob);
        return actual.equals(sha256) ? null : "corrupt: its sha256 is " + actual;
    }

    /** @return the names of every stored blob (64-hex names only) */
    public List<String> list() {
        return names(Sha256::isHex);
    }

    /** @return the temporary files killed writers left behind */
    public List<String> staleTemporaries() {
        return names(n -> n.endsWith(AtomicFiles.TEMP_SUFFIX));
    }

    /**
     * @param name a blob or temporary file name
     * @return when it was last written
     */
    Instant modified(String name) {
        try {
            return Files.getLastModifiedTime(dir.resolve(name)).toInstant();
        } catch (IOException e) {
            return Instant.now();
        }
    }

    /**
     * @param name a blob or temporary file name to delete
     * @return whether it was deleted: a directory under a blob's name is left for a person to look at
     */
    boolean delete(String name) {
        Path file = dir.resolve(name);
        if (Files.isDirectory(file, java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
            return false;
        }
        try {
            return Files.deleteIfExists(file);
        } catch (IOException e) {
            throw new RegistryException("cannot delete " + dir.resolve(name) + ": " + e.getMessage(), e);
        }
    }

    private List<String> names(java.util.function.Predicate<String> keep) {
        if (!Files.isDirectory(dir)) {
            return List.of();
        }
        try (Stream<Path> files = Files.list(dir)) {
            List<String> out = new ArrayList<>();
            files.map(p -> p.getFileName().toString()).filter(keep).sorted().forEach(out::add);
            return out;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private Path existing(String sha256, String what) {
        if (!Sha256.isHex(sha256)) {
            throw new RegistryException(what + ": '" + sha256 + "' is not a blob name (64 lowercase hex digits) in " + dir);
        }
        Path blob = path(sha256);
        if (!Files.isRegularFile(blob)) {
            throw new RegistryException("blob " + blob + " (" + what + ") is "
                    + (Files.exists(blob, java.nio.file.LinkOption.NOFOLLOW_LINKS) ? "not a regular file" : "missing"));
        }
        return blob;
    }

    private static RegistryException corrupt(Path blob, String what, String actual) {
        return new RegistryException("blob " + blob + " (" + what + ") is corrupt: its sha256 is " + actual
                + ", its name says " + blob.getFileName() + "; refusing to use it");
    }

    // Streams source into the channel while hashing; a mismatch aborts the atomic write.
    private static void copyHashing(Path source, FileChannel out, String expected, String what) throws IOException {
        MessageDigest digest = Sha256.newDigest();
        ByteBuffer buffer = ByteBuffer.allocate(BUFFER_BYTES);
        try (FileChannel in = FileChannel.open(source, StandardOpenOption.READ)) {
            for (boolean first = true; in.read(buffer) >= 0; first = false) {
                buffer.flip();
                digest.update(buffer.duplicate());
                AtomicFiles.writeFully(out, buffer);
                buffer.clear();
                if (first) {
                    PushStages.reached(PushStages.BLOB_PARTIAL);
                }
            }
        }
        String actual = Sha256.hex(digest.digest());
        if (!actual.equals(expected)) {
            throw new RegistryException(what + " is corrupt: its sha256 is " + actual + ", expected " + expected
                    + "; refusing to use it");
        }
    }

    private static void touch(Path blob) {
        try {
            Files.setLastModifiedTime(blob, FileTime.from(Instant.now()));
        } catch (IOException e) {
            throw new RegistryException("cannot touch blob " + blob + ": " + e.getMessage(), e);
        }
    }
}
