package io.github.peft4j.models.tokenizer;

import com.google.protobuf.ByteString;
import com.google.protobuf.CodedInputStream;
import com.google.protobuf.WireFormat;
import io.github.peft4j.core.PeftFormatException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * The fields of a SentencePiece {@code tokenizer.model} (a serialized {@code sentencepiece.ModelProto},
 * see {@code sentencepiece_model.proto}) that a Hugging Face conversion needs: the pieces with their
 * scores and types, the model type, byte fallback, the special ids and the normalizer settings.
 * Other fields are skipped.
 *
 * <pre>{@code
 * SentencePieceModel spm = SentencePieceModel.read(Path.of("Llama-2-7b/tokenizer.model"));
 * spm.pieces().get(spm.unkId()).piece();     // "<unk>"
 * }</pre>
 *
 * @param pieces the vocabulary, by id
 * @param modelType {@link #UNIGRAM} or {@link #BPE}
 * @param byteFallback {@code trainer_spec.byte_fallback}: unknown characters become {@code <0xNN>} pieces
 * @param unkId {@code trainer_spec.unk_id}
 * @param bosId {@code trainer_spec.bos_id}, -1 for none
 * @param eosId {@code trainer_spec.eos_id}, -1 for none
 * @param padId {@code trainer_spec.pad_id}, -1 for none
 * @param addDummyPrefix {@code normalizer_spec.add_dummy_prefix}: a {@code ▁} in front of the text
 * @param removeExtraWhitespaces {@code normalizer_spec.remove_extra_whitespaces}
 * @param precompiledCharsmap {@code normalizer_spec.precompiled_charsmap}, empty for none
 */
record SentencePieceModel(List<Piece> pieces, int modelType, boolean byteFallback, int unkId, int bosId,
        int eosId, int padId, boolean addDummyPrefix, boolean removeExtraWhitespaces, byte[] precompiledCharsmap) {

    /** The file name in a checkpoint directory. */
    public static final String FILE_NAME = "tokenizer.model";
    /** {@code TrainerSpec.ModelType.UNIGRAM}. */
    public static final int UNIGRAM = 1;
    /** {@code TrainerSpec.ModelType.BPE}. */
    public static final int BPE = 2;

    /** {@code SentencePiece.Type}: NORMAL 1, UNKNOWN 2, CONTROL 3, USER_DEFINED 4, UNUSED 5, BYTE 6. */
    public static final int NORMAL = 1;
    /** The unknown piece's type. */
    public static final int UNKNOWN = 2;
    /** Control pieces ({@code <s>}, {@code </s>}). */
    public static final int CONTROL = 3;
    /** User-defined pieces, always kept whole. */
    public static final int USER_DEFINED = 4;
    /** Byte pieces ({@code <0x41>}) of byte fallback. */
    public static final int BYTE = 6;

    /**
     * One vocabulary entry.
     *
     * @param piece its text ({@code ▁the}, {@code <0x0A>})
     * @param score its log probability (Unigram) or merge priority (BPE)
     * @param type its {@code SentencePiece.Type}
     */
    public record Piece(String piece, float score, int type) {}

    /** @return a copy that cannot change the model */
    @Override
    public byte[] precompiledCharsmap() {
        return precompiledCharsmap.clone();
    }

    /**
     * @param file a {@code tokenizer.model}
     * @return its fields
     * @throws PeftFormatException when the file cannot be read, is not a SentencePiece model, or uses
     *     a model type other than Unigram or BPE
     */
    static SentencePieceModel read(Path file) {
        byte[] bytes;
        try {
            bytes = Files.readAllBytes(file);
        } catch (IOException e) {
            throw new PeftFormatException(file, null, "cannot read: " + e.getMessage(), e);
        }
        try {
            return parse(bytes, file);
        } catch (IOException | RuntimeException e) {
            if (e instanceof PeftFormatException p) {
                throw p;
            }
            throw new PeftFormatException(file, null, "not a SentencePiece model (damaged protobuf: "
                    + e.getMessage() + ")", e);
        }
    }

    private static SentencePieceModel parse(byte[] bytes, Path file) throws IOException {
        List<Piece> pieces = new ArrayList<>();
        Trainer trainer = new Trainer();
        Normalizer normalizer = new Normalizer();
        CodedInputStream in = CodedInputStream.newInstance(bytes);
        for (int tag = in.readTag(); tag != 0; tag = in.readTag()) {
            switch (WireFormat.getTagFieldNumber(tag)) {
                case 1 -> pieces.add(piece(message(in, tag, file, "pieces"), file));
                case 2 -> trainer.read(message(in, tag, file, "trainer_spec"), file);
                case 3 -> normalizer.read(message(in, tag, file, "normalizer_spec"), file);
                default -> in.skipField(tag);
            }
        }
        if (pieces.isEmpty()) {
            throw new PeftFormatException(file, "pieces", "not a SentencePiece model: it holds no pieces");
        }
        if (trainer.modelType != UNIGRAM && trainer.modelType != BPE) {
            throw new PeftFormatException(file, "trainer_spec.model_type", "model type " + trainer.modelType
                    + " (WORD = 3, CHAR = 4) is not supported; peft4j converts Unigram (1) and BPE (2) models");
        }
        if (trainer.unkId < 0 || trainer.unkId >= pieces.size()) {
            throw new PeftFormatException(file, "trainer_spec.unk_id", "unk_id " + trainer.unkId
                    + " is not one of the " + pieces.size() + " pieces");
        }
        for (int id : new int[] {trainer.bosId, trainer.eosId, trainer.padId}) {
            if (id >= pieces.size()) {
                throw new PeftFormatException(file, "trainer_spec", "special id " + id + " is not one of the "
                        + pieces.size() + " pieces");
            }
        }
        return new SentencePieceModel(List.copyOf(pieces), trainer.modelType, trainer.byteFallback, trainer.unkId,
                trainer.bosId, trainer.eosId, trainer.padId, normalizer.addDummyPrefix,
                normalizer.removeExtraWhitespaces, normalizer.charsmap);
    }

    /** A length-delimited sub-message, checked to be one. */
    private static CodedInputStream message(CodedInputStream in, int tag, Path file, String field) throws IOException {
        expect(tag, WireFormat.WIRETYPE_LENGTH_DELIMITED, file, field);
        return in.readBytes().newCodedInput();
    }

    private static void expect(int tag, int wireType, Path file, String field) {
        if (WireFormat.getTagWireType(tag) != wireType) {
            throw new PeftFormatException(file, field, "not a SentencePiece model: field " + field
                    + " has wire type " + WireFormat.getTagWireType(tag) + ", expected " + wireType);
        }
    }

    private static Piece piece(CodedInputStream in, Path file) throws IOException {
        String text = null;
        float score = 0f;
        int type = NORMAL;
        for (int tag = in.readTag(); tag != 0; tag = in.readTag()) {
            switch (WireFormat.getTagFieldNumber(tag)) {
                case 1 -> {
                    expect(tag, WireFormat.WIRETYPE_LENGTH_DELIMITED, file, "pieces.piece");
                    text = in.readStringRequireUtf8();
                }
                case 2 -> {
                    expect(tag, WireFormat.WIRETYPE_FIXED32, file, "pieces.score");
                    score = in.readFloat();
                }
                case 3 -> {
                    expect(tag, WireFormat.WIRETYPE_VARINT, file, "pieces.type");
                    type = in.readEnum();
                }
                default -> in.skipField(tag);
            }
        }
        if (text == null || text.isEmpty()) {
            throw new PeftFormatException(file, "pieces", "not a SentencePiece model: a piece has no text");
        }
        return new Piece(text, score, type);
    }

    /** {@code TrainerSpec} fields, with the proto's defaults. */
    private static final class Trainer {
        int modelType = UNIGRAM;
        boolean byteFallback;
        int unkId = 0;
        int bosId = 1;
        int eosId = 2;
        int padId = -1;

        void read(CodedInputStream in, Path file) throws IOException {
            for (int tag = in.readTag(); tag != 0; tag = in.readTag()) {
                int field = WireFormat.getTagFieldNumber(tag);
                if (field == 3 || field == 35 || (field >= 40 && field <= 43)) {
                    expect(tag, WireFormat.WIRETYPE_VARINT, file, "trainer_spec." + field);
                }
                switch (field) {
                    case 3 -> modelType = in.readEnum();
                    case 35 -> byteFallback = in.readBool();
                    case 40 -> unkId = in.readInt32();
                    case 41 -> bosId = in.readInt32();
                    case 42 -> eosId = in.readInt32();
                    case 43 -> padId = in.readInt32();
                    default -> in.skipField(tag);
                }
            }
        }
    }

    /** {@code NormalizerSpec} fields, with the proto's defaults. */
    private static final class Normalizer {
        boolean addDummyPrefix = true;
        boolean removeExtraWhitespaces = true;
        byte[] charsmap = new byte[0];

        void read(CodedInputStream in, Path file) throws IOException {
            for (int tag = in.readTag(); tag != 0; tag = in.readTag()) {
                switch (WireFormat.getTagFieldNumber(tag)) {
                    case 2 -> {
                        expect(tag, WireFormat.WIRETYPE_LENGTH_DELIMITED, file, "normalizer_spec.precompiled_charsmap");
                        ByteString map = in.readBytes();
                        charsmap = map.toByteArray();
                    }
                    case 3 -> {
                        expect(tag, WireFormat.WIRETYPE_VARINT, file, "normalizer_spec.add_dummy_prefix");
                        addDummyPrefix = in.readBool();
                    }
                    case 4 -> {
                        expect(tag, WireFormat.WIRETYPE_VARINT, file, "normalizer_spec.remove_extra_whitespaces");
                        removeExtraWhitespaces = in.readBool();
                    }
                    default -> in.skipField(tag);
                }
            }
        }
    }
}
