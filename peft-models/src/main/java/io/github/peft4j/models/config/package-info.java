/**
 * Hugging Face model configurations ({@code config.json}) for the architectures peft4j builds:
 * {@link io.github.peft4j.models.config.LlamaConfig} (Llama, Mistral, Qwen2),
 * {@link io.github.peft4j.models.config.Gpt2Config} and {@link io.github.peft4j.models.config.BertConfig}.
 */
package io.github.peft4j.models.config;
