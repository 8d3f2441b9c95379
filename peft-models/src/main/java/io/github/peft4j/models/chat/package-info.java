/**
 * Hugging Face chat templates ({@code chat_template} in {@code tokenizer_config.json}, a
 * {@code chat_template.jinja} file, named templates) rendered with jinjava as transformers'
 * {@code apply_chat_template} renders them, and the assistant spans that assistant-only loss trains.
 *
 * <pre>{@code
 * JinjaChatTemplate t = ChatTemplates.load(Path.of("Qwen2.5-0.5B-Instruct")).defaultTemplate().orElseThrow();
 * String prompt = t.render(List.of(Map.of("role", "user", "content", "Hi")), true);
 * }</pre>
 */
package io.github.peft4j.models.chat;
