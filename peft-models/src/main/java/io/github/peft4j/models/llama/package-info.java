/**
 * The Llama family (Llama 2/3, Mistral, Qwen2, SmolLM, TinyLlama) with transformers' module paths.
 */
package io.github.peft4j.models.llama;
