package io.github.peft4j.prefix.prompttuning;

/**
 * Turns {@code prompt_tuning_init_text} into token ids for {@link PromptTuningInit#TEXT}. Python PEFT
 * loads the tokenizer named by {@code tokenizer_name_or_path} itself; peft4j's tuners do not depend
 * on a tokenizer library, so the caller supplies one with the config. It should return what the
 * model's tokenizer returns for the text, special tokens included, as Hugging Face's
 * {@code tokenizer(text)["input_ids"]} does.
 *
 * <pre>{@code
 * HuggingFaceTokenizer tokenizer = HuggingFaceTokenizer.newInstance(modelDir, Map.of("truncation", "false"));
 * PromptTuningConfig config = PromptTuningConfig.builder()
 *         .numVirtualTokens(16)
 *         .promptTuningInit(PromptTuningInit.TEXT)
 *         .promptTuningInitText("Classify the sentiment of this review:")
 *         .tokenizerNameOrPath(modelDir.toString())
 *         .initTokenizer(text -> tokenizer.encode(text).getIds())
 *         .build();
 * }</pre>
 */
@FunctionalInterface
public interface PromptInitTokenizer {

    /**
     * @param text the init text
     * @return its token ids, at least one
     */
    long[] encode(String text);
}
