package io.github.peft4j.train.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import io.github.peft4j.core.Labels;
import io.github.peft4j.core.PeftConfigException;
import io.github.peft4j.train.testing.WordTokenizer;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Token ids and labels worked out by hand for each data shape, packing and padding. */
class PackingAndMaskingTest {

    static final int X = Labels.IGNORE_INDEX;
    static final WordTokenizer TOK = new WordTokenizer(Map.ofEntries(
            Map.entry("<pad>", 0), Map.entry("<eos>", 1), Map.entry("hi", 2), Map.entry("there", 3),
            Map.entry("what", 4), Map.entry("is", 5), Map.entry("two", 6), Map.entry("four", 7),
            Map.entry("<|im_start|>", 8), Map.entry("<|im_end|>", 9), Map.entry("user", 10),
            Map.entry("assistant", 11), Map.entry("<bos>", 12)));
    static final ChatTemplate SPACED = ChatTemplate.builder()
            .messageTemplate("<|im_start|> {role} {content} <|im_end|> ").build();

    @Test
    void textIsTrainedEverywhereAndEndsWithEos() {
        TokenizedExample e = Tokenization.builder(TOK).build().tokenize(new DataRecord.Text("hi there"));
        assertArrayEquals(new int[] {2, 3, 1}, e.inputIds());
        assertArrayEquals(new int[] {2, 3, 1}, e.labels());
    }

    @Test
    void promptTokensAreMaskedByDefault() {
        Tokenization t = Tokenization.builder(TOK).build();
        TokenizedExample e = t.tokenize(new DataRecord.PromptCompletion("what is two", "four"));
        assertArrayEquals(new int[] {4, 5, 6, 7, 1}, e.inputIds());
        assertArrayEquals(new int[] {X, X, X, 7, 1}, e.labels());
        TokenizedExample all = Tokenization.builder(TOK).completionOnlyLoss(false).build()
                .tokenize(new DataRecord.PromptCompletion("what is two", "four"));
        assertArrayEquals(new int[] {4, 5, 6, 7, 1}, all.labels());
        TokenizedExample bos = Tokenization.builder(TOK).addBos(true).build()
                .tokenize(new DataRecord.PromptCompletion("what is two", "four"));
        assertArrayEquals(new int[] {12, 4, 5, 6, 7, 1}, bos.inputIds());
        assertArrayEquals(new int[] {X, X, X, X, 7, 1}, bos.labels());
    }

    @Test
    void chatTrainsOnAssistantTurnsAndTheirEndMarker() {
        Tokenization t = Tokenization.builder(TOK).chatTemplate(SPACED).build();
        TokenizedExample e = t.tokenize(new DataRecord.Chat(List.of(
                new ChatMessage("user", "what is two"), new ChatMessage("assistant", "four"))));
        assertArrayEquals(new int[] {8, 10, 4, 5, 6, 9, 8, 11, 7, 9, 1}, e.inputIds());
        assertArrayEquals(new int[] {X, X, X, X, X, X, X, X, 7, 9, 1}, e.labels());
    }

    @Test
    void truncationKeepsTheStart() {
        TokenizedExample e = Tokenization.builder(TOK).maxLength(4).build()
                .tokenize(new DataRecord.PromptCompletion("what is two", "four"));
        assertArrayEquals(new int[] {4, 5, 6, 7}, e.inputIds());
        assertArrayEquals(new int[] {X, X, X, 7}, e.labels());
        // an example whose trained tokens were all cut away is dropped
        List<TokenizedExample> kept = Tokenization.builder(TOK).maxLength(3).build()
                .tokenizeAll(List.of(new DataRecord.PromptCompletion("what is two", "four"), new DataRecord.Text("hi")));
        assertEquals(1, kept.size());
        assertArrayEquals(new int[] {2, 1}, kept.get(0).inputIds());
    }

    @Test
    void packingFillsSequencesInOrderAndPaddingIsMaskedAndIgnored() {
        Tokenization t = Tokenization.builder(TOK).build();
        List<TokenizedExample> examples = t.tokenizeAll(List.of(
                new DataRecord.Text("hi there"),
                new DataRecord.PromptCompletion("what is two", "four"),
                new DataRecord.Text("hi there")));
        List<TokenizedExample> packed = Packing.pack(examples, 8);
        assertEquals(2, packed.size());
        assertArrayEquals(new int[] {2, 3, 1, 4, 5, 6, 7, 1}, packed.get(0).inputIds());
        assertArrayEquals(new int[] {2, 3, 1, X, X, X, 7, 1}, packed.get(0).labels());
        assertArrayEquals(new int[] {2, 3, 1}, packed.get(1).inputIds());

        Batch batch = Batching.builder(t.padTokenId()).fixedLength(8).build().collate(packed);
        assertEquals(0, t.padTokenId());
        assertArrayEquals(new int[] {2, 3, 1, 0, 0, 0, 0, 0}, batch.inputIdRows()[1]);
        assertArrayEquals(new int[] {1, 1, 1, 1, 1, 1, 1, 1}, batch.attentionMaskRows()[0]);
        assertArrayEquals(new int[] {1, 1, 1, 0, 0, 0, 0, 0}, batch.attentionMaskRows()[1]);
        assertArrayEquals(new int[] {2, 3, 1, X, X, X, X, X}, batch.labelRows()[1]);
        assertEquals(11, batch.tokenCount());
        // scored by a causal LM (label at t+1): 3,1,7,1 in row 0 and 3,1 in row 1
        assertEquals(6, batch.labelCount(1));
        assertEquals(8, batch.labelCount(0));

        try (NDManager m = NDManager.newBaseManager()) {
            NDList inputs = batch.inputs(m);
            NDArray labels = batch.labels(m);
            assertEquals(new Shape(2, 8), inputs.get(0).getShape());
            assertEquals(DataType.INT64, inputs.get(0).getDataType());
            assertEquals(DataType.INT64, inputs.get(1).getDataType());
            assertArrayEquals(new long[] {2, 3, 1, 4, 5, 6, 7, 1, 2, 3, 1, 0, 0, 0, 0, 0}, inputs.get(0).toLongArray());
            assertArrayEquals(new long[] {2, 3, 1, X, X, X, 7, 1, 2, 3, 1, X, X, X, X, X}, labels.toLongArray());
        }
    }

    @Test
    void examplesLongerThanThePackingLengthAreCut() {
        TokenizedExample longOne = TokenizedExample.languageModel(new int[] {2, 3, 4, 5, 6}, new int[] {2, 3, 4, 5, 6});
        List<TokenizedExample> packed = Packing.pack(List.of(longOne, longOne), 4);
        assertEquals(2, packed.size());
        assertArrayEquals(new int[] {2, 3, 4, 5}, packed.get(0).inputIds());
    }

    @Test
    void dynamicPaddingRoundsUpAndMixedBatchesAreRefused() {
        Batching b = Batching.builder(0).padToMultipleOf(4).build();
        Batch batch = b.collate(List.of(TokenizedExample.languageModel(new int[] {5, 6, 7, 8, 9}, new int[] {5, 6, 7, 8, 9})));
        assertEquals(8, batch.sequenceLength());
        assertThrows(PeftConfigException.class, () -> b.collate(List.of(
                TokenizedExample.languageModel(new int[] {1}, new int[] {1}), TokenizedExample.classification(new int[] {1}, 0))));
        Batch cls = b.collate(List.of(TokenizedExample.classification(new int[] {2, 3}, 1),
                TokenizedExample.classification(new int[] {4}, 0)));
        assertArrayEquals(new int[] {1, 0}, cls.classLabels());
        assertEquals(2, cls.labelCount(0));
    }

    @Test
    void classificationLabelsAreMappedByName() {
        Tokenization t = Tokenization.builder(TOK).classNames(List.of("neg", "pos")).build();
        TokenizedExample e = t.tokenize(new DataRecord.LabeledText("hi there", "pos"));
        assertArrayEquals(new int[] {2, 3}, e.inputIds());
        assertEquals(1, e.classLabel());
        PeftConfigException err = assertThrows(PeftConfigException.class,
                () -> t.tokenize(new DataRecord.LabeledText("hi", "maybe", "data.jsonl:7")));
        assertEquals(true, err.getMessage().contains("data.jsonl:7"));
        assertEquals(3, Tokenization.builder(TOK).build().tokenize(new DataRecord.LabeledText("hi", "3")).classLabel());
    }
}
