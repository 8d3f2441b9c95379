package io.github.peft4j.cli;

import ai.djl.nn.Block;
import io.github.peft4j.models.generation.GenerationConfig;
import io.github.peft4j.models.generation.GenerationResult;
import io.github.peft4j.models.generation.Generator;
import io.github.peft4j.models.tokenizer.HfTokenizer;
import java.util.ArrayList;
import java.util.List;

/** Greedy answers to chat questions, for the before/after samples and {@code peft4j generate}. */
final class Answers {

    private Answers() {}

    /**
     * @param model a causal LM, or a PeftModel wrapping one (its active adapters are used)
     * @param tokenizer the model's tokenizer
     * @param texts the full prompts
     * @param config decoding settings
     * @return the generated continuation of each prompt, special tokens removed
     */
    static List<String> generate(Block model, HfTokenizer tokenizer, List<String> texts, GenerationConfig config) {
        if (texts.isEmpty()) {
            return List.of();
        }
        List<long[]> prompts = new ArrayList<>();
        for (String t : texts) {
            prompts.add(tokenizer.encode(t));
        }
        GenerationResult result = Generator.generate(model, prompts, config);
        List<String> out = new ArrayList<>();
        for (long[] tokens : result.tokens()) {
            out.add(tokenizer.decode(tokens, true).strip());
        }
        return out;
    }
}
