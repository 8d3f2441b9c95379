/**
 * The Llama family (Llama 2/3, Mistral, Qwen2/3, Phi-3, Gemma 2/3 text, SmolLM, TinyLlama) with transformers' module paths.
 */
package io.github.peft4j.models.llama;
