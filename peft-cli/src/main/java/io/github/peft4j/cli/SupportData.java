package io.github.peft4j.cli;

import io.github.peft4j.train.curation.Curator;
import io.github.peft4j.train.data.DataPipeline;
import io.github.peft4j.train.data.DataRecord;
import io.github.peft4j.train.data.JsonlReader;
import io.github.peft4j.train.data.TextTokenizer;
import io.github.peft4j.train.data.TokenizedDataset;
import java.nio.file.Path;
import java.util.List;

/**
 * The data {@code train} and {@code eval} read, prepared one way for both so that their numbers
 * compare: chat / prompt-completion JSONL (curated, in the model's chat template, cut at the
 * sequence length) and general text in chunks.
 *
 * <pre>{@code
 * List<DataRecord> chats = SupportData.asChats(SupportData.read(eval));
 * TokenizedDataset domain = SupportData.pipeline(tok, 128).prepare(chats, 0).train();
 * }</pre>
 */
final class SupportData {

    private SupportData() {}

    /**
     * @param jsonl a JSONL file of chats or prompt/completion pairs (bad lines are skipped, and
     *     the reader's warning counts them by reason)
     * @return its records as read
     */
    static List<DataRecord> read(Path jsonl) {
        return read(jsonl, false);
    }

    /**
     * @param jsonl a JSONL file of chats or prompt/completion pairs
     * @param strict whether the first bad line fails the read instead of being skipped
     * @return its records as read
     */
    static List<DataRecord> read(Path jsonl, boolean strict) {
        return JsonlReader.builder().strict(strict).build().read(jsonl).records();
    }

    /**
     * @param records records as {@link #read} returns them
     * @return the same records as chats
     */
    static List<DataRecord> asChats(List<DataRecord> records) {
        return ChatFormat.asChats(records);
    }

    /**
     * @param tokenizer the model's tokenizer
     * @param seqLen the longest sequence; longer ones are cut
     * @return the pipeline: default curation, the model's chat template ({@link ChatFormat}), no EOS of its own; it keeps the
     *     order of the records (both commands prepare with no eval fraction)
     */
    static DataPipeline pipeline(TextTokenizer tokenizer, int seqLen) {
        return pipeline(tokenizer, seqLen, false);
    }

    /**
     * @param tokenizer the model's tokenizer
     * @param seqLen the longest sequence; longer ones are cut
     * @param packing whether examples are packed into sequences of {@code seqLen} tokens (TRL's
     *     {@code packing=True}: no padding, several examples per row)
     * @return the pipeline of {@link #pipeline(TextTokenizer, int)}, packed if asked
     */
    static DataPipeline pipeline(TextTokenizer tokenizer, int seqLen, boolean packing) {
        return DataPipeline.builder(tokenizer)
                .curator(Curator.defaults())
                .skipBadLines(true)
                .tokenization(t -> ChatFormat.apply(t, tokenizer).addEos(false).maxLength(seqLen))
                .packing(packing ? seqLen : 0)
                .build();
    }

    /**
     * @param file general text, one paragraph per line, or {@code null}
     * @param tokenizer the model's tokenizer
     * @param seqLen tokens per chunk
     * @return the text in full chunks, or {@code null} for no file
     */
    static TokenizedDataset generalText(Path file, TextTokenizer tokenizer, int seqLen) {
        return file == null ? null
                : TextChunks.dataset(TextChunks.readLines(file), tokenizer, seqLen, tokenizer.eosTokenId().orElse(0));
    }
}
