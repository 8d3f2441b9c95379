package io.github.peft4j.core.safetensors;

import io.github.peft4j.core.testing.SharedFixtures;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/** Helpers to locate fixtures and hand-craft safetensors files. */
final class TestFiles {

    private TestFiles() {
    }

    /** The shared directory; the test is skipped without it (see {@link SharedFixtures}). */
    static Path sharedDir() {
        return SharedFixtures.dir();
    }

    static Path fixture(String model) {
        return SharedFixtures.require(sharedDir().resolve("fixtures/hf").resolve(model).resolve("model.safetensors"));
    }

    /** 8-byte little-endian length + the header bytes as given + {@code dataBytes} bytes 0,1,2,... */
    static byte[] file(String header, int dataBytes) {
        return file(header.getBytes(StandardCharsets.UTF_8), dataBytes);
    }

    static byte[] file(byte[] header, int dataBytes) {
        ByteBuffer b = ByteBuffer.allocate(8 + header.length + dataBytes).order(ByteOrder.LITTLE_ENDIAN);
        b.putLong(header.length).put(header);
        for (int i = 0; i < dataBytes; i++) {
            b.put((byte) i);
        }
        return b.array();
    }

    /** An explicit header length followed by arbitrary bytes. */
    static byte[] withLength(long n, byte[] rest) {
        ByteBuffer b = ByteBuffer.allocate(8 + rest.length).order(ByteOrder.LITTLE_ENDIAN);
        b.putLong(n).put(rest);
        return b.array();
    }

    static Path write(Path file, byte[] bytes) {
        try {
            Files.write(file, bytes);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return file;
    }

    static ByteBuffer le(int capacity) {
        return ByteBuffer.allocate(capacity).order(ByteOrder.LITTLE_ENDIAN);
    }
}
