package io.github.peft4j.core.safetensors;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonStreamContext;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.core.StreamReadConstraints;
import io.github.peft4j.core.PeftFormatException;

import java.io.IOException;
import java.math.BigInteger;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Parses and validates a safetensors header with the rules of the reference (Rust) parser
 * ({@code SafeTensors::read_metadata}, {@code Metadata::validate}), plus the schema's strictness
 * on fields and duplicate keys.
 */
final class SafetensorsHeader {

    /** The reference parser's {@code MAX_HEADER_SIZE}. */
    static final long MAX_HEADER_SIZE = 100_000_000L;

    static final String METADATA_KEY = "__metadata__";

    private static final BigInteger U64_MAX = BigInteger.ONE.shiftLeft(64).subtract(BigInteger.ONE);
    private static final BigInteger LONG_MAX = BigInteger.valueOf(Long.MAX_VALUE);

    // A header may legitimately hold huge names or metadata strings (up to 100 MB): lift Jackson's
    // default limits, which are far below what the reference parser accepts. Field-name
    // canonicalisation is off so that adversarial names cannot trip the symbol-table hash guard.
    private static final JsonFactory JSON = JsonFactory.builder()
            .streamReadConstraints(StreamReadConstraints.builder()
                    .maxStringLength(Integer.MAX_VALUE)
                    .maxNameLength(Integer.MAX_VALUE)
                    .maxNestingDepth(128)
                    .build())
            .disable(JsonFactory.Feature.CANONICALIZE_FIELD_NAMES)
            .disable(JsonFactory.Feature.INTERN_FIELD_NAMES)
            .build();

    final Map<String, String> metadata;
    /** Sorted by data offsets, as the reference parser does before validating. */
    final List<TensorInfo> tensors;
    /** Relative end of the data section: the last tensor's end, 0 when there is none. */
    final long dataLength;

    private SafetensorsHeader(Map<String, String> metadata, List<TensorInfo> tensors, long dataLength) {
        this.metadata = metadata;
        this.tensors = tensors;
        this.dataLength = dataLength;
    }

    /**
     * Decodes, parses and validates header bytes. {@code fileSize} is the size of the whole file, so
     * the check that the tensors end exactly at the end of the file is made here too.
     */
    static SafetensorsHeader parse(Path file, byte[] header, long fileSize) {
        String json = decodeUtf8(file, header);
        Parsed parsed = parseJson(file, json);
        List<TensorInfo> sorted = new ArrayList<>(parsed.tensors);
        // Stable sort: zero-size tensors sharing an offset keep the header's order.
        sorted.sort(Comparator.comparingLong(TensorInfo::begin).thenComparingLong(TensorInfo::end));
        long dataLength = validate(file, sorted);
        long expected = 8L + header.length + dataLength;
        if (expected != fileSize) {
            String last = sorted.isEmpty() ? null : sorted.get(sorted.size() - 1).name();
            long actual = fileSize - 8L - header.length;
            throw new PeftFormatException(file, last, "the tensors cover " + dataLength
                    + " bytes of data but the file holds " + actual + " bytes after the "
                    + header.length + "-byte header ("
                    + (actual > dataLength ? "trailing bytes are not allowed" : "file is truncated")
                    + ")");
        }
        return new SafetensorsHeader(Collections.unmodifiableMap(parsed.metadata),
                Collections.unmodifiableList(sorted), dataLength);
    }

    private static String decodeUtf8(Path file, byte[] header) {
        CharsetDecoder decoder = StandardCharsets.UTF_8.newDecoder()
                .onMalformedInput(CodingErrorAction.REPORT)
                .onUnmappableCharacter(CodingErrorAction.REPORT);
        try {
            return decoder.decode(ByteBuffer.wrap(header)).toString();
        } catch (CharacterCodingException e) {
            throw new PeftFormatException(file, null, "the header is not valid UTF-8", e);
        }
    }

    private static final class Parsed {
        final Map<String, String> metadata = new LinkedHashMap<>();
        final List<TensorInfo> tensors = new ArrayList<>();
    }

    private static Parsed parseJson(Path file, String json) {
        Parsed out = new Parsed();
        JsonParser p;
        try {
            p = JSON.createParser(json);
        } catch (IOException e) {
            throw new PeftFormatException(file, null, "cannot parse the header: " + e, e);
        }
        try (p) {
            JsonToken t = p.nextToken();
            if (t != JsonToken.START_OBJECT) {
                throw new PeftFormatException(file, null,
                        "the header must be a JSON object but starts with " + describe(t, p));
            }
            Map<String, Boolean> seen = new LinkedHashMap<>();
            boolean metadataSeen = false;
            while ((t = p.nextToken()) == JsonToken.FIELD_NAME) {
                String key = p.currentName();
                checkString(file, key, key, "key");
                if (METADATA_KEY.equals(key)) {
                    if (metadataSeen) {
                        throw new PeftFormatException(file, key, "duplicate key in the header");
                    }
                    metadataSeen = true;
                    readMetadata(file, p, out.metadata);
                } else {
                    if (seen.put(key, Boolean.TRUE) != null) {
                        throw new PeftFormatException(file, key, "duplicate key in the header");
                    }
                    out.tensors.add(readTensor(file, key, p));
                }
            }
            if (t != JsonToken.END_OBJECT) {
                throw new PeftFormatException(file, null, "malformed header object");
            }
            JsonToken after = p.nextToken();
            if (after != null) {
                throw new PeftFormatException(file, null,
                        "unexpected " + describe(after, p) + " after the header object");
            }
            return out;
        } catch (JsonProcessingException e) {
            throw new PeftFormatException(file, topLevelKey(p),
                    "the header is not valid JSON: " + e.getOriginalMessage(), e);
        } catch (IOException e) {
            throw new PeftFormatException(file, topLevelKey(p), "cannot parse the header: " + e, e);
        }
    }

    /** The header key being read when the parser failed, or null outside any entry. */
    private static String topLevelKey(JsonParser p) {
        JsonStreamContext ctx = p.getParsingContext();
        while (ctx != null && ctx.getParent() != null && !ctx.getParent().inRoot()) {
            ctx = ctx.getParent();
        }
        return ctx != null && ctx.inObject() ? ctx.getCurrentName() : null;
    }

    private static void readMetadata(Path file, JsonParser p, Map<String, String> into)
            throws IOException {
        JsonToken t = p.nextToken();
        if (t == JsonToken.VALUE_NULL) {
            // serde reads `null` as an absent Option, so the reference parser accepts it.
            return;
        }
        if (t != JsonToken.START_OBJECT) {
            throw new PeftFormatException(file, METADATA_KEY,
                    "must be an object of strings, found " + describe(t, p));
        }
        while ((t = p.nextToken()) == JsonToken.FIELD_NAME) {
            String k = p.currentName();
            checkString(file, METADATA_KEY, k, "metadata key");
            JsonToken v = p.nextToken();
            if (v != JsonToken.VALUE_STRING) {
                throw new PeftFormatException(file, METADATA_KEY, "value of '" + k
                        + "' must be a string, found " + describe(v, p));
            }
            String value = p.getText();
            checkString(file, METADATA_KEY, value, "metadata value");
            if (into.put(k, value) != null) {
                throw new PeftFormatException(file, METADATA_KEY, "duplicate metadata key '" + k + "'");
            }
        }
    }

    private static TensorInfo readTensor(Path file, String name, JsonParser p) throws IOException {
        JsonToken t = p.nextToken();
        if (t != JsonToken.START_OBJECT) {
            throw new PeftFormatException(file, name,
                    "tensor entry must be an object, found " + describe(t, p));
        }
        SafetensorsDType dtype = null;
        BigInteger[] shape = null;
        BigInteger[] offsets = null;
        while ((t = p.nextToken()) == JsonToken.FIELD_NAME) {
            String field = p.currentName();
            switch (field) {
                case "dtype": {
                    if (dtype != null) {
                        throw duplicateField(file, name, field);
                    }
                    JsonToken v = p.nextToken();
                    if (v != JsonToken.VALUE_STRING) {
                        throw new PeftFormatException(file, name,
                                "dtype must be a string, found " + describe(v, p));
                    }
                    try {
                        dtype = SafetensorsDType.parse(p.getText());
                    } catch (PeftFormatException e) {
                        throw new PeftFormatException(file, name, e.getMessage(), e);
                    }
                    break;
                }
                case "shape":
                    if (shape != null) {
                        throw duplicateField(file, name, field);
                    }
                    shape = readNaturals(file, name, field, p, -1);
                    break;
                case "data_offsets":
                    if (offsets != null) {
                        throw duplicateField(file, name, field);
                    }
                    offsets = readNaturals(file, name, field, p, 2);
                    break;
                default:
                    throw new PeftFormatException(file, name, "unknown field '" + field
                            + "'; a tensor entry has exactly dtype, shape and data_offsets");
            }
        }
        if (dtype == null || shape == null || offsets == null) {
            String missing = dtype == null ? "dtype" : shape == null ? "shape" : "data_offsets";
            throw new PeftFormatException(file, name, "missing field '" + missing
                    + "'; a tensor entry has exactly dtype, shape and data_offsets");
        }
        long[] dims = new long[shape.length];
        for (int i = 0; i < shape.length; i++) {
            if (shape[i].compareTo(LONG_MAX) > 0) {
                throw new PeftFormatException(file, name, "dimension " + shape[i] + " of shape "
                        + Arrays.toString(shape) + " does not fit a signed 64-bit integer");
            }
            dims[i] = shape[i].longValue();
        }
        for (BigInteger o : offsets) {
            if (o.compareTo(LONG_MAX) > 0) {
                throw new PeftFormatException(file, name,
                        "data_offsets " + Arrays.toString(offsets) + " lie past the end of the file");
            }
        }
        long begin = offsets[0].longValue();
        long end = offsets[1].longValue();
        if (end < begin) {
            throw new PeftFormatException(file, name,
                    "data_offsets [" + begin + ", " + end + "] end before they begin");
        }
        return new TensorInfo(name, dtype, dims, begin, end);
    }

    private static PeftFormatException duplicateField(Path file, String name, String field) {
        return new PeftFormatException(file, name, "duplicate field '" + field + "'");
    }

    /** Reads a JSON array of unsigned 64-bit integers, as serde reads {@code Vec<usize>}. */
    private static BigInteger[] readNaturals(Path file, String name, String field, JsonParser p,
            int expectedLength) throws IOException {
        JsonToken t = p.nextToken();
        if (t != JsonToken.START_ARRAY) {
            throw new PeftFormatException(file, name,
                    field + " must be an array of integers, found " + describe(t, p));
        }
        List<BigInteger> values = new ArrayList<>();
        while ((t = p.nextToken()) != JsonToken.END_ARRAY) {
            // serde rejects floats (1.0, 1e3) and negatives, including "-0", for usize.
            if (t != JsonToken.VALUE_NUMBER_INT || p.getText().startsWith("-")) {
                throw new PeftFormatException(file, name, field
                        + " must hold non-negative integers, found " + describe(t, p));
            }
            BigInteger v = p.getBigIntegerValue();
            if (v.compareTo(U64_MAX) > 0) {
                throw new PeftFormatException(file, name,
                        field + " value " + v + " does not fit an unsigned 64-bit integer");
            }
            values.add(v);
        }
        if (expectedLength >= 0 && values.size() != expectedLength) {
            throw new PeftFormatException(file, name, field + " must hold exactly "
                    + expectedLength + " integers, found " + values.size());
        }
        return values.toArray(new BigInteger[0]);
    }

    /**
     * The offset and size rules of {@code Metadata::validate}: tensors sorted by offset must tile
     * the data section from 0, each one's size must be its element count times its dtype's bits,
     * and every product is overflow-checked in 64 unsigned bits like Rust's {@code checked_mul}.
     *
     * @return the end of the last tensor
     */
    static long validate(Path file, List<TensorInfo> sorted) {
        long start = 0;
        String previous = null;
        for (TensorInfo info : sorted) {
            long s = info.begin();
            long e = info.end();
            if (s != start || e < s) {
                String why;
                if (e < s) {
                    why = "begin " + s + " is after end " + e;
                } else if (s > start) {
                    why = "hole: it begins at " + s + " but " + (previous == null
                            ? "the data section starts" : "the previous tensor '" + previous + "' ends")
                            + " at " + start;
                } else {
                    why = "overlap: it begins at " + s + " but the previous tensor '" + previous
                            + "' ends at " + start;
                }
                throw new PeftFormatException(file, info.name(), "invalid data_offsets [" + s + ", "
                        + e + "]: " + why + " (tensors must tile the data section from 0)");
            }
            start = e;
            previous = info.name();
            BigInteger n = BigInteger.ONE;
            long[] shape = info.shape();
            for (long d : shape) {
                n = n.multiply(BigInteger.valueOf(d));
                if (n.compareTo(U64_MAX) > 0) {
                    throw new PeftFormatException(file, info.name(), "element count of shape "
                            + Arrays.toString(shape) + " overflows 64 bits");
                }
            }
            BigInteger nbits = n.multiply(BigInteger.valueOf(info.dtype().bits()));
            if (nbits.compareTo(U64_MAX) > 0) {
                throw new PeftFormatException(file, info.name(), "bit count of shape "
                        + Arrays.toString(shape) + " x " + info.dtype() + " overflows 64 bits");
            }
            if (nbits.testBit(0) || nbits.testBit(1) || nbits.testBit(2)) {
                throw new PeftFormatException(file, info.name(), n + " elements of "
                        + info.dtype() + " (" + info.dtype().bits() + " bits) make " + nbits
                        + " bits, not a whole number of bytes");
            }
            BigInteger size = nbits.shiftRight(3);
            if (!size.equals(BigInteger.valueOf(e - s))) {
                throw new PeftFormatException(file, info.name(), "shape " + Arrays.toString(shape)
                        + " of " + info.dtype() + " needs " + size + " bytes but data_offsets ["
                        + s + ", " + e + "] hold " + (e - s));
            }
        }
        return start;
    }

    /** Rejects lone surrogates, which serde_json refuses in \\u escapes and UTF-8 cannot carry. */
    private static void checkString(Path file, String key, String s, String what) {
        if (JsonText.unpairedSurrogate(s) >= 0) {
            throw new PeftFormatException(file, key, what + " contains a lone surrogate escape");
        }
    }

    private static String describe(JsonToken t, JsonParser p) {
        if (t == null) {
            return "end of input";
        }
        switch (t) {
            case START_OBJECT:
                return "an object";
            case START_ARRAY:
                return "an array";
            case VALUE_STRING:
                return "a string";
            case VALUE_NUMBER_INT:
            case VALUE_NUMBER_FLOAT:
                try {
                    return "the number " + p.getText();
                } catch (IOException e) {
                    return "a number";
                }
            case VALUE_TRUE:
            case VALUE_FALSE:
                return "a boolean";
            case VALUE_NULL:
                return "null";
            default:
                return t.toString();
        }
    }
}
