package io.github.peft4j.train.testing;

import io.github.peft4j.train.data.DataPipeline;
import io.github.peft4j.train.data.DataRecord;
import io.github.peft4j.train.data.TextTokenizer;
import io.github.peft4j.train.data.TokenizedDataset;
import java.util.ArrayList;
import java.util.List;

/** Small data sets in the tiny tokenizer's vocabulary, with examples of different lengths. */
public final class Corpus {

    private Corpus() {}

    private static final String[] TEXTS = {
        "the cat sat on the mat",
        "the dog ran to the park and the cat sat",
        "a big red ball",
        "the small blue ball is on the mat",
        "hello world",
        "the dog was big and the cat was small",
    };

    /** @return texts and prompt/completion pairs, 12 records of lengths 3 to 11 tokens */
    public static List<DataRecord> records() {
        List<DataRecord> out = new ArrayList<>();
        for (String t : TEXTS) {
            out.add(new DataRecord.Text(t));
        }
        out.add(new DataRecord.PromptCompletion("question : what color is the ball", " answer : red"));
        out.add(new DataRecord.PromptCompletion("question : what color is the mat", " answer : blue"));
        out.add(new DataRecord.PromptCompletion("question : is the dog big", " answer : yes"));
        out.add(new DataRecord.PromptCompletion("question : is the cat big", " answer : no"));
        out.add(new DataRecord.PromptCompletion("please help my order", " your refund is on it ."));
        out.add(new DataRecord.PromptCompletion("hello", " hello world"));
        return out;
    }

    /**
     * @param tokenizer the tiny tokenizer
     * @return the records as a dataset, padded per batch
     */
    public static TokenizedDataset dataset(TextTokenizer tokenizer) {
        return DataPipeline.builder(tokenizer).build().prepare(records(), 0).train();
    }

    /**
     * @param tokenizer the tiny tokenizer
     * @return a small eval set of other sentences
     */
    public static TokenizedDataset evalDataset(TextTokenizer tokenizer) {
        List<DataRecord> eval = List.of(
                new DataRecord.Text("the cat ran to the mat"),
                new DataRecord.Text("a small red ball is on the mat"),
                new DataRecord.PromptCompletion("question : what color is the dog", " answer : red"));
        return DataPipeline.builder(tokenizer).build().prepare(eval, 0).train();
    }
}
