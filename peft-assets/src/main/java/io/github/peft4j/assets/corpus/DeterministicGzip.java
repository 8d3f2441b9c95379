package io.github.peft4j.assets.corpus;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.zip.CRC32;
import java.util.zip.Deflater;
import java.util.zip.GZIPInputStream;

/**
 * Gzip whose bytes depend only on the content: the header carries no file name, a zero modification
 * time and the "unknown" operating system (255), so the committed {@code .gz} files do not change
 * when they are rebuilt on another day or machine. (The deflate stream itself is zlib's at level 9,
 * which has been stable across zlib releases for decades.)
 *
 * <pre>{@code
 * byte[] gz = DeterministicGzip.compress(text.getBytes(StandardCharsets.UTF_8));
 * String back = new String(DeterministicGzip.decompress(gz), StandardCharsets.UTF_8);
 * }</pre>
 */
public final class DeterministicGzip {

    /** ID1 ID2 CM=deflate FLG=0 MTIME=0 XFL=2 (best compression) OS=255 (unknown), RFC 1952 §2.3. */
    static final byte[] HEADER = {0x1f, (byte) 0x8b, 8, 0, 0, 0, 0, 0, 2, (byte) 0xff};

    private DeterministicGzip() {
    }

    /**
     * @param data the uncompressed bytes
     * @return a complete gzip member holding them
     */
    public static byte[] compress(byte[] data) {
        ByteArrayOutputStream out = new ByteArrayOutputStream(data.length / 3 + 64);
        out.writeBytes(HEADER);
        Deflater deflater = new Deflater(Deflater.BEST_COMPRESSION, true);
        try {
            deflater.setInput(data);
            deflater.finish();
            byte[] buf = new byte[64 * 1024];
            while (!deflater.finished()) {
                out.write(buf, 0, deflater.deflate(buf));
            }
        } finally {
            deflater.end();
        }
        CRC32 crc = new CRC32();
        crc.update(data);
        writeIntLE(out, (int) crc.getValue());
        writeIntLE(out, data.length); // ISIZE is the length modulo 2^32
        return out.toByteArray();
    }

    /**
     * @param gz a gzip stream
     * @return its uncompressed content
     */
    public static byte[] decompress(byte[] gz) {
        try (InputStream in = new GZIPInputStream(new java.io.ByteArrayInputStream(gz))) {
            return in.readAllBytes();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static void writeIntLE(ByteArrayOutputStream out, int v) {
        out.write(v);
        out.write(v >>> 8);
        out.write(v >>> 16);
        out.write(v >>> 24);
    }
}
