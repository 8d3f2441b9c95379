package io.github.peft4j.train.data;

import java.io.BufferedInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.MalformedInputException;
import java.nio.charset.StandardCharsets;

/**
 * The lines of a JSONL stream, numbered from 1 and decoded one at a time, so that an invalid
 * UTF-8 byte spoils only its own line (a whole-stream decoder aborted the file at the first bad
 * byte, with no line number: issue 24). Lines end at {@code \n}; a {@code \r} before it and a
 * UTF-8 byte order mark at the start of the first line are dropped.
 *
 * <pre>{@code
 * JsonlLines lines = new JsonlLines(Files.newInputStream(file));
 * for (JsonlLines.Line l; (l = lines.next()) != null; ) {
 *     System.out.println(l.number() + ": " + (l.text() != null ? l.text() : l.problem()));
 * }
 * }</pre>
 */
final class JsonlLines {

    private static final int EOF = -1;

    private final InputStream in;
    private final CharsetDecoder decoder = StandardCharsets.UTF_8.newDecoder()
            .onMalformedInput(CodingErrorAction.REPORT)
            .onUnmappableCharacter(CodingErrorAction.REPORT);
    private final ByteArrayOutputStream buffer = new ByteArrayOutputStream();
    private long number;
    private boolean ended;

    /** @param in the stream, read to its end (the caller closes it) */
    JsonlLines(InputStream in) {
        this.in = new BufferedInputStream(in, 1 << 16);
    }

    /**
     * One line.
     *
     * @param number its 1-based number
     * @param text its text, or {@code null} if it is not valid UTF-8
     * @param problem why there is no text, or {@code null}
     */
    record Line(long number, String text, String problem) {}

    /**
     * @return the next line, or {@code null} at the end
     * @throws IOException if the stream cannot be read
     */
    Line next() throws IOException {
        if (ended) {
            return null;
        }
        buffer.reset();
        int b;
        while ((b = in.read()) != EOF && b != '\n') {
            buffer.write(b);
        }
        if (b == EOF) {
            ended = true;
            if (buffer.size() == 0) {
                return null;
            }
        }
        number++;
        byte[] bytes = buffer.toByteArray();
        int from = number == 1 && startsWithBom(bytes) ? 3 : 0;
        int to = bytes.length > from && bytes[bytes.length - 1] == '\r' ? bytes.length - 1 : bytes.length;
        try {
            return new Line(number, decoder.reset().decode(ByteBuffer.wrap(bytes, from, to - from)).toString(), null);
        } catch (MalformedInputException e) {
            return new Line(number, null, "not valid UTF-8: bad byte 0x"
                    + String.format("%02x", firstBadByte(bytes, from, to)) + " in this line");
        } catch (CharacterCodingException e) {
            return new Line(number, null, "not valid UTF-8: " + e.getMessage());
        }
    }

    private static boolean startsWithBom(byte[] bytes) {
        return bytes.length >= 3 && (bytes[0] & 0xff) == 0xEF && (bytes[1] & 0xff) == 0xBB && (bytes[2] & 0xff) == 0xBF;
    }

    /** The first byte at which a fresh decoder fails, for the message. */
    private int firstBadByte(byte[] bytes, int from, int to) {
        ByteBuffer input = ByteBuffer.wrap(bytes, from, to - from);
        var result = decoder.reset().decode(input, java.nio.CharBuffer.allocate(to - from + 1), true);
        return result.isError() ? bytes[input.position()] & 0xff : 0;
    }
}
